#include "client/tracker_client.h"

#include <chrono>

#include "client/tracker_transport.h"
#include "common/clock.h"

namespace mt::client {

using common::wall_ms;

using common::cat;

TrackerClient::TrackerClient(const std::vector<std::string>& urls, int timeout_ms,
                             common::Logger& log, Transport transport)
    : timeout_ms_(timeout_ms), log_(log), transport_(std::move(transport)) {
    if (!transport_) transport_ = announce_once;
    for (const auto& u : urls) {
        auto p = common::parse_tracker_url(u);
        if (!p) {
            log_.warn(cat("ignoring tracker: ", p.error().message));
            continue;
        }
        parsed_.push_back(*p);
        urls_.push_back(u);
        TrackerStatus s;
        s.url = u;
        status_.push_back(s);
    }
    if (!status_.empty()) status_[0].in_use = true;
}

common::Result<common::AnnounceResponse> TrackerClient::announce(
    const common::AnnounceRequest& req) {
    if (parsed_.empty())
        return common::make_error(common::Errc::not_found, "no usable tracker in the .mtorrent");
    std::size_t start;
    {
        std::lock_guard<std::mutex> lock(mu_);
        start = current_;
    }
    common::Error last;
    for (std::size_t k = 0; k < parsed_.size(); ++k) {
        const std::size_t i = (start + k) % parsed_.size();
        const std::int64_t began = common::mono_ms();
        auto r = transport_(parsed_[i], req, timeout_ms_);
        const std::int64_t took = common::mono_ms() - began;
        std::lock_guard<std::mutex> lock(mu_);
        TrackerStatus& st = status_[i];
        st.last_attempt_ms = wall_ms();
        if (r) {
            st.live = true;
            st.last_ok_ms = wall_ms();
            st.last_error.clear();
            if (current_ != i) {
                log_.warn(cat("tracker failover: now using ", urls_[i], " (", urls_[current_],
                              " failed)"));
                status_[current_].in_use = false;
                current_ = i;
                st.in_use = true;
            }
            return r;
        }
        st.live = false;
        ++st.failures;
        st.last_error = r.error().message;
        last = r.error();
        log_.warn(
            cat("announce to ", urls_[i], " failed after ", took, " ms: ", r.error().message));
    }
    return last;
}

std::vector<TrackerStatus> TrackerClient::status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
}

}  // namespace mt::client
