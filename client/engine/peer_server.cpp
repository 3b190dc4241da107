#include "client/engine/peer_server.h"

#include <sys/socket.h>

#include <algorithm>

#include "client/engine/torrent.h"
#include "common/clock.h"
#include "common/net/socket.h"
#include "common/wire/peer_wire.h"

namespace mt::client {

using common::cat;

PeerServer::PeerServer(common::Fd listener, common::Logger& log, std::size_t max_handshakes)
    : listener_(std::move(listener)), log_(log), max_handshakes_(max_handshakes) {}

PeerServer::~PeerServer() {
    stop();
}

void PeerServer::add(Torrent* t) {
    common::MutexLock lock(mu_);
    torrents_.push_back(t);
}

void PeerServer::remove(Torrent* t) {
    common::MutexLock lock(mu_);
    torrents_.erase(std::remove(torrents_.begin(), torrents_.end(), t), torrents_.end());
}

void PeerServer::start() {
    acceptor_ = std::thread([this] { accept_loop(); });
}

void PeerServer::stop() {
    if (stopping_.exchange(true)) return;
    if (acceptor_.joinable()) acceptor_.join();
    std::list<std::unique_ptr<Pending>> all;
    {
        common::MutexLock lock(mu_);
        all.swap(pending_);
    }
    for (auto& p : all)
        p->thread.join();
}

void PeerServer::accept_loop() {
    while (!stopping_) {
        common::SockAddr peer;
        auto fd = common::accept_with_timeout(listener_.get(), 200, &peer);
        std::list<std::unique_ptr<Pending>> finished;
        common::MutexLock lock(mu_);
        for (auto it = pending_.begin(); it != pending_.end();) {
            if ((*it)->done) {
                finished.push_back(std::move(*it));
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& f : finished)
            f->thread.join();
        if (!fd) continue;
        // Closed sockets whose threads have not finished yet count too, so
        // the threads stay bounded whatever the rate of new connections.
        if (pending_.size() >= 2 * max_handshakes_) continue;
        const std::string address = common::to_string(peer);
        make_room_locked(address);
        auto p = std::make_unique<Pending>();
        Pending* raw = p.get();
        raw->fd = fd->get();
        raw->address = address;
        p->thread = std::thread([this, raw, f = std::move(fd).value()]() mutable {
            handshake(raw, std::move(f));
            raw->done = true;
        });
        pending_.push_back(std::move(p));
    }
}

void PeerServer::make_room_locked(const std::string& newcomer) {
    std::size_t reading = 0;
    for (const auto& p : pending_)
        if (p->fd >= 0) ++reading;
    if (reading < max_handshakes_) return;
    // The oldest still reading has had the longest to send 68 bytes. Shutting
    // its socket down ends that read at once; the thread then exits.
    for (const auto& p : pending_)
        if (p->fd >= 0) {
            ::shutdown(p->fd, SHUT_RDWR);
            p->fd = -1;
            break;
        }
    ++dropped_since_log_;
    const std::int64_t now = common::mono_ms();
    if (now - last_limit_log_ms_ > 10000) {  // once in a while, not once per connection
        log_.warn(cat("peer connection limit: ", max_handshakes_,
                      " handshakes in progress; closed the longest-waiting to let ", newcomer,
                      " in (", dropped_since_log_, " closed so since the last such line)"));
        last_limit_log_ms_ = now;
        dropped_since_log_ = 0;
    }
}

void PeerServer::handshake(Pending* p, common::Fd fd) {
    char buf[common::wire::kHandshakeSize];
    const bool got = static_cast<bool>(common::read_exact(fd.get(), buf, sizeof buf, 10000));
    common::MutexLock lock(mu_);
    const bool evicted = p->fd < 0;
    p->fd = -1;  // from here on make_room_locked leaves this socket alone
    const std::string& address = p->address;
    if (!got || evicted) return;
    auto h = common::wire::decode_handshake(std::string_view(buf, sizeof buf));
    if (!h) {
        log_.debug(cat("peer ", address, ": bad handshake: ", h.error().message));
        return;
    }
    for (Torrent* t : torrents_)
        if (t->meta().info_hash == h->info_hash) {
            t->add_incoming(std::move(fd), *h, address);
            return;
        }
    log_.debug(cat("peer ", address, " asked for a torrent we do not serve: ", h->info_hash.hex()));
}

}  // namespace mt::client
