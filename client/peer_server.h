// PeerServer: accepts peer connections on the client's upload port, reads
// each handshake (in a short-lived thread, with a deadline) and hands the
// connection to the torrent whose info_hash it names; a handshake for a
// torrent we do not serve is closed at once.
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.h"
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
    };
    void accept_loop();
    void handshake(common::Fd fd, std::string address);

    common::Fd listener_;
    common::Logger& log_;
    const std::size_t max_handshakes_;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
    std::mutex mu_;
    std::vector<Torrent*> torrents_;
    std::list<std::unique_ptr<Pending>> pending_;
};

}  // namespace mt::client
