#include "client/trackers/tracker_rotation.h"

namespace mt::client {

using common::cat;

TrackerRotation::TrackerRotation(std::vector<std::string> urls, common::Logger& log)
    : urls_(std::move(urls)), log_(log) {
    common::MutexLock lock(mu_);
    for (const auto& u : urls_) {
        TrackerStatus s;
        s.url = u;
        status_.push_back(s);
    }
    if (!status_.empty()) status_[0].in_use = true;
}

std::size_t TrackerRotation::current() const {
    common::MutexLock lock(mu_);
    return current_;
}

void TrackerRotation::succeeded(std::size_t i, std::int64_t now_ms) {
    common::MutexLock lock(mu_);
    TrackerStatus& st = status_[i];
    st.last_attempt_ms = now_ms;
    st.live = true;
    st.last_ok_ms = now_ms;
    st.last_error.clear();
}

void TrackerRotation::make_current(std::size_t i, const char* why) {
    common::MutexLock lock(mu_);
    if (current_ == i) return;
    log_.warn(cat("tracker failover: now using ", urls_[i], " (", urls_[current_], " ", why, ")"));
    status_[current_].in_use = false;
    current_ = i;
    status_[i].in_use = true;
}

void TrackerRotation::failed(std::size_t i, std::int64_t now_ms, const std::string& error) {
    common::MutexLock lock(mu_);
    TrackerStatus& st = status_[i];
    st.last_attempt_ms = now_ms;
    st.live = false;
    ++st.failures;
    st.last_error = error;
}

std::vector<TrackerStatus> TrackerRotation::status() const {
    common::MutexLock lock(mu_);
    return status_;
}

}  // namespace mt::client
