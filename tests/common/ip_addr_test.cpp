#include "common/ip_addr.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace mt::common {
namespace {

TEST(IpAddr, Ipv4IsMapped) {
    const IpAddr a(0x7f000001);
    EXPECT_TRUE(a.is_v4());
    EXPECT_EQ(a.v4(), 0x7f000001u);
    EXPECT_EQ(a.to_string(), "127.0.0.1");
    EXPECT_EQ(a.to_url_host(), "127.0.0.1");
    EXPECT_EQ(a.wire_bytes(), std::string("\x7f\x00\x00\x01", 4));
    // The same address reaching a dual-stack socket: one value.
    EXPECT_EQ(*IpAddr::parse("::ffff:127.0.0.1"), a);
    EXPECT_EQ(*IpAddr::parse("127.0.0.1"), a);
    EXPECT_TRUE(a.is_loopback());
    EXPECT_TRUE(a.is_local());
}

TEST(IpAddr, Ipv6) {
    const auto a = IpAddr::parse("2001:DB8:0:0:0:0:0:1");
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->is_v4());
    EXPECT_EQ(a->to_string(), "2001:db8::1");  // RFC 5952
    EXPECT_EQ(a->to_url_host(), "[2001:db8::1]");
    EXPECT_EQ(a->wire_bytes().size(), 16u);
    EXPECT_EQ(static_cast<unsigned char>(a->wire_bytes()[0]), 0x20);
    EXPECT_FALSE(a->is_local());
    EXPECT_TRUE(IpAddr::parse("::1")->is_loopback());
    EXPECT_TRUE(IpAddr::parse("::")->is_unspecified());
    EXPECT_TRUE(IpAddr::parse("fe80::1")->is_local());
    EXPECT_TRUE(IpAddr::parse("fd00::5")->is_local());
    EXPECT_EQ(IpAddr::from_v6_bytes(a->bytes().data()), *a);
}

TEST(IpAddr, RefusesWhatIsNotAnAddress) {
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "[::1]", "::1%lo", "host",
                            "1:2:3:4:5:6:7:8:9", "::g", " 1.2.3.4"})
        EXPECT_FALSE(IpAddr::parse(bad)) << bad;
    EXPECT_FALSE(IpAddr::parse(std::string(100, '1')));
}

TEST(IpAddr, LocalRanges) {
    for (const char* local : {"10.9.8.7", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                              "100.64.0.1", "100.127.255.255", "169.254.3.4"})
        EXPECT_TRUE(IpAddr::parse(local)->is_local()) << local;
    for (const char* pub : {"172.32.0.1", "100.128.0.1", "8.8.8.8", "198.18.0.1", "2001:db8::1"})
        EXPECT_FALSE(IpAddr::parse(pub)->is_local()) << pub;
}

TEST(IpAddr, QuotaKeyIsTheSlash64ForIpv6) {
    const auto a = *IpAddr::parse("2001:db8:1:2:aaaa::1");
    const auto b = *IpAddr::parse("2001:db8:1:2:bbbb::9");
    const auto c = *IpAddr::parse("2001:db8:1:3::1");
    EXPECT_EQ(a.quota_key(), b.quota_key());
    EXPECT_NE(a.quota_key(), c.quota_key());
    EXPECT_EQ(a.quota_key().to_string(), "2001:db8:1:2::");
    const IpAddr v4(0x01020304);
    EXPECT_EQ(v4.quota_key(), v4);
}

TEST(IpAddr, HashSpreadsNeighbours) {
    std::unordered_set<std::size_t> buckets;
    for (std::uint32_t i = 0; i < 1024; ++i)
        buckets.insert(hash_ip(IpAddr(0x0a000000 + i)) & 1023);
    EXPECT_GT(buckets.size(), 550u);  // about 1 - 1/e of 1024 for a random hash
}

}  // namespace
}  // namespace mt::common
