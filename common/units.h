// Human-readable sizes, rates and durations for people (never for parsing).
#pragma once

#include <cstdint>
#include <string>

namespace mt::common {

std::string human_bytes(std::uint64_t bytes);        // "1.5 MiB", "512 KiB", "17 B"
std::string human_rate(double bytes_per_second);     // "12.3 MiB/s"
std::string human_duration(double seconds);          // "1h02m", "3m05s", "42s"
std::string iso8601_utc(std::int64_t unix_seconds);  // "2026-11-21T05:36:19Z"

}  // namespace mt::common
