// DhtNode: a Mainline DHT node on a UDP socket (BEP 5). One thread owns the
// socket and the Engine (client/dht/engine.h); other threads talk to it
// through a queue: add a bootstrap node, share or stop sharing a torrent,
// look peers up (blocking, with a deadline). The routing table is saved to
// Options::state_file (every 5 minutes and at stop) and read back at start.
// A node speaks the family of its bind address.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/dht/engine.h"
#include "common/mutex.h"
#include "common/net/fd.h"
#include "common/net/socket.h"
#include "common/result.h"

namespace mt::client::dht {

class DhtNode {
  public:
    struct Options {
        common::Endpoint bind{"127.0.0.1", 0};    // a literal address; port 0: any free port
        std::vector<common::Endpoint> bootstrap;  // literal addresses
        std::string state_file;                   // "" = no saved table
        bool read_only = false;
        std::size_t max_queries = 250;  // per source per 10 s
    };

    // Binds, loads the saved table, pings the bootstrap nodes and starts the
    // thread.
    static common::Result<std::unique_ptr<DhtNode>> start(const Options& options);
    ~DhtNode();
    DhtNode(const DhtNode&) = delete;
    DhtNode& operator=(const DhtNode&) = delete;

    void stop();  // saves the table; idempotent
    std::uint16_t port() const { return port_; }
    // Ours: random, or a BEP 42 id for our public address (bound to one, or
    // once others agree on it: Engine).
    NodeId id() const EXCLUDES(mu_) {
        common::MutexLock lock(mu_);
        return status_.id;
    }

    void add_node(const Endpoint& ep);  // e.g. from a peer's PORT message
    void add_own(const common::InfoHash& ih, std::uint16_t port);
    void remove_own(const common::InfoHash& ih);
    // Looks `ih` up (and announces `port` when `announce`); returns when the
    // lookup ends or after timeout_ms with what was found so far.
    // `cancel`, when set, ends the wait early (checked every 100 ms).
    LookupResult get_peers(const common::InfoHash& ih, bool announce, std::uint16_t port,
                           int timeout_ms, const std::atomic<bool>* cancel = nullptr);
    EngineStatus status() const;
    struct LastLookup {
        bool any = false;
        common::InfoHash info_hash;
        std::size_t peers = 0;
        std::size_t queried = 0;
        std::int64_t at_ms = 0;  // common::mono_ms
    };
    LastLookup last_lookup() const;

  private:
    struct Waiter {
        common::InfoHash info_hash;
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
        LookupResult result;
    };
    DhtNode(common::Fd sock, const Engine::Options& eo, const Options& o);
    void run();
    void receive_all(std::int64_t now, std::vector<Outgoing>& out);
    void send_all(std::vector<Outgoing>& out);
    void run_commands(std::int64_t now, std::vector<Outgoing>& out);
    void update_waiters();
    void save_table(std::int64_t now);
    void post(std::function<void(std::int64_t, std::vector<Outgoing>&)> cmd);

    common::Fd sock_;
    common::Fd wake_;
    bool v6_;
    std::uint16_t port_ = 0;
    Options options_;
    Engine engine_;  // the thread's alone
    std::vector<std::pair<Engine::LookupId, std::shared_ptr<Waiter>>> waiters_;  // the thread's

    mutable common::Mutex mu_;
    std::deque<std::function<void(std::int64_t, std::vector<Outgoing>&)>> commands_ GUARDED_BY(mu_);
    EngineStatus status_ GUARDED_BY(mu_);
    LastLookup last_ GUARDED_BY(mu_);
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace mt::client::dht
