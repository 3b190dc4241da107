#include "tracker/conn_limits.h"

#include <gtest/gtest.h>

namespace mt::tracker {
namespace {

constexpr std::uint32_t kA = 0x7f000002, kB = 0x7f000003, kPartner = 0x7f000001;

TEST(AddressCounter, CapsEachAddress) {
    AddressCounter c(2);
    EXPECT_TRUE(c.try_add(kA));
    EXPECT_TRUE(c.try_add(kA));
    EXPECT_FALSE(c.try_add(kA));  // at its cap: nothing counted
    EXPECT_EQ(c.count(kA), 2u);
    EXPECT_TRUE(c.try_add(kB));  // another address is unaffected
    c.remove(kA);
    EXPECT_TRUE(c.try_add(kA));
    EXPECT_EQ(c.addresses(), 2u);
    c.remove(kB);
    c.remove(kB);  // more removes than adds do not wrap
    EXPECT_EQ(c.count(kB), 0u);
    EXPECT_EQ(c.addresses(), 1u);
}

TEST(AddressCounter, KnowsTheMostAnyAddressHolds) {
    AddressCounter c(3);
    EXPECT_EQ(c.max_count(), 0u);
    c.try_add(kA);
    c.try_add(kA);
    c.try_add(kB);
    EXPECT_EQ(c.max_count(), 2u);
    c.try_add(kA);
    c.try_add(kA);  // refused at the cap: the maximum stays 3
    EXPECT_EQ(c.max_count(), 3u);
    c.remove(kA);
    c.remove(kA);
    EXPECT_EQ(c.max_count(), 1u);  // kA and kB hold one each
    c.remove(kA);
    EXPECT_EQ(c.max_count(), 1u);
    c.remove(kB);
    c.remove(kB);  // an extra remove changes nothing
    EXPECT_EQ(c.max_count(), 0u);
}

TEST(PickVictim, TakesFromTheAddressHoldingTheMostLeastRecentlyActiveFirst) {
    const std::vector<VictimCandidate> cs = {
        {10, kA, 5, 300}, {11, kA, 5, 100}, {12, kB, 3, 50}, {13, kB, 3, 0}};
    constexpr std::uint32_t kC = 0x0a000003;
    EXPECT_EQ(pick_victim(cs, kC, 1), 11);
    EXPECT_EQ(pick_victim(cs, kC, 4), 11);
    // The newcomer's address holds as many as the top: refuse it instead.
    EXPECT_EQ(pick_victim(cs, kC, 5), std::nullopt);
    EXPECT_EQ(pick_victim({}, kC, 1), std::nullopt);
}

TEST(PickVictim, NeverOneOfTheNewcomersOwnAddress) {
    // Counts read while other threads close connections can be stale: the
    // newcomer from kA counted 4 while its older connections still say 5.
    // The tsan run of conn_limit_50 closed its 12th connection for its 56th.
    const std::vector<VictimCandidate> cs = {{10, kA, 5, 300}, {11, kA, 5, 100}, {12, kB, 3, 0}};
    EXPECT_EQ(pick_victim(cs, kA, 4), std::nullopt);
    EXPECT_EQ(pick_victim(cs, kA, 2), 12) << "another address holding more than the newcomer's";
}

TEST(AdmitHandshake, CapsStrangersPerAddressAndInTotal) {
    std::vector<PendingHandshake> p;
    EXPECT_TRUE(admit_handshake(p, kA, kPartner, 2, 4).admit);
    p = {{kA, 1}, {kA, 2}};
    auto r = admit_handshake(p, kA, kPartner, 2, 4);
    EXPECT_FALSE(r.admit);
    EXPECT_FALSE(r.evict);
    EXPECT_TRUE(admit_handshake(p, kB, kPartner, 2, 4).admit);
    p = {{kA, 1}, {kA, 2}, {kB, 3}, {kB, 4}};
    EXPECT_FALSE(admit_handshake(p, 0x7f000009, kPartner, 2, 4).admit);
}

TEST(AdmitHandshake, ThePartnerAlwaysGetsIn) {
    // The total is full of strangers: the oldest of the address with the most goes.
    std::vector<PendingHandshake> p = {{kA, 5}, {kA, 2}, {kB, 1}};
    auto r = admit_handshake(p, kPartner, kPartner, 2, 3);
    EXPECT_TRUE(r.admit);
    ASSERT_TRUE(r.evict);
    EXPECT_EQ(*r.evict, 1u);
    // Strangers on the partner's own address hold its per-address cap: its oldest goes.
    p = {{kPartner, 7}, {kPartner, 3}, {kA, 1}};
    r = admit_handshake(p, kPartner, kPartner, 2, 8);
    EXPECT_TRUE(r.admit);
    ASSERT_TRUE(r.evict);
    EXPECT_EQ(*r.evict, 1u);
    // Room: nobody is evicted.
    r = admit_handshake({{kA, 1}}, kPartner, kPartner, 2, 8);
    EXPECT_TRUE(r.admit);
    EXPECT_FALSE(r.evict);
}

}  // namespace
}  // namespace mt::tracker
