// Human-readable sizes, rates and durations for people (never for parsing).
#pragma once

#include <cstdint>
#include <string>

namespace mt::common {

std::string human_bytes(std::uint64_t bytes);        // "1.5 MiB", "512 KiB", "17 B"
std::string human_rate(double bytes_per_second);     // "12.3 MiB/s"
std::string human_duration(double seconds);          // "1h02m", "3m05s", "42s"
std::string iso8601_utc(std::int64_t unix_seconds);  // "2026-11-21T05:36:19Z"
// "1 file", "2 files", "0 files"; `many` for a word that is not made plural by
// an "s" ("1 entry", "3 entries").
std::string plural(std::uint64_t n, const std::string& one, const std::string& many = "");

}  // namespace mt::common
