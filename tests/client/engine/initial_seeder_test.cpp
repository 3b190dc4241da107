#include "client/engine/initial_seeder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace mt::client {
namespace {

constexpr std::uint32_t kPiece = 512 * 1024;

TEST(InitialSeeder, WindowIsEightMibSharedAtLeastTwo) {
    InitialSeeder s(100, kPiece);
    EXPECT_EQ(s.add_peer(1).size(), 16u);  // alone: 8 MiB of 512 KiB pieces
    for (PeerKey k = 2; k <= 8; ++k)
        s.add_peer(k);
    EXPECT_EQ(s.offers_per_peer(), 2u);
    InitialSeeder big(100, 16u << 20);
    EXPECT_EQ(big.offers_per_peer(), 2u);
}

// Peers that only ever get pieces from the seeder: every piece is shown
// once before any is shown twice.
TEST(InitialSeeder, EveryPieceOnceBeforeAnyTwice) {
    const std::size_t n = 128;
    InitialSeeder s(n, kPiece, 7);
    std::vector<std::vector<std::uint32_t>> pending(8);
    std::multiset<std::uint32_t> shown;
    for (PeerKey k = 0; k < 8; ++k) {
        pending[k] = s.add_peer(k);
        shown.insert(pending[k].begin(), pending[k].end());
    }
    std::mt19937 rng(3);
    while (s.pieces_never_shown() > 0) {
        const PeerKey k = rng() % 8;
        if (pending[k].empty()) continue;
        const std::uint32_t done = pending[k].front();
        pending[k].erase(pending[k].begin());
        for (std::uint32_t q : s.peer_has(k, done)) {
            pending[k].push_back(q);
            shown.insert(q);
        }
    }
    std::set<std::uint32_t> distinct(shown.begin(), shown.end());
    EXPECT_EQ(distinct.size(), n);
    // Shown twice only once all were shown: at most the window of the last
    // round repeats.
    EXPECT_LE(shown.size(), n + 8 * s.offers_per_peer());
}

// A piece a peer got from another leecher counts as a copy: the seeder
// shows the pieces nobody has first.
TEST(InitialSeeder, CopiesHeldElsewhereGoLast) {
    InitialSeeder s(6, 4u << 20, 1);  // 2 offers per peer
    std::vector<bool> has(6, false);
    has[0] = has[1] = has[2] = has[3] = true;
    s.add_peer(1);
    s.peer_has_bitfield(1, std::vector<bool>(6, true));  // a seed peer
    auto shown = s.add_peer(2);
    ASSERT_EQ(shown.size(), 2u);
    // Every piece has one copy (peer 1); peer 2 is shown two of them.
    auto more = s.peer_has_bitfield(2, has);
    // It held 0..3: offers of those are done, 4 and 5 are what it lacks.
    std::set<std::uint32_t> all(shown.begin(), shown.end());
    all.insert(more.begin(), more.end());
    EXPECT_TRUE(all.count(4) && all.count(5));
    for (std::uint32_t q : more)
        EXPECT_GE(q, 4u);
}

TEST(InitialSeeder, LeavingGivesUnfinishedOffersBack) {
    InitialSeeder s(4, 4u << 20, 2);  // 2 offers per peer
    auto a = s.add_peer(1);
    ASSERT_EQ(a.size(), 2u);
    auto b = s.add_peer(2);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(std::set<std::uint32_t>({a[0], a[1], b[0], b[1]}).size(), 4u);
    s.remove_peer(1);
    for (std::uint32_t q : a)
        EXPECT_EQ(s.copies(q), 0u);
    auto c = s.add_peer(3);
    EXPECT_EQ(std::set<std::uint32_t>(c.begin(), c.end()),
              std::set<std::uint32_t>(a.begin(), a.end()));
}

TEST(InitialSeeder, ASeedPeerIsShownNothing) {
    InitialSeeder s(10, kPiece);
    s.add_peer(1);
    EXPECT_TRUE(s.peer_has_all(1).empty());
    EXPECT_TRUE(s.peer_has(1, 3).empty());
    EXPECT_TRUE(s.peer_has(99, 3).empty());    // unknown peer
    EXPECT_TRUE(s.peer_has(1, 1000).empty());  // out of range: ignored
}

TEST(InitialSeeder, ShownIsPerPeer) {
    InitialSeeder s(10, 8u << 20);
    auto a = s.add_peer(1);
    ASSERT_FALSE(a.empty());
    EXPECT_TRUE(s.shown(1, a[0]));
    EXPECT_FALSE(s.shown(2, a[0]));
    EXPECT_FALSE(s.shown(1, 1000));
}

// A peer that sits on its offers is shown the rest at once and leaves the
// accounting: its offers no longer count as copies on their way.
TEST(InitialSeeder, ShowEverythingReleasesThePeer) {
    InitialSeeder s(6, 4u << 20, 3);
    auto a = s.add_peer(1);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(s.pending(1), 2u);
    s.peer_has(1, a[0]);  // one arrived; a new one is shown
    auto rest = s.show_everything(1);
    // Six pieces: one held, two shown and pending: three left to show.
    EXPECT_EQ(rest.size(), 3u);
    EXPECT_EQ(s.pending(1), 0u);
    for (std::uint32_t q = 0; q < 6; ++q)
        EXPECT_EQ(s.copies(q), 0u) << q;
    EXPECT_TRUE(s.peer_has(1, rest[0]).empty()) << "no longer chosen for";
}

// A choked peer's offers stop counting (the unchoked get those pieces
// too) and it is shown nothing new until it is unchoked.
TEST(InitialSeeder, ChokedPeersOffersStopCounting) {
    InitialSeeder s(4, 4u << 20, 5);  // 2 offers per peer
    auto a = s.add_peer(1);
    ASSERT_EQ(a.size(), 2u);
    s.suspend(1);
    for (std::uint32_t q : a)
        EXPECT_EQ(s.copies(q), 0u);
    EXPECT_TRUE(s.peer_has(1, a[0]).empty()) << "choked: nothing new";
    EXPECT_EQ(s.copies(a[0]), 1u) << "what it holds still counts";
    auto b = s.add_peer(2);
    ASSERT_EQ(b.size(), 2u);
    for (std::uint32_t q : b)
        EXPECT_NE(q, a[0]);
    auto more = s.resume(1);
    EXPECT_EQ(s.pending(1), 2u);
    EXPECT_EQ(more.size(), 1u);
    EXPECT_EQ(s.copies(a[1]), 1u + (std::find(b.begin(), b.end(), a[1]) != b.end() ? 1u : 0u));
}

// The first full copy is out once every piece is held by some peer; a peer
// leaving with the only copy of one takes that back.
TEST(InitialSeeder, EveryPieceHeldMarksTheFirstFullCopy) {
    InitialSeeder s(3, 4u << 20, 1);
    s.add_peer(1);
    s.add_peer(2);
    EXPECT_FALSE(s.every_piece_held());
    s.peer_has(1, 0);
    s.peer_has(1, 1);
    EXPECT_FALSE(s.every_piece_held());
    s.peer_has(2, 2);
    EXPECT_TRUE(s.every_piece_held());
    s.remove_peer(2);
    EXPECT_FALSE(s.every_piece_held());
    s.peer_has_all(1);
    EXPECT_TRUE(s.every_piece_held());
}

}  // namespace
}  // namespace mt::client
