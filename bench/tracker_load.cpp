// bench/tracker_load: announce load for a BitTorrent tracker over UDP (BEP 15)
// or HTTP (BEP 3), to compare trackers under the same load. One thread, epoll.
//
//   tracker_load --mode udp|http-keepalive|http-close --target HOST:PORT
//                [--phase preload|refresh] [--torrents 10000] [--peers 10]
//                [--count N] [--concurrency C] [--time-limit S] [--timeout-ms MS]
//                [--seed S]
//   tracker_load --print-hashes [--torrents N]   (40 hex digits a line, for whitelists)
//   tracker_load --mode M --target HOST:PORT [--target HOST:PORT ...] --phase join|mix
//                [--torrents 20000] [--total-peers 300000] [--big-swarms 4]
//                [--big-size 10000] [--addresses 4096] [--model-seed 17]
//                [--state FILE] [--rate R] [--count N] [--concurrency C]
//                [--keepalive-requests 100] [--time-limit S] [--timeout-ms MS] [--seed S]
//   tracker_load --print-hashes --phase mix [--torrents N]   (the join/mix info hashes)
//
// The swarm is fixed by --torrents and --peers: peer i belongs to torrent
// i / peers, has a 20-byte peer id and port derived from i, and the info hashes
// are pseudo-random but the same on every run. preload announces every peer
// once with event=started (count = torrents x peers unless given); refresh
// announces random existing peers with no event, as a client does every
// interval. Every announce asks for 50 peers.
//
// UDP: one socket per 8 in-flight requests, each connect()ed and given one
// connection id at the start; a request not answered within --timeout-ms is
// counted as a timeout and not sent again. HTTP: C connections with one
// request each in flight; http-close opens a connection per announce (and asks
// for it to close), http-keepalive reuses it unless the tracker closes it
// (counted in "reconnects"; a request already sent on a connection the tracker
// then closed without a byte of reply is sent again on a new one and counted
// in "stale_retries", not as a failure).
//
// Prints one JSON line: answered, failures (error replies, unparsable replies,
// connection errors), timeouts, reconnects, wall_s, rate (answered / s),
// p50_us, p99_us, max_us, swarm_avg (mean seeders + leechers in the replies).
// Exit status 0 only when every announce was answered and none failed.
//
// join and mix (bench/tracker_mix/): a realistic load. The swarm model
// (swarm_model.h) has heavy-tailed swarm sizes and peers at many source
// addresses; join announces every initial member once with event=started,
// mix sends 5% started, 5% stopped, 5% completed and 85% refreshes and keeps
// the membership in --state FILE from one invocation to the next. Several
// --target: a peer talks to target (its index % targets). --rate: open loop
// at R announces/s, latency from the time each was due (mix.h). Their JSON
// line adds rate_target, udp_connects, gen_cpu_s (this process's CPU during
// the run), the events sent, the members and leechers after the run and the
// model's summary (sizes p50/p90/max, swarms of 10 peers or fewer).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/tracker_mix/http_reply.h"
#include "bench/tracker_mix/mix_main.h"
#include "common/hex.h"
#include "common/net/fd.h"
#include "common/net/socket.h"
#include "common/wire/tracker_http.h"
#include "common/wire/udp_tracker.h"

namespace {

using namespace mt::common;
using namespace mt::common::wire;
using Clock = std::chrono::steady_clock;
using mt::bench::header_value;

enum class Mode { udp, http_keepalive, http_close };

struct Options {
    Mode mode = Mode::udp;
    std::string target;
    bool preload = false;
    std::uint32_t torrents = 10000;
    std::uint32_t peers = 10;
    std::uint64_t count = 0;  // 0: torrents x peers for preload, 100000 for refresh
    std::uint32_t concurrency = 32;
    double time_limit_s = 120;
    int timeout_ms = 5000;
    std::uint64_t seed = 1;
    bool print_hashes = false;
    bool mix = false;  // --phase join or mix: everything is in mix_cmd
    mt::bench::MixCommand mix_cmd;
};

std::uint64_t splitmix64(std::uint64_t& s) {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

InfoHash info_hash_of(std::uint32_t torrent) {
    std::uint64_t s = 0x6d746f7272656e74ULL ^ (std::uint64_t{torrent} << 20);
    InfoHash h;
    for (std::size_t i = 0; i < h.bytes.size(); i += 8) {
        const std::uint64_t v = splitmix64(s);
        std::memcpy(h.bytes.data() + i, &v, std::min<std::size_t>(8, h.bytes.size() - i));
    }
    return h;
}

// Peer i of the swarm: torrent i / peers; a leecher when i is even.
AnnounceRequest announce_of(const Options& o, std::uint64_t i, bool started) {
    AnnounceRequest r;
    r.info_hash = info_hash_of(static_cast<std::uint32_t>(i / o.peers));
    char id[32];
    std::snprintf(id, sizeof id, "-MB0001-%012llu",
                  static_cast<unsigned long long>(i % 1000000000000ULL));
    r.peer_id = PeerId::from_bytes(std::string_view(id, 20));
    r.port = static_cast<std::uint16_t>(1024 + i % 64000);
    r.left = i % 2 == 0 ? 1000000 : 0;
    r.event = started ? AnnounceEvent::started : AnnounceEvent::none;
    r.numwant = 50;
    r.key = static_cast<std::uint32_t>(i);
    return r;
}

struct Stats {
    std::uint64_t issued = 0;
    std::uint64_t answered = 0;
    std::uint64_t failures = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t reconnects = 0;     // keep-alive connections the tracker closed
    std::uint64_t stale_retries = 0;  // requests sent again after such a close
    std::uint64_t swarm_sum = 0;
    std::vector<std::uint32_t> latency_us;
    std::string first_failure;

    void fail(const std::string& why) {
        ++failures;
        if (first_failure.empty()) first_failure = why;
    }
    void ok(Clock::time_point sent, Clock::time_point now, std::uint32_t swarm) {
        ++answered;
        swarm_sum += swarm;
        latency_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - sent).count()));
    }
};

// Which announce comes next: every peer in order (preload) or random ones.
class Picker {
  public:
    explicit Picker(const Options& o) : o_(o), rng_(o.seed) {}
    bool more(const Stats& s) const { return s.issued < o_.count; }
    AnnounceRequest next(Stats& s) {
        const std::uint64_t total = std::uint64_t{o_.torrents} * o_.peers;
        const std::uint64_t i = o_.preload ? s.issued % total : rng_() % total;
        ++s.issued;
        return announce_of(o_, i, o_.preload);
    }

  private:
    const Options& o_;
    std::mt19937_64 rng_;
};

// ---- UDP ---------------------------------------------------------------------

struct UdpSlot {
    int sock = 0;  // index into sockets
    std::uint32_t tid = 0;
    bool busy = false;
    Clock::time_point sent;
};

bool udp_connect_id(int fd, std::uint64_t& cid, int timeout_ms) {
    std::string out;
    encode(UdpConnectRequest{0xC0FFEEu}, out);
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (send(fd, out.data(), out.size(), 0) < 0) return false;
        if (!wait_readable(fd, timeout_ms / 3 + 1)) continue;
        char buf[2048];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) continue;
        auto r = decode_udp_response(std::string_view(buf, static_cast<std::size_t>(n)));
        if (!r) continue;
        if (auto* c = std::get_if<UdpConnectResponse>(&*r)) {
            cid = c->connection_id;
            return true;
        }
    }
    return false;
}

void run_udp(const Options& o, const SockAddr& addr, Stats& st, Clock::time_point deadline) {
    const std::uint32_t per_socket = 8;
    const std::uint32_t nsock = (o.concurrency + per_socket - 1) / per_socket;
    std::vector<Fd> socks;
    std::vector<std::uint64_t> cids(nsock);
    Fd ep(epoll_create1(0));
    for (std::uint32_t s = 0; s < nsock; ++s) {
        Fd fd(socket(addr.family(), SOCK_DGRAM, 0));
        if (!fd.valid() || connect(fd.get(), addr.get(), addr.len))
            return st.fail("udp socket/connect failed");
        if (!udp_connect_id(fd.get(), cids[s], o.timeout_ms))
            return st.fail("udp connect: no reply");
        (void)set_nonblocking(fd.get(), true);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = s;
        epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd.get(), &ev);
        socks.push_back(std::move(fd));
    }
    Picker picker(o);
    std::vector<UdpSlot> slots(o.concurrency);
    std::uint32_t generation = 0;
    std::uint32_t in_flight = 0;
    std::string out;
    auto issue = [&](std::uint32_t k) {
        UdpSlot& sl = slots[k];
        sl.sock = static_cast<int>(k / per_socket);
        sl.tid = (++generation << 12) | k;  // concurrency <= 4096
        UdpAnnounceRequest m;
        m.connection_id = cids[static_cast<std::size_t>(sl.sock)];
        m.transaction_id = sl.tid;
        m.request = picker.next(st);
        out.clear();
        encode(m, out);
        sl.sent = Clock::now();
        if (send(socks[static_cast<std::size_t>(sl.sock)].get(), out.data(), out.size(), 0) < 0) {
            st.fail(std::string("udp send: ") + std::strerror(errno));
            return;
        }
        sl.busy = true;
        ++in_flight;
    };
    for (std::uint32_t k = 0; k < o.concurrency && picker.more(st); ++k)
        issue(k);
    std::vector<epoll_event> evs(nsock);
    char buf[4096];
    auto last_scan = Clock::now();
    while (in_flight > 0 || picker.more(st)) {
        const auto now0 = Clock::now();
        if (now0 > deadline) break;
        const int n = epoll_wait(ep.get(), evs.data(), static_cast<int>(evs.size()), 50);
        for (int e = 0; e < n; ++e) {
            const int fd = socks[evs[static_cast<std::size_t>(e)].data.u32].get();
            while (true) {
                const ssize_t len = recv(fd, buf, sizeof buf, 0);
                if (len < 0) break;
                const auto now = Clock::now();
                auto r = decode_udp_response(std::string_view(buf, static_cast<std::size_t>(len)));
                if (!r) {
                    st.fail("unparsable udp reply");
                    continue;
                }
                std::uint32_t tid = 0;
                std::uint32_t swarm = 0;
                bool good = false;
                if (auto* a = std::get_if<UdpAnnounceResponse>(&*r)) {
                    tid = a->transaction_id;
                    swarm = a->response.complete + a->response.incomplete;
                    good = true;
                } else if (auto* er = std::get_if<UdpErrorResponse>(&*r)) {
                    tid = er->transaction_id;
                    if (st.first_failure.empty()) st.first_failure = "udp error: " + er->message;
                } else {
                    continue;
                }
                const std::uint32_t k = tid & 0xfff;
                if (k >= slots.size() || !slots[k].busy || slots[k].tid != tid) continue;  // late
                slots[k].busy = false;
                --in_flight;
                if (good)
                    st.ok(slots[k].sent, now, swarm);
                else
                    ++st.failures;
                if (picker.more(st)) issue(k);
            }
        }
        const auto now = Clock::now();
        if (now - last_scan > std::chrono::milliseconds(20)) {
            last_scan = now;
            for (std::uint32_t k = 0; k < slots.size(); ++k) {
                if (!slots[k].busy || now - slots[k].sent < std::chrono::milliseconds(o.timeout_ms))
                    continue;
                slots[k].busy = false;
                --in_flight;
                ++st.timeouts;
                if (picker.more(st)) issue(k);
            }
        }
    }
    st.timeouts += in_flight;
}

// ---- HTTP --------------------------------------------------------------------

struct HttpConn {
    Fd fd;
    bool connecting = false;
    bool busy = false;
    bool wait_eof = false;  // reply complete, the tracker will close
    int served = 0;         // replies on this connection
    std::string out;
    std::size_t out_off = 0;
    std::string in;
    Clock::time_point sent;
};

void run_http(const Options& o, const SockAddr& addr, Stats& st, Clock::time_point deadline) {
    const bool close_mode = o.mode == Mode::http_close;
    Fd ep(epoll_create1(0));
    std::vector<HttpConn> conns(o.concurrency);
    Picker picker(o);
    std::uint32_t in_flight = 0;
    char host[64];
    std::snprintf(host, sizeof host, "%s", mt::common::to_string(addr).c_str());

    auto arm = [&](std::uint32_t k, std::uint32_t events, int op) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u32 = k;
        epoll_ctl(ep.get(), op, conns[k].fd.get(), &ev);
    };
    auto open = [&](std::uint32_t k) -> bool {
        HttpConn& c = conns[k];
        c.fd = Fd(socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK, 0));
        const int one = 1;
        setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const int rc = connect(c.fd.get(), addr.get(), addr.len);
        if (rc < 0 && errno != EINPROGRESS) {
            st.fail(std::string("connect: ") + std::strerror(errno));
            c.fd = Fd();
            return false;
        }
        c.connecting = true;
        c.wait_eof = false;
        c.served = 0;
        arm(k, EPOLLOUT, EPOLL_CTL_ADD);
        return true;
    };
    auto issue = [&](std::uint32_t k) {
        HttpConn& c = conns[k];
        const AnnounceRequest r = picker.next(st);
        c.out = "GET /announce" + build_announce_query(r) + " HTTP/1.1\r\nHost: " + host +
                (close_mode ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n");
        c.out_off = 0;
        c.in.clear();
        c.busy = true;
        c.sent = Clock::now();
        ++in_flight;
        if (!c.fd.valid()) {
            if (!open(k)) {
                c.busy = false;
                --in_flight;
            }
            return;
        }
        arm(k, EPOLLOUT, EPOLL_CTL_MOD);
    };
    auto drop = [&](std::uint32_t k) {
        conns[k].fd = Fd();  // closing removes it from the epoll set
        conns[k].connecting = false;
        conns[k].wait_eof = false;
    };
    auto finish = [&](std::uint32_t k, bool good, std::uint32_t swarm) {
        HttpConn& c = conns[k];
        c.busy = false;
        --in_flight;
        if (good) st.ok(c.sent, Clock::now(), swarm);
        if (!c.wait_eof && c.fd.valid()) arm(k, 0, EPOLL_CTL_MOD);
        if (!c.wait_eof && picker.more(st)) issue(k);
    };
    // A whole reply is in c.in: check it, then either go on or wait for the close.
    auto complete = [&](std::uint32_t k, std::size_t head_end, std::size_t body_len, bool eof) {
        HttpConn& c = conns[k];
        const std::string_view head(c.in.data(), head_end);
        const std::string_view body(c.in.data() + head_end + 4, body_len);
        const std::string_view conn_hdr = header_value(head, "connection");
        const bool http10 = head.rfind("HTTP/1.0", 0) == 0;
        const bool will_close = close_mode || eof || conn_hdr == "close" || conn_hdr == "Close" ||
                                (http10 && conn_hdr != "keep-alive");
        bool good = false;
        std::uint32_t swarm = 0;
        if (head.rfind("HTTP/1.1 200", 0) != 0 && head.rfind("HTTP/1.0 200", 0) != 0) {
            st.fail("http status: " + std::string(head.substr(0, head.find("\r\n"))));
        } else if (auto r = decode_announce_response(body, 1000); !r) {
            st.fail("bad announce reply: " + r.error().message);
        } else if (!r->failure_reason.empty()) {
            st.fail("failure reason: " + r->failure_reason);
        } else {
            good = true;
            swarm = r->complete + r->incomplete;
        }
        c.in.erase(0, head_end + 4 + body_len);
        ++c.served;
        if (will_close) {
            c.wait_eof = true;
            if (!close_mode) ++st.reconnects;
        }
        finish(k, good, swarm);
    };
    auto try_parse = [&](std::uint32_t k, bool eof) {
        HttpConn& c = conns[k];
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
    };

    for (std::uint32_t k = 0; k < o.concurrency && picker.more(st); ++k)
        issue(k);
    std::vector<epoll_event> evs(256);
    char buf[16384];
    auto last_scan = Clock::now();
    while (in_flight > 0 || picker.more(st)) {
        if (Clock::now() > deadline) break;
        const int n = epoll_wait(ep.get(), evs.data(), static_cast<int>(evs.size()), 50);
        for (int e = 0; e < n; ++e) {
            const std::uint32_t k = evs[static_cast<std::size_t>(e)].data.u32;
            const std::uint32_t what = evs[static_cast<std::size_t>(e)].events;
            HttpConn& c = conns[k];
            if (!c.fd.valid()) continue;
            if (c.connecting && (what & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    st.fail(std::string("connect: ") + std::strerror(err));
                    drop(k);
                    finish(k, false, 0);
                    continue;
                }
                c.connecting = false;
            }
            if (c.busy && c.out_off < c.out.size() && (what & EPOLLOUT)) {
                const ssize_t w = send(c.fd.get(), c.out.data() + c.out_off,
                                       c.out.size() - c.out_off, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN) {
                    st.fail(std::string("send: ") + std::strerror(errno));
                    drop(k);
                    finish(k, false, 0);
                    continue;
                }
                if (w > 0) c.out_off += static_cast<std::size_t>(w);
                if (c.out_off == c.out.size()) arm(k, EPOLLIN, EPOLL_CTL_MOD);
                continue;
            }
            if (!(what & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            bool eof = false;
            while (true) {
                const ssize_t r = recv(c.fd.get(), buf, sizeof buf, 0);
                if (r > 0) {
                    if (c.busy) c.in.append(buf, static_cast<std::size_t>(r));
                    continue;
                }
                if (r == 0 || errno != EAGAIN) eof = true;
                break;
            }
            if (c.busy && try_parse(k, eof)) {
                if (!c.wait_eof) continue;
            }
            if (eof) {
                const bool was_busy = c.busy;
                drop(k);
                if (was_busy && c.in.empty() && c.served > 0 && !close_mode) {
                    // A kept-alive connection the tracker closed before it read
                    // the request (opentracker closes after every reply without
                    // saying so): send it again on a new connection, as HTTP
                    // clients do for idempotent requests.
                    ++st.stale_retries;
                    if (open(k)) {
                        c.out_off = 0;
                    } else {
                        finish(k, false, 0);
                    }
                } else if (was_busy) {
                    st.fail("connection closed before a whole reply");
                    finish(k, false, 0);
                } else if (picker.more(st)) {
                    issue(k);  // the reply came, then the close
                }
            } else if (c.wait_eof) {
                arm(k, EPOLLIN, EPOLL_CTL_MOD);
            }
        }
        const auto now = Clock::now();
        if (now - last_scan > std::chrono::milliseconds(20)) {
            last_scan = now;
            for (std::uint32_t k = 0; k < conns.size(); ++k) {
                HttpConn& c = conns[k];
                if (!c.busy || now - c.sent < std::chrono::milliseconds(o.timeout_ms)) continue;
                ++st.timeouts;
                drop(k);
                c.busy = false;
                --in_flight;
                if (picker.more(st)) issue(k);
            }
        }
    }
    st.timeouts += in_flight;
}

// ---- main --------------------------------------------------------------------

// The options only the join and mix phases take; false if `a` is none of them
// (or its value is bad: then `ok` is false too).
template <class Num>
bool parse_mix_option(const std::string& a, const std::string& v, Num num, Options& o, bool& ok) {
    mt::bench::MixCommand& m = o.mix_cmd;
    if (a == "--total-peers")
        ok = num(m.model.total_peers) && m.model.total_peers > 0;
    else if (a == "--big-swarms")
        ok = num(m.model.big_swarms);
    else if (a == "--big-size")
        ok = num(m.model.big_size) && m.model.big_size > 0;
    else if (a == "--addresses")
        ok = num(m.model.addresses) && m.model.addresses > 0;
    else if (a == "--model-seed")
        ok = num(m.model.seed);
    else if (a == "--rate")
        ok = num(m.run.rate) && m.run.rate > 0;
    else if (a == "--keepalive-requests")
        ok = num(m.run.keepalive_requests) && m.run.keepalive_requests > 0;
    else if (a == "--state")
        m.state_file = v;
    else
        return false;
    return true;
}

// The join and mix phases' command from the options common to all phases.
bool finish_mix_command(Options& o, const std::string& mode, bool torrents_given) {
    mt::bench::MixCommand& m = o.mix_cmd;
    m.model.torrents = torrents_given ? o.torrents : 20000;
    m.mode_name = mode;
    m.run.http = o.mode != Mode::udp;
    m.run.http_close = o.mode == Mode::http_close;
    m.run.count = o.count;
    m.count_given = o.count != 0;
    m.run.concurrency = o.concurrency;
    m.run.time_limit_s = o.time_limit_s;
    m.run.timeout_ms = o.timeout_ms;
    m.run.seed = o.seed;
    return o.print_hashes || !m.targets.empty();
}

bool parse_args(int argc, char** argv, Options& o) {
    std::string phase = "refresh";
    std::string mode = "udp";
    bool torrents_given = false;
    bool mix_options = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--print-hashes") {
            o.print_hashes = true;
            continue;
        }
        if (i + 1 >= argc) return false;
        const std::string v = argv[++i];
        auto num = [&](auto& out) {
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
            return ec == std::errc() && p == v.data() + v.size();
        };
        bool ok = true;
        if (a == "--mode") {
            mode = v;
        } else if (a == "--target") {
            if (o.target.empty()) o.target = v;
            o.mix_cmd.targets.push_back(v);
        } else if (a == "--phase") {
            phase = v;
        } else if (a == "--torrents") {
            ok = num(o.torrents) && o.torrents > 0;
            torrents_given = true;
        } else if (a == "--peers") {
            ok = num(o.peers) && o.peers > 0;
        } else if (a == "--count") {
            ok = num(o.count);
        } else if (a == "--concurrency") {
            ok = num(o.concurrency) && o.concurrency > 0;
            o.mix_cmd.concurrency_given = true;
        } else if (a == "--time-limit") {
            ok = num(o.time_limit_s) && o.time_limit_s > 0;
        } else if (a == "--timeout-ms") {
            ok = num(o.timeout_ms) && o.timeout_ms > 0;
        } else if (a == "--seed") {
            ok = num(o.seed);
        } else if (parse_mix_option(a, v, num, o, ok)) {
            mix_options = true;
        } else {
            ok = false;
        }
        if (!ok) {
            std::fprintf(stderr, "tracker_load: bad option %s %s\n", a.c_str(), v.c_str());
            return false;
        }
    }
    if (mode == "udp")
        o.mode = Mode::udp;
    else if (mode == "http-keepalive")
        o.mode = Mode::http_keepalive;
    else if (mode == "http-close")
        o.mode = Mode::http_close;
    else
        return false;
    if (phase == "join" || phase == "mix") {
        o.mix = true;
        o.mix_cmd.run.join = phase == "join";
        return finish_mix_command(o, mode, torrents_given);
    }
    if (phase != "preload" && phase != "refresh") return false;
    if (mix_options || o.mix_cmd.targets.size() > 1 || o.concurrency > 4096) {
        std::fprintf(stderr,
                     "tracker_load: preload and refresh take one --target, "
                     "--concurrency up to 4096 and none of the join/mix options\n");
        return false;
    }
    o.mix = false;
    o.preload = phase == "preload";
    if (o.count == 0) o.count = o.preload ? std::uint64_t{o.torrents} * o.peers : 100000;
    return o.print_hashes || !o.target.empty();
}

std::uint32_t percentile(std::vector<std::uint32_t>& v, double q) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse_args(argc, argv, o)) {
        std::fprintf(stderr,
                     "usage: tracker_load --mode udp|http-keepalive|http-close --target HOST:PORT "
                     "[--phase preload|refresh] [--torrents N] [--peers N] [--count N] "
                     "[--concurrency N] [--time-limit S] [--timeout-ms MS] [--seed S]\n"
                     "       tracker_load --mode M --target HOST:PORT [--target ...] "
                     "--phase join|mix [--torrents N] [--total-peers N] [--big-swarms N] "
                     "[--big-size N] [--addresses N] [--model-seed S] [--state FILE] [--rate R] "
                     "[--count N] [--concurrency N] [--keepalive-requests N] [--time-limit S] "
                     "[--timeout-ms MS] [--seed S]\n"
                     "       tracker_load --print-hashes [--phase mix] [--torrents N]\n");
        return 2;
    }
    if (o.print_hashes && o.mix) {
        mt::bench::print_mix_hashes(o.mix_cmd.model.torrents);
        return 0;
    }
    if (o.mix) {
        ignore_sigpipe();
        return mt::bench::mix_main(o.mix_cmd);
    }
    if (o.print_hashes) {
        for (std::uint32_t t = 0; t < o.torrents; ++t)
            std::printf("%s\n", info_hash_of(t).hex().c_str());
        return 0;
    }
    ignore_sigpipe();
    auto ep = parse_endpoint(o.target);
    if (!ep) {
        std::fprintf(stderr, "tracker_load: %s\n", ep.error().message.c_str());
        return 2;
    }
    auto addr = resolve(*ep);
    if (!addr) {
        std::fprintf(stderr, "tracker_load: %s\n", addr.error().message.c_str());
        return 2;
    }
    Stats st;
    st.latency_us.reserve(static_cast<std::size_t>(o.count));
    const auto t0 = Clock::now();
    const auto deadline =
        t0 + std::chrono::microseconds(static_cast<std::int64_t>(o.time_limit_s * 1e6));
    if (o.mode == Mode::udp)
        run_udp(o, *addr, st, deadline);
    else
        run_http(o, *addr, st, deadline);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::uint64_t lost = o.count - std::min(o.count, st.answered + st.failures + st.timeouts);
    const std::uint32_t p50 = percentile(st.latency_us, 0.50);
    const std::uint32_t p99 = percentile(st.latency_us, 0.99);
    const std::uint32_t pmax =
        st.latency_us.empty() ? 0 : *std::max_element(st.latency_us.begin(), st.latency_us.end());
    static const char* kModes[] = {"udp", "http-keepalive", "http-close"};
    std::printf(
        "{\"mode\":\"%s\",\"phase\":\"%s\",\"target\":\"%s\",\"count\":%llu,\"concurrency\":%u,"
        "\"answered\":%llu,\"failures\":%llu,\"timeouts\":%llu,\"not_sent\":%llu,"
        "\"reconnects\":%llu,\"stale_retries\":%llu,\"wall_s\":%.3f,\"rate\":%.0f,\"p50_us\":%u,"
        "\"p99_us\":%u,"
        "\"max_us\":%u,\"swarm_avg\":%.2f}\n",
        kModes[static_cast<int>(o.mode)], o.preload ? "preload" : "refresh", o.target.c_str(),
        static_cast<unsigned long long>(o.count), o.concurrency,
        static_cast<unsigned long long>(st.answered), static_cast<unsigned long long>(st.failures),
        static_cast<unsigned long long>(st.timeouts), static_cast<unsigned long long>(lost),
        static_cast<unsigned long long>(st.reconnects),
        static_cast<unsigned long long>(st.stale_retries), wall,
        wall > 0 ? static_cast<double>(st.answered) / wall : 0.0, p50, p99, pmax,
        st.answered ? static_cast<double>(st.swarm_sum) / static_cast<double>(st.answered) : 0.0);
    if (!st.first_failure.empty())
        std::fprintf(stderr, "tracker_load: first failure: %s\n", st.first_failure.c_str());
    return st.answered == o.count && st.failures == 0 && st.timeouts == 0 ? 0 : 1;
}
