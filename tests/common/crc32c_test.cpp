#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace mt::common {
namespace {

// Bit-at-a-time reference, independent of the tables under test.
std::uint32_t crc32c_bitwise(std::string_view data) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char c : data) {
        crc ^= c;
        for (int i = 0; i < 8; ++i)
            crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

// The check value of the CRC catalogue and RFC 3720 appendix B.4.
TEST(Crc32c, StandardVectors) {
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
    EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
    std::string ascending, descending;
    for (int i = 0; i < 32; ++i) {
        ascending.push_back(static_cast<char>(i));
        descending.push_back(static_cast<char>(31 - i));
    }
    EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
    EXPECT_EQ(crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32c, EmptyInputIsZeroAndKeepsTheChain) {
    EXPECT_EQ(crc32c(""), 0u);
    EXPECT_EQ(crc32c("", 0xE3069283u), 0xE3069283u);
}

TEST(Crc32c, ChainingAtEverySplitEqualsOneShot) {
    std::string data;
    for (int i = 0; i < 100; ++i)
        data.push_back(static_cast<char>(i * 37 + 11));
    const std::uint32_t whole = crc32c(data);
    for (std::size_t cut = 0; cut <= data.size(); ++cut)
        EXPECT_EQ(crc32c(data.substr(cut), crc32c(data.substr(0, cut))), whole) << cut;
}

TEST(Crc32c, MatchesBitwiseReferenceAtEveryLengthAndAlignment) {
    std::string data;
    std::uint32_t x = 12345;
    for (int i = 0; i < 300; ++i) {
        x = x * 1103515245u + 12345u;
        data.push_back(static_cast<char>(x >> 16));
    }
    const std::string_view all(data);
    for (std::size_t start = 0; start < 9; ++start)
        for (std::size_t len = 0; start + len <= all.size(); len += 7)
            ASSERT_EQ(crc32c(all.substr(start, len)), crc32c_bitwise(all.substr(start, len)))
                << start << "+" << len;
}

}  // namespace
}  // namespace mt::common
