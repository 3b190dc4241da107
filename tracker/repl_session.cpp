#include "tracker/repl_session.h"

#include <cstring>
#include <utility>

#include "common/hmac_sha256.h"

namespace mt::tracker::repl {

using State = HandshakeStep::State;

namespace {

HandshakeStep step(State s, std::string out = {}, std::string reason = {}) {
    HandshakeStep r;
    r.state = s;
    r.out = std::move(out);
    r.reason = std::move(reason);
    return r;
}

std::uint8_t other_id(std::uint8_t self) {
    return self == 1 ? 2 : 1;
}

}  // namespace

// ---- S ---------------------------------------------------------------------

InitiatorHandshake::InitiatorHandshake(std::string secret, std::uint8_t self, const Nonce& nonce_s)
    : secret_(std::move(secret)), self_(self), ns_(nonce_s) {}

std::string InitiatorHandshake::start() const {
    return encode_hello1(self_, ns_);
}

HandshakeStep InitiatorHandshake::feed(std::string_view bytes) {
    if (state_ == State::refused) return step(state_);
    if (state_ == State::done) {
        leftover_.append(bytes);
        return step(state_);
    }
    const std::size_t take = std::min(bytes.size(), kHello2Bytes - buf_.size());
    buf_.append(bytes.substr(0, take));
    leftover_.append(bytes.substr(take));
    if (buf_.size() < kHello2Bytes) return step(state_);
    id_r_ = static_cast<std::uint8_t>(buf_[0]);
    std::memcpy(nr_.data(), buf_.data() + 1, nr_.size());
    const std::string_view their_mac = std::string_view(buf_).substr(1 + nr_.size(), 32);
    if (id_r_ == self_ ||
        !common::constant_time_equal(their_mac, responder_mac(secret_, self_, id_r_, ns_, nr_))) {
        state_ = State::refused;
        leftover_.clear();
        return step(state_, {},
                    "failed authentication (different shared secret, or tracker id " +
                        std::to_string(id_r_) + " clashes with ours)");
    }
    state_ = State::done;
    return step(state_, initiator_mac(secret_, self_, id_r_, ns_, nr_));
}

Keys InitiatorHandshake::keys() const {
    return session_keys(secret_, self_, id_r_, ns_, nr_, true);
}

// ---- R ---------------------------------------------------------------------

ResponderHandshake::ResponderHandshake(std::string secret, std::uint8_t self, const Nonce& nonce_r)
    : secret_(std::move(secret)), self_(self), nr_(nonce_r) {}

HandshakeStep ResponderHandshake::refuse(std::string reason) {
    state_ = State::refused;
    buf_.clear();
    leftover_.clear();
    return step(state_, {}, std::move(reason));
}

HandshakeStep ResponderHandshake::feed(std::string_view bytes) {
    if (state_ == State::refused) return step(state_);
    if (state_ == State::done) {
        leftover_.append(bytes);
        return step(state_);
    }
    std::string out;
    if (!replied_) {
        const std::size_t take = std::min(bytes.size(), kHello1Bytes - buf_.size());
        buf_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        // Not the magic: refused as soon as the bytes so far differ from it.
        const std::size_t m = std::min(buf_.size(), kMagic.size());
        if (buf_.compare(0, m, kMagic.substr(0, m)) != 0)
            return refuse("not a replication handshake");
        if (buf_.size() < kHello1Bytes) return step(state_);
        auto h1 = decode_hello1(buf_);
        if (!h1) return refuse(h1.error().message);
        id_s_ = h1->first;
        ns_ = h1->second;
        if (id_s_ != other_id(self_)) return refuse("bad tracker id " + std::to_string(id_s_));
        out.assign(1, static_cast<char>(self_));
        out.append(reinterpret_cast<const char*>(nr_.data()), nr_.size());
        out += responder_mac(secret_, id_s_, self_, ns_, nr_);
        replied_ = true;
        buf_.clear();
    }
    const std::size_t take = std::min(bytes.size(), kHello3Bytes - buf_.size());
    buf_.append(bytes.substr(0, take));
    leftover_.append(bytes.substr(take));
    if (buf_.size() < kHello3Bytes) return step(state_, std::move(out));
    if (!common::constant_time_equal(buf_, initiator_mac(secret_, id_s_, self_, ns_, nr_))) {
        auto r = refuse("authentication failed (wrong shared secret or a replayed handshake)");
        r.out = std::move(out);  // the reply to hello1, if it came in the same feed
        return r;
    }
    state_ = State::done;
    return step(state_, std::move(out));
}

Keys ResponderHandshake::keys() const {
    return session_keys(secret_, id_s_, self_, ns_, nr_, false);
}

// ---- Catch-up ----------------------------------------------------------------

CatchUpPlan plan_catch_up(const CatchUpInput& in) {
    const std::uint8_t other = other_id(in.self);
    const std::uint64_t their_view_of_us = in.self == 1 ? in.theirs.clock1 : in.theirs.clock2;
    const std::uint64_t their_own = in.self == 1 ? in.theirs.clock2 : in.theirs.clock1;
    const std::uint64_t mine = in.mine.seq[in.self];
    CatchUpPlan p;
    p.their_view_of_us = their_view_of_us;
    p.missing = mine > their_view_of_us ? mine - their_view_of_us : 0;
    p.kind = CatchUpPlan::Kind::snapshot;
    if (their_own < in.mine.seq[other])
        p.why = "it lost changes of its own";
    else if (their_view_of_us > mine)
        p.why = "it holds changes of ours that we lost";
    else if (!in.outbox_reaches)
        p.why = "the outbox no longer reaches back to what it has";
    else if (p.missing > in.state_entries + 1000)
        p.why = "a snapshot is shorter than what it missed";
    else
        p.kind = CatchUpPlan::Kind::tail;
    return p;
}

}  // namespace mt::tracker::repl
