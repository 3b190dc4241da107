#include "client/engine/initial_seeder.h"

#include <algorithm>

namespace mt::client {

InitialSeeder::InitialSeeder(std::size_t piece_count, std::uint32_t piece_length,
                             std::uint64_t seed, std::uint64_t window_bytes)
    : n_(piece_count),
      piece_length_(std::max<std::uint32_t>(1, piece_length)),
      window_bytes_(window_bytes),
      score_(piece_count, 0),
      ever_shown_(piece_count, false),
      held_(piece_count, 0),
      pieces_not_held_(piece_count),
      buckets_(1),
      pos_(piece_count, 0),
      rng_(seed) {
    buckets_[0].reserve(piece_count);
    for (std::uint32_t i = 0; i < piece_count; ++i) {
        pos_[i] = i;
        buckets_[0].push_back(i);
    }
}

std::size_t InitialSeeder::offers_per_peer() const {
    const std::uint64_t share = window_bytes_ / std::max<std::size_t>(1, peers_.size());
    return static_cast<std::size_t>(std::max<std::uint64_t>(2, share / piece_length_));
}

std::size_t InitialSeeder::pieces_never_shown() const {
    return static_cast<std::size_t>(std::count(ever_shown_.begin(), ever_shown_.end(), false));
}

bool InitialSeeder::shown(PeerKey key, std::uint32_t piece) const {
    const auto it = peers_.find(key);
    return it != peers_.end() && piece < n_ && it->second.shown[piece];
}

void InitialSeeder::rescore(std::uint32_t piece, std::uint32_t score) {
    auto& from = buckets_[score_[piece]];
    const std::uint32_t at = pos_[piece];
    from[at] = from.back();
    pos_[from[at]] = at;
    from.pop_back();
    if (score >= buckets_.size()) buckets_.resize(score + 1);
    pos_[piece] = static_cast<std::uint32_t>(buckets_[score].size());
    buckets_[score].push_back(piece);
    score_[piece] = score;
}

void InitialSeeder::mark_has(Peer& p, std::uint32_t piece) {
    if (piece >= n_ || p.has[piece]) return;
    p.has[piece] = true;
    ++p.has_count;
    if (held_[piece]++ == 0) --pieces_not_held_;
    const auto it = std::find(p.pending.begin(), p.pending.end(), piece);
    if (it != p.pending.end()) {
        p.pending.erase(it);
        if (p.active) return;  // the offer arrived: its copy was counted already
    }
    rescore(piece, score_[piece] + 1);
}

std::vector<std::uint32_t> InitialSeeder::top_up(Peer& p) {
    std::vector<std::uint32_t> out;
    const std::size_t want = offers_per_peer();
    if (p.has_count == n_ || !p.active) return out;
    while (p.pending.size() < want) {
        std::uint32_t pick = 0;
        bool found = false;
        for (std::size_t s = 0; s < buckets_.size() && !found; ++s) {
            const auto& b = buckets_[s];
            if (b.empty()) continue;
            const std::size_t start = rng_() % b.size();
            for (std::size_t i = 0; i < b.size(); ++i) {
                const std::uint32_t q = b[(start + i) % b.size()];
                if (!p.has[q] && !p.shown[q]) {
                    pick = q;
                    found = true;
                    break;
                }
            }
        }
        if (!found) break;
        p.shown[pick] = true;
        ever_shown_[pick] = true;
        p.pending.push_back(pick);
        rescore(pick, score_[pick] + 1);
        out.push_back(pick);
    }
    return out;
}

std::vector<std::uint32_t> InitialSeeder::add_peer(PeerKey key) {
    auto [it, fresh] = peers_.try_emplace(key);
    if (fresh) {
        it->second.has.assign(n_, false);
        it->second.shown.assign(n_, false);
    }
    return top_up(it->second);
}

std::vector<std::uint32_t> InitialSeeder::peer_has(PeerKey key, std::uint32_t piece) {
    const auto it = peers_.find(key);
    if (it == peers_.end()) return {};
    mark_has(it->second, piece);
    return top_up(it->second);
}

std::vector<std::uint32_t> InitialSeeder::peer_has_bitfield(PeerKey key,
                                                            const std::vector<bool>& has) {
    const auto it = peers_.find(key);
    if (it == peers_.end()) return {};
    for (std::uint32_t i = 0; i < std::min(n_, has.size()); ++i)
        if (has[i]) mark_has(it->second, i);
    // Offers of pieces it turned out to hold are done: mark_has took them.
    return top_up(it->second);
}

std::vector<std::uint32_t> InitialSeeder::peer_has_all(PeerKey key) {
    return peer_has_bitfield(key, std::vector<bool>(n_, true));
}

std::size_t InitialSeeder::pending(PeerKey key) const {
    const auto it = peers_.find(key);
    return it == peers_.end() ? 0 : it->second.pending.size();
}

void InitialSeeder::suspend(PeerKey key) {
    const auto it = peers_.find(key);
    if (it == peers_.end() || !it->second.active) return;
    it->second.active = false;
    for (const std::uint32_t q : it->second.pending)
        rescore(q, score_[q] - 1);
}

std::vector<std::uint32_t> InitialSeeder::resume(PeerKey key) {
    const auto it = peers_.find(key);
    if (it == peers_.end()) return {};
    Peer& p = it->second;
    if (!p.active) {
        p.active = true;
        for (const std::uint32_t q : p.pending)
            rescore(q, score_[q] + 1);
    }
    return top_up(p);
}

std::vector<std::uint32_t> InitialSeeder::show_everything(PeerKey key) {
    const auto it = peers_.find(key);
    if (it == peers_.end()) return {};
    std::vector<std::uint32_t> rest;
    for (std::uint32_t q = 0; q < n_; ++q)
        if (!it->second.has[q] && !it->second.shown[q]) rest.push_back(q);
    remove_peer(key);
    return rest;
}

void InitialSeeder::remove_peer(PeerKey key) {
    const auto it = peers_.find(key);
    if (it == peers_.end()) return;
    const Peer& p = it->second;
    if (p.active)
        for (const std::uint32_t q : p.pending)
            rescore(q, score_[q] - 1);
    for (std::uint32_t q = 0; q < n_; ++q) {
        if (!p.has[q]) continue;
        rescore(q, score_[q] - 1);
        if (--held_[q] == 0) ++pieces_not_held_;
    }
    peers_.erase(it);
}

}  // namespace mt::client
