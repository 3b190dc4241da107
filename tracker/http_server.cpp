#include "tracker/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
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
// Connections from the partner's address admitted over the limits.
constexpr std::size_t kPartnerReserve = 4;
// Unsent reply bytes above which a connection is not read (nor its buffered
// requests parsed) until the client takes its replies: a client that
// pipelines without reading must not grow the tracker's memory.
constexpr std::size_t kMaxUnsentBytes = 1u << 20;

struct Conn {
    Fd fd;
    common::IpAddr peer_ip;
    std::string peer_text;
    HttpRequestParser parser;
    std::string head;  // first bytes, until we know it is not the replication link
    bool decided = false;
    std::deque<Reply> replies;
    std::string out;
    std::size_t out_off = 0;
    std::int64_t accepted = 0;         // mono_ms
    std::int64_t request_started = 0;  // 0: no partial request buffered
    std::int64_t last_activity = 0;
    bool closing = false;      // close once `out` is written
    bool read_closed = false;  // the peer sent EOF
    // Admitted over a limit because it comes from the partner's address: it
    // must be the replication link (its magic within reserved_timeout_ms of
    // accept) or it is closed; it is not counted per address nor evicted.
    bool reserved = false;
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
    // Given up to accept a newcomer when descriptors run out (see accept_all).
    Fd spare{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    std::int64_t paused_until = 0;  // mono_ms; 0: the listener is in the epoll set

    explicit Loop(HttpServer& server) : s(server) {
        listen(true);
        epoll_event w{};
        w.events = EPOLLIN;
        w.data.fd = wake.get();
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, wake.get(), &w);
    }

    void listen(bool on) {
        for (const Fd& l : s.listeners_) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLEXCLUSIVE;
            ev.data.fd = l.get();
            ::epoll_ctl(ep.get(), on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, l.get(), &ev);
        }
    }

    bool is_listener(int fd) const {
        for (const Fd& l : s.listeners_)
            if (l.get() == fd) return true;
        return false;
    }

    void poke() {
        const std::uint64_t one = 1;
        (void)!::write(wake.get(), &one, sizeof one);
    }

    void run() {
        epoll_event events[256];
        std::int64_t last_sweep = mono_ms();
        while (!stopping.load()) {
            const int n = ::epoll_wait(ep.get(), events, 256, paused_until ? 50 : 200);
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (is_listener(fd)) {
                    accept_all(fd);
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
            if (paused_until && now >= paused_until) {
                paused_until = 0;
                listen(true);
            }
            if (now - last_sweep >= 200) {
                last_sweep = now;
                sweep(now);
            }
        }
        s.open_.fetch_sub(conns.size());
        for (auto& [fd, c] : conns)
            release(*c);
        conns.clear();
    }

    // Bounded per wake-up so that a flood of connects cannot starve the
    // connections this loop serves (the listener stays readable).
    void accept_all(int listener) {
        for (int taken = 0; taken < 128; ++taken) {
            sockaddr_storage addr{};
            socklen_t len = sizeof addr;
            const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&addr), &len,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                admit(Fd(fd), common::SockAddr::from_raw(addr, len), false);
                continue;
            }
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) return out_of_descriptors(listener);
            return;  // EAGAIN: another loop took it, or nothing left
        }
    }

    // The libev/nginx way: close the spare descriptor, take the newcomer with
    // it and admit it only if a connection can be evicted for it, reopen the
    // spare. Without a spare (another thread took the descriptor) stop
    // accepting for a while: the listener stays readable and would spin us.
    void out_of_descriptors(int listener) {
        limit_log(Limit::descriptors, "out of file descriptors");
        if (spare.valid()) {
            spare.reset();
            sockaddr_storage addr{};
            socklen_t len = sizeof addr;
            const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&addr), &len,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) admit(Fd(fd), common::SockAddr::from_raw(addr, len), true);
            spare = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
            if (spare.valid()) return;  // more waiting: the next epoll_wait says so
        }
        if (!paused_until) {
            listen(false);
            paused_until = mono_ms() + 100;
        }
    }

    // A new connection: refused if its address is at its cap; at the global
    // limit (or out of descriptors: `full`) it needs a victim to get in. One
    // from the partner's address that would be refused takes a reserved
    // slot instead, kept only for the replication link (see Conn::reserved).
    void admit(Fd owned, const common::SockAddr& addr, bool full) {
        const common::IpAddr ip = addr.ip();
        bool counted = s.per_address_.try_add(ip);
        bool ok = counted;
        if (!counted) {
            limit_log(Limit::per_address,
                      cat("a source address reached the limit of ", s.opt_.max_per_address,
                          " connections (", common::to_string(addr), ")"));
        } else if (!take_slot(ip, full)) {
            limit_log(Limit::total,
                      cat("connection limit of ", s.opt_.max_connections, " reached"));
            ok = false;
        }
        bool reserved = false;
        if (!ok && s.opt_.partner_ip && ip == *s.opt_.partner_ip) {
            std::size_t r = s.reserved_.load();
            while (r < kPartnerReserve && !s.reserved_.compare_exchange_weak(r, r + 1)) {
            }
            reserved = r < kPartnerReserve;
        }
        if (!ok && !reserved) {
            if (counted) s.per_address_.remove(ip);
            return;  // closes it
        }
        if (reserved && counted) s.per_address_.remove(ip);
        if (reserved) s.open_.fetch_add(1);
        (void)common::set_nodelay(owned.get());
        HttpRequestParser::Limits limits;
        limits.max_body_bytes = s.opt_.max_body_bytes;
        auto c = std::make_unique<Conn>(limits);
        const int fd = owned.get();
        c->fd = std::move(owned);
        c->peer_ip = ip;
        c->peer_text = common::to_string(addr);
        c->accepted = c->last_activity = mono_ms();
        c->reserved = reserved;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            s.open_.fetch_sub(1);
            release(*c);
            return;
        }
        conns.emplace(fd, std::move(c));
    }

    // Counts a newcomer from `ip` in the total: below the limit (and not out
    // of descriptors) in one atomic step, since the loops admit concurrently
    // and a check followed by an increment let two of them take the last
    // slot; otherwise in the place of a connection evict_for closes.
    bool take_slot(const common::IpAddr& ip, bool full) {
        if (!full) {
            std::size_t n = s.open_.load();
            while (n < s.opt_.max_connections && !s.open_.compare_exchange_weak(n, n + 1)) {
            }
            if (n < s.opt_.max_connections) return true;
        }
        if (!evict_for(ip)) return false;
        s.open_.fetch_add(1);
        return true;
    }

    // Gives back what admit() took for a connection.
    void release(const Conn& c) {
        if (c.reserved)
            s.reserved_.fetch_sub(1);
        else
            s.per_address_.remove(c.peer_ip);
    }

    // Closes this loop's connection chosen by pick_victim for a newcomer from
    // `ip` (already counted); false if there is none. Reserved ones are kept.
    bool evict_for(const common::IpAddr& ip) {
        // Only an address holding more than the newcomer's can give up a
        // connection: a flood from the top address is refused without a
        // scan of every connection (which made a newcomer cost O(n)).
        if (s.per_address_.max_count() <= s.per_address_.count(ip)) return false;
        std::vector<VictimCandidate> cands;
        cands.reserve(conns.size());
        std::unordered_map<common::IpAddr, std::size_t, common::IpAddrHash> counts;
        for (auto& [fd, c] : conns) {
            if (c->reserved) continue;
            const common::IpAddr key = c->peer_ip.quota_key();
            auto [it, fresh] = counts.try_emplace(key, 0);
            if (fresh) it->second = s.per_address_.count(key);
            cands.push_back({fd, key, it->second, c->last_activity});
        }
        const auto victim = pick_victim(cands, ip, s.per_address_.count(ip));
        if (!victim) return false;
        auto it = conns.find(*victim);
        if (it == conns.end()) return false;
        close_conn(*it->second);
        return true;
    }

    // One line per kind of limit at most every 10 s.
    void limit_log(Limit kind, const std::string& what) {
        auto& last_log = s.last_limit_log_[static_cast<int>(kind)];
        const std::int64_t now = mono_ms();
        std::int64_t last = last_log.load();
        if (now - last > 10000 && last_log.compare_exchange_strong(last, now))
            s.log_.warn(cat(what, ": refusing new connections"));
    }

    void close_conn(Conn& c) {
        const int fd = c.fd.get();
        ::epoll_ctl(ep.get(), EPOLL_CTL_DEL, fd, nullptr);
        s.open_.fetch_sub(1);
        release(c);
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
                    if (c.reserved) return close_conn(c);  // not the link: no reserved slot
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
            if (c->reserved && now - c->accepted > s.opt_.reserved_timeout_ms)
                expired.push_back(fd);
            else if (c->request_started && now - c->request_started > s.opt_.request_timeout_ms &&
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
        release(c);  // the Replicator has its own limits
        Fd owned = std::move(c.fd);
        std::string head = std::move(c.head);
        std::string peer = c.peer_text;
        const common::IpAddr ip = c.peer_ip;
        const std::int64_t accepted = c.accepted;
        conns.erase(fd);
        (void)common::set_nonblocking(owned.get(), false);
        s.replicator_.accept(std::move(owned), std::move(head), peer, ip, accepted);
    }
};

HttpServer::HttpServer(std::vector<Fd> listeners, HttpServerOptions options,
                       TrackerService& service, ChangeLog& changelog, Replicator& replicator,
                       common::Logger& log)
    : listeners_(std::move(listeners)),
      opt_(options),
      service_(service),
      changelog_(changelog),
      replicator_(replicator),
      log_(log),
      per_address_(std::max<std::size_t>(1, options.max_per_address)) {
    for (const Fd& l : listeners_)
        (void)common::set_nonblocking(l.get(), true);
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
