#include "client/web/web_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "client/web/web_json.h"
#include "common/clock.h"

namespace mt::client::web {

using common::cat;

using common::wire::HttpRequest;
using common::wire::HttpRequestParser;

struct WebServer::Conn {
    common::Fd fd;
    std::string peer;  // the address, for the login throttle
    HttpRequestParser parser;
    std::string out;
    std::size_t sent = 0;
    bool closing = false;  // close once `out` is sent
    std::int64_t last_ms = 0;

    Conn(common::Fd f, std::string p, std::int64_t now)
        : fd(std::move(f)),
          peer(std::move(p)),
          parser(HttpRequestParser::Limits{8 * 1024, 64, WebServer::kMaxBodyBytes}),
          last_ms(now) {}
    bool draining() const { return sent < out.size(); }
};

namespace {

// Answers every complete request in the parser, stopping at the first that
// ends the connection.
void answer(WebServer::Conn& c, WebRouter& router) {
    while (!c.closing) {
        auto step = c.parser.next();
        if (std::holds_alternative<common::wire::NeedMore>(step)) return;
        if (auto* e = std::get_if<common::wire::HttpError>(&step)) {
            c.out += common::wire::http_response(e->status, "application/json",
                                                 error_json("BAD_REQUEST", e->error.message), false,
                                                 {{"X-Content-Type-Options", "nosniff"}});
            c.closing = true;
            return;
        }
        const HttpRequest& req = std::get<HttpRequest>(step);
        WebResponse r = router.handle(req, c.peer, common::mono_ms());
        const bool keep = req.keep_alive();
        c.out += common::wire::http_response(r.status, r.content_type, r.body, keep, r.headers);
        if (!keep) c.closing = true;
    }
}

// Reads what is there; false: the connection is over (EOF or error).
bool read_some(WebServer::Conn& c, WebRouter& router) {
    char buf[16384];
    for (int i = 0; i < 64; ++i) {  // at most 1 MiB a turn, then the others
        const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
        if (n > 0) {
            c.parser.feed(std::string_view(buf, static_cast<std::size_t>(n)));
            answer(c, router);
            if (c.draining() || c.closing) return true;
            continue;
        }
        if (n == 0) return false;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    return true;
}

// Sends what it can; false: the connection is over.
bool write_some(WebServer::Conn& c) {
    while (c.draining()) {
        const ssize_t n =
            ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += static_cast<std::size_t>(n);
            continue;
        }
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
    c.out.clear();
    c.sent = 0;
    return !c.closing;
}

}  // namespace

common::Result<std::uint16_t> WebServer::listen(const common::Endpoint& where) {
    auto fd = common::tcp_listen(where, 64);
    if (!fd) return fd.error();
    listen_fd_ = std::move(fd).value();
    if (auto s = common::set_nonblocking(listen_fd_.get(), true); !s) return s.error();
    return common::local_port(listen_fd_.get());
}

common::Status WebServer::start(WebRouter& router) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return common::errno_error("pipe", errno);
    wake_read_.reset(p[0]);
    wake_write_.reset(p[1]);
    thread_ = std::thread([this, &router] { loop(router); });
    return {};
}

void WebServer::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    const char b = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_write_.get(), &b, 1);
    thread_.join();
}

void WebServer::loop(WebRouter& router) {
    std::vector<std::unique_ptr<Conn>> conns;
    std::vector<pollfd> fds;
    while (!stopping_) {
        fds.assign({{wake_read_.get(), POLLIN, 0}, {listen_fd_.get(), POLLIN, 0}});
        for (const auto& c : conns)
            fds.push_back({c->fd.get(), static_cast<short>(c->draining() ? POLLOUT : POLLIN), 0});
        if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) {
            log_.error(cat("web: poll failed: ", std::strerror(errno)));
            return;
        }
        const std::int64_t now = common::mono_ms();
        for (std::size_t i = 0; i < conns.size(); ++i) {
            Conn& c = *conns[i];
            const short ev = fds[i + 2].revents;
            bool alive = true;
            if (ev & (POLLIN | POLLHUP | POLLERR)) {
                alive = read_some(c, router);
                c.last_ms = now;
            }
            if (alive && c.draining()) {
                alive = write_some(c);
                c.last_ms = now;
                if (alive && !c.draining()) answer(c, router);  // pipelined requests
            } else if (alive && c.closing) {
                alive = false;
            }
            if (now - c.last_ms > kIdleTimeoutMs) alive = false;
            if (!alive) conns[i].reset();
        }
        std::erase(conns, nullptr);
        if (fds[1].revents & POLLIN) accept_new(conns, now);
    }
}

void WebServer::accept_new(std::vector<std::unique_ptr<Conn>>& conns, std::int64_t now) {
    for (int i = 0; i < 16; ++i) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        common::Fd fd(::accept4(listen_fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                                SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd.valid()) return;
        if (conns.size() >= kMaxConnections) continue;  // closed at once: a browser retries
        const std::string peer = common::SockAddr::from_raw(ss, len).ip().to_string();
        conns.push_back(std::make_unique<Conn>(std::move(fd), peer, now));
    }
}

}  // namespace mt::client::web
