#include "client/engine/rate_window.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

TEST(RateWindow, SteadyRateThenExactlyZeroWhenIdle) {
    RateWindow w(2000);
    EXPECT_EQ(w.rate(), 0);
    std::uint64_t total = 0;
    for (std::int64_t t = 0; t <= 5000; t += 500) {
        w.add(t, total);
        total += 512 * 1024;  // 1 MiB/s
    }
    EXPECT_NEAR(w.rate(), 1048576.0, 1.0);
    total -= 512 * 1024;
    w.add(5500, total);  // nothing moved for 500 ms: the rate falls, not to 0 yet
    EXPECT_GT(w.rate(), 0);
    EXPECT_LT(w.rate(), 1048576.0);
    for (std::int64_t t = 6000; t <= 7500; t += 500)
        w.add(t, total);
    EXPECT_EQ(w.rate(), 0) << "idle for a whole window: exactly 0";
}

TEST(RateWindow, OnlyTheWindowCounts) {
    RateWindow w(1000);
    w.add(0, 0);
    w.add(500, 100 << 20);  // a burst long ago
    for (std::int64_t t = 1000; t <= 4000; t += 500)
        w.add(t, (100 << 20) + static_cast<std::uint64_t>(t - 1000) * 10);
    EXPECT_NEAR(w.rate(), 10000.0, 1.0);
}

}  // namespace
}  // namespace mt::client
