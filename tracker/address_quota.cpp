#include "tracker/address_quota.h"

namespace mt::tracker {

bool AddressQuota::fits(const Usage& u, std::uint64_t bytes, std::int64_t now_ms) const {
    if (now_ms - u.start_ms >= limits_.window_ms) return true;  // a new window
    if (limits_.max_count && u.count + 1 > limits_.max_count) return false;
    if (limits_.max_bytes && u.bytes + bytes > limits_.max_bytes) return false;
    return true;
}

AddressQuota::Usage* AddressQuota::slot(const common::IpAddr& addr, std::int64_t now_ms) {
    const common::IpAddr ip = addr.quota_key();
    if (auto it = usage_.find(ip.quota_key()); it != usage_.end()) return &it->second;
    if (usage_.size() >= limits_.max_addresses) {
        for (auto it = usage_.begin(); it != usage_.end();)
            it = now_ms - it->second.start_ms >= limits_.window_ms ? usage_.erase(it)
                                                                   : std::next(it);
        if (usage_.size() >= limits_.max_addresses) return nullptr;
    }
    return &usage_.emplace(ip, Usage{now_ms, 0, 0}).first->second;
}

bool AddressQuota::try_spend(const common::IpAddr& ip, std::uint64_t bytes, std::int64_t now_ms) {
    common::MutexLock lock(mu_);
    Usage* u = slot(ip, now_ms);
    if (!u || !fits(*u, bytes, now_ms)) return false;
    if (now_ms - u->start_ms >= limits_.window_ms) *u = Usage{now_ms, 0, 0};
    ++u->count;
    u->bytes += bytes;
    return true;
}

bool AddressQuota::allows(const common::IpAddr& ip, std::int64_t now_ms) {
    common::MutexLock lock(mu_);
    if (auto it = usage_.find(ip.quota_key()); it != usage_.end())
        return fits(it->second, 0, now_ms);
    if (usage_.size() < limits_.max_addresses) return true;
    return slot(ip, now_ms) != nullptr;  // room once passed windows are forgotten
}

void AddressQuota::spend(const common::IpAddr& ip, std::uint64_t bytes, std::int64_t now_ms) {
    common::MutexLock lock(mu_);
    Usage* u = slot(ip, now_ms);
    if (!u) return;
    if (now_ms - u->start_ms >= limits_.window_ms) *u = Usage{now_ms, 0, 0};
    ++u->count;
    u->bytes += bytes;
}

std::size_t AddressQuota::tracked() const {
    common::MutexLock lock(mu_);
    return usage_.size();
}

}  // namespace mt::tracker
