// How a tracker has been answering, as `status` shows it. Pure.
#pragma once

#include <cstdint>
#include <string>

namespace mt::client {

struct TrackerStatus {
    std::string url;
    bool live = false;                 // the last attempt succeeded
    bool in_use = false;               // the one announces go to first
    std::int64_t last_ok_ms = 0;       // wall clock of the last success (0: never)
    std::int64_t last_attempt_ms = 0;  // wall clock of the last attempt, success or not
    std::uint64_t failures = 0;
    std::string last_error;
};

}  // namespace mt::client
