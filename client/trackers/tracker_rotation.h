// The one failover policy of the client's tracker traffic, used by
// announces (TrackerClient) and by queries (TrackerQuery): which tracker of
// the tier is current, and how each has been answering.
//
// Requests start at current(); every attempt's outcome is recorded with
// succeeded() or failed(); the caller that takes an answer from another
// tracker than the current one makes it current (logged as a failover).
// A late answer from an attempt nobody waits for any more only updates the
// status. Thread-safe; the clock is passed in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/trackers/tracker_status.h"
#include "common/log.h"
#include "common/mutex.h"

namespace mt::client {

class TrackerRotation {
  public:
    // `urls`: the tier in order; the first is current.
    TrackerRotation(std::vector<std::string> urls, common::Logger& log);

    std::size_t size() const { return urls_.size(); }
    const std::string& url(std::size_t i) const { return urls_[i]; }
    std::size_t current() const EXCLUDES(mu_);

    void succeeded(std::size_t i, std::int64_t now_ms) EXCLUDES(mu_);
    void failed(std::size_t i, std::int64_t now_ms, const std::string& error) EXCLUDES(mu_);
    // Tracker i answered what the caller used: it is current from now on.
    // `why` ends the failover line: "(<old tracker> <why>)".
    void make_current(std::size_t i, const char* why) EXCLUDES(mu_);

    std::vector<TrackerStatus> status() const EXCLUDES(mu_);

  private:
    const std::vector<std::string> urls_;
    common::Logger& log_;
    mutable common::Mutex mu_;
    std::size_t current_ GUARDED_BY(mu_) = 0;
    std::vector<TrackerStatus> status_ GUARDED_BY(mu_);
};

}  // namespace mt::client
