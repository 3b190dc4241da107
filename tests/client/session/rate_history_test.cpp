#include "client/session/rate_history.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

TEST(RateHistory, KeepsTheLastTenMinutesOldestFirst) {
    RateHistory h;
    EXPECT_TRUE(h.samples().empty());
    for (std::uint64_t i = 0; i < RateHistory::kMaxSamples + 5; ++i)
        h.add(i, 2 * i);
    const auto s = h.samples();
    ASSERT_EQ(s.size(), RateHistory::kMaxSamples);
    EXPECT_EQ(s.front(), (std::pair<std::uint64_t, std::uint64_t>{5, 10}));
    EXPECT_EQ(s.back().first, RateHistory::kMaxSamples + 4);
}

}  // namespace
}  // namespace mt::client
