// PiecePicker: decides which 16 KiB blocks to request from which peer, and
// keeps the books on what is requested, received and verified.
//
// Policy (BEP 3; Cohen, "Incentives Build Robustness in BitTorrent", 2003):
//   1. strict priority: free blocks of pieces already started come first
//      (fewest free blocks first), so a started piece is finished before
//      another one is begun;
//   2. random first piece: while fewer than `random_first_pieces` pieces are
//      verified, a new piece is chosen uniformly at random among those the
//      peer has, so that we soon have something to trade;
//   3. rarest first: otherwise the new piece is one of the peer's pieces with
//      the lowest availability, ties broken at random;
//   4. endgame: once every missing block is requested, a block that is
//      requested but not yet received may be requested from other peers too
//      (at most `max_requests_per_block` peers per block); block_received()
//      then names the peers whose request should be cancelled.
//
// The picker is pure bookkeeping: no sockets, clocks, logs or globals; its
// random choices come from a generator seeded through PickerConfig, so a run is
// reproducible. It is NOT thread-safe: the engine's peer threads share one
// picker behind the caller's mutex, and no I/O happens while it is held.
//
// Memory: O(pieces) for our own pieces and availability, O(pieces / 8) per
// known peer for its bitfield (nothing for have-all peers, which are counted
// apart), and per-block state only for pieces that are started (some block
// requested or received) and not yet verified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/random.h"

namespace mt::client {

using PieceIndex = std::uint32_t;
using PeerKey = std::uint32_t;  // assigned by the caller; any value

inline constexpr std::uint32_t kBlockSize = 16 * 1024;

struct Block {
    PieceIndex piece = 0;
    std::uint32_t offset = 0;  // multiple of kBlockSize
    std::uint32_t length = 0;  // kBlockSize, less only for the last block of the last piece

    friend bool operator==(const Block&, const Block&) = default;
};

struct PickerConfig {
    std::size_t random_first_pieces = 4;     // random new pieces while we have fewer verified
    std::size_t max_requests_per_block = 2;  // endgame: peers a block may be requested from
    std::uint64_t seed = 0;                  // for the random choices (tie breaks, first pieces)
};

class PiecePicker {
  public:
    // Throws std::invalid_argument unless piece_length > 0, total_length > 0,
    // num_pieces == ceil(total_length / piece_length), piece_length is at most
    // 2^31 and num_pieces fits in a PieceIndex (the metainfo parser has already
    // checked all of this; a mismatch is a programming error at start-up).
    PiecePicker(std::size_t num_pieces, std::uint64_t piece_length, std::uint64_t total_length,
                PickerConfig config = {});

    // ---- Our pieces --------------------------------------------------------
    // A piece found good on disk at start-up (resume). Out of range: ignored.
    void mark_have(PieceIndex piece);
    // Every block of `piece` has hashed fine: it is ours now; its block state
    // is dropped. Out of range or already had: no effect.
    void piece_verified(PieceIndex piece);
    // Hash mismatch: every block of `piece` is missing again. Returns the
    // distinct peers that delivered blocks of it (ascending), so the caller can
    // count strikes against them. When several peers had sent blocks, the
    // piece's next download comes from one peer only (the first to be given
    // any of it; another once that one goes or times out), so that attempt
    // either verifies or names its sender: a bad peer cannot hide behind good
    // ones attempt after attempt.
    std::vector<PeerKey> piece_failed(PieceIndex piece);

    // Which pieces to download (a folder torrent with some files left out);
    // the rest are never picked, and complete_wanted() ignores them. Pieces
    // already started stay started. Size must be num_pieces() (else ignored);
    // every piece is wanted until this is called.
    void set_wanted(const std::vector<bool>& wanted);
    bool wanted(PieceIndex piece) const { return piece < want_.size() && want_[piece]; }

    // ---- Availability ------------------------------------------------------
    // A `have` message. Returns false if piece is out of range (a protocol
    // error the caller should act on); nothing changes then.
    bool peer_has(PeerKey peer, PieceIndex piece);
    // A `bitfield` message (or BEP 6 have-none with all bits clear): replaces
    // what was known of the peer. Returns false if bits.size() != num_pieces().
    bool peer_bitfield(PeerKey peer, const std::vector<bool>& bits);
    // BEP 6 have-all (or a bitfield with every bit set): O(1), seeds are
    // counted apart instead of raising the availability of every piece.
    void peer_has_all(PeerKey peer);
    // The peer disconnected: its availability goes, and its outstanding
    // requests go back to the pool. Unknown peer: no effect.
    void peer_gone(PeerKey peer);

    // ---- Requests ----------------------------------------------------------
    // Up to `max_blocks` blocks to request from `peer` now, in the order they
    // should be sent; each is recorded as requested by `peer`. Only pieces the
    // peer has and we lack are considered; a block the peer has already been
    // asked for is never returned again. See the policy at the top.
    std::vector<Block> pick(PeerKey peer, std::size_t max_blocks);

    // A block's data arrived from `peer` (requested or not: a late block after
    // a timeout is still good data). Returns the other peers that have the
    // block requested (endgame duplicates), whose requests the caller should
    // cancel; they are no longer recorded as requested. A block that is not a
    // valid block of a piece we lack, or that was already received, is ignored
    // apart from dropping `peer`'s request for it; returns {} then.
    std::vector<PeerKey> block_received(PeerKey peer, const Block& block);
    // The peer rejected (BEP 6) or will not serve one request: it goes back to
    // the pool. No effect if `peer` had not requested it.
    void request_failed(PeerKey peer, const Block& block);
    // The peer is too slow, stalled or choked us: all its outstanding requests
    // go back to the pool so others can take them (the caller decides when).
    // Returns the released blocks, in case the caller wants to cancel them.
    std::vector<Block> requests_timed_out(PeerKey peer);

    // ---- Queries -----------------------------------------------------------
    std::size_t num_pieces() const { return have_.size(); }
    std::uint32_t piece_size(PieceIndex piece) const;  // precondition: piece < num_pieces()
    std::uint32_t blocks_in_piece(PieceIndex piece) const;
    bool have(PieceIndex piece) const { return piece < have_.size() && have_[piece]; }
    std::size_t have_count() const { return have_count_; }
    bool complete() const { return have_count_ == have_.size(); }
    // Every wanted piece is verified.
    bool complete_wanted() const { return needed_ == 0; }
    // Wanted pieces not yet verified, and their bytes; all wanted pieces' bytes.
    std::size_t needed_count() const { return needed_; }
    std::uint64_t needed_bytes() const { return needed_bytes_; }
    std::uint64_t wanted_bytes() const { return wanted_bytes_; }
    std::vector<PieceIndex> missing_pieces() const;  // ascending
    std::uint64_t bytes_left() const { return bytes_left_; }
    // Peers that have the piece, have-all peers included.
    std::size_t availability(PieceIndex piece) const;
    // The peer has at least one piece we lack (decides our `interested`).
    bool is_interesting(PeerKey peer) const;
    // Every block of every missing piece is requested or received.
    bool in_endgame() const;
    // Every block of the piece is received; it awaits hashing.
    bool piece_downloaded(PieceIndex piece) const;
    // Blocks currently requested from `peer`.
    std::size_t outstanding(PeerKey peer) const;
    // Pieces `peer` has (a have-all peer: every one; unknown peer: 0).
    std::size_t peer_piece_count(PeerKey peer) const;
    // Some block of the piece is requested or received (and it is not yet
    // verified): the caller keeps a buffer for it exactly while this holds.
    bool started(PieceIndex piece) const { return partial_.count(piece) > 0; }

  private:
    struct BlockState {
        std::vector<PeerKey> requested_by;  // empty once received
        PeerKey received_from = 0;
        bool received = false;
    };
    struct Partial {  // a started piece
        std::vector<BlockState> blocks;
        std::size_t requested = 0;  // blocks not received with at least one requester
        std::size_t received = 0;
        std::optional<PeerKey> owner;  // single-source pieces: the one peer asked for it
        std::size_t free() const { return blocks.size() - requested - received; }
    };
    struct Peer {
        bool seed = false;
        std::vector<bool> has;  // empty for seeds
        std::size_t has_count = 0;
        std::size_t wanted = 0;  // pieces it has that we lack and want (non-seeds)
        std::size_t outstanding = 0;
    };

    bool valid_block(const Block& b) const;
    bool peer_has_piece(const Peer& p, PieceIndex piece) const { return p.seed || p.has[piece]; }
    void set_have(PieceIndex piece);
    void forget_availability(Peer& p);
    void promote_if_seed(Peer& p);
    Peer& peer_state(PeerKey peer);
    // Drops `peer` from the block's requesters; erases the partial when it
    // becomes empty. Returns true if the peer had requested it.
    bool release(PeerKey peer, PieceIndex piece, std::uint32_t block_index);
    void take(PeerKey peer, Peer& p, PieceIndex piece, Partial& part, std::uint32_t i,
              std::vector<Block>& out);
    bool choose_new_piece(const Peer& p, PieceIndex& out);
    void pick_endgame(PeerKey peer, Peer& p, std::size_t max_blocks, std::vector<Block>& out);

    PickerConfig config_;
    std::uint64_t piece_length_;
    std::uint64_t total_length_;
    std::vector<bool> have_;
    std::size_t have_count_ = 0;
    std::vector<bool> want_;
    std::size_t needed_ = 0;  // wanted and not had
    std::uint64_t needed_bytes_ = 0;
    std::uint64_t wanted_bytes_ = 0;
    bool needed(std::size_t piece) const { return !have_[piece] && want_[piece]; }
    void recount_peer_wants();
    std::uint64_t bytes_left_;
    std::vector<std::uint32_t> availability_;  // non-seed peers only
    std::size_t seeds_ = 0;
    std::unordered_map<PeerKey, Peer> peers_;
    std::map<PieceIndex, Partial> partial_;  // ordered: started pieces in index order
    std::set<PieceIndex> single_source_;     // failed with several senders: one peer next
    // Whether `peer` may be asked for blocks of `piece` (single-source rule);
    // claims the piece for it when nobody owns it.
    bool may_take(PeerKey peer, PieceIndex piece, Partial& part) const;
    void drop_ownership(PeerKey peer);
    common::SmallRng rng_;
};

}  // namespace mt::client
