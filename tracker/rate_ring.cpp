#include "tracker/rate_ring.h"

#include <algorithm>

namespace mt::tracker {

namespace {

std::uint64_t stamp(std::int64_t second) {
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(second)) << 32;
}

std::size_t slot_of(std::int64_t second) {
    const auto n = static_cast<std::int64_t>(RateRing::kSeconds);
    return static_cast<std::size_t>(((second % n) + n) % n);
}

}  // namespace

void RateRing::add(std::int64_t second) {
    auto& slot = slots_[slot_of(second)];
    const std::uint64_t mine = stamp(second);
    std::uint64_t old = slot.load(std::memory_order_relaxed);
    while (true) {
        const bool same = (old & ~0xffffffffull) == mine;
        // A count saturates rather than carry into the stamp.
        const std::uint64_t next =
            same ? (old + ((old & 0xffffffffull) != 0xffffffffull)) : mine | 1;
        if (slot.compare_exchange_weak(old, next, std::memory_order_relaxed)) return;
    }
}

std::vector<std::uint32_t> RateRing::counts(std::int64_t last_second, std::size_t n) const {
    if (n > kSeconds) n = kSeconds;
    std::vector<std::uint32_t> out(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t second = last_second - static_cast<std::int64_t>(n - 1 - i);
        const std::uint64_t v = slots_[slot_of(second)].load(std::memory_order_relaxed);
        if ((v & ~0xffffffffull) == stamp(second)) out[i] = static_cast<std::uint32_t>(v);
    }
    return out;
}

std::vector<double> per_second(const std::vector<std::uint32_t>& counts, std::size_t group) {
    std::vector<double> out;
    if (group == 0) return out;
    for (std::size_t i = 0; i < counts.size(); i += group) {
        const std::size_t end = std::min(i + group, counts.size());
        std::uint64_t sum = 0;
        for (std::size_t j = i; j < end; ++j)
            sum += counts[j];
        out.push_back(static_cast<double>(sum) / static_cast<double>(end - i));
    }
    return out;
}

}  // namespace mt::tracker
