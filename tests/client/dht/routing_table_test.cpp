#include "client/dht/routing_table.h"

#include <gtest/gtest.h>

#include <random>

namespace mt::client::dht {
namespace {

NodeId id_with(std::uint8_t first, std::uint8_t last = 0) {
    NodeId id;
    id.bytes[0] = first;
    id.bytes[19] = last;
    return id;
}
Endpoint ep(std::uint32_t ip, std::uint16_t port) {
    return Endpoint{common::IpAddr(ip), port};
}
constexpr std::uint32_t kPublic = 0xc6336400;  // 198.51.100.0
constexpr std::int64_t kMin = 60 * 1000;

TEST(DhtDistance, PrefixAndXorOrder) {
    EXPECT_EQ(common_prefix_bits(id_with(0x00), id_with(0x80)), 0);
    EXPECT_EQ(common_prefix_bits(id_with(0x00), id_with(0x01)), 7);
    EXPECT_EQ(common_prefix_bits(id_with(0x10), id_with(0x10)), 160);
    EXPECT_EQ(common_prefix_bits(id_with(0, 0), id_with(0, 1)), 159);
    EXPECT_TRUE(closer(id_with(0x00), id_with(0x01), id_with(0x02)));
    EXPECT_FALSE(closer(id_with(0x00), id_with(0x03), id_with(0x02)));
}

TEST(RoutingTable, AFullBucketTakesANewcomerOnlyInTheIdOfABadNode) {
    RoutingTable t(id_with(0x00));
    // Bucket 0 (ids with the top bit set, ours clear): 8 places.
    for (std::uint8_t i = 0; i < 8; ++i)
        EXPECT_FALSE(t.heard_from(id_with(0x80 | i), ep(kPublic + i, 6881), true, 0));
    EXPECT_EQ(t.size(), 8u);
    // A ninth while all are good: waits, nobody to ping.
    EXPECT_FALSE(t.heard_from(id_with(0x90), ep(kPublic + 20, 6881), true, 1000));
    EXPECT_EQ(t.size(), 8u);
    // 16 minutes later they are questionable: the longest silent is named.
    auto ping = t.heard_from(id_with(0xa0), ep(kPublic + 21, 6881), true, 16 * kMin);
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->id, id_with(0x80));
    // It fails twice: bad, replaced by the replacement that answered last.
    t.failed(ping->id, ping->ep);
    EXPECT_EQ(t.size(), 8u);
    t.failed(ping->id, ping->ep);
    const auto all = t.nodes();
    EXPECT_EQ(
        std::count_if(all.begin(), all.end(), [](const Node& n) { return n.id == id_with(0x80); }),
        0);
    EXPECT_EQ(
        std::count_if(all.begin(), all.end(), [](const Node& n) { return n.id == id_with(0xa0); }),
        1);
}

TEST(RoutingTable, AKnownIdFromAnotherAddressIsIgnored) {
    RoutingTable t(id_with(0x00));
    t.heard_from(id_with(0x80), ep(kPublic, 6881), true, 0);
    t.heard_from(id_with(0x80), ep(kPublic + 1, 6881), true, 0);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t.nodes()[0].ep, ep(kPublic, 6881));
}

TEST(RoutingTable, OnePublicAddressHoldsOneEntryLocalOnesAreExempt) {
    RoutingTable t(id_with(0x00));
    t.heard_from(id_with(0x80), ep(kPublic, 1), true, 0);
    t.heard_from(id_with(0x40), ep(kPublic, 2), true, 0);  // same public address
    EXPECT_EQ(t.size(), 1u);
    for (std::uint8_t i = 0; i < 5; ++i)
        t.heard_from(id_with(static_cast<std::uint8_t>(0x20 + i)), ep(0x7f000001, 7000 + i), true,
                     0);
    EXPECT_EQ(t.size(), 6u);
}

TEST(RoutingTable, ClosestIsSortedByXorAndSkipsBadNodes) {
    RoutingTable t(id_with(0x00), {false});
    std::mt19937 rng(7);
    for (int i = 0; i < 200; ++i) {
        NodeId id;
        for (auto& b : id.bytes)
            b = static_cast<std::uint8_t>(rng());
        t.heard_from(id, ep(kPublic + static_cast<std::uint32_t>(i), 6881), true, 0);
    }
    const NodeId target = id_with(0x5a, 0x33);
    auto c = t.closest(target, 8);
    ASSERT_EQ(c.size(), 8u);
    for (std::size_t i = 1; i < c.size(); ++i)
        EXPECT_TRUE(closer(target, c[i - 1].id, c[i].id));
    // Nothing in the table is closer than the last one returned.
    for (const auto& n : t.nodes()) {
        bool in = false;
        for (const auto& x : c)
            in = in || x.id == n.id;
        if (!in) {
            EXPECT_FALSE(closer(target, n.id, c.back().id));
        }
    }
    t.failed(c[0].id, c[0].ep);
    t.failed(c[0].id, c[0].ep);
    auto again = t.closest(target, 8);
    for (const auto& x : again)
        EXPECT_NE(x.id, c[0].id);
}

TEST(RoutingTable, RefreshTargetsFallInTheirBuckets) {
    const NodeId self = id_with(0x5a);
    RoutingTable t(self);
    t.heard_from(id_with(0xff), ep(kPublic, 1), true, 0);      // bucket 0
    t.heard_from(id_with(0x5b), ep(kPublic + 1, 1), true, 0);  // bucket 7
    NodeId rnd;
    rnd.bytes.fill(0xa5);
    EXPECT_TRUE(t.refresh_targets(kMin, rnd).empty());  // nothing idle for 15 minutes yet
    const auto targets = t.refresh_targets(16 * kMin, rnd);
    ASSERT_EQ(targets.size(), 9u);  // buckets 0..8
    for (std::size_t i = 0; i < targets.size(); ++i)
        EXPECT_EQ(common_prefix_bits(self, targets[i]), static_cast<int>(i));
}

TEST(RoutingTable, SavedTableReadsBackAndDamageIsContained) {
    RoutingTable t(id_with(0x00));
    t.heard_from(id_with(0x80), ep(kPublic, 6881), true, 0);
    t.heard_from(id_with(0x40), Endpoint{*common::IpAddr::parse("2001:db8::5"), 6882}, true, 0);
    const std::string saved = t.save(0);
    auto back = RoutingTable::parse_saved(saved);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].id, id_with(0x80));
    EXPECT_EQ(back[1].ep.port, 6882);
    EXPECT_EQ(RoutingTable::parse_saved(saved.substr(0, saved.size() - 3)).size(), 1u);
    EXPECT_TRUE(RoutingTable::parse_saved("garbage").empty());
    EXPECT_EQ(RoutingTable::parse_saved(saved, 1).size(), 1u);
}

}  // namespace
}  // namespace mt::client::dht
