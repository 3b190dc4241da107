// SwarmModel: the realistic swarm of bench/tracker_load's join and mix phases,
// the same for every tracker: it is fixed by ModelParams alone.
//
// Sizes: torrents 0..big_swarms-1 have big_size peers each; every other
// torrent draws its size from a Pareto law, P(size > x) = x^-a with
// a = log10(1 / 0.11), so that about 89% of them have 10 peers or fewer
// (the shape of real trackers' statistics: most swarms are tiny, a few are
// huge). The draw is capped at big_size / 2, and the sizes above 10 are then
// scaled together so that all sizes add up to about total_peers.
//
// Peers: torrent t owns 2 x size(t) consecutive "slots"; the first size(t)
// are its initial members, the others may join later. Slot i is a peer with
// its own endpoint: source address number i % addresses (127.x.y.z, see
// ipv4_of) and announced port 1024 + i / addresses, so every slot has a
// distinct (address, port), as trackers key peers. Its peer id, key (BEP 7,
// i + 1) and info hash follow from i. An initial member is a leecher for
// one slot in three (a hash of i), a seeder otherwise.
//
// Membership changes under the events drawn by draw_mix(), a peer's life:
// it joins as a leecher (a random non-member), completes (a random leecher)
// and leaves as a seeder (a random seeder). Joins and leaves at the same
// rate keep the number of members, completions and joins at the same rate
// the number of leechers (about a third), in expectation; joins pick among
// non-members and leaves among members, so a swarm with more members than
// non-members shrinks and one with fewer grows: every swarm's size stays near
// its initial one. save()/load() keep the membership across
// invocations (a file that names the parameters it was made with).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/wire/announce.h"

namespace mt::bench {

struct ModelParams {
    std::uint32_t torrents = 20000;
    std::uint64_t total_peers = 300000;
    std::uint32_t big_swarms = 4;
    std::uint32_t big_size = 10000;
    std::uint32_t addresses = 4096;
    std::uint64_t seed = 17;
};

struct ModelSummary {
    std::uint64_t initial_peers = 0;
    std::uint64_t slots = 0;
    std::uint32_t size_p50 = 0;
    std::uint32_t size_p90 = 0;
    std::uint32_t size_max = 0;
    std::uint32_t swarms_le10 = 0;  // torrents with 10 peers or fewer
};

// One announce to send: the peer (slot) and what it says.
struct Draw {
    std::uint32_t slot = 0;
    common::AnnounceEvent event = common::AnnounceEvent::none;
    bool leecher = false;  // left > 0 in the announce
};

// The info hash of torrent t in the join and mix phases (not those of
// preload/refresh, so the two workloads can share a tracker).
common::InfoHash mix_info_hash(std::uint32_t torrent);

class SwarmModel {
  public:
    // Empty string when the parameters can be modelled, else why not.
    static std::string check(const ModelParams& p);
    explicit SwarmModel(const ModelParams& p);

    const ModelParams& params() const { return p_; }
    ModelSummary summary() const;
    std::uint32_t slots() const { return static_cast<std::uint32_t>(state_.size()); }
    std::uint32_t address_of(std::uint32_t slot) const { return slot % p_.addresses; }
    // Address number a as 127.x.y.z in host order; z is never 0 or 255.
    static std::uint32_t ipv4_of(std::uint32_t a);
    common::AnnounceRequest announce(const Draw& d) const;

    std::uint64_t members() const { return counts_[kLeecher] + counts_[kSeeder]; }
    std::uint64_t leechers() const { return counts_[kLeecher]; }

    // Mix: an event for a peer at `address` (5% started by a non-member, 5%
    // stopped by a seeder, or a leecher if the address has no seeder, 5%
    // completed by a leecher, the rest refreshes of members; when the
    // address has nobody to do the drawn event, a refresh or a join
    // instead), applied to the membership at once.
    Draw draw_mix(std::uint32_t address, std::mt19937_64& rng);

    // Join: resets the membership to the initial one and queues every
    // initial member, shuffled, for one started announce each.
    void begin_join(std::mt19937_64& rng);
    std::uint64_t join_left() const { return join_left_; }
    // The next joiner at `address`, or nullopt if it has none left.
    std::optional<Draw> next_join(std::uint32_t address);
    // The next joiner of any address (the addresses taken in turn).
    std::optional<Draw> next_join_any();

    // The membership, with a header naming the parameters. load() refuses a
    // file made with other parameters (and says why in `error`).
    bool save(const std::string& path, std::string& error) const;
    bool load(const std::string& path, std::string& error);

  private:
    enum : std::uint8_t { kOut = 0, kLeecher = 1, kSeeder = 2 };
    std::uint32_t torrent_of(std::uint32_t slot) const;
    std::string header() const;
    void rebuild_lists();
    void set_state(std::uint32_t slot, std::uint8_t s);

    ModelParams p_;
    std::vector<std::uint32_t> size_;   // initial members per torrent
    std::vector<std::uint32_t> start_;  // first slot per torrent
    std::vector<std::uint8_t> state_;   // per slot
    // Per state, per address: the slots (unordered); pos_: a slot's index in
    // the list of its state and address.
    std::vector<std::vector<std::uint32_t>> lists_[3];
    std::vector<std::uint32_t> pos_;
    std::uint64_t counts_[3] = {};
    std::vector<std::vector<std::uint32_t>> join_;  // per address, popped from the back
    std::uint64_t join_left_ = 0;
    std::uint32_t join_turn_ = 0;
};

}  // namespace mt::bench
