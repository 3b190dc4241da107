// The pure pieces of a replication session (the wire format is in
// repl_protocol.h): the handshake of either end as a state machine fed with
// bytes, and the catch-up plan the connecting side makes from the other's
// clock. No sockets, clocks, randomness or logs: the Replicator drives them,
// the unit tests script them and a fuzz target feeds them garbage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tracker/change_log.h"
#include "tracker/repl_protocol.h"

namespace mt::tracker::repl {

// What a handshake says after a feed: the bytes to send now (possibly none)
// and whether it needs more, has finished or has refused the other side.
struct HandshakeStep {
    enum class State { need_more, done, refused };
    State state = State::need_more;
    std::string out;     // send these now
    std::string reason;  // refused: why, for the log
};

// S, the tracker that connects: sends hello1 (start()), reads R's 49 bytes,
// answers with its own mac. Refuses a reply that does not prove the secret,
// or one from a tracker with our own id.
class InitiatorHandshake {
  public:
    InitiatorHandshake(std::string secret, std::uint8_t self, const Nonce& nonce_s);
    std::string start() const;
    HandshakeStep feed(std::string_view bytes);
    // Once done:
    std::uint8_t peer_id() const { return id_r_; }
    Keys keys() const;
    // Bytes that arrived after the handshake (the first frames).
    std::string take_leftover() { return std::move(leftover_); }

  private:
    std::string secret_;
    std::uint8_t self_;
    Nonce ns_;
    Nonce nr_{};
    std::uint8_t id_r_ = 0;
    std::string buf_;
    std::string leftover_;
    HandshakeStep::State state_ = HandshakeStep::State::need_more;
};

// R, the tracker that accepted: reads hello1, answers with its nonce and mac,
// reads S's mac. Refuses what is not the link's magic, a tracker id other
// than the other one's, and a mac that does not prove the secret. It holds at
// most hello1 + hello3 bytes until it decides.
class ResponderHandshake {
  public:
    ResponderHandshake(std::string secret, std::uint8_t self, const Nonce& nonce_r);
    HandshakeStep feed(std::string_view bytes);
    // Once done:
    std::uint8_t peer_id() const { return id_s_; }
    Keys keys() const;
    std::string take_leftover() { return std::move(leftover_); }

  private:
    HandshakeStep refuse(std::string reason);

    std::string secret_;
    std::uint8_t self_;
    Nonce nr_;
    Nonce ns_{};
    std::uint8_t id_s_ = 0;
    bool replied_ = false;
    std::string buf_;
    std::string leftover_;
    HandshakeStep::State state_ = HandshakeStep::State::need_more;
};

// How the connecting side catches the other up, from the clock the other
// sent (HELLO: what it holds durably per origin) and our own.
struct CatchUpInput {
    std::uint8_t self = 1;
    Hello theirs;
    Clock mine;
    // Our outbox still holds every own change after the other's view of us.
    bool outbox_reaches = true;
    // Entries a snapshot would carry (peers + tombstones + metainfos).
    std::uint64_t state_entries = 0;
};

struct CatchUpPlan {
    enum class Kind { tail, snapshot };
    Kind kind = Kind::tail;
    std::uint64_t their_view_of_us = 0;  // own changes the other holds
    std::uint64_t missing = 0;           // own changes it lacks (0 if it is ahead)
    const char* why = "";                // snapshot: the reason, for the log
};

// A snapshot when the other lost changes of its own that we hold (it may
// have lost ours too), when it holds more of ours than we do (we lost them:
// our sequence numbers would clash), when the outbox no longer reaches back
// far enough, or when the tail is longer than a snapshot (by 1000 entries);
// else the journal tail.
CatchUpPlan plan_catch_up(const CatchUpInput& in);

}  // namespace mt::tracker::repl
