#include "client/engine/views.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

TEST(FormatDropCounts, MostFrequentFirstNothingWhenNone) {
    std::vector<std::uint64_t> counts(static_cast<std::size_t>(DropReason::kCount), 0);
    EXPECT_EQ(format_drop_counts(counts), "");
    EXPECT_EQ(format_drop_counts({}), "");
    counts[static_cast<std::size_t>(DropReason::idle)] = 1;
    counts[static_cast<std::size_t>(DropReason::peer_closed)] = 3;
    counts[static_cast<std::size_t>(DropReason::none)] = 9;  // never shown
    EXPECT_EQ(format_drop_counts(counts), "connections ended: 3 closed by the peer, 1 silent");
}

TEST(DropReason, EveryReasonHasAName) {
    for (int i = 0; i < static_cast<int>(DropReason::kCount); ++i)
        EXPECT_STRNE(to_string(static_cast<DropReason>(i)), "?") << i;
}

}  // namespace
}  // namespace mt::client
