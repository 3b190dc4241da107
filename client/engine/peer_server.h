// PeerServer: accepts peer connections on the client's upload port, reads
// each handshake (in a short-lived thread, with a deadline) and hands the
// connection to the torrent whose info_hash it names; a handshake for a
// torrent we do not serve is closed at once.
//
// At most max_handshakes are read at once. When that many are waiting, a new
// connection takes the place of the one that has waited longest (its socket
// is shut down): connections that never send a handshake would otherwise hold
// every slot for the 10 s deadline and shut honest peers out.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/mutex.h"
#include "common/net/fd.h"

namespace mt::client {

class Torrent;

class PeerServer {
  public:
    PeerServer(common::Fd listener, common::Logger& log, std::size_t max_handshakes = 64);
    ~PeerServer();
    PeerServer(const PeerServer&) = delete;
    PeerServer& operator=(const PeerServer&) = delete;

    void add(Torrent* t);
    void remove(Torrent* t);
    void start();
    void stop();

  private:
    struct Pending {
        std::thread thread;
        std::atomic<bool> done{false};
        int fd = -1;  // guarded by mu_: the socket while its handshake is read, then -1
        std::string address;
    };
    void accept_loop();
    void make_room_locked(const std::string& newcomer) REQUIRES(mu_);
    void handshake(Pending* p, common::Fd fd);

    common::Fd listener_;
    common::Logger& log_;
    const std::size_t max_handshakes_;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
    common::Mutex mu_;
    std::vector<Torrent*> torrents_ GUARDED_BY(mu_);
    std::list<std::unique_ptr<Pending>> pending_ GUARDED_BY(mu_);  // oldest first
    std::int64_t last_limit_log_ms_ GUARDED_BY(mu_) = 0;
    std::size_t dropped_since_log_ GUARDED_BY(mu_) = 0;
};

}  // namespace mt::client
