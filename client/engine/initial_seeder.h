// InitialSeeder: which pieces a seeder shows each peer, so that it sends
// every piece once before it sends any piece twice (BEP 16 super-seeding,
// the non-strict kind libtorrent implements; see PROTOCOL-NOTES).
//
// A seeder with a capped uplink that shows everyone everything lets each
// leecher pick; several pick the same piece and the seeder uploads it twice
// while pieces nobody has wait (measured: 1.44 to 1.67 times the file). With
// this, a peer is shown (through `have`, never a full bitfield) only a few
// pieces at a time: the ones with the fewest copies in the swarm, counting
// copies peers hold (their bitfields and haves) and copies on their way
// (pieces shown to a peer that has not finished them yet). When the peer
// announces it holds a piece it was shown, that offer is done and the next
// is chosen; a peer that leaves gives its unfinished offers back.
//
// Its job ends with the first full copy (every_piece_held()): the Torrent
// then shows everyone everything.
//
// A peer is shown `offers_per_peer()` pieces at once: enough bytes in flight
// to keep one fast peer busy (a window of 8 MiB shared among the peers), at
// least 2.
// Ties are broken at random (seeded: reproducible runs).
//
// Pure and single-owner: the Torrent calls it under its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "client/engine/piece_picker.h"
#include "common/random.h"

namespace mt::client {

class InitialSeeder {
  public:
    static constexpr std::uint64_t kWindowBytes = 8ull << 20;

    InitialSeeder(std::size_t piece_count, std::uint32_t piece_length, std::uint64_t seed = 0,
                  std::uint64_t window_bytes = kWindowBytes);

    // Each returns the pieces to announce to that peer now (`have`s).
    std::vector<std::uint32_t> add_peer(PeerKey key);
    std::vector<std::uint32_t> peer_has(PeerKey key, std::uint32_t piece);
    std::vector<std::uint32_t> peer_has_bitfield(PeerKey key, const std::vector<bool>& has);
    std::vector<std::uint32_t> peer_has_all(PeerKey key);
    void remove_peer(PeerKey key);
    // Gives up on choosing for this peer: it leaves the accounting (as
    // remove_peer) and the result is every piece it does not hold and was
    // not shown, to announce now. For a peer that does not take what it is
    // shown (transmission 3.00 re-evaluates its interest on a timer, not on
    // a `have`, and sat idle with two pieces shown).
    std::vector<std::uint32_t> show_everything(PeerKey key);
    // Pieces shown to the peer that it does not hold yet.
    std::size_t pending(PeerKey key) const;
    // The peer was choked / unchoked. A choked peer's pending offers stop
    // counting as copies on their way (nothing moves to it) and it is shown
    // nothing new; unchoked, they count again and it is topped up (the
    // result: pieces to announce). Peers start unchoked.
    void suspend(PeerKey key);
    std::vector<std::uint32_t> resume(PeerKey key);

    // Whether the peer was shown this piece (it may ask for any piece; a
    // caller may use this to prefer what it showed).
    bool shown(PeerKey key, std::uint32_t piece) const;
    std::size_t offers_per_peer() const;
    // Copies held or on their way, for tests and stats.
    std::uint32_t copies(std::uint32_t piece) const { return score_[piece]; }
    std::size_t pieces_never_shown() const;
    // Every piece is held by some peer: the first full copy is out, and the
    // seeder's job is done (the Torrent then shows everyone everything, so
    // its upload keeps going where leechers' uplinks are the bottleneck).
    bool every_piece_held() const { return pieces_not_held_ == 0; }

  private:
    struct Peer {
        std::vector<bool> has;
        std::vector<bool> shown;
        std::vector<std::uint32_t> pending;  // shown, not yet held
        std::size_t has_count = 0;
        bool active = true;  // unchoked: its pending offers count
    };
    void mark_has(Peer& p, std::uint32_t piece);
    std::vector<std::uint32_t> top_up(Peer& p);
    // Moves a piece to another score bucket.
    void rescore(std::uint32_t piece, std::uint32_t score);

    std::size_t n_;
    std::uint32_t piece_length_;
    std::uint64_t window_bytes_;
    std::vector<std::uint32_t> score_;  // copies held by peers + offers pending
    std::vector<bool> ever_shown_;
    std::vector<std::uint32_t> held_;  // peers holding each piece
    std::size_t pieces_not_held_;
    // buckets_[s]: the pieces whose score is s; pos_[piece]: its index there.
    std::vector<std::vector<std::uint32_t>> buckets_;
    std::vector<std::uint32_t> pos_;
    std::unordered_map<PeerKey, Peer> peers_;
    common::SmallRng rng_;
};

}  // namespace mt::client
