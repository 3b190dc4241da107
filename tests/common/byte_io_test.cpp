#include "common/byte_io.h"

#include <gtest/gtest.h>

namespace mt::common {
namespace {

TEST(ByteIo, BigEndianRoundTrip) {
    std::string out;
    append_u8(out, 0x01);
    append_u16(out, 0x0203);
    append_u32(out, 0x04050607);
    append_u64(out, 0x08090a0b0c0d0e0full);
    EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 15));
    EXPECT_EQ(read_u16(out.data() + 1), 0x0203);
    EXPECT_EQ(read_u32(out.data() + 3), 0x04050607u);
    EXPECT_EQ(read_u64(out.data() + 7), 0x08090a0b0c0d0e0full);
}

TEST(ByteIo, HighBitsSurvive) {
    unsigned char b[8];
    store_u64(b, 0xffffffffffffffffull);
    EXPECT_EQ(read_u64(b), 0xffffffffffffffffull);
    store_u32(b, 0x80000000u);
    EXPECT_EQ(read_u32(b), 0x80000000u);
    store_u16(b, 0xfffe);
    EXPECT_EQ(read_u16(b), 0xfffe);
}

TEST(ByteReader, StopsAtTheEnd) {
    const std::string data(
        "\x00\x00\x00\x07"
        "abc",
        7);
    ByteReader r(data);
    std::uint32_t n = 0;
    ASSERT_TRUE(r.u32(n));
    EXPECT_EQ(n, 7u);
    std::string_view s;
    EXPECT_FALSE(r.bytes(4, s));
    ASSERT_TRUE(r.bytes(3, s));
    EXPECT_EQ(s, "abc");
    std::uint8_t b = 0;
    EXPECT_FALSE(r.u8(b));
    EXPECT_EQ(r.remaining(), 0u);
}

}  // namespace
}  // namespace mt::common
