// RateHistory: the session's total download and upload rates, one sample per
// watcher tick (a second), the last kMaxSamples of them (10 minutes) for
// GET /api/rates. Pure and not thread-safe: the Session keeps it under its
// mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace mt::client {

// What GET /api/rates answers: bytes/s down and up, oldest first.
struct RateSamples {
    std::int64_t interval_ms = 1000;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> samples;
};

class RateHistory {
  public:
    static constexpr std::size_t kMaxSamples = 600;

    // Adds a sample; the oldest goes once there are kMaxSamples.
    void add(std::uint64_t down, std::uint64_t up) {
        if (samples_.size() == kMaxSamples) samples_.pop_front();
        samples_.emplace_back(down, up);
    }
    std::vector<std::pair<std::uint64_t, std::uint64_t>> samples() const {
        return {samples_.begin(), samples_.end()};
    }

  private:
    std::deque<std::pair<std::uint64_t, std::uint64_t>> samples_;
};

}  // namespace mt::client
