#include "tracker/conn_limits.h"

#include <algorithm>

namespace mt::tracker {

bool AddressCounter::try_add(const common::IpAddr& ip) {
    common::MutexLock lock(mu_);
    auto& n = counts_[ip.quota_key()];
    if (n >= per_address_) return false;
    move_holder(n, n + 1);
    ++n;
    return true;
}

void AddressCounter::remove(const common::IpAddr& ip) {
    common::MutexLock lock(mu_);
    auto it = counts_.find(ip.quota_key());
    if (it == counts_.end()) return;
    move_holder(it->second, it->second - 1);
    if (--it->second == 0) counts_.erase(it);
}

void AddressCounter::move_holder(std::size_t from, std::size_t to) {
    if (from > 0) {
        auto h = holders_.find(from);
        if (h != holders_.end() && --h->second == 0) holders_.erase(h);
    }
    if (to > 0) ++holders_[to];
}

std::size_t AddressCounter::max_count() const {
    common::MutexLock lock(mu_);
    return holders_.empty() ? 0 : holders_.rbegin()->first;
}

std::size_t AddressCounter::count(const common::IpAddr& ip) const {
    common::MutexLock lock(mu_);
    auto it = counts_.find(ip.quota_key());
    return it == counts_.end() ? 0 : it->second;
}

std::size_t AddressCounter::addresses() const {
    common::MutexLock lock(mu_);
    return static_cast<std::size_t>(
        std::count_if(counts_.begin(), counts_.end(), [](const auto& e) { return e.second > 0; }));
}

std::optional<int> pick_victim(const std::vector<VictimCandidate>& candidates,
                               const common::IpAddr& newcomer_ip, std::size_t newcomer_count) {
    const VictimCandidate* best = nullptr;
    for (const auto& c : candidates) {
        if (c.ip == newcomer_ip.quota_key() || c.address_count <= newcomer_count) continue;
        if (!best || c.address_count > best->address_count ||
            (c.address_count == best->address_count && c.last_activity < best->last_activity))
            best = &c;
    }
    if (!best) return std::nullopt;
    return best->key;
}

namespace {
// Index of the oldest pending handshake from `ip`.
std::optional<std::size_t> oldest_from(const std::vector<PendingHandshake>& pending,
                                       const common::IpAddr& ip) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < pending.size(); ++i)
        if (pending[i].ip == ip && (!best || pending[i].started_ms < pending[*best].started_ms))
            best = i;
    return best;
}
}  // namespace

HandshakeAdmission admit_handshake(const std::vector<PendingHandshake>& pending,
                                   const common::IpAddr& ip,
                                   const std::optional<common::IpAddr>& partner_ip,
                                   std::size_t per_address, std::size_t total) {
    std::unordered_map<common::IpAddr, std::size_t, common::IpAddrHash> per;
    for (const auto& p : pending)
        ++per[p.ip];
    const bool partner = partner_ip && ip == *partner_ip;
    const std::size_t mine = per[ip];
    if (mine < per_address && pending.size() < total) return {true, std::nullopt};
    if (!partner) return {false, std::nullopt};
    if (mine >= per_address) return {true, oldest_from(pending, ip)};
    // The total is full: take the place of the address holding the most.
    common::IpAddr top;
    std::size_t top_n = 0;
    for (const auto& [a, n] : per)
        if (a != ip && (n > top_n || (n == top_n && a < top))) {
            top = a;
            top_n = n;
        }
    if (top_n == 0) return {true, std::nullopt};
    return {true, oldest_from(pending, top)};
}

}  // namespace mt::tracker
