#include "common/wire/pex.h"

#include <gtest/gtest.h>

namespace mt::common::wire {
namespace {

IpAddr ip(const char* s) {
    return *IpAddr::parse(s);
}

TEST(Pex, GoldenBytes) {
    PexMessage m;
    m.added = {{ip("10.0.0.1"), 6881, kPexSeed | kPexReachable}};
    m.dropped = {{ip("10.0.0.2"), 0x1a2b, 0}};
    std::string out;
    encode(m, out);
    EXPECT_EQ(out, std::string("d5:added6:\x0a\x00\x00\x01\x1a\xe1"
                               "7:added.f1:\x12"
                               "7:dropped6:\x0a\x00\x00\x02\x1a\x2b"
                               "e",
                               46));
    auto back = decode_pex(out);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, m);
}

TEST(Pex, BothFamiliesRoundTrip) {
    PexMessage m;
    m.added = {{ip("192.0.2.7"), 1, 0}, {ip("2001:db8::7"), 2, kPexUtp}};
    m.dropped = {{ip("2001:db8::8"), 3, 0}};
    std::string out;
    encode(m, out);
    auto back = decode_pex(out);
    ASSERT_TRUE(back);
    // Decoding lists IPv4 peers before IPv6 ones: here the same order.
    EXPECT_EQ(*back, m);
}

TEST(Pex, WhatRealClientsSendIsAccepted) {
    EXPECT_TRUE(decode_pex("de"));  // aria2 with nothing to say
    // Keys out of order, flags of the wrong length (ignored), port 0 dropped.
    auto m = decode_pex(
        std::string("d7:dropped0:5:added12:\x0a\x00\x00\x01\x00\x00\x0a\x00\x00\x02\x00\x50"
                    "7:added.f1:\x02"
                    "e",
                    47));
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_EQ(m->added.size(), 1u);
    EXPECT_EQ(m->added[0].port, 80);
    EXPECT_EQ(m->added[0].flags, 0);
}

TEST(Pex, MalformedAndOversizedAreRefused) {
    EXPECT_FALSE(decode_pex("le"));
    EXPECT_FALSE(decode_pex("d5:added5:abcdee"));  // not whole entries
    EXPECT_FALSE(decode_pex("d5:addedi1ee"));
    EXPECT_FALSE(decode_pex("d5:addedld1:ai1eeee"));                             // too deep
    const std::string many = "d5:added3006:" + std::string(3006, '\x01') + "e";  // 501 peers
    auto r = decode_pex(many);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::limit_exceeded);
    EXPECT_FALSE(decode_pex(std::string(kMaxPexPayload + 1, 'd')));
}

}  // namespace
}  // namespace mt::common::wire
