#include "common/sha1.h"

#include <gtest/gtest.h>

#include "common/hex.h"

namespace mt::common {
namespace {

// RFC 3174 section 7.3 test vectors.
TEST(Sha1, Rfc3174Vectors) {
    EXPECT_EQ(to_hex(Sha1::digest("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(to_hex(Sha1::digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    Sha1 million;
    const std::string a(1000, 'a');
    for (int i = 0; i < 1000; ++i)
        million.update(a);
    EXPECT_EQ(to_hex(million.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    Sha1 repeated;
    for (int i = 0; i < 10; ++i)
        repeated.update("0123456701234567012345670123456701234567012345670123456701234567");
    EXPECT_EQ(to_hex(repeated.finish()), "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

TEST(Sha1, EmptyInput) {
    EXPECT_EQ(to_hex(Sha1::digest("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(Sha1, FinishResetsForReuse) {
    Sha1 s;
    s.update("ab");
    s.update("c");
    EXPECT_EQ(to_hex(s.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
    s.update("abc");
    EXPECT_EQ(to_hex(s.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1, MovedContextStillWorks) {
    Sha1 a;
    a.update("a");
    Sha1 b = std::move(a);
    b.update("bc");
    EXPECT_EQ(to_hex(b.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace mt::common
