#include "tracker/connection_ids.h"

#include <gtest/gtest.h>

namespace mt::tracker {
namespace {

TEST(ConnectionIds, AcceptedForOneToTwoMinutesOnlyFromTheSameAddress) {
    ConnectionIds ids("secret");
    const std::int64_t t0 = 1700000080;  // 40 s into an epoch
    const auto id = ids.issue(0x7f000001, 6881, t0);
    EXPECT_TRUE(ids.valid(id, 0x7f000001, 6881, t0));
    EXPECT_TRUE(ids.valid(id, 0x7f000001, 6881, t0 + 79));   // next epoch
    EXPECT_FALSE(ids.valid(id, 0x7f000001, 6881, t0 + 81));  // two epochs on
    EXPECT_FALSE(ids.valid(id, 0x7f000002, 6881, t0));
    EXPECT_FALSE(ids.valid(id, 0x7f000001, 6882, t0));
    EXPECT_FALSE(ids.valid(id ^ 1, 0x7f000001, 6881, t0));
}

TEST(ConnectionIds, TheOtherTrackerWithTheSameSecretAcceptsThem) {
    ConnectionIds a("shared"), b("shared"), c("other");
    const auto id = a.issue(0x0a000001, 1, 1700000000);
    EXPECT_TRUE(b.valid(id, 0x0a000001, 1, 1700000010));
    EXPECT_FALSE(c.valid(id, 0x0a000001, 1, 1700000010));
}

}  // namespace
}  // namespace mt::tracker
