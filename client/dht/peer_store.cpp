#include "client/dht/peer_store.h"

#include <algorithm>

namespace mt::client::dht {

void PeerStore::announce(const common::InfoHash& ih, const common::wire::krpc::Endpoint& ep,
                         bool seed, std::int64_t now_ms) {
    auto it = swarms_.find(ih);
    if (it == swarms_.end()) {
        if (swarms_.size() >= options_.max_torrents) {
            auto smallest = std::min_element(
                swarms_.begin(), swarms_.end(),
                [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
            // Only a swarm of one gives way to a newcomer.
            if (smallest == swarms_.end() || smallest->second.size() > 1) return;
            swarms_.erase(smallest);
        }
        it = swarms_.emplace(ih, std::vector<Entry>{}).first;
    }
    auto& peers = it->second;
    for (auto& e : peers) {
        if (e.ep == ep) {
            e.seed = seed;
            e.time_ms = now_ms;
            return;
        }
    }
    if (peers.size() >= options_.max_peers) {
        auto oldest =
            std::min_element(peers.begin(), peers.end(),
                             [](const Entry& a, const Entry& b) { return a.time_ms < b.time_ms; });
        *oldest = {ep, seed, now_ms};
        return;
    }
    peers.push_back({ep, seed, now_ms});
}

std::vector<common::wire::krpc::Endpoint> PeerStore::get(const common::InfoHash& ih, bool v4,
                                                         std::size_t max, std::int64_t now_ms,
                                                         std::size_t start) const {
    std::vector<common::wire::krpc::Endpoint> out;
    auto it = swarms_.find(ih);
    if (it == swarms_.end() || it->second.empty()) return out;
    const auto& peers = it->second;
    for (std::size_t i = 0; i < peers.size() && out.size() < max; ++i) {
        const Entry& e = peers[(start + i) % peers.size()];
        if (e.ep.ip.is_v4() == v4 && now_ms - e.time_ms <= options_.ttl_ms) out.push_back(e.ep);
    }
    return out;
}

void PeerStore::expire(std::int64_t now_ms) {
    for (auto it = swarms_.begin(); it != swarms_.end();) {
        auto& peers = it->second;
        peers.erase(
            std::remove_if(peers.begin(), peers.end(),
                           [&](const Entry& e) { return now_ms - e.time_ms > options_.ttl_ms; }),
            peers.end());
        it = peers.empty() ? swarms_.erase(it) : std::next(it);
    }
}

std::size_t PeerStore::peers() const {
    std::size_t n = 0;
    for (const auto& [h, p] : swarms_)
        n += p.size();
    return n;
}

}  // namespace mt::client::dht
