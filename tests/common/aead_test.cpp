#include "common/aead.h"

#include <gtest/gtest.h>

#include "common/hex.h"

namespace mt::common {
namespace {

const std::string kKey(32, '\x42');

TEST(Aead, KnownAnswerAes256GcmZeroKey) {
    // NIST GCM test case 13 (AES-256, zero key, zero 96-bit IV, empty plaintext).
    std::string out;
    aead_seal(std::string(32, '\0'), 0, "", "", out);
    EXPECT_EQ(to_hex(out), "530f8afbc74536b9a963b4f1c4cb738b");
    // Test case 14: one zero block.
    out.clear();
    aead_seal(std::string(32, '\0'), 0, "", std::string(16, '\0'), out);
    EXPECT_EQ(to_hex(out), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
}

TEST(Aead, RoundTrip) {
    std::string sealed;
    aead_seal(kKey, 7, "hdr", "hello replication", sealed);
    EXPECT_EQ(sealed.size(), 17u + kAeadTagBytes);
    EXPECT_EQ(sealed.find("hello"), std::string::npos) << "plaintext must not show";
    auto back = aead_open(kKey, 7, "hdr", sealed);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, "hello replication");
}

TEST(Aead, RefusesWrongKeyCounterAadOrAlteredBytes) {
    std::string sealed;
    aead_seal(kKey, 7, "hdr", "payload", sealed);
    EXPECT_EQ(aead_open(std::string(32, 'x'), 7, "hdr", sealed).error().code, Errc::refused);
    EXPECT_EQ(aead_open(kKey, 8, "hdr", sealed).error().code,
              Errc::refused);  // a replay at another position
    EXPECT_EQ(aead_open(kKey, 7, "hdx", sealed).error().code, Errc::refused);
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        std::string bad = sealed;
        bad[i] ^= 1;
        EXPECT_FALSE(aead_open(kKey, 7, "hdr", bad).ok()) << "bit flip at " << i;
    }
    EXPECT_FALSE(aead_open(kKey, 7, "hdr", "short").ok());
}

}  // namespace
}  // namespace mt::common
