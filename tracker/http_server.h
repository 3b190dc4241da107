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
// Listens on one or more sockets (an IPv4 and an IPv6 address, say).
//
// Bounds: max_per_address connections from one address (an IPv6 one
// counted by its /64; a newcomer
// over it is accepted and closed at once); max_connections open at once: at
// that limit a newcomer gets in only by evicting the least recently active
// connection of the address holding the most (if that holds more than the
// newcomer's), else it is closed. A newcomer from the partner tracker's
// address (partner_ip) that either limit would refuse takes one of a few
// reserved slots instead, kept only if it starts with the replication magic
// within reserved_timeout_ms: the link always gets in, the partner's host
// gets no more HTTP service than any other. Refusals are logged at most
// every 10 s. Out of descriptors (EMFILE/ENFILE), a loop gives
// up a spare descriptor it keeps to accept the newcomer and apply the same
// rule, then takes the spare back; if it cannot, it stops accepting for
// 100 ms instead of spinning on a listener that stays readable.
// Request header and body limits in the parser; max pending replies per
// connection. The replication link's handshake deadline starts at accept.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/net/fd.h"
#include "tracker/change_log.h"
#include "tracker/conn_limits.h"
#include "tracker/replicator.h"
#include "tracker/service.h"

namespace mt::tracker {

struct HttpServerOptions {
    unsigned threads = 2;
    std::size_t max_connections = 4096;
    std::size_t max_per_address = 64;
    std::optional<common::IpAddr> partner_ip;  // nullopt = unknown
    int reserved_timeout_ms = 3000;            // a reserved slot must show the link's magic by then
    int request_timeout_ms = 5000;             // from the first byte of a request to its end
    int idle_timeout_ms = 30000;               // keep-alive connections with nothing to do
    std::size_t max_body_bytes = kMaxMetainfoBytes;
};

class HttpServer {
  public:
    HttpServer(std::vector<common::Fd> listeners, HttpServerOptions options,
               TrackerService& service, ChangeLog& changelog, Replicator& replicator,
               common::Logger& log);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    void start();
    void stop();
    std::size_t open_connections() const { return open_.load(); }

  private:
    struct Loop;
    std::vector<common::Fd> listeners_;
    HttpServerOptions opt_;
    TrackerService& service_;
    ChangeLog& changelog_;
    Replicator& replicator_;
    common::Logger& log_;
    std::atomic<std::size_t> open_{0};
    AddressCounter per_address_;
    std::atomic<std::size_t> reserved_{0};  // partner connections over the limits
    enum class Limit { total, per_address, descriptors };
    std::atomic<std::int64_t> last_limit_log_[3] = {};
    std::vector<std::unique_ptr<Loop>> loops_;
    friend struct Loop;
};

}  // namespace mt::tracker
