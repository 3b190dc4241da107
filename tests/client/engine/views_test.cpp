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

TEST(ClientFromPeerId, AzureusStyleIdsNameTheirProgram) {
    auto id = [](std::string s) {
        s.resize(20, 'x');
        return common::PeerId::from_bytes(s);
    };
    EXPECT_EQ(client_from_peer_id(id("-LT2080-")), "libtorrent 2.0.8");
    EXPECT_EQ(client_from_peer_id(id("-TR3000-")), "Transmission 3.0.0");
    EXPECT_EQ(client_from_peer_id(id("-qB4250-")), "qBittorrent 4.2.5");
    EXPECT_EQ(client_from_peer_id(id("-MT0100-")), "mtorrent 0.1.0");
    EXPECT_EQ(client_from_peer_id(id("-LT1217-")), "libtorrent 1.2.1.7");
    EXPECT_EQ(client_from_peer_id(id("-ZZ1234-")), "ZZ 1.2.3.4");  // unknown code: the code
    EXPECT_EQ(client_from_peer_id(id("M7-2-2--")), "");            // Mainline style: not read
    EXPECT_EQ(client_from_peer_id(id("-<s>12-")), "");             // not letters and digits
    EXPECT_EQ(client_from_peer_id(id(std::string(20, '\0'))), "");
}

}  // namespace
}  // namespace mt::client
