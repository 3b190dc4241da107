// Replicator: keeps the other tracker up to date and takes its updates.
//
// Outgoing: one thread connects to the other tracker (retrying with backoff
// while it is down), runs the handshake as initiator, reads the peer's clock
// and catches it up — the journal tail it misses from the outbox, or a full
// snapshot when the outbox no longer reaches back far enough or the peer has
// lost changes of its own — then streams every new durable change of ours and
// batches of touches, and trims the outbox as acknowledgements arrive.
//
// Incoming: the front end hands over a connection whose first bytes are the
// link's magic. It must authenticate within handshake_timeout_ms of being
// accepted; few unauthenticated ones are taken at once (see the options), and
// the partner's address always gets in. One incoming session at a time (a
// newer authenticated one replaces an older one): apply each change (last writer wins, idempotent),
// queue it for the journal, and acknowledge once it is durable. Changes received are never
// forwarded again: the outgoing stream carries only our own.
//
// The wire format is in repl_protocol.h.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/log.h"
#include "common/mutex.h"
#include "common/net/fd.h"
#include "common/net/socket.h"
#include "tracker/change_log.h"
#include "tracker/repl_protocol.h"
#include "tracker/repl_session.h"
#include "tracker/swarm_store.h"

namespace mt::tracker {

struct ReplicatorOptions {
    std::uint8_t self = 1;
    common::Endpoint peer;
    std::string secret;
    int connect_timeout_ms = 1000;
    int backoff_min_ms = 100;
    int backoff_max_ms = 2000;
    int io_timeout_ms = 15000;  // a silent link is dropped after this
    // From accepting a connection to its authentication, whole: trickled
    // bytes do not extend it (slowloris on the link).
    int handshake_timeout_ms = 3000;
    // Unauthenticated connections at once, and of those from one address.
    // The partner's address (partner_ip; nullopt = unknown) is
    // always admitted: it takes the place of the oldest pending handshake.
    std::size_t max_incoming = 8;
    std::size_t max_incoming_per_address = 2;
    std::optional<common::IpAddr> partner_ip;
    int ping_ms = 2000;
    std::size_t batch = 1000;  // changes per frame
};

struct ReplicationStatus {
    bool outgoing_connected = false;
    bool incoming_connected = false;
    std::uint64_t sent_seq = 0;   // own changes sent on the current session
    std::uint64_t acked_seq = 0;  // own changes the peer has made durable
    std::uint64_t own_seq = 0;    // own changes made durable here
    std::uint64_t received = 0;   // changes applied from the peer (all sessions)
    std::uint64_t snapshots_sent = 0;
    std::uint64_t snapshots_received = 0;
    std::uint64_t refused = 0;  // handshakes or frames that failed authentication
    std::uint64_t connects = 0;
    // The last catch-up of the other tracker by our outgoing link (wall ms
    // when it was planned; 0: none since start): a snapshot, or the tail of
    // `last_catch_up_changes` changes it missed.
    std::int64_t last_catch_up_ms = 0;
    bool last_catch_up_snapshot = false;
    std::uint64_t last_catch_up_changes = 0;
    std::int64_t last_snapshot_received_ms = 0;  // wall ms; 0: none since start
};

class Replicator {
  public:
    using NowFn = std::function<std::int64_t()>;  // wall clock, ms

    Replicator(ReplicatorOptions options, SwarmStore& store, ChangeLog& changelog,
               common::Logger& log, NowFn now);
    ~Replicator();
    Replicator(const Replicator&) = delete;
    Replicator& operator=(const Replicator&) = delete;

    void start();
    void stop();

    // A connection that began with the link's magic; `first_bytes` is all the
    // front end has read from it so far; `peer_ip` its source address (host
    // byte order); `accepted_ms` (common::mono_ms) when it was accepted, the
    // start of its handshake deadline (-1: now).
    void accept(common::Fd fd, std::string first_bytes, const std::string& peer_address,
                const common::IpAddr& peer_ip = {}, std::int64_t accepted_ms = -1);

    ReplicationStatus status() const;

  private:
    // Outgoing: connect with backoff; a session is the handshake, the
    // catch-up (journal tail or snapshot), then streaming until the link
    // ends. run_outgoing_session: true if it got as far as streaming.
    void outgoing_loop();
    bool run_outgoing_session(common::Fd& fd);
    std::optional<repl::FrameCipher> outgoing_handshake(int fd);
    // The seq of our own changes the other now has (or will have once what
    // was sent arrives); nullopt: the session ended.
    std::optional<std::uint64_t> catch_up(int fd, repl::FrameCipher& cipher);
    bool send_snapshot(int fd, repl::FrameCipher& cipher, const Clock& clk, std::size_t& entries);
    bool stream_changes(int fd, repl::FrameCipher& cipher, std::uint64_t sent);
    // Sends the touches batched since the last call: whether any went out;
    // nullopt on a write error.
    std::optional<bool> send_touches(int fd, repl::FrameCipher& cipher);
    enum class Heard { nothing, something, closed, error };
    // Waits up to 250 ms for new work or bytes, and takes the acks that came.
    Heard wait_and_read_acks(int fd, repl::FrameCipher& cipher);

    // Incoming: the handshake, then apply what arrives and acknowledge it.
    struct Incoming;
    void incoming_session(int fd, std::string first_bytes, const std::string& peer_address,
                          Incoming& self, std::int64_t deadline_ms);
    bool incoming_handshake(int fd, repl::ResponderHandshake& hs, std::string first,
                            const std::string& peer, Incoming& self, std::int64_t deadline_ms);
    struct Received {
        bool in_snapshot = false;
        std::size_t snapshot_entries = 0;
        std::uint64_t applied = 0;  // since last added to status_.received
    };
    void receive_changes(int fd, repl::FrameCipher& cipher, std::uint8_t id_s,
                         const std::string& peer);
    // The answer to send, if any (an Ack once the changes are durable).
    std::optional<repl::Message> apply_changes(const std::vector<Change>& changes,
                                               std::uint8_t id_s, Received& r);
    repl::Message finish_snapshot(const repl::SnapEnd& end, std::uint8_t id_s, Received& r);
    // Counts a refused connection and logs it, at most kRefusalLogs lines per
    // 10 s (a flood of strangers must not flood the log). Caller holds mu_.
    void note_refusal_locked(const std::string& peer_address, const std::string& why) REQUIRES(mu_);
    bool sleep_for(int ms);  // false if stopping

    ReplicatorOptions opt_;
    SwarmStore& store_;
    ChangeLog& changelog_;
    common::Logger& log_;
    NowFn now_;

    std::atomic<bool> stopping_{false};
    common::Fd wake_;  // eventfd: new durable changes or touches
    mutable common::Mutex mu_;
    std::condition_variable cv_;
    std::thread outgoing_;
    // Incoming connections, each in its own thread from the first byte; only
    // one that has authenticated replaces the current session, so a stranger
    // cannot cut the link by connecting.
    struct Incoming {
        std::thread thread;
        // fd, authenticated, evicted: under Replicator::mu_ (the analysis
        // cannot name an enclosing object's mutex from a nested struct).
        int fd = -1;  // -1 once the session has closed it
        common::IpAddr ip;
        std::int64_t started_ms = 0;  // mono_ms at accept
        bool authenticated = false;
        bool evicted = false;  // shut down for the partner
        std::atomic<bool> done{false};
    };
    std::list<std::unique_ptr<Incoming>> incoming_ GUARDED_BY(mu_);
    int current_incoming_fd_ GUARDED_BY(mu_) = -1;
    int outgoing_fd_ GUARDED_BY(mu_) = -1;
    ReplicationStatus status_ GUARDED_BY(mu_);
    std::int64_t refusal_window_ms_ GUARDED_BY(mu_) = 0;
    std::size_t refusals_logged_ GUARDED_BY(mu_) = 0;  // in the current window
    std::size_t refusals_unlogged_ GUARDED_BY(mu_) = 0;
};

}  // namespace mt::tracker
