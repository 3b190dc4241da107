// The web interface's HTTP/1.1 server: one thread, poll() over the
// listening socket, a wake-up pipe and at most kMaxConnections connections.
// Every connection has its own incremental parser (common/wire/http.h,
// headers <= 8 KiB, bodies <= kMaxBodyBytes), one response in flight (no
// more requests are read while it drains), and is closed after
// kIdleTimeoutMs without progress. Requests are answered by a WebRouter on
// this thread, one at a time (a long command, such as share hashing a big
// file, holds the others).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/web/web_router.h"
#include "common/log.h"
#include "common/net/fd.h"
#include "common/net/socket.h"

namespace mt::client::web {

class WebServer {
  public:
    static constexpr std::size_t kMaxConnections = 32;
    static constexpr std::size_t kMaxBodyBytes = 4 * 1024 * 1024;
    static constexpr std::int64_t kIdleTimeoutMs = 30'000;

    explicit WebServer(common::Logger& log) : log_(log) {}
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

    struct Conn;  // one connection (web_server.cpp)

  private:
    void loop(WebRouter& router);
    void accept_new(std::vector<std::unique_ptr<Conn>>& conns, std::int64_t now);

    common::Logger& log_;
    common::Fd listen_fd_;
    common::Fd wake_read_, wake_write_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace mt::client::web
