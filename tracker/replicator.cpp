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

// Reads exactly n bytes before mono_ms() reaches deadline_ms (however the
// bytes trickle in). Errors: timeout, closed, io_error.
common::Status read_exact_by(int fd, char* buf, std::size_t n, std::int64_t deadline_ms) {
    while (n > 0) {
        const std::int64_t left = deadline_ms - common::mono_ms();
        if (left <= 0) return make_error(Errc::timeout, "handshake not completed in time");
        auto r = common::read_some(fd, buf, n, static_cast<int>(left));
        if (!r) return r.error();
        buf += *r;
        n -= *r;
    }
    return {};
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
    const int io = opt_.io_timeout_ms;
    const std::string peer = opt_.peer.to_string();
    const repl::Nonce ns = fresh_nonce();
    if (!common::write_all(fd.get(), repl::encode_hello1(opt_.self, ns), io)) return false;
    char h2[repl::kHello2Bytes];
    // Whoever answers at the other tracker's address gets one deadline for
    // its reply, not one per byte.
    const std::int64_t deadline = common::mono_ms() + opt_.handshake_timeout_ms;
    if (auto s = read_exact_by(fd.get(), h2, sizeof h2, deadline); !s) {
        log_.warn(cat("replication: handshake with ", peer, " failed: ", s.error().message));
        return false;
    }
    const auto id_r = static_cast<std::uint8_t>(h2[0]);
    repl::Nonce nr{};
    std::memcpy(nr.data(), h2 + 1, nr.size());
    const std::string_view their_mac(h2 + 1 + nr.size(), 32);
    if (id_r == opt_.self ||
        !common::constant_time_equal(their_mac,
                                     repl::responder_mac(opt_.secret, opt_.self, id_r, ns, nr))) {
        common::MutexLock lock(mu_);
        ++status_.refused;
        log_.error(cat("replication: ", peer,
                       " failed authentication (different shared secret, or tracker id ", int(id_r),
                       " clashes with ours)"));
        return false;
    }
    if (!common::write_all(fd.get(), repl::initiator_mac(opt_.secret, opt_.self, id_r, ns, nr), io))
        return false;
    repl::FrameCipher cipher(repl::session_keys(opt_.secret, opt_.self, id_r, ns, nr, true));

    auto hello_msg = recv_message(fd.get(), cipher, io);
    if (!hello_msg || !std::holds_alternative<repl::Hello>(*hello_msg)) {
        log_.warn(cat("replication: ", peer, " sent no clock after the handshake"));
        return false;
    }
    const auto hello = std::get<repl::Hello>(*hello_msg);
    const std::uint64_t their_view_of_us = opt_.self == 1 ? hello.clock1 : hello.clock2;
    const std::uint64_t their_own = opt_.self == 1 ? hello.clock2 : hello.clock1;
    const Clock mine = changelog_.clock();
    const std::uint8_t other = opt_.self == 1 ? 2 : 1;
    // The peer's clock counts what it holds durably: that is acknowledged
    // (after a restart nothing else would say so until the next change).
    changelog_.acked(std::min(their_view_of_us, mine.seq[opt_.self]));

    std::uint64_t sent = their_view_of_us;
    std::vector<Change> batch;
    bool need_snapshot = their_own < mine.seq[other] || their_view_of_us > mine.seq[opt_.self];
    if (!need_snapshot) need_snapshot = !changelog_.own_changes_after(sent, 0, batch);
    if (!need_snapshot) {
        // The journal tail, or the snapshot when that is shorter.
        const auto c = store_.counts();
        need_snapshot =
            mine.seq[opt_.self] - their_view_of_us > c.peers + c.tombstones + c.metainfos + 1000;
    }
    if (need_snapshot) {
        // Send the whole state; the peer merges it (last writer wins).
        const Clock clk = changelog_.clock();
        std::vector<std::string> records;
        store_.dump([&](const Change& c) { records.push_back(encode_change(c)); });
        if (!send_message(fd.get(), cipher, repl::encode_message(repl::SnapBegin{}), io))
            return false;
        for (std::size_t i = 0; i < records.size(); i += opt_.batch) {
            std::vector<std::string> chunk(records.begin() + static_cast<std::ptrdiff_t>(i),
                                           records.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                                 records.size(), i + opt_.batch)));
            if (!send_message(fd.get(), cipher, repl::encode_changes(chunk), io)) return false;
        }
        if (!send_message(fd.get(), cipher,
                          repl::encode_message(repl::SnapEnd{clk.seq[1], clk.seq[2]}), io))
            return false;
        sent = clk.seq[opt_.self];
        common::MutexLock lock(mu_);
        ++status_.snapshots_sent;
        log_.info(cat("replication: connected to ", peer, "; it was behind (has ", their_view_of_us,
                      " of our ", mine.seq[opt_.self], " changes), sent a snapshot of ",
                      records.size(), " entries"));
    } else {
        log_.info(cat("replication: connected to ", peer, "; sending the ",
                      mine.seq[opt_.self] - their_view_of_us, " changes it missed"));
    }
    {
        common::MutexLock lock(mu_);
        status_.outgoing_connected = true;
        status_.sent_seq = sent;
    }

    auto last_send = std::chrono::steady_clock::now();
    auto last_heard = last_send;
    auto last_ping = last_send;
    while (!stopping_) {
        batch.clear();
        if (!changelog_.own_changes_after(sent, opt_.batch, batch)) {
            log_.warn(cat("replication: ", peer,
                          " fell behind the outbox; reconnecting to send a snapshot"));
            return false;
        }
        bool wrote = false;
        if (!batch.empty()) {
            if (!send_message(fd.get(), cipher, repl::encode_message(repl::Changes{batch}), io))
                break;
            sent = batch.back().seq;
            wrote = true;
            common::MutexLock lock(mu_);
            status_.sent_seq = sent;
        }
        auto touches = changelog_.take_touches();
        for (std::size_t i = 0; i < touches.size(); i += 4096) {
            repl::Touches t;
            t.touches.assign(
                touches.begin() + static_cast<std::ptrdiff_t>(i),
                touches.begin() + static_cast<std::ptrdiff_t>(std::min(touches.size(), i + 4096)));
            if (!send_message(fd.get(), cipher, repl::encode_message(t), io)) return false;
            wrote = true;
        }
        const auto now = std::chrono::steady_clock::now();
        const auto ping_every = std::chrono::milliseconds(opt_.ping_ms);
        if (wrote) last_send = now;
        // The other side answers CHANGES and PINGs but not TOUCHES: ping when
        // idle, and also when only touches went out and nothing came back.
        if (now - last_send > ping_every ||
            (now - last_heard > ping_every && now - last_ping > ping_every)) {
            if (!send_message(fd.get(), cipher, repl::encode_message(repl::Ping{}), io)) break;
            last_send = last_ping = now;
        }
        if (batch.size() == opt_.batch) continue;  // more is waiting
        // Wait for new changes, acknowledgements or the touch batching period.
        pollfd fds[2] = {{fd.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
        const int rc = ::poll(fds, 2, 250);
        if (rc < 0 && errno != EINTR) break;
        if (fds[1].revents & POLLIN) {
            std::uint64_t v;
            (void)!::read(wake_.get(), &v, sizeof v);
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            const ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n <= 0) break;
            cipher.feed(std::string_view(buf, static_cast<std::size_t>(n)));
            last_heard = now;
            while (true) {
                auto m = cipher.next();
                if (std::holds_alternative<repl::FrameCipher::NeedMore>(m)) break;
                if (auto* e = std::get_if<common::Error>(&m)) {
                    common::MutexLock lock(mu_);
                    ++status_.refused;
                    log_.error(cat("replication: ", peer, ": ", e->message));
                    return false;
                }
                auto msg = repl::decode_message(std::get<std::string>(m));
                if (msg && std::holds_alternative<repl::Ack>(*msg))
                    changelog_.acked(std::get<repl::Ack>(*msg).seq);
            }
        } else if (now - last_heard > std::chrono::milliseconds(io)) {
            log_.warn(cat("replication: ", peer, " silent for ", io, " ms; reconnecting"));
            break;
        }
    }
    if (!stopping_) log_.warn(cat("replication: lost the link to ", peer));
    return true;
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
                        std::uint32_t peer_ip, std::int64_t accepted_ms) {
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
    const int io = opt_.io_timeout_ms;
    auto refuse = [&](const std::string& why) {
        common::MutexLock lock(mu_);
        note_refusal_locked(peer, why);
    };
    // Time left of the whole handshake; every read and write waits at most that.
    auto left = [&] {
        return static_cast<int>(std::max<std::int64_t>(0, deadline_ms - common::mono_ms()));
    };
    auto incomplete = [&](const common::Error& e) {
        if (e.code == Errc::timeout || left() == 0)
            return refuse(cat("handshake not completed within ", opt_.handshake_timeout_ms, " ms"));
        bool evicted;
        {
            common::MutexLock lock(mu_);
            evicted = self.evicted;
        }
        refuse(evicted ? "closed to let the other tracker in" : "incomplete handshake");
    };
    while (first.size() < repl::kHello1Bytes) {
        char buf[64];
        auto n = common::read_some(fd, buf, repl::kHello1Bytes - first.size(), left());
        if (!n) return incomplete(n.error());
        first.append(buf, *n);
    }
    auto h1 = repl::decode_hello1(std::string_view(first).substr(0, repl::kHello1Bytes));
    if (!h1) return refuse(h1.error().message);
    const std::uint8_t id_s = h1->first;
    if (id_s == opt_.self || (id_s != 1 && id_s != 2))
        return refuse("bad tracker id " + std::to_string(id_s));
    const repl::Nonce nr = fresh_nonce();
    std::string h2(1, static_cast<char>(opt_.self));
    h2.append(reinterpret_cast<const char*>(nr.data()), nr.size());
    h2 += repl::responder_mac(opt_.secret, id_s, opt_.self, h1->second, nr);
    if (!common::write_all(fd, h2, left())) return;
    std::string h3 = first.substr(repl::kHello1Bytes);
    while (h3.size() < repl::kHello3Bytes) {
        char buf[64];
        auto n = common::read_some(fd, buf, sizeof buf, left());
        if (!n) return incomplete(n.error());
        h3.append(buf, *n);
    }
    if (!common::constant_time_equal(
            std::string_view(h3).substr(0, 32),
            repl::initiator_mac(opt_.secret, id_s, opt_.self, h1->second, nr)))
        return refuse("authentication failed (wrong shared secret or a replayed handshake)");
    repl::FrameCipher cipher(
        repl::session_keys(opt_.secret, id_s, opt_.self, h1->second, nr, false));
    cipher.feed(std::string_view(h3).substr(32));

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
    if (!send_message(fd, cipher, repl::encode_message(repl::Hello{clk.seq[1], clk.seq[2]}), io)) {
        common::MutexLock lock(mu_);
        if (current_incoming_fd_ == fd) current_incoming_fd_ = -1;
        return;
    }
    log_.info(cat("replication: tracker ", int(id_s), " connected from ", peer));

    std::uint64_t received = 0;
    bool in_snapshot = false;
    std::size_t snapshot_entries = 0;
    while (!stopping_) {
        auto msg = recv_message(fd, cipher, io);
        if (!msg) {
            if (msg.error().code == Errc::refused || msg.error().code == Errc::parse_error ||
                msg.error().code == Errc::limit_exceeded)
                refuse(msg.error().message);
            else
                log_.warn(cat("replication: link from tracker ", int(id_s),
                              " ended: ", msg.error().message));
            break;
        }
        if (auto* ch = std::get_if<repl::Changes>(&*msg)) {
            std::uint64_t top = 0, ticket = 0;
            const std::int64_t now = now_();
            for (const auto& c : ch->changes) {
                store_.apply(c, now);
                // A snapshot's entries become durable together, by a compaction at
                // its end: one cut off halfway is then not mistaken for complete.
                if (!in_snapshot) ticket = changelog_.enqueue_remote(c);
                if (c.origin == id_s) top = std::max(top, c.seq);
            }
            received += ch->changes.size();
            snapshot_entries += in_snapshot ? ch->changes.size() : 0;
            if (!in_snapshot && ticket) {
                changelog_.wait_durable(ticket);
                if (!send_message(fd, cipher, repl::encode_message(repl::Ack{top}), io)) break;
            }
        } else if (auto* t = std::get_if<repl::Touches>(&*msg)) {
            for (const auto& x : t->touches)
                store_.touch(x);
        } else if (std::holds_alternative<repl::SnapBegin>(*msg)) {
            in_snapshot = true;
            snapshot_entries = 0;
        } else if (auto* end = std::get_if<repl::SnapEnd>(&*msg)) {
            in_snapshot = false;
            {
                common::MutexLock lock(mu_);
                ++status_.snapshots_received;
            }
            changelog_.compact_now();
            changelog_.raise_clock(1, end->clock1);
            changelog_.raise_clock(2, end->clock2);
            const std::uint64_t top = id_s == 1 ? end->clock1 : end->clock2;
            log_.info(cat("replication: caught up from tracker ", int(id_s), " by snapshot of ",
                          snapshot_entries, " entries"));
            if (!send_message(fd, cipher, repl::encode_message(repl::Ack{top}), io)) break;
        } else if (std::holds_alternative<repl::Ping>(*msg)) {
            // Answer, or an idle sender hears nothing and drops the link after io ms.
            if (!send_message(fd, cipher, repl::encode_message(repl::Ping{}), io)) break;
        }
        common::MutexLock lock(mu_);
        status_.received += std::exchange(received, 0);
    }
    common::MutexLock lock(mu_);
    if (current_incoming_fd_ == fd) {
        current_incoming_fd_ = -1;
        status_.incoming_connected = false;
    }
}

}  // namespace mt::tracker
