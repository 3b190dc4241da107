// HttpServer: the tracker's TCP front end.
//
// A few event-loop threads (epoll, edge-free level-triggered), each owning its
// connections; the listening socket sits in every loop with EPOLLEXCLUSIVE so
// one loop takes each new connection. Per connection: an incremental request
// parser with size limits, keep-alive and pipelining (replies leave in request
// order), and a deadline for a request to arrive whole (slowloris) and for an
// idle keep-alive connection. A reply whose ticket is not yet durable waits in
// the connection's queue; the ChangeLog wakes the loops after every flush.
//
// A connection whose first 8 bytes are the replication magic is handed to the
// Replicator (it leaves the loop and becomes blocking).
//
// Bounds: max_connections open at once (further ones are accepted and closed
// at once, logged at most every 10 s); request header and body limits in the
// parser; max pending replies per connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/net/fd.h"
#include "tracker/change_log.h"
#include "tracker/replicator.h"
#include "tracker/service.h"

namespace mt::tracker {

struct HttpServerOptions {
    unsigned threads = 2;
    std::size_t max_connections = 4096;
    int request_timeout_ms = 5000;  // from the first byte of a request to its end
    int idle_timeout_ms = 30000;    // keep-alive connections with nothing to do
    std::size_t max_body_bytes = kMaxMetainfoBytes;
};

class HttpServer {
  public:
    HttpServer(common::Fd listener, HttpServerOptions options, TrackerService& service,
               ChangeLog& changelog, Replicator& replicator, common::Logger& log);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    void start();
    void stop();
    std::size_t open_connections() const { return open_.load(); }

  private:
    struct Loop;
    common::Fd listener_;
    HttpServerOptions opt_;
    TrackerService& service_;
    ChangeLog& changelog_;
    Replicator& replicator_;
    common::Logger& log_;
    std::atomic<std::size_t> open_{0};
    std::atomic<std::int64_t> last_limit_log_{0};
    std::vector<std::unique_ptr<Loop>> loops_;
    friend struct Loop;
};

}  // namespace mt::tracker
