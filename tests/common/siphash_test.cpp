#include "common/siphash.h"

#include <gtest/gtest.h>

#include <string>

namespace mt::common {
namespace {

SipKey reference_key() {
    SipKey k{};
    for (std::size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<std::uint8_t>(i);
    return k;
}

std::string bytes_upto(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i)
        s.push_back(static_cast<char>(i));
    return s;
}

// Vectors from the reference implementation's vectors.h (key 00..0f, message
// 00..n-1), the 8 output bytes read little-endian.
TEST(SipHash24, ReferenceVectors) {
    const SipKey k = reference_key();
    EXPECT_EQ(siphash24(k, bytes_upto(0)), 0x726fdb47dd0e0e31ULL);
    EXPECT_EQ(siphash24(k, bytes_upto(1)), 0x74f839c593dc67fdULL);
    EXPECT_EQ(siphash24(k, bytes_upto(2)), 0x0d6c8009d9a94f5aULL);
    EXPECT_EQ(siphash24(k, bytes_upto(6)), 0xcbc9466e58fee3ceULL);
    EXPECT_EQ(siphash24(k, bytes_upto(7)), 0xab0200f58b01d137ULL);
    EXPECT_EQ(siphash24(k, bytes_upto(8)), 0x93f5f5799a932462ULL);
    EXPECT_EQ(siphash24(k, bytes_upto(9)), 0x9e0082df0ba9e4b0ULL);
    EXPECT_EQ(siphash24(k, bytes_upto(12)), 0x751e8fbc860ee5fbULL);
    EXPECT_EQ(siphash24(k, bytes_upto(15)), 0xa129ca6149be45e5ULL);
}

TEST(SipHash24, EveryKeyBitMatters) {
    const SipKey k = reference_key();
    const auto base = siphash24(k, "abcdef");
    for (std::size_t bit = 0; bit < 128; ++bit) {
        SipKey k2 = k;
        k2[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        EXPECT_NE(siphash24(k2, "abcdef"), base) << bit;
    }
}

}  // namespace
}  // namespace mt::common
