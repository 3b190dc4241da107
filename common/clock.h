// Milliseconds from the two clocks the project uses: wall time for what
// crosses machines or restarts (change records, last-seen times, connection
// id epochs), monotonic time for deadlines and rates within a process.
#pragma once

#include <chrono>
#include <cstdint>

namespace mt::common {

inline std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline std::int64_t mono_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace mt::common
