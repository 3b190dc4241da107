// RateWindow: bytes per second over the last few seconds, from samples of a
// running byte count. Unlike a decaying average it is exactly 0 once nothing
// has moved for a whole window: a finished transfer shows 0 B/s, not a rate
// that fades for ever. Pure; not thread-safe (its owner locks).
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

namespace mt::client {

class RateWindow {
  public:
    explicit RateWindow(std::int64_t window_ms = 2000) : window_ms_(window_ms) {}

    // The running total at `now_ms` (non-decreasing times).
    void add(std::int64_t now_ms, std::uint64_t total) {
        samples_.emplace_back(now_ms, total);
        // Keep one sample at or before the window's start: the rate spans
        // the whole window.
        while (samples_.size() > 2 && samples_[1].first <= now_ms - window_ms_)
            samples_.pop_front();
    }

    double rate() const {
        if (samples_.size() < 2) return 0;
        const auto& [t0, b0] = samples_.front();
        const auto& [t1, b1] = samples_.back();
        if (t1 <= t0 || b1 <= b0) return 0;
        return static_cast<double>(b1 - b0) * 1000.0 / static_cast<double>(t1 - t0);
    }

  private:
    std::int64_t window_ms_;
    std::deque<std::pair<std::int64_t, std::uint64_t>> samples_;
};

}  // namespace mt::client
