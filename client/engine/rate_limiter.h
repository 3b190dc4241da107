// RateLimiter: a token bucket shared by every connection it limits (a torrent,
// or every torrent of a session). Thread-safe.
//
// take(n) grants n bytes if the bucket holds them, else nothing: the caller
// keeps the data queued and asks again after wait_ms(). The bucket holds at
// most `burst` bytes (default: 1/10 s of the rate, at least one 16 KiB
// block), so an idle period does not become a flood. A rate of 0 means no
// limit. The clock is passed in (milliseconds, monotonic) so tests control it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "common/mutex.h"

namespace mt::client {

class RateLimiter {
  public:
    explicit RateLimiter(std::uint64_t bytes_per_second, std::uint64_t burst = 0);

    // True (and n bytes spent) when n bytes may go now.
    bool take(std::uint64_t n, std::int64_t now_ms);
    // n bytes went anyway (read from a socket): spent, possibly into debt.
    void spend(std::uint64_t n, std::int64_t now_ms);
    // How long until n bytes could go (0: now).
    std::int64_t wait_ms(std::uint64_t n, std::int64_t now_ms);
    std::uint64_t rate() const EXCLUDES(mu_);
    // Any time, from any thread (0: no limit); the users see it at their next take.
    void set_rate(std::uint64_t bytes_per_second);
    // Whether a rate is set (without the lock: asked before every read).
    bool limited() const { return limited_.load(std::memory_order_relaxed); }

  private:
    void refill_locked(std::int64_t now_ms) REQUIRES(mu_);

    mutable common::Mutex mu_;
    std::uint64_t rate_ GUARDED_BY(mu_);
    std::uint64_t burst_ GUARDED_BY(mu_);
    double tokens_ GUARDED_BY(mu_) = 0;
    std::int64_t last_ms_ GUARDED_BY(mu_) = -1;
    std::atomic<bool> limited_{false};
};

// The limiter if it limits anything, else null (a limiter at rate 0 costs
// nothing: its users read in big chunks as without one).
inline RateLimiter* active_limit(const std::shared_ptr<RateLimiter>& l) {
    return l && l->limited() ? l.get() : nullptr;
}

}  // namespace mt::client
