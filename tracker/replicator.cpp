#include "tracker/replicator.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/hex.h"
#include "common/hmac_sha256.h"
#include "common/random.h"
#include "tracker/conn_limits.h"
#include "tracker/repl_protocol.h"
#include "tracker/repl_session.h"

namespace mt::tracker {

using common::cat;
using common::Errc;
using common::Fd;
using common::make_error;

namespace {

repl::Nonce fresh_nonce() {
    repl::Nonce n{};
    common::random_bytes(n.data(), n.size());
    return n;
}

common::Status send_message(int fd, repl::FrameCipher& cipher, std::string_view message,
                            int timeout_ms) {
    std::string frame;
    cipher.seal(message, frame);
    return common::write_all(fd, frame, timeout_ms);
}

// Reads until one whole message is there. Errors: timeout, closed, refused.
common::Result<repl::Message> recv_message(int fd, repl::FrameCipher& cipher, int timeout_ms) {
    while (true) {
        auto m = cipher.next();
        if (auto* e = std::get_if<common::Error>(&m)) return *e;
        if (auto* s = std::get_if<std::string>(&m)) return repl::decode_message(*s);
        char buf[65536];
        auto n = common::read_some(fd, buf, sizeof buf, timeout_ms);
        if (!n) return n.error();
        cipher.feed(std::string_view(buf, *n));
    }
}

}  // namespace

Replicator::Replicator(ReplicatorOptions options, SwarmStore& store, ChangeLog& changelog,
                       common::Logger& log, NowFn now)
    : opt_(std::move(options)),
      store_(store),
      changelog_(changelog),
      log_(log),
      now_(std::move(now)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    const int wfd = wake_.get();
    changelog_.add_listener([wfd] {
        const std::uint64_t one = 1;
        (void)!::write(wfd, &one, sizeof one);
    });
}

Replicator::~Replicator() {
    stop();
}

void Replicator::start() {
    outgoing_ = std::thread([this] { outgoing_loop(); });
}

void Replicator::stop() {
    if (stopping_.exchange(true)) return;
    {
        common::MutexLock lock(mu_);
        for (auto& in : incoming_)
            if (in->fd >= 0) ::shutdown(in->fd, SHUT_RDWR);
        if (outgoing_fd_ >= 0) ::shutdown(outgoing_fd_, SHUT_RDWR);
    }
    cv_.notify_all();
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    if (outgoing_.joinable()) outgoing_.join();
    std::list<std::unique_ptr<Incoming>> all;
    {
        common::MutexLock lock(mu_);
        all.swap(incoming_);
    }
    for (auto& in : all)
        in->thread.join();
}

bool Replicator::sleep_for(int ms) {
    common::MutexLock lock(mu_);
    cv_.wait_for(lock.native(), std::chrono::milliseconds(ms), [&] { return stopping_.load(); });
    return !stopping_;
}

ReplicationStatus Replicator::status() const {
    common::MutexLock lock(mu_);
    ReplicationStatus s = status_;
    const auto st = changelog_.stats();
    s.acked_seq = st.acked_seq;
    s.own_seq = changelog_.clock().seq[opt_.self];
    return s;
}

// ---- Outgoing: we push our changes ----------------------------------------

void Replicator::outgoing_loop() {
    int backoff = opt_.backoff_min_ms;
    bool reported_down = false;
    while (!stopping_) {
        auto fd = common::tcp_connect(opt_.peer, opt_.connect_timeout_ms);
        if (!fd) {
            if (!reported_down)
                log_.warn(cat("replication: other tracker ", opt_.peer.to_string(),
                              " unreachable (", fd.error().message,
                              "); serving alone, retrying with backoff"));
            reported_down = true;
            if (!sleep_for(backoff)) break;
            backoff = std::min(backoff * 2, opt_.backoff_max_ms);
            continue;
        }
        reported_down = false;
        (void)common::set_nodelay(fd->get());
        {
            common::MutexLock lock(mu_);
            outgoing_fd_ = fd->get();
            ++status_.connects;
        }
        const bool clean = run_outgoing_session(*fd);
        {
            common::MutexLock lock(mu_);
            outgoing_fd_ = -1;
            status_.outgoing_connected = false;
        }
        if (clean) backoff = opt_.backoff_min_ms;
        if (!stopping_ && !sleep_for(backoff)) break;
        backoff = std::min(backoff * 2, opt_.backoff_max_ms);
    }
}

bool Replicator::run_outgoing_session(Fd& fd) {
    auto link = outgoing_handshake(fd.get());
    if (!link) return false;
    const auto sent = catch_up(fd.get(), *link);
    if (!sent) return false;
    {
        common::MutexLock lock(mu_);
        status_.outgoing_connected = true;
        status_.sent_seq = *sent;
    }
    return stream_changes(fd.get(), *link, *sent);
}

std::optional<repl::FrameCipher> Replicator::outgoing_handshake(int fd) {
    const std::string peer = opt_.peer.to_string();
    repl::InitiatorHandshake hs(opt_.secret, opt_.self, fresh_nonce());
    if (!common::write_all(fd, hs.start(), opt_.io_timeout_ms)) return std::nullopt;
    // Whoever answers at the other tracker's address gets one deadline for
    // its reply, not one per byte.
    const std::int64_t deadline = common::mono_ms() + opt_.handshake_timeout_ms;
    repl::HandshakeStep st;
    while (st.state == repl::HandshakeStep::State::need_more) {
        char buf[repl::kHello2Bytes];
        const std::int64_t left = deadline - common::mono_ms();
        auto n = left <= 0 ? common::Result<std::size_t>(
                                 make_error(Errc::timeout, "handshake not completed in time"))
                           : common::read_some(fd, buf, sizeof buf, static_cast<int>(left));
        if (!n) {
            log_.warn(cat("replication: handshake with ", peer, " failed: ", n.error().message));
            return std::nullopt;
        }
        st = hs.feed(std::string_view(buf, *n));
    }
    if (st.state == repl::HandshakeStep::State::refused) {
        common::MutexLock lock(mu_);
        ++status_.refused;
        log_.error(cat("replication: ", peer, " ", st.reason));
        return std::nullopt;
    }
    if (!common::write_all(fd, st.out, opt_.io_timeout_ms)) return std::nullopt;
    repl::FrameCipher cipher(hs.keys());
    cipher.feed(hs.take_leftover());
    return cipher;
}

std::optional<std::uint64_t> Replicator::catch_up(int fd, repl::FrameCipher& cipher) {
    const std::string peer = opt_.peer.to_string();
    auto hello = recv_message(fd, cipher, opt_.io_timeout_ms);
    if (!hello || !std::holds_alternative<repl::Hello>(*hello)) {
        log_.warn(cat("replication: ", peer, " sent no clock after the handshake"));
        return std::nullopt;
    }
    repl::CatchUpInput in;
    in.self = opt_.self;
    in.theirs = std::get<repl::Hello>(*hello);
    in.mine = changelog_.clock();
    const std::uint64_t their_view_of_us = opt_.self == 1 ? in.theirs.clock1 : in.theirs.clock2;
    // The other's clock counts what it holds durably: that is acknowledged
    // (after a restart nothing else would say so until the next change).
    changelog_.acked(std::min(their_view_of_us, in.mine.seq[opt_.self]));
    std::vector<Change> none;
    in.outbox_reaches = changelog_.own_changes_after(their_view_of_us, 0, none);
    const auto c = store_.counts();
    in.state_entries = c.peers + c.tombstones + c.metainfos;
    const auto plan = repl::plan_catch_up(in);
    if (plan.kind == repl::CatchUpPlan::Kind::tail) {
        {
            common::MutexLock lock(mu_);
            status_.last_catch_up_ms = now_();
            status_.last_catch_up_snapshot = false;
            status_.last_catch_up_changes = plan.missing;
        }
        log_.info(cat("replication: connected to ", peer, "; sending the ", plan.missing,
                      " changes it missed"));
        return plan.their_view_of_us;
    }
    const Clock clk = changelog_.clock();
    std::size_t entries = 0;
    if (!send_snapshot(fd, cipher, clk, entries)) return std::nullopt;
    common::MutexLock lock(mu_);
    ++status_.snapshots_sent;
    status_.last_catch_up_ms = now_();
    status_.last_catch_up_snapshot = true;
    status_.last_catch_up_changes = 0;
    log_.info(cat("replication: connected to ", peer, "; sent a snapshot of ", entries,
                  " entries (", plan.why, "; it has ", plan.their_view_of_us, " of our ",
                  in.mine.seq[opt_.self], " changes)"));
    return clk.seq[opt_.self];
}

bool Replicator::send_snapshot(int fd, repl::FrameCipher& cipher, const Clock& clk,
                               std::size_t& entries) {
    // The whole state; the other merges it (last writer wins). `clk` was read
    // before the dump: the snapshot covers at least that much.
    const int io = opt_.io_timeout_ms;
    std::vector<std::string> records;
    store_.dump([&](const Change& c) { records.push_back(encode_change(c)); });
    entries = records.size();
    if (!send_message(fd, cipher, repl::encode_message(repl::SnapBegin{}), io)) return false;
    for (std::size_t i = 0; i < records.size(); i += opt_.batch) {
        const auto first = records.begin() + static_cast<std::ptrdiff_t>(i);
        const auto last =
            records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + opt_.batch));
        if (!send_message(fd, cipher, repl::encode_changes({first, last}), io)) return false;
    }
    return bool(
        send_message(fd, cipher, repl::encode_message(repl::SnapEnd{clk.seq[1], clk.seq[2]}), io));
}

bool Replicator::stream_changes(int fd, repl::FrameCipher& cipher, std::uint64_t sent) {
    const int io = opt_.io_timeout_ms;
    const std::string peer = opt_.peer.to_string();
    const auto ping_every = std::chrono::milliseconds(opt_.ping_ms);
    auto last_send = std::chrono::steady_clock::now();
    auto last_heard = last_send;
    auto last_ping = last_send;
    std::vector<Change> batch;
    while (!stopping_) {
        batch.clear();
        if (!changelog_.own_changes_after(sent, opt_.batch, batch)) {
            log_.warn(cat("replication: ", peer,
                          " fell behind the outbox; reconnecting to send a snapshot"));
            return false;
        }
        bool wrote = false;
        if (!batch.empty()) {
            if (!send_message(fd, cipher, repl::encode_message(repl::Changes{batch}), io)) break;
            sent = batch.back().seq;
            wrote = true;
            common::MutexLock lock(mu_);
            status_.sent_seq = sent;
        }
        const auto touches = send_touches(fd, cipher);
        if (!touches) return false;
        wrote = wrote || *touches;
        const auto now = std::chrono::steady_clock::now();
        if (wrote) last_send = now;
        // The other side answers CHANGES and PINGs but not TOUCHES: ping when
        // idle, and also when only touches went out and nothing came back.
        if (now - last_send > ping_every ||
            (now - last_heard > ping_every && now - last_ping > ping_every)) {
            if (!send_message(fd, cipher, repl::encode_message(repl::Ping{}), io)) break;
            last_send = last_ping = now;
        }
        if (batch.size() == opt_.batch) continue;  // more is waiting
        const auto heard = wait_and_read_acks(fd, cipher);
        if (heard == Heard::error) return false;
        if (heard == Heard::closed) break;
        if (heard == Heard::something) {
            last_heard = now;
        } else if (now - last_heard > std::chrono::milliseconds(io)) {
            log_.warn(cat("replication: ", peer, " silent for ", io, " ms; reconnecting"));
            break;
        }
    }
    if (!stopping_) log_.warn(cat("replication: lost the link to ", peer));
    return true;
}

std::optional<bool> Replicator::send_touches(int fd, repl::FrameCipher& cipher) {
    constexpr std::size_t kPerFrame = 4096;
    const auto touches = changelog_.take_touches();
    for (std::size_t i = 0; i < touches.size(); i += kPerFrame) {
        repl::Touches t;
        t.touches.assign(
            touches.begin() + static_cast<std::ptrdiff_t>(i),
            touches.begin() + static_cast<std::ptrdiff_t>(std::min(touches.size(), i + kPerFrame)));
        if (!send_message(fd, cipher, repl::encode_message(t), opt_.io_timeout_ms))
            return std::nullopt;
    }
    return !touches.empty();
}

Replicator::Heard Replicator::wait_and_read_acks(int fd, repl::FrameCipher& cipher) {
    // New changes or touches wake us (wake_), acknowledgements arrive on fd;
    // else the touch batching period ends after 250 ms.
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    const int rc = ::poll(fds, 2, 250);
    if (rc < 0 && errno != EINTR) return Heard::closed;
    if (fds[1].revents & POLLIN) {
        std::uint64_t v;
        (void)!::read(wake_.get(), &v, sizeof v);
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) return Heard::nothing;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return Heard::closed;
    cipher.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    while (true) {
        auto m = cipher.next();
        if (std::holds_alternative<repl::FrameCipher::NeedMore>(m)) return Heard::something;
        if (auto* e = std::get_if<common::Error>(&m)) {
            common::MutexLock lock(mu_);
            ++status_.refused;
            log_.error(cat("replication: ", opt_.peer.to_string(), ": ", e->message));
            return Heard::error;
        }
        auto msg = repl::decode_message(std::get<std::string>(m));
        if (msg && std::holds_alternative<repl::Ack>(*msg))
            changelog_.acked(std::get<repl::Ack>(*msg).seq);
    }
}

// ---- Incoming: we take the other tracker's changes --------------------------

void Replicator::note_refusal_locked(const std::string& peer, const std::string& why) {
    constexpr std::size_t kRefusalLogs = 20;
    ++status_.refused;
    const std::int64_t now = common::mono_ms();
    if (now - refusal_window_ms_ >= 10000) {
        if (refusals_unlogged_ > 0)
            log_.warn(cat("replication: ", refusals_unlogged_,
                          " more refused connections in the last 10 s not logged"));
        refusal_window_ms_ = now;
        refusals_logged_ = refusals_unlogged_ = 0;
    }
    if (refusals_logged_ < kRefusalLogs) {
        ++refusals_logged_;
        log_.warn(cat("replication: refused connection from ", peer, ": ", why));
    } else {
        ++refusals_unlogged_;
    }
}

void Replicator::accept(Fd fd, std::string first_bytes, const std::string& peer_address,
                        const common::IpAddr& peer_ip, std::int64_t accepted_ms) {
    const std::int64_t now = common::mono_ms();
    if (accepted_ms < 0) accepted_ms = now;
    std::list<std::unique_ptr<Incoming>> finished;
    common::MutexLock lock(mu_);
    if (stopping_) return;
    for (auto it = incoming_.begin(); it != incoming_.end();) {
        if ((*it)->done) {
            finished.push_back(std::move(*it));
            it = incoming_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& f : finished)
        f->thread.join();  // already ended: joins at once
    if (now - accepted_ms >= opt_.handshake_timeout_ms)
        return note_refusal_locked(peer_address, "handshake not started in time");
    std::vector<PendingHandshake> pending;
    std::vector<Incoming*> pending_of;
    for (auto& in : incoming_)
        if (!in->authenticated && !in->evicted && !in->done && in->fd >= 0) {
            pending.push_back({in->ip, in->started_ms});
            pending_of.push_back(in.get());
        }
    const auto admission = admit_handshake(pending, peer_ip, opt_.partner_ip,
                                           opt_.max_incoming_per_address, opt_.max_incoming);
    if (!admission.admit)
        return note_refusal_locked(
            peer_address,
            cat(pending.size(), " unauthenticated replication connections open (at most ",
                opt_.max_incoming, ", ", opt_.max_incoming_per_address, " per address)"));
    if (admission.evict) {
        // The partner's reserved way in: end a stranger's pending handshake.
        Incoming* victim = pending_of[*admission.evict];
        victim->evicted = true;
        ::shutdown(victim->fd, SHUT_RDWR);
    }
    auto in = std::make_unique<Incoming>();
    in->fd = fd.get();
    in->ip = peer_ip;
    in->started_ms = accepted_ms;
    Incoming* raw = in.get();
    const std::int64_t deadline = accepted_ms + opt_.handshake_timeout_ms;
    in->thread = std::thread([this, raw, deadline, f = std::move(fd), b = std::move(first_bytes),
                              peer_address]() mutable {
        incoming_session(f.get(), std::move(b), peer_address, *raw, deadline);
        {
            common::MutexLock l(mu_);
            raw->fd = -1;  // nobody shuts down a reused descriptor number
        }
        f.reset();
        raw->done = true;
    });
    incoming_.push_back(std::move(in));
}

void Replicator::incoming_session(int fd, std::string first, const std::string& peer,
                                  Incoming& self, std::int64_t deadline_ms) {
    repl::ResponderHandshake hs(opt_.secret, opt_.self, fresh_nonce());
    if (!incoming_handshake(fd, hs, std::move(first), peer, self, deadline_ms)) return;
    repl::FrameCipher cipher(hs.keys());
    cipher.feed(hs.take_leftover());
    const std::uint8_t id_s = hs.peer_id();
    {
        // Authenticated: this session replaces the current one, if any.
        common::MutexLock lock(mu_);
        self.authenticated = true;
        if (self.evicted) return;  // shut down for the partner just before
        if (current_incoming_fd_ >= 0) ::shutdown(current_incoming_fd_, SHUT_RDWR);
        current_incoming_fd_ = fd;
        status_.incoming_connected = true;
    }
    const Clock clk = changelog_.clock();
    if (send_message(fd, cipher, repl::encode_message(repl::Hello{clk.seq[1], clk.seq[2]}),
                     opt_.io_timeout_ms)) {
        log_.info(cat("replication: tracker ", int(id_s), " connected from ", peer));
        receive_changes(fd, cipher, id_s, peer);
    }
    common::MutexLock lock(mu_);
    if (current_incoming_fd_ == fd) {
        current_incoming_fd_ = -1;
        status_.incoming_connected = false;
    }
}

bool Replicator::incoming_handshake(int fd, repl::ResponderHandshake& hs, std::string first,
                                    const std::string& peer, Incoming& self,
                                    std::int64_t deadline_ms) {
    auto refuse = [&](const std::string& why) {
        common::MutexLock lock(mu_);
        note_refusal_locked(peer, why);
        return false;
    };
    // Time left of the whole handshake; every read and write waits at most that.
    auto left = [&] {
        return static_cast<int>(std::max<std::int64_t>(0, deadline_ms - common::mono_ms()));
    };
    repl::HandshakeStep st = hs.feed(first);
    while (true) {
        if (!st.out.empty() && !common::write_all(fd, st.out, left())) return false;
        if (st.state == repl::HandshakeStep::State::refused) return refuse(st.reason);
        if (st.state == repl::HandshakeStep::State::done) return true;
        char buf[64];
        auto n = common::read_some(fd, buf, sizeof buf, left());
        if (!n) {
            if (n.error().code == Errc::timeout || left() == 0)
                return refuse(
                    cat("handshake not completed within ", opt_.handshake_timeout_ms, " ms"));
            bool evicted;
            {
                common::MutexLock lock(mu_);
                evicted = self.evicted;
            }
            return refuse(evicted ? "closed to let the other tracker in" : "incomplete handshake");
        }
        st = hs.feed(std::string_view(buf, *n));
    }
}

void Replicator::receive_changes(int fd, repl::FrameCipher& cipher, std::uint8_t id_s,
                                 const std::string& peer) {
    const int io = opt_.io_timeout_ms;
    Received r;
    while (!stopping_) {
        auto msg = recv_message(fd, cipher, io);
        if (!msg) {
            if (msg.error().code == Errc::refused || msg.error().code == Errc::parse_error ||
                msg.error().code == Errc::limit_exceeded) {
                common::MutexLock lock(mu_);
                note_refusal_locked(peer, msg.error().message);
            } else {
                log_.warn(cat("replication: link from tracker ", int(id_s),
                              " ended: ", msg.error().message));
            }
            return;
        }
        // What to answer, if anything: an Ack once changes are durable, a
        // Ping for a Ping (or an idle sender drops the link after io ms).
        std::optional<repl::Message> answer;
        if (auto* ch = std::get_if<repl::Changes>(&*msg)) {
            answer = apply_changes(ch->changes, id_s, r);
        } else if (auto* t = std::get_if<repl::Touches>(&*msg)) {
            for (const auto& x : t->touches)
                store_.touch(x);
        } else if (std::holds_alternative<repl::SnapBegin>(*msg)) {
            r.in_snapshot = true;
            r.snapshot_entries = 0;
        } else if (auto* end = std::get_if<repl::SnapEnd>(&*msg)) {
            answer = finish_snapshot(*end, id_s, r);
        } else if (std::holds_alternative<repl::Ping>(*msg)) {
            answer = repl::Ping{};
        }
        {
            common::MutexLock lock(mu_);
            status_.received += std::exchange(r.applied, 0);
        }
        if (answer && !send_message(fd, cipher, repl::encode_message(*answer), io)) return;
    }
}

std::optional<repl::Message> Replicator::apply_changes(const std::vector<Change>& changes,
                                                       std::uint8_t id_s, Received& r) {
    std::uint64_t top = 0, ticket = 0;
    const std::int64_t now = now_();
    for (const auto& c : changes) {
        store_.apply(c, now);
        // A snapshot's entries become durable together, by a compaction at
        // its end: one cut off halfway is then not mistaken for complete.
        if (!r.in_snapshot) ticket = changelog_.enqueue_remote(c);
        if (c.origin == id_s) top = std::max(top, c.seq);
    }
    r.applied += changes.size();
    if (r.in_snapshot) {
        r.snapshot_entries += changes.size();
        return std::nullopt;
    }
    if (!ticket) return std::nullopt;
    changelog_.wait_durable(ticket);
    return repl::Ack{top};
}

repl::Message Replicator::finish_snapshot(const repl::SnapEnd& end, std::uint8_t id_s,
                                          Received& r) {
    r.in_snapshot = false;
    {
        common::MutexLock lock(mu_);
        ++status_.snapshots_received;
        status_.last_snapshot_received_ms = now_();
    }
    changelog_.compact_now();
    changelog_.raise_clock(1, end.clock1);
    changelog_.raise_clock(2, end.clock2);
    log_.info(cat("replication: caught up from tracker ", int(id_s), " by snapshot of ",
                  r.snapshot_entries, " entries"));
    return repl::Ack{id_s == 1 ? end.clock1 : end.clock2};
}

}  // namespace mt::tracker
