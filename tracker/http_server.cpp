#include "tracker/http_server.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <deque>
#include <unordered_map>

#include "common/clock.h"
#include "common/net/socket.h"
#include "common/wire/http.h"
#include "tracker/repl_protocol.h"

namespace mt::tracker {

using common::mono_ms;

using common::cat;
using common::Fd;
using namespace common::wire;

namespace {

constexpr std::size_t kMaxQueuedReplies = 64;
// Unsent reply bytes above which a connection is not read (nor its buffered
// requests parsed) until the client takes its replies: a client that
// pipelines without reading must not grow the tracker's memory.
constexpr std::size_t kMaxUnsentBytes = 1u << 20;

struct Conn {
    Fd fd;
    std::uint32_t peer_ip = 0;
    std::string peer_text;
    HttpRequestParser parser;
    std::string head;  // first bytes, until we know it is not the replication link
    bool decided = false;
    std::deque<Reply> replies;
    std::string out;
    std::size_t out_off = 0;
    std::int64_t request_started = 0;  // 0: no partial request buffered
    std::int64_t last_activity = 0;
    bool closing = false;                         // close once `out` is written
    bool read_closed = false;                     // the peer sent EOF
    std::uint32_t events = EPOLLIN | EPOLLRDHUP;  // registered with epoll

    bool backlogged() const {
        return replies.size() >= kMaxQueuedReplies || out.size() - out_off >= kMaxUnsentBytes;
    }

    explicit Conn(HttpRequestParser::Limits limits) : parser(limits) {}
};

}  // namespace

struct HttpServer::Loop {
    HttpServer& s;
    Fd ep{::epoll_create1(EPOLL_CLOEXEC)};
    Fd wake{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
    std::atomic<bool> stopping{false};
    std::thread thread;
    std::unordered_map<int, std::unique_ptr<Conn>> conns;

    explicit Loop(HttpServer& server) : s(server) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;
        ev.data.fd = s.listener_.get();
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, s.listener_.get(), &ev);
        epoll_event w{};
        w.events = EPOLLIN;
        w.data.fd = wake.get();
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, wake.get(), &w);
    }

    void poke() {
        const std::uint64_t one = 1;
        (void)!::write(wake.get(), &one, sizeof one);
    }

    void run() {
        epoll_event events[256];
        std::int64_t last_sweep = mono_ms();
        while (!stopping.load()) {
            const int n = ::epoll_wait(ep.get(), events, 256, 200);
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == s.listener_.get()) {
                    accept_all();
                } else if (fd == wake.get()) {
                    std::uint64_t v;
                    (void)!::read(wake.get(), &v, sizeof v);
                    pump_all();
                } else {
                    auto it = conns.find(fd);
                    if (it == conns.end()) continue;
                    Conn& c = *it->second;
                    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
                        on_readable(c);
                    if (conns.count(fd) && (events[i].events & EPOLLOUT)) pump(c);
                }
            }
            const std::int64_t now = mono_ms();
            if (now - last_sweep >= 200) {
                last_sweep = now;
                sweep(now);
            }
        }
        s.open_.fetch_sub(conns.size());
        conns.clear();
    }

    void accept_all() {
        while (true) {
            sockaddr_in addr{};
            socklen_t len = sizeof addr;
            const int fd = ::accept4(s.listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR) continue;
                if (errno == EMFILE || errno == ENFILE) limit_log("out of file descriptors");
                return;  // EAGAIN: another loop took it, or nothing left
            }
            Fd owned(fd);
            if (s.open_.load() >= s.opt_.max_connections) {
                limit_log(cat("connection limit of ", s.opt_.max_connections, " reached"));
                continue;  // closes it
            }
            (void)common::set_nodelay(fd);
            HttpRequestParser::Limits limits;
            limits.max_body_bytes = s.opt_.max_body_bytes;
            auto c = std::make_unique<Conn>(limits);
            c->fd = std::move(owned);
            c->peer_ip = ntohl(addr.sin_addr.s_addr);
            c->peer_text = common::to_string(addr);
            c->last_activity = mono_ms();
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.fd = fd;
            if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;
            s.open_.fetch_add(1);
            conns.emplace(fd, std::move(c));
        }
    }

    void limit_log(const std::string& what) {
        const std::int64_t now = mono_ms();
        std::int64_t last = s.last_limit_log_.load();
        if (now - last > 10000 && s.last_limit_log_.compare_exchange_strong(last, now))
            s.log_.warn(cat(what, ": refusing new connections"));
    }

    void close_conn(Conn& c) {
        const int fd = c.fd.get();
        ::epoll_ctl(ep.get(), EPOLL_CTL_DEL, fd, nullptr);
        s.open_.fetch_sub(1);
        conns.erase(fd);  // closes the descriptor
    }

    void on_readable(Conn& c) {
        char buf[16384];
        for (int rounds = 0; rounds < 16; ++rounds) {
            const ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
            if (n > 0) {
                c.last_activity = mono_ms();
                if (!c.decided) {
                    c.head.append(buf, static_cast<std::size_t>(n));
                    const std::size_t k = std::min(c.head.size(), repl::kMagic.size());
                    if (c.head.compare(0, k, repl::kMagic.substr(0, k)) == 0) {
                        if (c.head.size() < repl::kMagic.size()) {
                            // Part of the magic: the request deadline applies here too.
                            if (c.request_started == 0) c.request_started = mono_ms();
                            continue;
                        }
                        return hand_to_replicator(c);
                    }
                    c.decided = true;
                    feed(c, c.head);
                    c.head.clear();
                    c.head.shrink_to_fit();
                } else {
                    feed(c, std::string_view(buf, static_cast<std::size_t>(n)));
                }
                if (c.closing) break;
                continue;
            }
            if (n == 0) {
                c.read_closed = true;
                update_events(c);
                break;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return close_conn(c);  // reset
        }
        process(c);
        if (conns.count(c.fd.get())) pump(c);
    }

    void feed(Conn& c, std::string_view bytes) {
        if (c.request_started == 0) c.request_started = mono_ms();
        c.parser.feed(bytes);
    }

    void process(Conn& c) {
        if (!c.decided) return;  // still reading the first bytes (maybe the replication magic)
        bool need_more = false;
        while (!c.closing && !c.backlogged()) {
            auto step = c.parser.next();
            if (std::holds_alternative<NeedMore>(step)) {
                need_more = true;
                break;
            }
            if (auto* e = std::get_if<HttpError>(&step)) {
                c.replies.push_back(
                    s.service_.http_error(e->status, e->error.message, c.peer_text));
                c.closing = true;
                break;
            }
            auto& req = std::get<HttpRequest>(step);
            Reply r = s.service_.handle_http(req, c.peer_ip, c.peer_text);
            const bool close = r.close;
            c.replies.push_back(std::move(r));
            if (close) c.closing = true;
        }
        // The request timer runs only while we wait for the client; requests we
        // hold back because it does not take its replies do not count.
        if (!need_more || c.parser.buffered() == 0)
            c.request_started = 0;
        else if (c.request_started == 0)
            c.request_started = mono_ms();
    }

    // Moves durable replies into the output buffer, writes what it can and
    // parses buffered requests while there is room; then sets the epoll
    // interest (no reading while backlogged, writing while output is pending).
    void pump(Conn& c) {
        while (true) {
            const std::uint64_t durable = s.changelog_.durable_ticket();
            while (!c.replies.empty() && c.replies.front().ticket <= durable) {
                c.out += c.replies.front().bytes;
                const bool last = c.replies.front().close;
                c.replies.pop_front();
                if (last) {
                    c.replies.clear();
                    break;
                }
            }
            while (c.out_off < c.out.size()) {
                const ssize_t w = ::send(c.fd.get(), c.out.data() + c.out_off,
                                         c.out.size() - c.out_off, MSG_NOSIGNAL);
                if (w > 0) {
                    c.out_off += static_cast<std::size_t>(w);
                    c.last_activity = mono_ms();
                    continue;
                }
                if (w < 0 && errno == EINTR) continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                return close_conn(c);
            }
            if (c.out_off == c.out.size()) {
                c.out.clear();
                c.out_off = 0;
            }
            if (c.out.empty() && c.replies.empty() && (c.closing || c.read_closed))
                return close_conn(c);
            // Room again: parse what is buffered.
            if (c.closing || c.backlogged() || c.parser.buffered() == 0) break;
            const std::size_t before = c.replies.size();
            process(c);
            if (c.replies.size() == before) break;
        }
        update_events(c);
    }

    // Level-triggered interest: reads until EOF unless backlogged, writes while
    // output is pending.
    void update_events(Conn& c) {
        const std::uint32_t want =
            (c.read_closed || c.backlogged() ? 0u
                                             : static_cast<std::uint32_t>(EPOLLIN | EPOLLRDHUP)) |
            (c.out.empty() ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
        if (want == c.events) return;
        c.events = want;
        epoll_event ev{};
        ev.events = want;
        ev.data.fd = c.fd.get();
        ::epoll_ctl(ep.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
    }

    void pump_all() {
        std::vector<int> waiting;
        for (auto& [fd, c] : conns)
            if (!c->replies.empty()) waiting.push_back(fd);
        for (int fd : waiting) {
            auto it = conns.find(fd);
            if (it != conns.end()) pump(*it->second);
        }
    }

    void sweep(std::int64_t now) {
        std::vector<int> expired, slow;
        for (auto& [fd, c] : conns) {
            if (c->request_started && now - c->request_started > s.opt_.request_timeout_ms &&
                c->replies.empty() && !c->backlogged())
                slow.push_back(fd);
            else if (c->replies.empty() && now - c->last_activity > s.opt_.idle_timeout_ms)
                // idle, or its unsent replies made no progress (it stopped reading)
                expired.push_back(fd);
        }
        for (int fd : slow) {
            Conn& c = *conns[fd];
            c.replies.push_back(
                s.service_.http_error(408, "request not received in time", c.peer_text));
            c.closing = true;
            pump(c);
        }
        for (int fd : expired) {
            auto it = conns.find(fd);
            if (it != conns.end()) close_conn(*it->second);
        }
        pump_all();  // in case a wake-up was missed
    }

    void hand_to_replicator(Conn& c) {
        const int fd = c.fd.get();
        ::epoll_ctl(ep.get(), EPOLL_CTL_DEL, fd, nullptr);
        s.open_.fetch_sub(1);
        Fd owned = std::move(c.fd);
        std::string head = std::move(c.head);
        std::string peer = c.peer_text;
        conns.erase(fd);
        (void)common::set_nonblocking(owned.get(), false);
        s.replicator_.accept(std::move(owned), std::move(head), peer);
    }
};

HttpServer::HttpServer(Fd listener, HttpServerOptions options, TrackerService& service,
                       ChangeLog& changelog, Replicator& replicator, common::Logger& log)
    : listener_(std::move(listener)),
      opt_(options),
      service_(service),
      changelog_(changelog),
      replicator_(replicator),
      log_(log) {
    (void)common::set_nonblocking(listener_.get(), true);
    for (unsigned i = 0; i < std::max(1u, opt_.threads); ++i)
        loops_.push_back(std::make_unique<Loop>(*this));
    changelog_.add_listener([this] {
        for (auto& l : loops_)
            l->poke();
    });
}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::start() {
    for (auto& l : loops_)
        l->thread = std::thread([loop = l.get()] { loop->run(); });
}

void HttpServer::stop() {
    for (auto& l : loops_) {
        l->stopping = true;
        l->poke();
    }
    for (auto& l : loops_)
        if (l->thread.joinable()) l->thread.join();
}

}  // namespace mt::tracker
