#include "client/engine/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace mt::client {

namespace {
constexpr std::uint64_t kMinBurst = 16 * 1024;

std::uint64_t default_burst(std::uint64_t rate) {
    return std::max<std::uint64_t>(rate / 10, kMinBurst);
}
}  // namespace

RateLimiter::RateLimiter(std::uint64_t bytes_per_second, std::uint64_t burst)
    : rate_(bytes_per_second), burst_(burst ? burst : default_burst(bytes_per_second)) {
    tokens_ = static_cast<double>(burst_);
    limited_ = bytes_per_second != 0;
}

std::uint64_t RateLimiter::rate() const {
    common::MutexLock lock(mu_);
    return rate_;
}

void RateLimiter::set_rate(std::uint64_t bytes_per_second) {
    common::MutexLock lock(mu_);
    rate_ = bytes_per_second;
    burst_ = default_burst(bytes_per_second);
    tokens_ = std::min(tokens_, static_cast<double>(burst_));
    limited_ = bytes_per_second != 0;
}

void RateLimiter::refill_locked(std::int64_t now_ms) {
    if (last_ms_ >= 0 && now_ms > last_ms_) {
        tokens_ += static_cast<double>(rate_) * static_cast<double>(now_ms - last_ms_) / 1000.0;
        tokens_ = std::min(tokens_, static_cast<double>(burst_));
    }
    if (now_ms > last_ms_) last_ms_ = now_ms;
}

bool RateLimiter::take(std::uint64_t n, std::int64_t now_ms) {
    common::MutexLock lock(mu_);
    if (rate_ == 0) return true;
    refill_locked(now_ms);
    // A request larger than the bucket goes once the bucket is full.
    const double need = std::min(static_cast<double>(n), static_cast<double>(burst_));
    if (tokens_ < need) return false;
    tokens_ -= static_cast<double>(n);  // may go below 0 for an oversized request: repaid later
    return true;
}

void RateLimiter::spend(std::uint64_t n, std::int64_t now_ms) {
    common::MutexLock lock(mu_);
    if (rate_ == 0) return;
    refill_locked(now_ms);
    tokens_ -= static_cast<double>(n);
}

std::int64_t RateLimiter::wait_ms(std::uint64_t n, std::int64_t now_ms) {
    common::MutexLock lock(mu_);
    if (rate_ == 0) return 0;
    refill_locked(now_ms);
    const double need = std::min(static_cast<double>(n), static_cast<double>(burst_));
    if (tokens_ >= need) return 0;
    return static_cast<std::int64_t>(
        std::ceil((need - tokens_) * 1000.0 / static_cast<double>(rate_)));
}

}  // namespace mt::client
