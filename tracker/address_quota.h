// AddressQuota: how much each source address may spend per time window
// (publishes and their bytes; announces that create a torrent).
//
// Each address gets a fixed window that starts with its first spend and lasts
// window_ms; within it at most max_count spends and max_bytes bytes. At most
// max_addresses addresses are tracked: when the table is full, addresses whose
// window has passed are forgotten, and if none has, a new address is refused
// (a flood from many addresses cannot grow the table or reset the others).
//
// Thread-safe (one mutex; no I/O under it).
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include "common/ip_addr.h"
#include "common/mutex.h"

namespace mt::tracker {

struct QuotaLimits {
    std::uint64_t max_count = 0;  // 0: unlimited
    std::uint64_t max_bytes = 0;  // 0: unlimited
    std::int64_t window_ms = 600'000;
    std::size_t max_addresses = 65536;
};

class AddressQuota {
  public:
    explicit AddressQuota(QuotaLimits limits) : limits_(limits) {}

    // True (and charged) when `ip` may spend one more of `bytes` now.
    bool try_spend(const common::IpAddr& ip, std::uint64_t bytes, std::int64_t now_ms);
    // True when a try_spend(ip, 0, now_ms) would succeed; charges nothing
    // (an address is entered only when the table had to be purged for it).
    bool allows(const common::IpAddr& ip, std::int64_t now_ms);
    // Charges unconditionally (the caller checked allows() before the work).
    void spend(const common::IpAddr& ip, std::uint64_t bytes, std::int64_t now_ms);

    const QuotaLimits& limits() const { return limits_; }
    std::size_t tracked() const;

  private:
    struct Usage {
        std::int64_t start_ms = 0;
        std::uint64_t count = 0;
        std::uint64_t bytes = 0;
    };
    bool fits(const Usage& u, std::uint64_t bytes, std::int64_t now_ms) const;
    Usage* slot(const common::IpAddr& ip, std::int64_t now_ms) REQUIRES(mu_);

    const QuotaLimits limits_;
    mutable common::Mutex mu_;
    // By IpAddr::quota_key(): an IPv6 source is limited by its /64.
    std::unordered_map<common::IpAddr, Usage, common::IpAddrHash> usage_ GUARDED_BY(mu_);
};

}  // namespace mt::tracker
