// Choker: decides every rechoke round which peers we unchoke (BEP 3; Cohen,
// "Incentives Build Robustness in BitTorrent", 2003).
//
// The caller runs a round every 10 s: rechoke(now, seeding, peers) with one
// PeerStats per connected peer, unchokes what the decision names and chokes
// everyone else. Rules:
//   - regular slots (4 while we download): the interested, non-snubbed peers
//     with the best upload rate to us (tit for tat); equal rates are ordered
//     at random;
//   - while we seed, round robin instead (libtorrent's default for seeds):
//     `seeding_slots` (8) regular slots go to the interested peers we have
//     sent the least so far, so that over the rounds every peer gets its
//     share of the seeder (measured in bench/wan: ranking by our upload rate
//     left one leecher of eight with nothing from the seeder, and the
//     seeder's share of an aria2c leecher at 0.08 of a fair one);
//   - optimistic slot (1): an interested peer without a regular slot, chosen at
//     random and kept for `optimistic_rounds` rounds (30 s); peers connected
//     less than `new_peer_ms` ago are `new_peer_weight` times as likely to be
//     chosen, so that a newcomer soon gets something to trade. It is chosen
//     anew early when its peer leaves, loses interest or earns a regular slot;
//   - anti-snubbing: while we download, a peer that has sent us no block for
//     `snub_ms` (counted from when it connected if it never did) is snubbed: it
//     gets no regular slot, only the optimistic one;
//   - uninterested peers get no slot and are not counted;
//   - idle slot holders: a peer we unchoked a while ago that has asked for
//     nothing since (`idle_unchoked`, decided by the caller) ranks after every
//     other interested peer for the regular slots and gets the optimistic
//     slot only if nobody else qualifies: a connection that says `interested`
//     and never requests cannot keep a slot from a real downloader.
//
// Pure: no clock (times are passed in, milliseconds on any monotonic scale),
// no sockets, logs or globals; the random choices come from a generator seeded
// at construction, so a run is reproducible. Not thread-safe: one owner calls
// it (or the caller holds a mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "common/random.h"

namespace mt::client {

using PeerKey = std::uint32_t;  // the same key the piece picker uses

struct PeerStats {
    PeerKey key = 0;
    bool interested = false;   // the peer is interested in us
    double download_rate = 0;  // bytes/s from the peer, rolling 20 s
    double upload_rate = 0;    // bytes/s to the peer, rolling 20 s
    std::int64_t connected_at_ms = 0;
    std::optional<std::int64_t> last_block_ms;  // last block received from it; none yet
    bool idle_unchoked = false;  // unchoked a while ago and has requested nothing since
    std::uint64_t uploaded = 0;  // bytes we have sent it over the connection
};

struct ChokerConfig {
    std::size_t regular_slots = 4;
    std::size_t seeding_slots = 8;
    std::size_t optimistic_rounds = 3;  // a rechoke is every 10 s: rotate every 30 s
    std::int64_t new_peer_ms = 60'000;  // "new connection" for the optimistic draw
    unsigned new_peer_weight = 3;
    std::int64_t snub_ms = 60'000;
    std::uint64_t seed = 0;
};

struct ChokeDecision {
    std::vector<PeerKey> regular;           // best first
    std::optional<PeerKey> optimistic;      // never also in `regular`
    std::vector<PeerKey> unchoked() const;  // regular then optimistic
};

class Choker {
  public:
    explicit Choker(ChokerConfig config = {});

    // One rechoke round. `peers` is every connected peer (keys distinct; a
    // repeated key is ignored after its first entry). Returns the peers to
    // unchoke; every other peer is to be choked.
    ChokeDecision rechoke(std::int64_t now_ms, bool seeding, const std::vector<PeerStats>& peers);

    // Whether the anti-snubbing rule applies to `p` at `now_ms`.
    bool snubbed(const PeerStats& p, std::int64_t now_ms) const;

    std::optional<PeerKey> optimistic() const { return optimistic_; }

  private:
    std::optional<PeerKey> draw_optimistic(std::int64_t now_ms,
                                           const std::vector<const PeerStats*>& candidates);

    ChokerConfig config_;
    common::SmallRng rng_;
    std::optional<PeerKey> optimistic_;
    std::size_t rounds_since_draw_ = 0;
};

}  // namespace mt::client
