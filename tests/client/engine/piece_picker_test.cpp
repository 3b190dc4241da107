#include "client/engine/piece_picker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>

namespace mt::client {
namespace {

constexpr std::uint64_t kPiece = 4 * kBlockSize;  // 4 blocks per piece unless a test says otherwise

std::vector<bool> bits(const std::string& s) {
    std::vector<bool> out;
    for (char c : s)
        out.push_back(c == '1');
    return out;
}

// libtorrent's setup_picker: `have` is our bitfield ("1" = verified piece),
// peers[i] is peer i's bitfield; every piece is kPiece bytes.
PiecePicker setup(const std::string& have, const std::vector<std::string>& peers,
                  PickerConfig config = {}) {
    PiecePicker p(have.size(), kPiece, have.size() * kPiece, config);
    for (std::size_t i = 0; i < have.size(); ++i) {
        if (have[i] == '1') p.mark_have(static_cast<PieceIndex>(i));
    }
    for (std::size_t i = 0; i < peers.size(); ++i) {
        EXPECT_TRUE(p.peer_bitfield(static_cast<PeerKey>(i), bits(peers[i])));
    }
    return p;
}

// No random first piece: these tests are about what comes after.
PickerConfig rarest(std::uint64_t seed = 1) {
    PickerConfig c;
    c.random_first_pieces = 0;
    c.seed = seed;
    return c;
}

std::set<PieceIndex> pieces_of(const std::vector<Block>& blocks) {
    std::set<PieceIndex> out;
    for (const Block& b : blocks)
        out.insert(b.piece);
    return out;
}

// Receives and verifies every block of `piece` through peer `from`.
void download(PiecePicker& p, PieceIndex piece, PeerKey from) {
    for (std::uint32_t i = 0; i < p.blocks_in_piece(piece); ++i) {
        const std::uint32_t off = i * kBlockSize;
        p.block_received(from, {piece, off, std::min(kBlockSize, p.piece_size(piece) - off)});
    }
    ASSERT_TRUE(p.piece_downloaded(piece));
    p.piece_verified(piece);
}

TEST(PiecePicker, ConstructorRejectsInconsistentGeometry) {
    EXPECT_THROW(PiecePicker(3, kPiece, 4 * kPiece), std::invalid_argument);
    EXPECT_THROW(PiecePicker(1, 0, 10), std::invalid_argument);
    EXPECT_THROW(PiecePicker(0, kPiece, 0), std::invalid_argument);
    EXPECT_NO_THROW(PiecePicker(4, kPiece, 3 * kPiece + 1));
}

TEST(PiecePicker, RarestFirstChoosesThePieceOnlyOnePeerHas) {
    // Availability: piece 0 = 1, 1 = 2, 2 = 2, 3 = 1. Peer 0 should be asked
    // for piece 0 (only it has it), peer 2 for piece 3.
    auto p = setup("0000", {"1100", "0110", "0011"}, rarest());
    EXPECT_EQ(p.availability(0), 1u);
    EXPECT_EQ(p.availability(1), 2u);
    auto a = p.pick(0, 4);
    ASSERT_EQ(a.size(), 4u);
    EXPECT_EQ(pieces_of(a), std::set<PieceIndex>{0});
    auto c = p.pick(2, 4);
    EXPECT_EQ(pieces_of(c), std::set<PieceIndex>{3});
}

TEST(PiecePicker, RarestFirstBreaksTiesRandomly) {
    std::set<PieceIndex> first;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        auto p = setup("0000", {"1111", "0110", "0110"}, rarest(seed));
        // Pieces 0 and 3 both have availability 1.
        auto b = p.pick(0, 1);
        ASSERT_EQ(b.size(), 1u);
        first.insert(b[0].piece);
    }
    EXPECT_EQ(first, (std::set<PieceIndex>{0, 3}));
}

TEST(PiecePicker, PicksOnlyPiecesThePeerHasAndWeLack) {
    auto p = setup("1010", {"1110"}, rarest());
    auto b = p.pick(0, 100);
    EXPECT_EQ(pieces_of(b), std::set<PieceIndex>{1});
    EXPECT_EQ(b.size(), 4u);
    EXPECT_TRUE(p.pick(0, 100).empty());  // everything it has is requested
    EXPECT_TRUE(p.pick(7, 100).empty());  // unknown peer
}

TEST(PiecePicker, RandomFirstPieceBeforeFourPieces) {
    // Piece 0 is the rarest; with random first piece the first choice is
    // spread over all eight pieces; with rarest first it is always piece 0.
    const std::vector<std::string> peers = {"11111111", "01111111", "01111111"};
    std::map<PieceIndex, int> random_counts;
    for (std::uint64_t seed = 0; seed < 400; ++seed) {
        PickerConfig c;
        c.seed = seed;
        auto p = setup("00000000", peers, c);
        random_counts[p.pick(0, 1).at(0).piece]++;
    }
    EXPECT_EQ(random_counts.size(), 8u);
    for (const auto& [piece, n] : random_counts)
        EXPECT_GT(n, 20) << "piece " << piece;
    EXPECT_LT(random_counts[0], 100);

    // With four pieces verified, rarest first takes over.
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        PickerConfig c;
        c.seed = seed;
        auto p = setup("00001111", peers, c);
        EXPECT_EQ(p.pick(0, 1).at(0).piece, 0u);
    }
}

TEST(PiecePicker, StrictPriorityFinishesAStartedPieceFirst) {
    auto p = setup("0000", {"1111", "1111"}, rarest());
    auto a = p.pick(0, 1);
    ASSERT_EQ(a.size(), 1u);
    const PieceIndex started = a[0].piece;
    // Peer 1 gets the three remaining blocks of the started piece first.
    auto b = p.pick(1, 3);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(pieces_of(b), std::set<PieceIndex>{started});
    // ...and only then a new piece.
    auto c = p.pick(1, 1);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_NE(c[0].piece, started);
    // A request released by a failure is served before anything new.
    p.request_failed(0, a[0]);
    auto d = p.pick(0, 1);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0], a[0]);
}

TEST(PiecePicker, EndgameDuplicatesOnlyWhenEverythingIsRequested) {
    PickerConfig c = rarest();
    c.max_requests_per_block = 2;
    auto p = setup("10", {"11", "11", "11"}, c);
    auto a = p.pick(0, 3);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_FALSE(p.in_endgame());
    EXPECT_TRUE(p.pick(1, 0).empty());
    // One block of piece 1 is still free: peer 1 gets it and nothing else.
    auto b = p.pick(1, 4);
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(std::count(a.begin(), a.end(), b[0]), 0);
    EXPECT_TRUE(p.in_endgame());
    // The other three entries are duplicates of peer 0's requests.
    std::vector<Block> dup(b.begin() + 1, b.end());
    for (const Block& blk : dup)
        EXPECT_EQ(std::count(a.begin(), a.end(), blk), 1);
    // Peer 2 may duplicate only the block peer 1 alone holds (cap of 2).
    auto d = p.pick(2, 4);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0], b[0]);
    EXPECT_TRUE(p.pick(2, 4).empty());
    // Arrival from peer 1: cancel at peer 0.
    EXPECT_EQ(p.block_received(1, dup[0]), std::vector<PeerKey>{0});
    EXPECT_EQ(p.block_received(2, b[0]), std::vector<PeerKey>{1});
    EXPECT_TRUE(p.block_received(0, dup[0]).empty());  // late duplicate: nothing to cancel
    EXPECT_EQ(p.outstanding(0), 2u);
    EXPECT_EQ(p.outstanding(1), 2u);
    EXPECT_EQ(p.outstanding(2), 0u);
}

TEST(PiecePicker, EndgameWaitsWhileAnyPieceIsUnstarted) {
    // Piece 2 is had by nobody: never endgame, however much is requested.
    auto p = setup("000", {"110", "110"}, rarest());
    EXPECT_EQ(p.pick(0, 100).size(), 8u);
    EXPECT_FALSE(p.in_endgame());
    EXPECT_TRUE(p.pick(1, 100).empty());
}

TEST(PiecePicker, PeerGoneReleasesRequestsAndAvailability) {
    auto p = setup("00", {"10", "11"}, rarest());
    auto a = p.pick(0, 2);
    ASSERT_EQ(a.size(), 2u);
    p.block_received(0, a[0]);
    EXPECT_EQ(p.availability(0), 2u);
    p.peer_gone(0);
    EXPECT_EQ(p.availability(0), 1u);
    EXPECT_EQ(p.outstanding(0), 0u);
    EXPECT_FALSE(p.is_interesting(0));
    // Peer 1 finishes piece 0: the released block and the two never asked for.
    auto b = p.pick(1, 3);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(pieces_of(b), std::set<PieceIndex>{0});
    EXPECT_EQ(b[0], a[1]);
    // A peer that goes before anything was received leaves no block state.
    auto q = setup("00", {"11"}, rarest());
    EXPECT_EQ(q.pick(0, 8).size(), 8u);
    q.peer_gone(0);
    EXPECT_FALSE(q.in_endgame());
    q.peer_has_all(1);
    EXPECT_EQ(q.pick(1, 8).size(), 8u);
}

TEST(PiecePicker, PieceFailedMakesItMissingAndNamesContributors) {
    auto p = setup("0", {"1", "1", "1"}, rarest());
    auto a = p.pick(0, 2);
    auto b = p.pick(2, 2);
    for (const Block& blk : a)
        p.block_received(0, blk);
    for (const Block& blk : b)
        p.block_received(2, blk);
    EXPECT_TRUE(p.piece_downloaded(0));
    EXPECT_EQ(p.piece_failed(0), (std::vector<PeerKey>{0, 2}));
    EXPECT_FALSE(p.have(0));
    EXPECT_FALSE(p.piece_downloaded(0));
    EXPECT_EQ(p.pick(1, 10).size(), 4u);
    EXPECT_TRUE(p.piece_failed(0).empty());  // nothing received since
}

TEST(PiecePicker, ShortLastPieceAndBlock) {
    // Piece length 32 KiB, total 3 x 16 KiB + 1: pieces of 32 KiB and 16 KiB + 1.
    const std::uint64_t total = 3 * kBlockSize + 1;
    PiecePicker p(2, 2 * kBlockSize, total, rarest());
    EXPECT_EQ(p.piece_size(1), kBlockSize + 1);
    EXPECT_EQ(p.blocks_in_piece(1), 2u);
    p.peer_has_all(0);
    auto b = p.pick(0, 10);
    ASSERT_EQ(b.size(), 4u);
    std::sort(b.begin(), b.end(), [](const Block& x, const Block& y) {
        return std::tie(x.piece, x.offset) < std::tie(y.piece, y.offset);
    });
    EXPECT_EQ(b[0], (Block{0, 0, kBlockSize}));
    EXPECT_EQ(b[1], (Block{0, kBlockSize, kBlockSize}));
    EXPECT_EQ(b[2], (Block{1, 0, kBlockSize}));
    EXPECT_EQ(b[3], (Block{1, kBlockSize, 1}));
    // A wrong length for the last block is not accepted.
    EXPECT_TRUE(p.block_received(0, {1, kBlockSize, kBlockSize}).empty());
    EXPECT_FALSE(p.piece_downloaded(1));
    EXPECT_EQ(p.bytes_left(), total);
    download(p, 1, 0);
    EXPECT_EQ(p.bytes_left(), 2 * kBlockSize);
    download(p, 0, 0);
    EXPECT_EQ(p.bytes_left(), 0u);
    EXPECT_TRUE(p.complete());
    EXPECT_TRUE(p.missing_pieces().empty());
}

TEST(PiecePicker, HaveAllPeersAreCountedApart) {
    auto p = setup("000", {"100"}, rarest());
    p.peer_has_all(1);
    p.peer_has_all(2);
    EXPECT_EQ(p.availability(0), 3u);
    EXPECT_EQ(p.availability(2), 2u);
    EXPECT_TRUE(p.is_interesting(1));
    // Rarest for a seed: pieces 1 and 2 (availability 2), not piece 0.
    EXPECT_NE(p.pick(1, 1).at(0).piece, 0u);
    // A peer whose haves add up to everything becomes a seed too.
    EXPECT_TRUE(p.peer_has(0, 1));
    EXPECT_TRUE(p.peer_has(0, 2));
    EXPECT_EQ(p.availability(1), 3u);
    EXPECT_FALSE(p.peer_has(0, 3));  // out of range
    EXPECT_FALSE(p.peer_bitfield(0, bits("11")));
    p.peer_gone(1);
    p.peer_gone(0);
    EXPECT_EQ(p.availability(0), 1u);
    EXPECT_EQ(p.availability(1), 1u);
    p.mark_have(0);
    p.mark_have(1);
    p.mark_have(2);
    EXPECT_FALSE(p.is_interesting(2));  // nothing left to want
    EXPECT_TRUE(p.pick(2, 4).empty());
}

TEST(PiecePicker, IsInterestingFollowsHavesAndVerifiedPieces) {
    auto p = setup("0100", {"0100", "0010"}, rarest());
    EXPECT_FALSE(p.is_interesting(0));
    EXPECT_TRUE(p.is_interesting(1));
    download(p, 2, 1);
    EXPECT_FALSE(p.is_interesting(1));
    p.peer_has(0, 3);
    EXPECT_TRUE(p.is_interesting(0));
    EXPECT_EQ(p.missing_pieces(), (std::vector<PieceIndex>{0, 3}));
}

TEST(PiecePicker, TimeoutsReassignBlocks) {
    // Nobody has piece 1, so there is no endgame to hand out duplicates.
    auto p = setup("00", {"10", "10"}, rarest());
    auto slow = p.pick(0, 4);
    ASSERT_EQ(slow.size(), 4u);
    p.block_received(0, slow[0]);
    EXPECT_TRUE(p.pick(1, 4).empty());
    EXPECT_TRUE(p.requests_timed_out(1).empty());
    auto released = p.requests_timed_out(0);
    EXPECT_EQ(released, std::vector<Block>(slow.begin() + 1, slow.end()));
    EXPECT_EQ(p.outstanding(0), 0u);
    auto fast = p.pick(1, 4);
    EXPECT_EQ(fast, released);
    // The slow peer's late block still counts, and the fast peer is told off.
    EXPECT_EQ(p.block_received(0, slow[1]), std::vector<PeerKey>{1});
    EXPECT_EQ(p.outstanding(1), 2u);
}

TEST(PiecePicker, EndgameCancelsEveryDuplicate) {
    auto p = setup("0", {"1", "1"}, rarest());
    auto a = p.pick(0, 4);
    auto b = p.pick(1, 4);  // endgame: all four duplicated
    ASSERT_EQ(b.size(), 4u);
    for (const Block& blk : a)
        EXPECT_EQ(p.block_received(0, blk), std::vector<PeerKey>{1});
    EXPECT_EQ(p.outstanding(1), 0u);
    p.piece_verified(0);
    EXPECT_TRUE(p.complete());
    EXPECT_FALSE(p.in_endgame());
    EXPECT_TRUE(p.block_received(1, a[0]).empty());
}

// A whole download driven through the public interface, with timeouts,
// disconnects and hash failures: every piece ends verified, and the picker's
// count of outstanding requests matches the peers' at every step.
TEST(PiecePicker, SimulatedSwarmCompletes) {
    const std::size_t n = 37;
    PiecePicker p(n, kPiece, (n - 1) * kPiece + 5000, PickerConfig{4, 3, 99});
    std::mt19937 rng(5);
    std::vector<std::vector<Block>> inflight(6);
    auto join = [&](PeerKey k) {
        if (k == 5) return p.peer_has_all(k);
        std::vector<bool> bf(n);
        for (std::size_t i = 0; i < n; ++i)
            bf[i] = rng() % 3 != 0;
        ASSERT_TRUE(p.peer_bitfield(k, bf));
    };
    for (PeerKey k = 0; k < 6; ++k)
        join(k);
    int failures = 0;
    for (int step = 0; step < 20000 && !p.complete(); ++step) {
        const PeerKey k = rng() % 6;
        if (rng() % 50 == 0) {
            p.requests_timed_out(k);
            inflight[k].clear();
        } else if (rng() % 100 == 0) {
            p.peer_gone(k);
            inflight[k].clear();
            join(k);
        }
        auto more = p.pick(k, 5 - std::min<std::size_t>(5, inflight[k].size()));
        inflight[k].insert(inflight[k].end(), more.begin(), more.end());
        for (PeerKey j = 0; j < 6; ++j)
            ASSERT_EQ(p.outstanding(j), inflight[j].size()) << step;
        if (inflight[k].empty()) continue;
        const Block b = inflight[k].front();
        inflight[k].erase(inflight[k].begin());
        for (PeerKey other : p.block_received(k, b)) {
            auto& v = inflight[other];
            v.erase(std::find(v.begin(), v.end(), b));
        }
        if (!p.piece_downloaded(b.piece)) continue;
        if (failures < 3 && b.piece % 2 == 0) {
            ++failures;
            EXPECT_FALSE(p.piece_failed(b.piece).empty());
        } else {
            p.piece_verified(b.piece);
        }
    }
    EXPECT_EQ(failures, 3);
    EXPECT_TRUE(p.complete());
    EXPECT_EQ(p.bytes_left(), 0u);
}

}  // namespace
}  // namespace mt::client

namespace mt::client {
namespace {

// A piece that failed with blocks from two peers comes next from one peer
// only: the first one given any of it gets all of it, the other gets none of
// it (even in endgame); when the owner goes, another peer may take it.
TEST(PiecePicker, FailedPieceWithSeveralSendersComesNextFromOnePeer) {
    PiecePicker p = setup("0", {"1", "1"}, rarest());
    // Blocks 0-1 from peer 0, 2-3 from peer 1; the piece fails.
    auto a = p.pick(0, 2);
    auto b = p.pick(1, 2);
    ASSERT_EQ(a.size(), 2u);
    ASSERT_EQ(b.size(), 2u);
    for (const auto& x : a)
        p.block_received(0, x);
    for (const auto& x : b)
        p.block_received(1, x);
    ASSERT_TRUE(p.piece_downloaded(0));
    EXPECT_EQ(p.piece_failed(0), (std::vector<PeerKey>{0, 1}));
    // Peer 1 asks first: it owns the retry.
    EXPECT_EQ(p.pick(1, 1).size(), 1u);
    EXPECT_TRUE(p.pick(0, 8).empty());  // not even endgame duplicates
    EXPECT_EQ(p.pick(1, 8).size(), 3u);
    EXPECT_TRUE(p.pick(0, 8).empty());
    // Peer 1 disconnects: peer 0 may take the piece now.
    p.peer_gone(1);
    EXPECT_EQ(p.pick(0, 8).size(), 4u);
}

TEST(PiecePicker, SingleSenderFailureKeepsNormalSharing) {
    PiecePicker p = setup("0", {"1", "1"}, rarest());
    for (const auto& x : p.pick(0, 8))
        p.block_received(0, x);
    EXPECT_EQ(p.piece_failed(0), (std::vector<PeerKey>{0}));
    // One sender: the caller strikes it; the retry may be shared as usual.
    EXPECT_EQ(p.pick(0, 2).size(), 2u);
    EXPECT_EQ(p.pick(1, 2).size(), 2u);
}

TEST(PiecePicker, SlowOwnerOfASingleSourcePieceHandsItOn) {
    PiecePicker p = setup("0", {"1", "1"}, rarest());
    auto a = p.pick(0, 2);
    auto b = p.pick(1, 2);
    for (const auto& x : a)
        p.block_received(0, x);
    for (const auto& x : b)
        p.block_received(1, x);
    p.piece_failed(0);
    EXPECT_EQ(p.pick(0, 1).size(), 1u);  // peer 0 owns the retry
    EXPECT_TRUE(p.pick(1, 8).empty());
    p.requests_timed_out(0);  // too slow
    EXPECT_EQ(p.pick(1, 8).size(), 4u);
}

}  // namespace
}  // namespace mt::client

namespace mt::client {
namespace {

// The engine keeps a piece buffer exactly while started() holds: from the
// first request, through received blocks, until the piece verifies or
// nothing of it is requested or received any more.
TEST(PiecePicker, StartedFollowsRequestsAndReceivedBlocks) {
    auto p = setup("00", {"11"}, rarest());
    EXPECT_FALSE(p.started(0));
    EXPECT_FALSE(p.started(1));
    auto blocks = p.pick(0, 1);
    ASSERT_EQ(blocks.size(), 1u);
    const PieceIndex piece = blocks[0].piece;
    EXPECT_TRUE(p.started(piece));
    p.request_failed(0, blocks[0]);  // rejected: nothing of it is wanted from anyone now
    EXPECT_FALSE(p.started(piece));
    blocks = p.pick(0, 1);
    ASSERT_EQ(blocks.size(), 1u);
    p.block_received(0, blocks[0]);
    (void)p.requests_timed_out(0);
    EXPECT_TRUE(p.started(blocks[0].piece));  // a received block keeps it
    download(p, blocks[0].piece, 0);
    EXPECT_FALSE(p.started(blocks[0].piece));
}

TEST(PiecePicker, PeerPieceCountForBitfieldsHavesAndSeeds) {
    PiecePicker p(4, kBlockSize, 4 * kBlockSize);
    EXPECT_EQ(p.peer_piece_count(1), 0u);  // unknown
    ASSERT_TRUE(p.peer_bitfield(1, {true, false, true, false}));
    EXPECT_EQ(p.peer_piece_count(1), 2u);
    ASSERT_TRUE(p.peer_has(1, 3));
    EXPECT_EQ(p.peer_piece_count(1), 3u);
    p.peer_has_all(2);
    EXPECT_EQ(p.peer_piece_count(2), 4u);
    p.peer_gone(1);
    EXPECT_EQ(p.peer_piece_count(1), 0u);
}

}  // namespace
}  // namespace mt::client
