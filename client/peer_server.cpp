#include "client/peer_server.h"

#include <algorithm>

#include "client/torrent.h"
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
    std::lock_guard<std::mutex> lock(mu_);
    torrents_.push_back(t);
}

void PeerServer::remove(Torrent* t) {
    std::lock_guard<std::mutex> lock(mu_);
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
        std::lock_guard<std::mutex> lock(mu_);
        all.swap(pending_);
    }
    for (auto& p : all)
        p->thread.join();
}

void PeerServer::accept_loop() {
    while (!stopping_) {
        sockaddr_in peer{};
        auto fd = common::accept_with_timeout(listener_.get(), 200, &peer);
        std::list<std::unique_ptr<Pending>> finished;
        std::lock_guard<std::mutex> lock(mu_);
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
        if (pending_.size() >= max_handshakes_) {
            log_.warn(cat("peer connection limit: ", max_handshakes_,
                          " handshakes in progress; refusing ", common::to_string(peer)));
            continue;
        }
        auto p = std::make_unique<Pending>();
        Pending* raw = p.get();
        p->thread = std::thread(
            [this, raw, f = std::move(fd).value(), a = common::to_string(peer)]() mutable {
                handshake(std::move(f), a);
                raw->done = true;
            });
        pending_.push_back(std::move(p));
    }
}

void PeerServer::handshake(common::Fd fd, std::string address) {
    char buf[common::wire::kHandshakeSize];
    if (!common::read_exact(fd.get(), buf, sizeof buf, 10000)) return;
    auto h = common::wire::decode_handshake(std::string_view(buf, sizeof buf));
    if (!h) {
        log_.debug(cat("peer ", address, ": bad handshake: ", h.error().message));
        return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (Torrent* t : torrents_)
        if (t->meta().info_hash == h->info_hash) {
            t->add_incoming(std::move(fd), *h, address);
            return;
        }
    log_.debug(cat("peer ", address, " asked for a torrent we do not serve: ", h->info_hash.hex()));
}

}  // namespace mt::client
