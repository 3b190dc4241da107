#include "tracker/rate_ring.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace mt::tracker {
namespace {

using Counts = std::vector<std::uint32_t>;

TEST(RateRing, CountsEachSecondApart) {
    RateRing r;
    r.add(100);
    r.add(100);
    r.add(102);
    EXPECT_EQ(r.counts(102, 4), (Counts{0, 2, 0, 1}));
    EXPECT_EQ(r.counts(103, 2), (Counts{1, 0}));
}

TEST(RateRing, ASlotReusedAfterAWholeTurnStartsAgain) {
    RateRing r;
    r.add(5);
    r.add(5);
    const std::int64_t later = 5 + static_cast<std::int64_t>(RateRing::kSeconds);
    EXPECT_EQ(r.counts(later, 1), (Counts{0})) << "an old second reads as nothing";
    r.add(later);
    EXPECT_EQ(r.counts(later, 1), (Counts{1}));
    EXPECT_EQ(r.counts(5, 1), (Counts{0})) << "the old second is gone";
}

TEST(RateRing, WindowIsCappedAtTheRing) {
    RateRing r;
    EXPECT_EQ(r.counts(1000, 5000).size(), RateRing::kSeconds);
}

TEST(RateRing, ConcurrentAddsAreAllCounted) {
    RateRing r;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&r] {
            for (int i = 0; i < 10000; ++i)
                r.add(42);
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(r.counts(42, 1), (Counts{40000}));
}

TEST(RateRing, PerSecondAveragesGroups) {
    EXPECT_EQ(per_second({1, 2, 3, 4, 10}, 2), (std::vector<double>{1.5, 3.5, 10}));
    EXPECT_EQ(per_second({5, 5, 5, 5, 5}, 5), (std::vector<double>{5}));
    EXPECT_TRUE(per_second({1, 2}, 0).empty());
}

}  // namespace
}  // namespace mt::tracker
