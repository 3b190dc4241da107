#include "client/engine/rate_limiter.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

TEST(RateLimiter, ZeroMeansUnlimited) {
    RateLimiter r(0);
    for (int i = 0; i < 1000; ++i)
        EXPECT_TRUE(r.take(1 << 20, 0));
    EXPECT_EQ(r.wait_ms(1 << 20, 0), 0);
}

TEST(RateLimiter, HoldsTheRateOverTime) {
    // 160 KiB/s, burst 16 KiB: over 10 simulated seconds, 16 KiB blocks taken
    // whenever allowed add up to the rate (plus the initial burst).
    RateLimiter r(160 * 1024);
    std::uint64_t sent = 0;
    for (std::int64_t t = 0; t <= 10000; ++t)
        while (r.take(16384, t))
            sent += 16384;
    EXPECT_GE(sent, 10u * 160 * 1024);
    EXPECT_LE(sent, 10u * 160 * 1024 + 2 * 16384);
}

TEST(RateLimiter, WaitSaysWhenTheNextBlockCanGo) {
    RateLimiter r(16384);  // one block a second, burst one block
    EXPECT_TRUE(r.take(16384, 1000));
    EXPECT_FALSE(r.take(16384, 1000));
    EXPECT_EQ(r.wait_ms(16384, 1000), 1000);
    EXPECT_EQ(r.wait_ms(16384, 1500), 500);
    EXPECT_FALSE(r.take(16384, 1999));
    EXPECT_TRUE(r.take(16384, 2000));
}

TEST(RateLimiter, IdleTimeDoesNotBuildAFlood) {
    RateLimiter r(100 * 1024);  // burst 16 KiB (1/10 s would be 10 KiB)
    EXPECT_TRUE(r.take(16384, 0));
    // An hour idle: still only the burst.
    EXPECT_TRUE(r.take(16384, 3600000));
    EXPECT_FALSE(r.take(16384, 3600000));
}

TEST(RateLimiter, OversizedRequestGoesWhenFullAndIsRepaid) {
    RateLimiter r(16384, 16384);
    EXPECT_TRUE(r.take(65536, 0));  // bucket full: goes, leaves a debt of 48 KiB
    EXPECT_FALSE(r.take(16384, 2000));
    EXPECT_TRUE(r.take(16384, 4000));
}

TEST(RateLimiter, ClockGoingBackwardsIsHarmless) {
    RateLimiter r(16384);
    EXPECT_TRUE(r.take(16384, 5000));
    EXPECT_FALSE(r.take(16384, 4000));
    EXPECT_FALSE(r.take(16384, 5500));
    EXPECT_TRUE(r.take(16384, 6000));
}

}  // namespace
}  // namespace mt::client
