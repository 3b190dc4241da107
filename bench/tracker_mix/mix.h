// The join and mix phases of bench/tracker_load: announces of a SwarmModel's
// peers, each sent from the peer's own loopback address (127.x.y.z) to its
// target (address number % number of targets, i.e. peer index % targets when
// the number of addresses is a multiple of it), one thread, epoll.
//
// Closed loop (rate 0): `concurrency` announces in flight, the next one sent
// as soon as one is answered; latency from the send. Open loop (rate R):
// announce n is due at start + n / R whatever happened before; it goes out
// as soon as it is due and a slot is free (at most `concurrency` in flight:
// by default 65535 over UDP, 1024 HTTP connections), and its latency counts
// from when it was due, so a tracker that falls behind is charged for the
// queue it causes (no coordinated omission).
//
// UDP: one socket per source address, connect()ed to its target; a BEP 15
// connection id is asked for on the address's first announce and again once
// it is 50 s old (trackers accept one for 60 s or more), the announces
// waiting for it queued on the socket (their latency includes the connect).
// HTTP close: a connection per announce, bound to the peer's address.
// HTTP keep-alive: a connection bound to one address carries announces of
// that address's peers only, up to `keepalive_requests` of them (a client or
// a NAT with many torrents), then closes; a tracker that closes it sooner
// gets a new one from another address. A request already sent on a
// connection the tracker closed without a byte of reply is sent again on a
// new one (counted in stale_retries, not as a failure).
//
// A request not answered within timeout_ms is a timeout and is not sent
// again; the model's membership changes when an announce is sent, answered
// or not.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/tracker_mix/swarm_model.h"
#include "common/net/socket.h"

namespace mt::bench {

using Clock = std::chrono::steady_clock;

struct MixOptions {
    bool http = false;
    bool http_close = false;
    bool join = false;  // the join phase; otherwise the mix
    std::vector<common::SockAddr> targets;
    std::uint64_t count = 0;
    std::uint32_t concurrency = 64;
    double rate = 0;  // announces/s; 0: closed loop
    std::uint32_t keepalive_requests = 100;
    int timeout_ms = 5000;
    double time_limit_s = 120;
    std::uint64_t seed = 1;
};

struct MixStats {
    std::uint64_t issued = 0;
    std::uint64_t answered = 0;
    std::uint64_t failures = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t reconnects = 0;     // keep-alive connections the tracker closed first
    std::uint64_t stale_retries = 0;  // requests sent again after such a close
    std::uint64_t udp_connects = 0;   // BEP 15 connect requests sent
    std::uint64_t events[4] = {};     // by common::AnnounceEvent
    std::uint64_t swarm_sum = 0;
    std::vector<std::uint32_t> latency_us;
    std::string first_failure;
    Clock::time_point last_answer{};

    void fail(const std::string& why) {
        ++failures;
        if (first_failure.empty()) first_failure = why;
    }
    void ok(Clock::time_point due, Clock::time_point now, std::uint32_t swarm) {
        ++answered;
        swarm_sum += swarm;
        last_answer = now;
        latency_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - due).count()));
    }
};

// The announces to send, in order: joins or mix events, drawn from the model.
class AnnounceSource {
  public:
    AnnounceSource(const MixOptions& o, SwarmModel& model);
    std::uint32_t address_count() const { return model_.params().addresses; }
    // The next announce of any address (sets `address`), or false when the
    // join has nobody left.
    bool next_any(MixStats& s, std::uint32_t& address, common::AnnounceRequest& out);
    // The next announce from `address`; false if the join has nobody left there.
    bool next_at(MixStats& s, std::uint32_t address, common::AnnounceRequest& out);

  private:
    void counted(MixStats& s, const Draw& d, common::AnnounceRequest& out);

    SwarmModel& model_;
    bool join_;
    std::mt19937_64 rng_;
};

// When the next announce is due (open loop) and which ones are.
class Schedule {
  public:
    Schedule(double rate, std::uint64_t count, Clock::time_point start)
        : rate_(rate), count_(count), start_(start) {}
    bool open_loop() const { return rate_ > 0; }
    // An announce is due and not yet sent.
    bool due(Clock::time_point now) const {
        return taken_ < count_ && (!open_loop() || at(taken_) <= now);
    }
    // Takes the next due announce: when it was due (now in a closed loop).
    Clock::time_point take(Clock::time_point now) {
        return open_loop() ? at(taken_++) : (++taken_, now);
    }
    // When the next one falls due (open loop, some left).
    Clock::time_point next_at() const { return at(taken_); }
    bool all_taken() const { return taken_ >= count_; }
    // Nothing more to send (the source ran out).
    void stop() { count_ = taken_; }

  private:
    Clock::time_point at(std::uint64_t n) const {
        return start_ + std::chrono::nanoseconds(
                            static_cast<std::int64_t>(static_cast<double>(n) * 1e9 / rate_));
    }
    double rate_;
    std::uint64_t count_;
    std::uint64_t taken_ = 0;
    Clock::time_point start_;
};

// Waits on `ep` up to `until` (with sub-millisecond precision) or 20 ms.
int wait_events(int ep, void* events, int max, Clock::time_point now, Clock::time_point until);

// The loopback address number `a` stands for, port 0 (to bind to).
common::SockAddr source_address(std::uint32_t a);

void run_mix_udp(const MixOptions& o, AnnounceSource& source, MixStats& st);
void run_mix_http(const MixOptions& o, AnnounceSource& source, MixStats& st);

}  // namespace mt::bench
