// The HTTP side of the join and mix phases (see mix.h).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "bench/tracker_mix/http_reply.h"
#include "bench/tracker_mix/mix.h"
#include "common/net/fd.h"
#include "common/wire/tracker_http.h"

namespace mt::bench {

namespace {

using namespace common::wire;
using common::Fd;

struct Conn {
    Fd fd;
    std::uint32_t address = 0;
    bool connecting = false;
    bool busy = false;      // a request of ours is out or being sent
    bool wait_eof = false;  // reply complete, the tracker will close
    bool retried = false;   // the request was already sent again once
    std::uint32_t served = 0;
    std::string out;
    std::size_t out_off = 0;
    std::string in;
    Clock::time_point due;
    Clock::time_point dispatched;
};

class HttpMix {
  public:
    HttpMix(const MixOptions& o, AnnounceSource& source, MixStats& st)
        : o_(o), source_(source), st_(st), ep_(epoll_create1(0)), conns_(o.concurrency) {
        for (std::uint32_t k = o.concurrency; k-- > 0;)
            free_.push_back(k);
        for (const auto& t : o.targets)
            hosts_.push_back(common::to_string(t));
    }

    void run() {
        const auto start = Clock::now();
        const auto deadline =
            start + std::chrono::microseconds(static_cast<std::int64_t>(o_.time_limit_s * 1e6));
        Schedule sched(o_.rate, o_.count, start);
        std::vector<epoll_event> evs(256);
        auto last_scan = start;
        while (true) {
            auto now = Clock::now();
            if (now > deadline) break;
            // Free connections: the last one freed first, so few stay open.
            while (!free_.empty() && sched.due(now)) {
                const std::uint32_t k = free_.back();
                free_.pop_back();
                if (!dispatch(k, sched.take(now), now)) sched.stop();
            }
            if (sched.all_taken() && in_flight_ == 0) break;
            const bool timer = sched.open_loop() && !sched.all_taken() && !free_.empty();
            const int n = wait_events(ep_.get(), evs.data(), static_cast<int>(evs.size()), now,
                                      timer ? sched.next_at() : now + std::chrono::seconds(1));
            for (int e = 0; e < n; ++e)
                on_event(evs[static_cast<std::size_t>(e)].data.u32,
                         evs[static_cast<std::size_t>(e)].events);
            now = Clock::now();
            if (now - last_scan > std::chrono::milliseconds(20)) {
                last_scan = now;
                scan(now);
            }
        }
        st_.timeouts += in_flight_;
    }

  private:
    void arm(std::uint32_t k, std::uint32_t events, int op) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u32 = k;
        epoll_ctl(ep_.get(), op, conns_[k].fd.get(), &ev);
    }

    void drop(std::uint32_t k) {
        conns_[k].fd = Fd();  // closing removes it from the epoll set
        conns_[k].connecting = false;
        conns_[k].wait_eof = false;
    }

    // A new connection from address a to its target; false (counted) if it failed.
    bool open(std::uint32_t k, std::uint32_t a) {
        Conn& c = conns_[k];
        c.fd = Fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
        const int one = 1;
        setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        // The port is picked at connect(), unique per (source, destination):
        // many connections per source address without running out.
        setsockopt(c.fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        const common::SockAddr from = source_address(a);
        const common::SockAddr& to = o_.targets[a % o_.targets.size()];
        if (bind(c.fd.get(), from.get(), from.len) != 0 ||
            (connect(c.fd.get(), to.get(), to.len) < 0 && errno != EINPROGRESS)) {
            st_.fail(std::string("bind/connect: ") + std::strerror(errno));
            c.fd = Fd();
            return false;
        }
        c.address = a;
        c.connecting = true;
        c.wait_eof = false;
        c.served = 0;
        arm(k, EPOLLOUT, EPOLL_CTL_ADD);
        return true;
    }

    // Sends the next announce on connection k (a new one unless it may carry
    // another of its address's). False when the source has nothing left.
    bool dispatch(std::uint32_t k, Clock::time_point due, Clock::time_point now) {
        Conn& c = conns_[k];
        common::AnnounceRequest r;
        std::uint32_t a = c.address;
        const bool reuse = !o_.http_close && c.fd.valid() && !c.connecting &&
                           c.served < o_.keepalive_requests && source_.next_at(st_, a, r);
        if (!reuse) {
            if (c.fd.valid()) drop(k);  // done with this address (or the join is)
            if (!source_.next_any(st_, a, r)) {
                free_.push_back(k);
                return false;
            }
        }
        c.out = "GET /announce" + build_announce_query(r) +
                " HTTP/1.1\r\nHost: " + hosts_[a % hosts_.size()] +
                (o_.http_close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n");
        c.out_off = 0;
        c.in.clear();
        c.busy = true;
        c.retried = false;
        c.due = due;
        c.dispatched = now;
        ++in_flight_;
        if (reuse) {
            arm(k, EPOLLOUT, EPOLL_CTL_MOD);
        } else if (!open(k, a)) {
            finish(k);
        }
        return true;
    }

    // The request on k is over (answered or failed): k takes the next one,
    // unless the tracker is about to close it.
    void finish(std::uint32_t k) {
        Conn& c = conns_[k];
        c.busy = false;
        --in_flight_;
        if (c.wait_eof) return;
        if (c.fd.valid()) {
            if (!o_.http_close && c.served >= o_.keepalive_requests) {
                drop(k);  // its share of announces is done: close it ourselves
            } else {
                arm(k, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);  // idle: notice a close
            }
        }
        free_.push_back(k);
    }

    // A whole reply is in c.in: check it, count it, then go on or wait for the close.
    void complete(std::uint32_t k, std::size_t head_end, std::size_t body_len, bool eof) {
        Conn& c = conns_[k];
        const std::string_view head(c.in.data(), head_end);
        const std::string_view body(c.in.data() + head_end + 4, body_len);
        const std::string_view conn_hdr = header_value(head, "connection");
        const bool http10 = head.rfind("HTTP/1.0", 0) == 0;
        const bool will_close = o_.http_close || eof || conn_hdr == "close" ||
                                conn_hdr == "Close" || (http10 && conn_hdr != "keep-alive");
        if (head.rfind("HTTP/1.1 200", 0) != 0 && head.rfind("HTTP/1.0 200", 0) != 0) {
            st_.fail("http status: " + std::string(head.substr(0, head.find("\r\n"))));
        } else if (auto r = decode_announce_response(body, 1000); !r) {
            st_.fail("bad announce reply: " + r.error().message);
        } else if (!r->failure_reason.empty()) {
            st_.fail("failure reason: " + r->failure_reason);
        } else {
            st_.ok(c.due, Clock::now(), r->complete + r->incomplete);
        }
        c.in.clear();
        ++c.served;
        if (will_close) {
            c.wait_eof = !eof;
            if (eof) drop(k);
            if (!o_.http_close) ++st_.reconnects;
        }
        finish(k);
    }

    bool try_parse(std::uint32_t k, bool eof) {
        Conn& c = conns_[k];
        const std::size_t he = c.in.find("\r\n\r\n");
        if (he == std::string::npos) return false;
        const std::string_view cl =
            header_value(std::string_view(c.in.data(), he), "content-length");
        std::size_t len = 0;
        if (!cl.empty()) {
            std::from_chars(cl.data(), cl.data() + cl.size(), len);
        } else {
            if (!eof) return false;
            len = c.in.size() - he - 4;
        }
        if (c.in.size() < he + 4 + len) return false;
        complete(k, he, len, eof);
        return true;
    }

    void send_some(std::uint32_t k) {
        Conn& c = conns_[k];
        const ssize_t w =
            send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) return closed(k);  // as a close: maybe a stale one
        if (w > 0) c.out_off += static_cast<std::size_t>(w);
        if (c.out_off == c.out.size()) arm(k, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
    }

    void on_event(std::uint32_t k, std::uint32_t what) {
        Conn& c = conns_[k];
        if (!c.fd.valid()) return;
        if (c.connecting) {
            if (!(what & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                st_.fail(std::string("connect: ") + std::strerror(err));
                drop(k);
                if (c.busy) finish(k);
                return;
            }
            c.connecting = false;
        }
        if (c.busy && c.out_off < c.out.size()) return send_some(k);
        if (!(what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
        bool eof = false;
        char buf[16384];
        while (true) {
            const ssize_t r = recv(c.fd.get(), buf, sizeof buf, 0);
            if (r > 0) {
                if (c.busy) c.in.append(buf, static_cast<std::size_t>(r));
                continue;
            }
            if (r == 0 || errno != EAGAIN) eof = true;
            break;
        }
        if (c.busy && try_parse(k, eof)) return;
        if (eof) closed(k);
    }

    // The tracker closed connection k (or it broke).
    void closed(std::uint32_t k) {
        Conn& c = conns_[k];
        const bool was_waiting = c.wait_eof;
        drop(k);
        if (was_waiting) {
            free_.push_back(k);
        } else if (c.busy && c.in.empty() && c.served > 0 && !c.retried && !o_.http_close) {
            // A kept-alive connection the tracker closed before it read the
            // request: send it again on a new one, as HTTP clients do for
            // idempotent requests.
            ++st_.stale_retries;
            c.retried = true;
            if (open(k, c.address)) {
                c.out_off = 0;
            } else {
                finish(k);
            }
        } else if (c.busy) {
            st_.fail("connection closed before a whole reply");
            finish(k);
        }
        // Idle (not busy): it is on the free list already; the next use opens one.
    }

    void scan(Clock::time_point now) {
        const auto timeout = std::chrono::milliseconds(o_.timeout_ms);
        for (std::uint32_t k = 0; k < conns_.size(); ++k) {
            Conn& c = conns_[k];
            if (c.busy && now - c.dispatched >= timeout) {
                ++st_.timeouts;
                drop(k);
                finish(k);
            } else if (c.wait_eof && now - c.dispatched >= timeout) {
                drop(k);  // the reply came; the close never did
                free_.push_back(k);
            }
        }
    }

    const MixOptions& o_;
    AnnounceSource& source_;
    MixStats& st_;
    Fd ep_;
    std::vector<Conn> conns_;
    std::vector<std::uint32_t> free_;
    std::vector<std::string> hosts_;
    std::uint32_t in_flight_ = 0;
};

}  // namespace

void run_mix_http(const MixOptions& o, AnnounceSource& source, MixStats& st) {
    HttpMix(o, source, st).run();
}

}  // namespace mt::bench
