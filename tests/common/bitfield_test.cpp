#include "common/bitfield.h"

#include <gtest/gtest.h>

#include <string>

namespace mt::common {
namespace {

TEST(Bitfield, StartsClear) {
    Bitfield b(11);
    EXPECT_EQ(b.size(), 11u);
    EXPECT_EQ(b.count(), 0u);
    EXPECT_TRUE(b.none());
    EXPECT_FALSE(b.all());
    EXPECT_EQ(b.wire(), std::string(2, '\0'));
    for (std::size_t i = 0; i < 11; ++i)
        EXPECT_FALSE(b.get(i));
}

TEST(Bitfield, WireBitOrderIsHighBitFirst) {
    Bitfield b(11);
    b.set(0);
    EXPECT_EQ(b.wire(), std::string("\x80\x00", 2));
    b.set(7);
    b.set(9);
    EXPECT_EQ(b.wire(), std::string("\x81\x40", 2));
    b.set(10);
    EXPECT_EQ(b.wire(), std::string("\x81\x60", 2));
    EXPECT_EQ(b.count(), 4u);
    EXPECT_TRUE(b.get(9));
    EXPECT_FALSE(b.get(8));
}

TEST(Bitfield, SetTwiceAndResetKeepTheCount) {
    Bitfield b(9);
    b.set(3);
    b.set(3);
    EXPECT_EQ(b.count(), 1u);
    b.reset(3);
    b.reset(3);
    EXPECT_EQ(b.count(), 0u);
    b.set(8, true);
    b.set(8, false);
    EXPECT_TRUE(b.none());
}

TEST(Bitfield, FillKeepsSpareBitsZero) {
    Bitfield b(11);
    b.fill(true);
    EXPECT_TRUE(b.all());
    EXPECT_EQ(b.count(), 11u);
    EXPECT_EQ(b.wire(), std::string("\xff\xe0", 2));
    b.fill(false);
    EXPECT_TRUE(b.none());
    EXPECT_EQ(b.wire(), std::string(2, '\0'));

    Bitfield whole(16);
    whole.fill(true);
    EXPECT_EQ(whole.wire(), std::string("\xff\xff", 2));
}

TEST(Bitfield, AllByBits) {
    Bitfield b(3);
    b.set(0);
    b.set(1);
    EXPECT_FALSE(b.all());
    b.set(2);
    EXPECT_TRUE(b.all());
    EXPECT_EQ(b.wire(), std::string("\xe0", 1));
}

TEST(Bitfield, EmptyBitfield) {
    Bitfield b(0);
    EXPECT_EQ(b.wire(), "");
    EXPECT_TRUE(b.all());
    EXPECT_TRUE(b.none());
    EXPECT_EQ(Bitfield::wire_size(0), 0u);
    EXPECT_TRUE(Bitfield::from_wire("", 0).ok());
}

TEST(Bitfield, WireSize) {
    EXPECT_EQ(Bitfield::wire_size(1), 1u);
    EXPECT_EQ(Bitfield::wire_size(8), 1u);
    EXPECT_EQ(Bitfield::wire_size(9), 2u);
    EXPECT_EQ(Bitfield::wire_size(4294967295u), 536870912u);
}

TEST(Bitfield, FromWireRoundTrip) {
    auto b = Bitfield::from_wire(std::string("\xa5\x40", 2), 10);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->count(), 5u);  // 1010 0101 01
    EXPECT_TRUE(b->get(0));
    EXPECT_FALSE(b->get(1));
    EXPECT_TRUE(b->get(2));
    EXPECT_TRUE(b->get(7));
    EXPECT_FALSE(b->get(8));
    EXPECT_TRUE(b->get(9));
    auto again = Bitfield::from_wire(b->wire(), 10);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *b);

    Bitfield built(10);
    for (std::size_t i : {0, 2, 5, 7, 9})
        built.set(i);
    EXPECT_EQ(built, *b);
}

TEST(Bitfield, FromWireRejectsSpareBits) {
    auto b = Bitfield::from_wire(std::string("\xff\xf0", 2), 11);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().code, Errc::parse_error);
    EXPECT_NE(b.error().message.find("spare bits"), std::string::npos) << b.error().message;
    EXPECT_EQ(b.error().offset, 1u);
    // The lowest spare bit alone is caught too.
    EXPECT_FALSE(Bitfield::from_wire(std::string("\x00\x01", 2), 15).ok());
    EXPECT_TRUE(Bitfield::from_wire(std::string("\x00\x02", 2), 15).ok());
}

TEST(Bitfield, FromWireRejectsWrongLength) {
    for (std::string bytes : {std::string(), std::string(1, '\0'), std::string(3, '\0')}) {
        auto b = Bitfield::from_wire(bytes, 11);
        ASSERT_FALSE(b.ok()) << bytes.size();
        EXPECT_EQ(b.error().code, Errc::parse_error);
        EXPECT_NE(b.error().message.find("expected 2"), std::string::npos) << b.error().message;
    }
}

}  // namespace
}  // namespace mt::common
