// The UDP side of the join and mix phases (see mix.h).
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>

#include "bench/tracker_mix/mix.h"
#include "common/net/fd.h"
#include "common/wire/udp_tracker.h"

namespace mt::bench {

namespace {

using namespace common::wire;
using common::Fd;

constexpr auto kConnectionIdAge = std::chrono::seconds(50);
constexpr auto kConnectRetry = std::chrono::seconds(1);
constexpr int kConnectTries = 4;

// One source address: its socket and BEP 15 connection id.
struct Source {
    Fd fd;
    std::uint64_t cid = 0;
    bool cid_ok = false;
    Clock::time_point cid_at;
    bool connecting = false;
    std::uint32_t connect_tid = 0;
    Clock::time_point connect_sent;
    int connect_tries = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> waiting;  // (slot, tid)
};

// An announce in flight.
struct Slot {
    bool busy = false;
    std::uint32_t tid = 0;
    std::uint32_t address = 0;
    Clock::time_point due;
    Clock::time_point dispatched;
    common::AnnounceRequest request;
};

class UdpMix {
  public:
    UdpMix(const MixOptions& o, AnnounceSource& source, MixStats& st)
        : o_(o),
          source_(source),
          st_(st),
          ep_(epoll_create1(0)),
          sources_(source.address_count()),
          slots_(o.concurrency) {
        for (std::uint32_t k = o.concurrency; k-- > 0;)
            free_.push_back(k);
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
                receive(evs[static_cast<std::size_t>(e)].data.u32);
            now = Clock::now();
            if (now - last_scan > std::chrono::milliseconds(20)) {
                last_scan = now;
                scan(now);
            }
        }
        st_.timeouts += in_flight_;
    }

  private:
    void release(std::uint32_t k) {
        slots_[k].busy = false;
        --in_flight_;
        free_.push_back(k);
    }

    Source* source_for(std::uint32_t a) {
        Source& s = sources_[a];
        if (s.fd.valid()) return &s;
        const common::SockAddr& to = o_.targets[a % o_.targets.size()];
        const common::SockAddr from = source_address(a);
        Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
        if (!fd.valid() || bind(fd.get(), from.get(), from.len) != 0 ||
            connect(fd.get(), to.get(), to.len) != 0) {
            st_.fail(std::string("udp socket/bind/connect: ") + std::strerror(errno));
            return nullptr;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = a;
        epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd.get(), &ev);
        s.fd = std::move(fd);
        return &s;
    }

    // False when the source has nothing left (a join that is over).
    bool dispatch(std::uint32_t k, Clock::time_point due, Clock::time_point now) {
        Slot& sl = slots_[k];
        if (!source_.next_any(st_, sl.address, sl.request)) {
            free_.push_back(k);
            return false;
        }
        sl.busy = true;
        sl.tid = ((++generation_ & 0x7fffu) << 16) | k;  // concurrency <= 65535
        sl.due = due;
        sl.dispatched = now;
        ++in_flight_;
        sent_order_.emplace_back(k, sl.tid);
        Source* s = source_for(sl.address);
        if (!s) {
            release(k);
        } else if (s->cid_ok && now - s->cid_at < kConnectionIdAge) {
            send_announce(k, *s);
        } else {
            s->waiting.emplace_back(k, sl.tid);
            if (!s->connecting) {
                s->connect_tries = 0;
                send_connect(*s, now);
            }
        }
        return true;
    }

    void send_connect(Source& s, Clock::time_point now) {
        s.connecting = true;
        s.cid_ok = false;
        s.connect_tid = (++connect_generation_ & 0x7fffffffu) | 0x80000000u;
        s.connect_sent = now;
        ++s.connect_tries;
        ++st_.udp_connects;
        out_.clear();
        encode(UdpConnectRequest{s.connect_tid}, out_);
        (void)send(s.fd.get(), out_.data(), out_.size(), 0);  // lost: sent again by scan()
    }

    void send_announce(std::uint32_t k, Source& s) {
        Slot& sl = slots_[k];
        UdpAnnounceRequest m;
        m.connection_id = s.cid;
        m.transaction_id = sl.tid;
        m.request = sl.request;
        out_.clear();
        encode(m, out_);
        if (send(s.fd.get(), out_.data(), out_.size(), 0) < 0) {
            st_.fail(std::string("udp send: ") + std::strerror(errno));
            release(k);
        }
    }

    // The slot a reply's transaction id names, if it is still waiting for it.
    Slot* waiting_slot(std::uint32_t tid) {
        const std::uint32_t k = tid & 0xffff;
        if ((tid & 0x80000000u) || k >= slots_.size() || !slots_[k].busy || slots_[k].tid != tid)
            return nullptr;  // late, or a connect's
        return &slots_[k];
    }

    void connected(Source& s, std::uint64_t cid, Clock::time_point now) {
        s.cid = cid;
        s.cid_ok = true;
        s.cid_at = now;
        s.connecting = false;
        for (const auto& [k, tid] : std::exchange(s.waiting, {}))
            if (slots_[k].busy && slots_[k].tid == tid) send_announce(k, s);
    }

    void receive(std::uint32_t a) {
        Source& s = sources_[a];
        char buf[4096];
        while (true) {
            const ssize_t len = recv(s.fd.get(), buf, sizeof buf, 0);
            if (len < 0) return;
            const auto now = Clock::now();
            auto r = decode_udp_response(std::string_view(buf, static_cast<std::size_t>(len)));
            if (!r) {
                st_.fail("unparsable udp reply");
                continue;
            }
            if (auto* c = std::get_if<UdpConnectResponse>(&*r)) {
                if (s.connecting && c->transaction_id == s.connect_tid)
                    connected(s, c->connection_id, now);
            } else if (auto* an = std::get_if<UdpAnnounceResponse>(&*r)) {
                if (Slot* sl = waiting_slot(an->transaction_id)) {
                    st_.ok(sl->due, now, an->response.complete + an->response.incomplete);
                    release(static_cast<std::uint32_t>(sl - slots_.data()));
                }
            } else if (auto* er = std::get_if<UdpErrorResponse>(&*r)) {
                error_reply(s, *er);
            }
        }
    }

    void error_reply(Source& s, const UdpErrorResponse& er) {
        if (s.connecting && er.transaction_id == s.connect_tid) {
            s.connecting = false;
            fail_waiting(s, "udp connect refused: " + er.message);
            return;
        }
        Slot* sl = waiting_slot(er.transaction_id);
        if (!sl) return;
        if (er.message.find("connection") != std::string::npos) s.cid_ok = false;
        st_.fail("udp error: " + er.message);
        release(static_cast<std::uint32_t>(sl - slots_.data()));
    }

    void fail_waiting(Source& s, const std::string& why) {
        for (const auto& [k, tid] : std::exchange(s.waiting, {})) {
            if (!slots_[k].busy || slots_[k].tid != tid) continue;
            st_.fail(why);
            release(k);
        }
    }

    // Announces past their time (the oldest first: dispatch times only
    // grow); connects to send again (or give up on).
    void scan(Clock::time_point now) {
        const auto timeout = std::chrono::milliseconds(o_.timeout_ms);
        while (!sent_order_.empty()) {
            const auto [k, tid] = sent_order_.front();
            Slot& sl = slots_[k];
            if (sl.busy && sl.tid == tid) {
                if (now - sl.dispatched < timeout) break;
                ++st_.timeouts;
                release(k);
            }
            sent_order_.pop_front();
        }
        if (now - last_connect_scan_ < std::chrono::milliseconds(200)) return;
        last_connect_scan_ = now;
        for (Source& s : sources_) {
            if (!s.connecting || now - s.connect_sent < kConnectRetry) continue;
            if (s.connect_tries < kConnectTries) {
                send_connect(s, now);
            } else {
                s.connecting = false;
                // Their announces time out by themselves; nothing to count twice.
                s.waiting.clear();
            }
        }
    }

    const MixOptions& o_;
    AnnounceSource& source_;
    MixStats& st_;
    Fd ep_;
    std::vector<Source> sources_;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;
    std::deque<std::pair<std::uint32_t, std::uint32_t>> sent_order_;  // (slot, tid) by dispatch
    std::uint32_t in_flight_ = 0;
    std::uint32_t generation_ = 0;
    std::uint32_t connect_generation_ = 0;
    std::string out_;
    Clock::time_point last_connect_scan_{};
};

}  // namespace

void run_mix_udp(const MixOptions& o, AnnounceSource& source, MixStats& st) {
    UdpMix(o, source, st).run();
}

}  // namespace mt::bench
