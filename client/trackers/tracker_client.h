// TrackerClient: announces to the trackers of one tier with failover.
//
// The .mtorrent's trackers form one tier (they share their peer lists). The
// client stays with the tracker that answers; on a refused connection or an
// error it switches to the next one at once, within the same announce()
// call. A tracker that neither answers nor fails (hung, or its host gone) is
// not waited out: once it has been silent for `hedge_ms` (500 ms), the next
// tracker is asked as well, and the first answer wins; the slow attempt runs
// on to its timeout (2 s by default, not BEP 15's 15 s) in the background and
// only updates the status. So a dead tracker never pauses a download and
// costs at most hedge_ms. It switches again only on failure. Thread-safe; no
// lock is held while talking to a tracker; the destructor cancels attempts
// still running (common::CancelScope: within 50 ms) and waits for them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/trackers/tracker_rotation.h"
#include "client/trackers/tracker_status.h"
#include "common/log.h"
#include "common/mutex.h"
#include "common/net/socket.h"
#include "common/result.h"
#include "common/tracker_url.h"
#include "common/wire/announce.h"

namespace mt::client {

class TrackerClient {
  public:
    using Transport = std::function<common::Result<common::AnnounceResponse>(
        const common::TrackerUrl&, const common::AnnounceRequest&, int timeout_ms)>;

    // URLs that do not parse are left out with a log line. `transport` is
    // announce_once over `families` (those we listen on) by default (tests
    // pass a fake).
    TrackerClient(const std::vector<std::string>& urls, int timeout_ms, common::Logger& log,
                  Transport transport = {}, int hedge_ms = 500, common::Families families = {});
    ~TrackerClient();
    TrackerClient(const TrackerClient&) = delete;
    TrackerClient& operator=(const TrackerClient&) = delete;

    // Errc::not_found if there is no usable tracker; otherwise the first
    // success, or the last failure when every tracker failed.
    common::Result<common::AnnounceResponse> announce(const common::AnnounceRequest& req);

    std::vector<TrackerStatus> status() const;
    std::size_t size() const { return urls_.size(); }

  private:
    using Usable = std::vector<std::pair<common::TrackerUrl, std::string>>;
    struct FromUsable {};
    TrackerClient(FromUsable, Usable usable, int timeout_ms, common::Logger& log,
                  Transport transport, int hedge_ms, common::Families families);
    static Usable usable(const std::vector<std::string>& urls, common::Logger& log);
    struct Round;
    // Runs one attempt on its own thread; its result goes to `round` slot k.
    void launch(const std::shared_ptr<Round>& round, std::size_t k, std::size_t tracker,
                const common::AnnounceRequest& req);
    // Records an attempt's outcome in the rotation (and logs a failure).
    void record(std::size_t tracker, const common::Result<common::AnnounceResponse>& r,
                std::int64_t took_ms);

    std::vector<common::TrackerUrl> parsed_;
    std::vector<std::string> urls_;
    int timeout_ms_;
    common::Logger& log_;
    Transport transport_;
    TrackerRotation rotation_;
    int hedge_ms_;
    std::atomic<bool> cancel_{false};  // set by the destructor: attempts end (CancelScope)
    common::Mutex workers_mu_;
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Worker> workers_
        GUARDED_BY(workers_mu_);  // attempts; finished ones are joined at the next launch
};

}  // namespace mt::client
