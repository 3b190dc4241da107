#include "common/hex.h"

#include <gtest/gtest.h>

#include "common/random.h"

namespace mt::common {
namespace {

TEST(Hex, Encodes) {
    EXPECT_EQ(to_hex(std::string_view("\x00\x01\xab\xff", 4)), "0001abff");
    EXPECT_EQ(to_hex(std::string_view()), "");
}

TEST(Hex, DecodesBothCases) {
    EXPECT_EQ(from_hex("0001ABff").value(), std::string("\x00\x01\xab\xff", 4));
}

TEST(Hex, RejectsBadInput) {
    EXPECT_EQ(from_hex("abc").error().code, Errc::parse_error);
    auto r = from_hex("a0zz");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().offset, 2u);
}

TEST(Hex, RoundTripsRandomBytes) {
    for (int i = 0; i < 50; ++i) {
        const std::string b = random_bytes(static_cast<std::size_t>(i));
        EXPECT_EQ(from_hex(to_hex(b)).value(), b);
    }
}

TEST(Random, BytesDiffer) {
    EXPECT_EQ(random_bytes(32).size(), 32u);
    EXPECT_NE(random_bytes(32), random_bytes(32));
}

}  // namespace
}  // namespace mt::common
