#include "tracker/address_quota.h"

#include <gtest/gtest.h>

namespace mt::tracker {
namespace {

TEST(AddressQuota, CountsPerAddressWithinAWindow) {
    AddressQuota q({3, 0, 1000, 100});
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(q.try_spend(1, 10, 100 + i));
    EXPECT_FALSE(q.try_spend(1, 10, 200));
    EXPECT_FALSE(q.allows(1, 200));
    EXPECT_TRUE(q.try_spend(2, 10, 200));   // another address is not affected
    EXPECT_TRUE(q.try_spend(1, 10, 1100));  // the next window
}

TEST(AddressQuota, CountsBytes) {
    AddressQuota q({0, 100, 1000, 100});
    EXPECT_TRUE(q.try_spend(1, 60, 0));
    EXPECT_FALSE(q.try_spend(1, 60, 1));
    EXPECT_TRUE(q.try_spend(1, 40, 2));
    EXPECT_TRUE(q.allows(1, 3));  // allows() asks for no bytes
    EXPECT_FALSE(q.try_spend(1, 1, 3));
}

TEST(AddressQuota, SpendChargesAfterTheFact) {
    AddressQuota q({2, 0, 1000, 100});
    EXPECT_TRUE(q.allows(1, 0));
    q.spend(1, 0, 0);
    q.spend(1, 0, 0);
    EXPECT_FALSE(q.allows(1, 0));
}

TEST(AddressQuota, AFullTableRefusesNewAddressesUntilWindowsPass) {
    AddressQuota q({5, 0, 1000, 2});
    EXPECT_TRUE(q.try_spend(1, 0, 0));
    EXPECT_TRUE(q.try_spend(2, 0, 0));
    EXPECT_FALSE(q.try_spend(3, 0, 10));
    EXPECT_TRUE(q.try_spend(1, 0, 10));    // known addresses go on
    EXPECT_TRUE(q.try_spend(3, 0, 1000));  // windows passed: forgotten
    EXPECT_LE(q.tracked(), 2u);
}

// Every announce asks; only addresses that spend take a place in the table.
TEST(AddressQuota, AskingDoesNotFillTheTable) {
    AddressQuota q({1, 0, 1000, 2});
    for (std::uint32_t ip = 1; ip <= 100; ++ip)
        EXPECT_TRUE(q.allows(ip, 0));
    EXPECT_EQ(q.tracked(), 0u);
}

}  // namespace
}  // namespace mt::tracker
