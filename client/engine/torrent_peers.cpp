// Torrent, connections: slots, evictions, attach and detach (the class and its threads: torrent.h).
#include <algorithm>

#include "client/engine/peer_connection.h"
#include "client/engine/torrent.h"
#include "client/engine/torrent_internal.h"
#include "common/net/socket.h"

namespace mt::client {

using common::cat;
using detail::ip_of;
using detail::ip_text;

// ---- Connections -------------------------------------------------------------

void Torrent::reap_finished_threads() {
    std::vector<std::thread> done;
    {
        common::MutexLock lock(mu_);
        for (std::size_t i = 0; i < threads_.size();) {
            if (thread_done_[i]->load()) {
                done.push_back(std::move(threads_[i]));
                threads_.erase(threads_.begin() + static_cast<std::ptrdiff_t>(i));
                thread_done_.erase(thread_done_.begin() + static_cast<std::ptrdiff_t>(i));
            } else {
                ++i;
            }
        }
    }
    for (auto& t : done)
        t.join();
}

void Torrent::add_incoming(common::Fd fd, const common::wire::Handshake& theirs,
                           const std::string& address) {
    common::MutexLock lock(mu_);
    const std::string ip = ip_of(address);
    if (stopping_) return;
    if (banned_.count(ip)) {
        log_.debug(cat("refused ", address, ": banned"));
        return;
    }
    if (auto it = slots_.find(ip); it != slots_.end() && it->second >= opt_.max_peers_per_ip &&
                                   !evict_idle_locked(&ip) && ip_full_locked(ip, address))
        return;
    // Full: make room by closing a peer that has exchanged no payload at all
    // for a while (500 silent connections must not lock every leecher out
    // until the 150 s idle timeout), else one of the most crowded address,
    // else refuse the newcomer.
    if (total_slots_ >= opt_.max_peers && !evict_idle_locked() && !evict_crowded_locked(ip) &&
        at_capacity_locked(address))
        return;
    take_slot_locked(ip);
    auto done = std::make_shared<std::atomic<bool>>(false);
    thread_done_.push_back(done);
    threads_.emplace_back([this, f = std::move(fd), theirs, address, ip, done]() mutable {
        {
            PeerConnection conn(*this, std::move(f), address, false);
            run_connection(conn, theirs);
        }
        give_slot(ip);
        done->store(true);
    });
}

void Torrent::take_slot_locked(const std::string& ip) {
    ++slots_[ip];
    ++total_slots_;
}

void Torrent::give_slot(const std::string& ip) {
    common::MutexLock lock(mu_);
    auto it = slots_.find(ip);
    if (it != slots_.end() && --it->second == 0) slots_.erase(it);
    --total_slots_;
}

bool Torrent::ip_full_locked(const std::string& ip, const std::string& address) {
    auto it = slots_.find(ip);
    if (it == slots_.end() || it->second < opt_.max_peers_per_ip) return false;
    const std::int64_t now = now_ms();
    if (now - last_ip_cap_log_ms_ > 10000) {  // once in a while, not once per connection
        last_ip_cap_log_ms_ = now;
        log_.warn(cat(meta_.name, ": ", ip, " already holds ", it->second,
                      " connections (--max-peers-per-ip ", opt_.max_peers_per_ip,
                      "); not connecting ", address));
    }
    return true;
}

void Torrent::run_connection(PeerConnection& conn, std::optional<common::wire::Handshake> theirs) {
    {
        // Registered from the start, so stop() can cut a handshake short
        // (a peer that accepts and never answers would hold it 10 s).
        common::MutexLock lock(mu_);
        if (stopping_) return;
        live_.insert(&conn);
    }
    conn.run(std::move(theirs));
    common::MutexLock lock(mu_);
    live_.erase(&conn);
}

bool Torrent::evict_idle_locked(const std::string* only_ip) {
    constexpr std::int64_t kIdleGraceMs = 5000;
    const std::int64_t now = now_ms();
    PeerEntry* victim = nullptr;
    for (auto& [k, p] : peers_) {
        if (p.evicted || p.conn->bytes_down() != 0 || p.conn->bytes_up() != 0 ||
            p.conn->peer_interested() || now - p.connected_ms < kIdleGraceMs ||
            (only_ip && ip_of(p.address) != *only_ip))
            continue;
        if (!victim || p.connected_ms < victim->connected_ms) victim = &p;
    }
    if (!victim) return false;
    log_.info(cat(meta_.name, ": at the limit of ", opt_.max_peers, " peers; closing ",
                  victim->address, " (no data either way in ", (now - victim->connected_ms) / 1000,
                  " s) to make room"));
    victim->conn->close();
    victim->evicted = true;  // not picked again before its thread detaches it
    return true;
}

bool Torrent::evict_crowded_locked(const std::string& ip) {
    std::map<std::string, std::size_t> held;  // live, not yet evicted peers per IP
    for (const auto& [k, p] : peers_)
        if (!p.evicted) ++held[ip_of(p.address)];
    const std::string* top = nullptr;
    std::size_t most = 0;
    for (const auto& [addr, n] : held)
        if (n > most && addr != ip) top = &addr, most = n;
    auto mine = slots_.find(ip);
    const std::size_t newcomer = mine == slots_.end() ? 0 : mine->second;
    if (!top || most < newcomer + 2) return false;  // nobody holds clearly more than it
    // Of that address, the peer that has given us least, the oldest on a tie.
    PeerEntry* victim = nullptr;
    for (auto& [k, p] : peers_) {
        if (p.evicted || ip_of(p.address) != *top) continue;
        if (!victim || p.conn->bytes_down() < victim->conn->bytes_down() ||
            (p.conn->bytes_down() == victim->conn->bytes_down() &&
             p.connected_ms < victim->connected_ms))
            victim = &p;
    }
    if (!victim) return false;
    log_.info(cat(meta_.name, ": at the limit of ", opt_.max_peers, " peers; closing ",
                  victim->address, " (", *top, " holds ", most, " connections) to let ", ip,
                  " in"));
    victim->conn->close();
    victim->evicted = true;
    return true;
}

bool Torrent::at_capacity_locked(const std::string& address) {
    if (total_slots_ < opt_.max_peers) return false;
    const std::int64_t now = now_ms();
    if (now - last_cap_log_ms_ > 10000) {  // once in a while, not once per peer
        last_cap_log_ms_ = now;
        log_.warn(cat(meta_.name, ": connection limit of ", opt_.max_peers,
                      " peers reached; not connecting ", address));
    }
    return true;
}

void Torrent::connect_to(const common::IpAddr& ip, std::uint16_t port) {
    const std::string address = ip_text(ip, port);
    const std::string ip_str = ip_of(address);
    common::MutexLock lock(mu_);
    if (stopping_ || banned_.count(ip_str) || connecting_.count(address)) return;
    for (const auto& [k, p] : peers_)
        if (p.address == address) return;
    if (ip_full_locked(ip_str, address) || at_capacity_locked(address)) return;
    connecting_.insert(address);
    take_slot_locked(ip_str);
    auto done = std::make_shared<std::atomic<bool>>(false);
    thread_done_.push_back(done);
    threads_.emplace_back([this, ip, port, address, ip_str, done] {
        auto fd = common::tcp_connect(common::SockAddr::from(ip, port), 3000);
        {
            common::MutexLock l(mu_);
            connecting_.erase(address);
        }
        if (fd) {
            PeerConnection conn(*this, std::move(fd).value(), address, true);
            run_connection(conn, std::nullopt);
        } else {
            log_.debug(cat("cannot connect to peer ", address, ": ", fd.error().message));
        }
        give_slot(ip_str);
        done->store(true);
    });
}

PeerKey Torrent::attach(PeerConnection* c, const std::string& address, const common::PeerId& id) {
    common::MutexLock lock(mu_);
    if (stopping_) return 0;
    for (const auto& [k, p] : peers_)
        if (p.id == id) return 0;  // already connected to that peer (both sides dialled)
    const PeerKey key = next_key_++;
    PeerEntry e;
    e.conn = c;
    e.address = address;
    e.id = id;
    e.connected_ms = now_ms();
    e.outgoing = c->outgoing();
    if (e.outgoing) {  // we dialled its listen port
        const auto colon = address.rfind(':');
        if (colon != std::string::npos)
            e.listen_port =
                static_cast<std::uint16_t>(std::strtoul(address.c_str() + colon + 1, nullptr, 10));
    }
    peers_.emplace(key, e);
    return key;
}

void Torrent::detach(PeerKey key) {
    common::MutexLock lock(mu_);
    peers_.erase(key);
    picker_.peer_gone(key);
    if (seeder_) seeder_->remove_peer(key);
    release_idle_buffers_locked();
}

void Torrent::peer_dropped(const std::string& address, DropReason why, const std::string& detail) {
    std::vector<PeerConnection*> to_close;
    {
        common::MutexLock lock(mu_);
        const auto i = static_cast<std::size_t>(why);
        if (i < drops_.size()) ++drops_[i];
        if (why == DropReason::unrequested_blocks) strike_locked(ip_of(address), to_close);
        for (auto* c : to_close)
            c->close();
    }
    const std::string line = cat("peer ", address, " disconnected: ", to_string(why),
                                 detail.empty() ? "" : " (", detail, detail.empty() ? "" : ")");
    switch (why) {
        case DropReason::protocol_error:
        case DropReason::bad_requests:
        case DropReason::unrequested_blocks:
        case DropReason::output_not_drained:
        case DropReason::banned:
            log_.warn(line);
            break;
        case DropReason::write_stalled:
        case DropReason::idle:
            log_.info(line);
            break;
        default:
            log_.debug(line);
    }
}

std::vector<std::uint64_t> Torrent::drop_counts() const {
    common::MutexLock lock(mu_);
    return {drops_.begin(), drops_.begin() + static_cast<std::ptrdiff_t>(DropReason::kCount)};
}

void Torrent::count_waste(std::uint64_t bytes) {
    wasted_ += bytes;
}

// ---- Peer exchange (BEP 11) -----------------------------------------------------

std::vector<common::wire::PexPeer> Torrent::pex_candidates(PeerKey self) {
    std::vector<common::wire::PexPeer> out;
    common::MutexLock lock(mu_);
    for (const auto& [k, p] : peers_) {
        if (k == self || p.listen_port == 0 || p.evicted || out.size() >= 200) continue;
        const auto parsed = detail::ip_addr_of(p.address);
        if (!parsed) continue;
        out.push_back({*parsed, p.listen_port,
                       static_cast<std::uint8_t>(p.outgoing ? common::wire::kPexReachable : 0)});
    }
    return out;
}

void Torrent::on_pex(PeerKey from, const std::vector<common::wire::PexPeer>& added) {
    if (!opt_.pex || meta_.is_private) return;
    log_.info(cat("peer exchange: ", added.size(), " peers from connection ", from));
    for (const auto& p : added)
        connect_to(p.ip, p.port);  // within the torrent's limits; known ones are skipped
}

void Torrent::set_listen_port(PeerKey key, std::uint16_t port) {
    common::MutexLock lock(mu_);
    if (auto it = peers_.find(key); it != peers_.end()) it->second.listen_port = port;
}

void Torrent::set_peer_client(PeerKey key, const std::string& client) {
    common::MutexLock lock(mu_);
    if (auto it = peers_.find(key); it != peers_.end()) it->second.client = client.substr(0, 64);
}

}  // namespace mt::client
