#include "client/engine/choker.h"

#include <algorithm>
#include <unordered_set>

namespace mt::client {

std::vector<PeerKey> ChokeDecision::unchoked() const {
    std::vector<PeerKey> out = regular;
    if (optimistic) out.push_back(*optimistic);
    return out;
}

Choker::Choker(ChokerConfig config) : config_(config), rng_(config.seed) {
    if (config_.optimistic_rounds == 0) config_.optimistic_rounds = 1;
}

bool Choker::snubbed(const PeerStats& p, std::int64_t now_ms) const {
    const std::int64_t since = p.last_block_ms ? *p.last_block_ms : p.connected_at_ms;
    return now_ms - since >= config_.snub_ms;
}

std::optional<PeerKey> Choker::draw_optimistic(std::int64_t now_ms,
                                               const std::vector<const PeerStats*>& candidates) {
    std::uint64_t total = 0;
    auto weight = [&](const PeerStats* p) -> std::uint64_t {
        return now_ms - p->connected_at_ms < config_.new_peer_ms ? config_.new_peer_weight : 1;
    };
    for (const PeerStats* p : candidates)
        total += weight(p);
    if (total == 0) return std::nullopt;
    std::uint64_t x = std::uniform_int_distribution<std::uint64_t>(0, total - 1)(rng_);
    for (const PeerStats* p : candidates) {
        const std::uint64_t w = weight(p);
        if (x < w) return p->key;
        x -= w;
    }
    return std::nullopt;  // unreachable: x < total
}

ChokeDecision Choker::rechoke(std::int64_t now_ms, bool seeding,
                              const std::vector<PeerStats>& peers) {
    // Interested peers, first entry per key, in input order.
    std::vector<const PeerStats*> interested;
    std::unordered_set<PeerKey> seen;
    for (const PeerStats& p : peers) {
        if (seen.insert(p.key).second && p.interested) interested.push_back(&p);
    }

    // Regular slots: shuffle, then a stable sort, so equal rates are ordered
    // at random rather than by key or position.
    std::vector<const PeerStats*> ranked;
    for (const PeerStats* p : interested) {
        if (seeding || !snubbed(*p, now_ms)) ranked.push_back(p);
    }
    std::shuffle(ranked.begin(), ranked.end(), rng_);
    std::stable_sort(ranked.begin(), ranked.end(), [seeding](const auto* a, const auto* b) {
        if (a->idle_unchoked != b->idle_unchoked) return b->idle_unchoked;
        return seeding ? a->uploaded < b->uploaded : a->download_rate > b->download_rate;
    });
    ChokeDecision d;
    const std::size_t slots = seeding ? config_.seeding_slots : config_.regular_slots;
    for (std::size_t i = 0; i < ranked.size() && i < slots; ++i) {
        d.regular.push_back(ranked[i]->key);
    }
    auto is_regular = [&](PeerKey k) {
        return std::find(d.regular.begin(), d.regular.end(), k) != d.regular.end();
    };

    // Optimistic slot: keep the current one for its rounds unless it no longer
    // qualifies; otherwise draw among the interested peers without a slot,
    // avoiding the previous one when anybody else qualifies.
    std::vector<const PeerStats*> candidates;
    for (const PeerStats* p : interested) {
        if (!is_regular(p->key)) candidates.push_back(p);
    }
    if (std::any_of(candidates.begin(), candidates.end(),
                    [](const PeerStats* p) { return !p->idle_unchoked; }))
        std::erase_if(candidates, [](const PeerStats* p) { return p->idle_unchoked; });
    const bool still_valid =
        optimistic_ && std::any_of(candidates.begin(), candidates.end(),
                                   [&](const PeerStats* p) { return p->key == *optimistic_; });
    ++rounds_since_draw_;
    if (!still_valid || rounds_since_draw_ >= config_.optimistic_rounds || !optimistic_) {
        if (still_valid && candidates.size() > 1) {
            std::erase_if(candidates, [&](const PeerStats* p) { return p->key == *optimistic_; });
        }
        optimistic_ = draw_optimistic(now_ms, candidates);
        rounds_since_draw_ = 0;
    }
    d.optimistic = optimistic_;
    return d;
}

}  // namespace mt::client
