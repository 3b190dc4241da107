// RateRing: how many events happened in each of the last kSeconds seconds,
// for the tracker's page (announces per second, HTTP and UDP apart).
//
// Fixed size, no allocation after construction, lock-free: each slot is one
// 64-bit word holding (second mod 2^32) in its high half and the count of
// that second in its low half, updated by compare-and-swap. add() from any
// thread costs one CAS on the slot of the current second; a slot still
// holding an older second is restarted at 1. counts() reads a slot as 0 when
// it holds another second (nothing happened then, or it is too old).
// Seconds are whatever the caller passes (the wall clock / 1000 in the
// service, a test's numbers in tests); they should not go backwards by more
// than kSeconds, or the counts of the seconds in between read as 0.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace mt::tracker {

class RateRing {
  public:
    static constexpr std::size_t kSeconds = 600;

    void add(std::int64_t second);
    // The counts of the `n` seconds ending with `last_second` (included),
    // oldest first; n is capped at kSeconds.
    std::vector<std::uint32_t> counts(std::int64_t last_second, std::size_t n) const;

  private:
    std::array<std::atomic<std::uint64_t>, kSeconds> slots_{};
};

// `counts` averaged by groups of `group` seconds, oldest first: the rate per
// second of each group (a short last group is divided by its own length).
// Empty if group is 0.
std::vector<double> per_second(const std::vector<std::uint32_t>& counts, std::size_t group);

}  // namespace mt::tracker
