// PeerStore: the peers other nodes announced to us (BEP 5 announce_peer),
// answered to get_peers. Pure, bounded, one owner (the node's thread).
//
// Bounds (libtorrent's): at most max_torrents info hashes and max_peers
// peers each; an entry expires ttl_ms after its last announce. A full store
// drops the info hash with the fewest peers for a newcomer (a flood of new
// hashes cannot push out a swarm); a full swarm replaces its oldest entry.
// A peer is keyed by (address, port).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/wire/krpc.h"

namespace mt::client::dht {

class PeerStore {
  public:
    struct Options {
        std::size_t max_torrents = 2000;
        std::size_t max_peers = 500;
        std::int64_t ttl_ms = 45 * 60 * 1000;
    };
    struct Entry {
        common::wire::krpc::Endpoint ep;
        bool seed = false;
        std::int64_t time_ms = 0;
    };

    PeerStore() : PeerStore(Options{}) {}
    explicit PeerStore(Options o) : options_(o) {}

    void announce(const common::InfoHash& ih, const common::wire::krpc::Endpoint& ep, bool seed,
                  std::int64_t now_ms);
    // Up to `max` live peers of `ih` of the given family, starting at a
    // place picked by `start` (a random number) so that answers vary.
    std::vector<common::wire::krpc::Endpoint> get(const common::InfoHash& ih, bool v4,
                                                  std::size_t max, std::int64_t now_ms,
                                                  std::size_t start) const;
    void expire(std::int64_t now_ms);
    std::size_t torrents() const { return swarms_.size(); }
    std::size_t peers() const;

  private:
    Options options_;
    std::unordered_map<common::InfoHash, std::vector<Entry>> swarms_;
};

}  // namespace mt::client::dht
