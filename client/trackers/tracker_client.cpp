#include "client/trackers/tracker_client.h"

#include <chrono>
#include <condition_variable>
#include <optional>

#include "client/trackers/tracker_transport.h"
#include "common/clock.h"

namespace mt::client {

using common::wall_ms;

using common::cat;

TrackerClient::TrackerClient(const std::vector<std::string>& urls, int timeout_ms,
                             common::Logger& log, Transport transport, int hedge_ms)
    : timeout_ms_(timeout_ms), log_(log), transport_(std::move(transport)), hedge_ms_(hedge_ms) {
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

TrackerClient::~TrackerClient() {
    std::vector<Worker> workers;
    {
        common::MutexLock lock(workers_mu_);
        workers.swap(workers_);
    }
    for (auto& w : workers)
        w.thread.join();
}

// One announce() call: the attempts it started and what came back, in the
// order they came back.
struct TrackerClient::Round {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<common::Result<common::AnnounceResponse>>> results;
    std::vector<std::size_t> arrivals;  // slots, in the order their results came
};

void TrackerClient::record(std::size_t i, const common::Result<common::AnnounceResponse>& r,
                           std::int64_t took_ms) {
    common::MutexLock lock(mu_);
    TrackerStatus& st = status_[i];
    st.last_attempt_ms = wall_ms();
    if (r) {
        st.live = true;
        st.last_ok_ms = wall_ms();
        st.last_error.clear();
        return;
    }
    st.live = false;
    ++st.failures;
    st.last_error = r.error().message;
    log_.warn(cat("announce to ", urls_[i], " failed after ", took_ms, " ms: ", r.error().message));
}

void TrackerClient::launch(const std::shared_ptr<Round>& round, std::size_t k, std::size_t i,
                           const common::AnnounceRequest& req) {
    common::MutexLock lock(workers_mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {  // reap the finished ones
        if (it->done->load()) {
            it->thread.join();
            it = workers_.erase(it);
        } else {
            ++it;
        }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([this, round, k, i, req, done] {
                            const std::int64_t began = common::mono_ms();
                            auto r = transport_(parsed_[i], req, timeout_ms_);
                            record(i, r, common::mono_ms() - began);
                            {
                                std::lock_guard<std::mutex> l(round->mu);
                                round->results[k] = std::move(r);
                                round->arrivals.push_back(k);
                                round->cv.notify_all();
                            }
                            done->store(true);
                        }),
                        done});
}

common::Result<common::AnnounceResponse> TrackerClient::announce(
    const common::AnnounceRequest& req) {
    if (parsed_.empty())
        return common::make_error(common::Errc::not_found, "no usable tracker in the .mtorrent");
    const std::size_t n = parsed_.size();
    std::size_t start;
    {
        common::MutexLock lock(mu_);
        start = current_;
    }
    auto round = std::make_shared<Round>();
    round->results.resize(n);
    std::size_t launched = 0, seen = 0, failed = 0;
    common::Error last;
    launch(round, launched++, start, req);
    std::unique_lock<std::mutex> lock(round->mu);
    while (true) {
        // Wait for a result; while trackers are left, only hedge_ms at most.
        const bool more = launched < n;
        auto arrived = [&] { return round->arrivals.size() > seen; };
        if (more) {
            round->cv.wait_for(lock, std::chrono::milliseconds(hedge_ms_), arrived);
        } else {
            round->cv.wait(lock, arrived);
        }
        bool launch_next = more && !arrived();  // silent for hedge_ms: ask the next one too
        while (arrived()) {
            const std::size_t k = round->arrivals[seen++];
            auto& r = *round->results[k];
            const std::size_t i = (start + k) % n;
            if (r) {
                auto out = std::move(r);
                lock.unlock();
                common::MutexLock l(mu_);
                if (current_ != i) {
                    log_.warn(cat("tracker failover: now using ", urls_[i], " (", urls_[current_],
                                  k == 0 ? " answered late)" : " failed or is silent)"));
                    status_[current_].in_use = false;
                    current_ = i;
                    status_[i].in_use = true;
                }
                return out;
            }
            last = r.error();
            ++failed;
            launch_next = launch_next || more;  // a failure: the next one at once
        }
        if (failed == n) return last;
        if (launch_next && launched < n) {
            lock.unlock();
            launch(round, launched, (start + launched) % n, req);
            ++launched;
            lock.lock();
        }
    }
}

std::vector<TrackerStatus> TrackerClient::status() const {
    common::MutexLock lock(mu_);
    return status_;
}

}  // namespace mt::client
