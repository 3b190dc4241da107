#include "client/web/web_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
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
    std::optional<EventStream> stream;  // set once this connection is an event stream

    Conn(common::Fd f, std::string p, std::int64_t now)
        : fd(std::move(f)),
          peer(std::move(p)),
          parser(HttpRequestParser::Limits{8 * 1024, 64, WebServer::kMaxBodyBytes}),
          last_ms(now) {}
    bool draining() const { return sent < out.size(); }
    std::size_t pending() const { return out.size() - sent; }
};

namespace {

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

const char* end_name(StreamEnd why) {
    switch (why) {
        case StreamEnd::client_gone:
            return "the client closed it";
        case StreamEnd::too_slow:
            return "the client stopped reading";
        case StreamEnd::stopped:
            return "the web interface stopped";
    }
    return "?";
}

}  // namespace

void WebServer::answer(Conn& c, WebRouter& router, std::int64_t now) {
    while (!c.closing && !c.stream) {
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
        WebResponse r = router.handle(req, c.peer, now, open_streams_ < limits_.max_streams);
        if (r.stream) {
            c.out += sse_head(r.status, r.content_type, r.headers) + r.body;
            c.stream.emplace(r.stream_rid, now, limits_.stream_update_ms);
            ++open_streams_;
            return;
        }
        const bool keep = req.keep_alive();
        c.out += common::wire::http_response(r.status, r.content_type, r.body, keep, r.headers);
        if (!keep) c.closing = true;
    }
}

bool WebServer::read_some(Conn& c, WebRouter& router, std::int64_t now) {
    char buf[16384];
    for (int i = 0; i < 64; ++i) {  // at most 1 MiB a turn, then the others
        const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
        if (n > 0) {
            if (c.stream) continue;  // a stream takes no more requests: discarded
            c.parser.feed(std::string_view(buf, static_cast<std::size_t>(n)));
            answer(c, router, now);
            if (c.draining() || c.closing) return true;
            continue;
        }
        if (n == 0) return false;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    return true;
}

bool WebServer::serve(Conn& c, short ev, WebRouter& router, std::int64_t now) {
    bool alive = true;
    if (ev & (POLLIN | POLLHUP | POLLERR)) {
        alive = read_some(c, router, now);
        c.last_ms = now;
    }
    if (alive && c.draining()) {
        alive = write_some(c);
        c.last_ms = now;
        if (alive && !c.draining()) answer(c, router, now);  // pipelined requests
    } else if (alive && c.closing) {
        alive = false;
    }
    if (alive && c.stream) return update_stream(c, router, now);  // no idle timeout
    return alive && now - c.last_ms <= kIdleTimeoutMs;
}

bool WebServer::update_stream(Conn& c, WebRouter& router, std::int64_t now) {
    if (now < c.stream->next_ms()) return true;
    const std::string bytes = c.stream->tick(router.stream_update(c.stream->rid(), now), now);
    if (bytes.empty()) return true;
    // A client that took everything gets the next event whatever its size.
    if (c.pending() > 0 && c.pending() + bytes.size() > limits_.max_stream_pending) {
        stream_ended(c, StreamEnd::too_slow);
        c.stream.reset();
        return false;
    }
    c.out.erase(0, c.sent);
    c.sent = 0;
    c.out += bytes;
    return write_some(c);
}

void WebServer::stream_ended(const Conn& c, StreamEnd why) {
    --open_streams_;
    ++ended_[static_cast<int>(why)];
    const std::string m = cat("web: event stream of ", c.peer, " closed: ", end_name(why), " (",
                              c.pending(), " bytes unsent)");
    if (why == StreamEnd::too_slow)
        log_.info(m);
    else
        log_.debug(m);
}

int WebServer::poll_timeout_ms(const std::vector<std::unique_ptr<Conn>>& conns,
                               std::int64_t now) const {
    std::int64_t wait = 1000;
    for (const auto& c : conns)
        if (c->stream) wait = std::min(wait, c->stream->next_ms() - now);
    return static_cast<int>(std::max<std::int64_t>(wait, 0));
}

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
        for (const auto& c : conns) {
            short want = c->draining() ? POLLOUT : POLLIN;
            if (c->stream) want |= POLLIN;  // to see the client go
            fds.push_back({c->fd.get(), want, 0});
        }
        const int timeout = poll_timeout_ms(conns, common::mono_ms());
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
            log_.error(cat("web: poll failed: ", std::strerror(errno)));
            break;
        }
        const std::int64_t now = common::mono_ms();
        for (std::size_t i = 0; i < conns.size(); ++i) {
            Conn& c = *conns[i];
            if (serve(c, fds[i + 2].revents, router, now)) continue;
            if (c.stream) stream_ended(c, StreamEnd::client_gone);
            conns[i].reset();
        }
        std::erase(conns, nullptr);
        if (fds[1].revents & POLLIN) accept_new(conns, now);
    }
    for (const auto& c : conns)
        if (c->stream) stream_ended(*c, StreamEnd::stopped);
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
