#include "client/trackers/tracker_client.h"

#include <chrono>
#include <condition_variable>
#include <optional>

#include "client/trackers/tracker_transport.h"
#include "common/clock.h"
#include "common/net/socket.h"

namespace mt::client {

using common::wall_ms;

using common::cat;

TrackerClient::Usable TrackerClient::usable(const std::vector<std::string>& urls,
                                            common::Logger& log) {
    Usable out;
    for (const auto& u : urls) {
        auto p = common::parse_tracker_url(u);
        if (!p) {
            log.warn(cat("ignoring tracker: ", p.error().message));
            continue;
        }
        out.emplace_back(*p, u);
    }
    return out;
}

TrackerClient::TrackerClient(const std::vector<std::string>& urls, int timeout_ms,
                             common::Logger& log, Transport transport, int hedge_ms,
                             common::Families families)
    : TrackerClient(FromUsable{}, usable(urls, log), timeout_ms, log, std::move(transport),
                    hedge_ms, families) {}

TrackerClient::TrackerClient(FromUsable, Usable usable, int timeout_ms, common::Logger& log,
                             Transport transport, int hedge_ms, common::Families families)
    : parsed_([&] {
          std::vector<common::TrackerUrl> p;
          for (auto& [url, text] : usable)
              p.push_back(url);
          return p;
      }()),
      urls_([&] {
          std::vector<std::string> u;
          for (auto& [url, text] : usable)
              u.push_back(text);
          return u;
      }()),
      timeout_ms_(timeout_ms),
      log_(log),
      transport_(transport ? std::move(transport)
                           : Transport([families](const common::TrackerUrl& url,
                                                  const common::AnnounceRequest& req, int t) {
                                 return announce_once(url, req, t, families);
                             })),
      rotation_(urls_, log),
      hedge_ms_(hedge_ms) {}

TrackerClient::~TrackerClient() {
    // Attempts still running (a silent tracker's) end now, not at their
    // timeout: a finished download's process exits promptly.
    cancel_.store(true);
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
    if (r) {
        rotation_.succeeded(i, wall_ms());
        return;
    }
    rotation_.failed(i, wall_ms(), r.error().message);
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
                            // Ended early (cancelled) when the client goes.
                            const common::CancelScope scope(&cancel_);
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
    const std::size_t start = rotation_.current();
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
                rotation_.make_current(i, "failed or is silent");
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
    return rotation_.status();
}

}  // namespace mt::client
