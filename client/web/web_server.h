// The web interface's HTTP/1.1 server: one thread, poll() over the
// listening socket, a wake-up pipe and at most kMaxConnections connections.
// Every connection has its own incremental parser (common/wire/http.h,
// headers <= 8 KiB, bodies <= kMaxBodyBytes), one response in flight (no
// more requests are read while it drains), and is closed after
// kIdleTimeoutMs without progress. Requests are answered by a WebRouter on
// this thread, one at a time (a long command, such as share hashing a big
// file, holds the others).
//
// Event streams (GET /api/events, web_events.h): a response the router marks
// `stream` turns its connection into a stream: no more requests are read
// from it (what the client sends is discarded), it has no idle timeout, and
// every Limits::stream_update_ms the server asks the router for the change
// since the stream's rid and writes it. At most Limits::max_streams are open
// (the router answers the next with 503); a stream whose client does not
// read, so that more than Limits::max_stream_pending bytes wait to be sent,
// is closed (StreamEnd::too_slow). stop() closes them all.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/web/web_events.h"
#include "client/web/web_router.h"
#include "common/log.h"
#include "common/net/fd.h"
#include "common/net/socket.h"

namespace mt::client::web {

// Why an event stream ended, counted and logged once.
enum class StreamEnd { client_gone, too_slow, stopped };

class WebServer {
  public:
    static constexpr std::size_t kMaxConnections = 32;
    static constexpr std::size_t kMaxBodyBytes = 4 * 1024 * 1024;
    static constexpr std::int64_t kIdleTimeoutMs = 30'000;

    struct Limits {
        std::size_t max_streams = 8;
        std::size_t max_stream_pending = 1024 * 1024;  // bytes not yet taken by the client
        std::int64_t stream_update_ms = EventStream::kUpdateMs;
    };

    explicit WebServer(common::Logger& log) : WebServer(log, Limits{}) {}
    WebServer(common::Logger& log, Limits limits) : log_(log), limits_(limits) {}
    ~WebServer() { stop(); }
    WebServer(const WebServer&) = delete;
    WebServer& operator=(const WebServer&) = delete;

    // Binds `where` (port 0: any); returns the port. Errors: the address
    // cannot be bound.
    common::Result<std::uint16_t> listen(const common::Endpoint& where);
    // Serves with `router` (it must outlive stop()) on a new thread.
    common::Status start(WebRouter& router);
    // Wakes the thread, closes every connection, joins. Idempotent.
    void stop();

    // Event streams open now, and ended for each reason (StreamEnd) so far.
    std::size_t open_streams() const { return open_streams_; }
    std::uint64_t streams_ended(StreamEnd why) const { return ended_[static_cast<int>(why)]; }

    struct Conn;  // one connection (web_server.cpp)

  private:
    void loop(WebRouter& router);
    void accept_new(std::vector<std::unique_ptr<Conn>>& conns, std::int64_t now);
    // Serves one connection after poll(); false: close it.
    bool serve(Conn& c, short revents, WebRouter& router, std::int64_t now);
    // Reads what is there (and answers it); false: the connection is over.
    bool read_some(Conn& c, WebRouter& router, std::int64_t now);
    // Answers every complete request in the parser, stopping at the first
    // that ends the connection or turns it into a stream.
    void answer(Conn& c, WebRouter& router, std::int64_t now);
    // Writes a stream's update if one is due; false: close it (too slow).
    bool update_stream(Conn& c, WebRouter& router, std::int64_t now);
    void stream_ended(const Conn& c, StreamEnd why);
    int poll_timeout_ms(const std::vector<std::unique_ptr<Conn>>& conns, std::int64_t now) const;

    common::Logger& log_;
    const Limits limits_;
    std::atomic<std::size_t> open_streams_{0};
    std::atomic<std::uint64_t> ended_[3] = {};
    common::Fd listen_fd_;
    common::Fd wake_read_, wake_write_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace mt::client::web
