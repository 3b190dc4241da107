// Torrent, pieces: buffers, blocks, verification, the writer, strikes (the class and its threads:
// torrent.h).
#include <algorithm>
#include <cstring>

#include "client/engine/peer_connection.h"
#include "client/engine/torrent.h"
#include "client/engine/torrent_internal.h"
#include "common/sha1.h"

namespace mt::client {

using common::cat;
using detail::ip_of;
using detail::kIdleOffersMs;
using detail::kMaxQueuedWrites;
using detail::kMaxSpareBuffers;
using detail::kMaxStrikes;

void Torrent::release_idle_buffers_locked() {
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
        if (it->second.received == 0 && it->second.writes_in_progress == 0 &&
            !picker_.started(it->first)) {
            if (it->second.mem && spare_.size() < kMaxSpareBuffers)
                spare_.push_back(std::move(it->second.mem));
            it = in_flight_.erase(it);
        } else {
            ++it;
        }
    }
}

common::Bitfield Torrent::have_bitfield() const {
    common::MutexLock lock(mu_);
    return have_;
}

common::Bitfield Torrent::advertised_bitfield(PeerKey key) {
    common::MutexLock lock(mu_);
    if (!seeder_) return have_;
    common::Bitfield shown(meta_.piece_count());
    for (const std::uint32_t q : seeder_->add_peer(key))
        shown.set(q);
    return shown;
}

void Torrent::show_locked(PeerKey key, const std::vector<std::uint32_t>& pieces) {
    if (const auto it = peers_.find(key); it != peers_.end())
        for (const std::uint32_t q : pieces)
            it->second.conn->post_have(q);
    if (seeder_ && seeder_->every_piece_held()) {
        // The first full copy is out: from now on a plain seeder, showing
        // every peer everything, so that its uplink stays busy where the
        // leechers' uplinks are the bottleneck (bench/wan, asymmetric links).
        log_.info(cat(meta_.name, ": every piece is out; initial seeding done"));
        const auto seeder = std::move(seeder_);
        for (auto& [k, p] : peers_)
            for (const std::uint32_t q : seeder->show_everything(k))
                p.conn->post_have(q);
    }
}

void Torrent::check_idle_offers_locked(std::int64_t now_ms) {
    for (auto& [k, p] : peers_) {
        if (!seeder_) return;  // initial seeding ended (show_locked)
        if (p.conn->peer_interested() || seeder_->pending(k) == 0) {
            p.idle_offers_since_ms = -1;
            continue;
        }
        if (p.idle_offers_since_ms < 0) {
            p.idle_offers_since_ms = now_ms;
        } else if (now_ms - p.idle_offers_since_ms >= kIdleOffersMs) {
            log_.info(cat("peer ", p.address, " took none of the pieces it was shown for ",
                          kIdleOffersMs / 1000, " s: shown everything"));
            show_locked(k, seeder_->show_everything(k));
            p.idle_offers_since_ms = -1;
        }
    }
}

bool Torrent::on_bitfield(PeerKey key, const common::Bitfield& bits) {
    std::vector<bool> v(bits.size());
    for (std::size_t i = 0; i < bits.size(); ++i)
        v[i] = bits.get(i);
    common::MutexLock lock(mu_);
    if (bits.all()) {
        picker_.peer_has_all(key);
    } else {
        picker_.peer_bitfield(key, v);
    }
    if (seeder_) show_locked(key, seeder_->peer_has_bitfield(key, v));
    return picker_.is_interesting(key);
}

bool Torrent::on_have(PeerKey key, std::uint32_t piece) {
    common::MutexLock lock(mu_);
    picker_.peer_has(key, piece);
    if (seeder_) show_locked(key, seeder_->peer_has(key, piece));
    return picker_.is_interesting(key);
}

bool Torrent::on_have_all(PeerKey key) {
    common::MutexLock lock(mu_);
    picker_.peer_has_all(key);
    if (seeder_) show_locked(key, seeder_->peer_has_all(key));
    return picker_.is_interesting(key);
}

bool Torrent::interesting(PeerKey key) const {
    common::MutexLock lock(mu_);
    return error_.empty() && picker_.is_interesting(key);
}

std::vector<Block> Torrent::pick(PeerKey key, std::size_t max_blocks) {
    common::MutexLock lock(mu_);
    if (!error_.empty() || stopping_) return {};
    auto blocks = picker_.pick(key, max_blocks);
    // The buffer of a piece exists from its first request on: a block is
    // stored only where we asked for one.
    for (const auto& b : blocks) {
        if (in_flight_.count(b.piece)) continue;
        PieceBuffer nb;
        if (!on_disk_pieces()) nb.mem = take_memory_locked();
        nb.size = picker_.piece_size(b.piece);
        nb.got.assign(picker_.blocks_in_piece(b.piece), false);
        nb.from.assign(nb.got.size(), 0);
        if (on_disk_pieces()) nb.writing.assign(nb.got.size(), false);
        in_flight_.emplace(b.piece, std::move(nb));
    }
    return blocks;
}

void Torrent::requests_returned(PeerKey key, const std::vector<Block>& blocks) {
    common::MutexLock lock(mu_);
    for (const auto& b : blocks)
        picker_.request_failed(key, b);
    release_idle_buffers_locked();
}

std::vector<Block> Torrent::requests_timed_out(PeerKey key) {
    common::MutexLock lock(mu_);
    auto blocks = picker_.requests_timed_out(key);
    release_idle_buffers_locked();
    return blocks;
}

bool Torrent::have_piece(std::uint32_t piece) const {
    common::MutexLock lock(mu_);
    return piece < have_.size() && have_.get(piece);
}

common::Status Torrent::read_block(std::uint32_t piece, std::uint32_t offset, std::uint32_t length,
                                   char* out) {
    auto s = disk_->read(std::uint64_t{piece} * meta_.piece_length + offset, length, out);
    if (!s && s.error().code == common::Errc::changed)
        fail(s.error().message + "; no longer served (its pieces would fail every check)", true);
    return s;
}

void Torrent::count_upload(std::uint64_t bytes) {
    uploaded_ += bytes;
}

void Torrent::interest_changed() {
    {
        common::MutexLock lock(mu_);
        rechoke_soon_ = true;
    }
    cv_.notify_all();
}

bool Torrent::is_banned(const std::string& address) const {
    common::MutexLock lock(mu_);
    return banned_.count(ip_of(address)) > 0;
}

bool Torrent::on_block(PeerKey key, std::uint32_t piece, std::uint32_t offset, std::string&& data,
                       std::vector<std::pair<PeerKey, Block>>& cancel) {
    downloaded_ += data.size();
    PieceBuffer done;
    bool complete = false;
    {
        common::MutexLock lock(mu_);
        // A late duplicate (endgame) of a piece being verified or written:
        // nothing to do (it must not start a new buffer for that piece).
        if (piece >= meta_.piece_count() || have_.get(piece) || finishing_.count(piece))
            return true;
        const Block b{piece, offset, static_cast<std::uint32_t>(data.size())};
        const std::uint32_t piece_size = picker_.piece_size(piece);
        if (offset % kBlockSize != 0 || offset >= piece_size ||
            data.size() != std::min<std::uint64_t>(kBlockSize, piece_size - offset)) {
            return true;  // not a block we would ask for: ignore it (the sender is counted by the
                          // connection)
        }
        // No buffer: nothing of the piece is requested any more (a late
        // block after a timeout or cancel); it is not stored.
        auto it = in_flight_.find(piece);
        if (it == in_flight_.end()) return true;
        auto others = picker_.block_received(key, b);
        for (PeerKey o : others)
            cancel.emplace_back(o, b);
        PieceBuffer& buf = it->second;
        const std::uint32_t bi = offset / kBlockSize;
        if (buf.got[bi]) return true;  // a duplicate from the endgame
        if (on_disk_pieces()) {
            if (buf.writing[bi]) return true;  // another copy is being written
            buf.writing[bi] = true;
            ++buf.writes_in_progress;
            lock.unlock();
            return on_disk_block(key, piece, offset, std::move(data));
        }
        std::memcpy(buf.mem.data() + offset, data.data(), data.size());
        buf.got[bi] = true;
        buf.from[bi] = key;
        buf.contributors.insert(key);
        if (++buf.received == buf.got.size()) {
            done = std::move(buf);
            in_flight_.erase(it);
            finishing_.insert(piece);
            complete = true;
        }
        auto pe = peers_.find(key);
        if (pe != peers_.end()) pe->second.last_block_ms = now_ms();
    }
    if (complete) finish_piece(piece, std::move(done));
    common::MutexLock lock(mu_);
    auto pe = peers_.find(key);
    return pe != peers_.end() && !banned_.count(ip_of(pe->second.address));
}

bool Torrent::on_disk_block(PeerKey key, std::uint32_t piece, std::uint32_t offset,
                            std::string&& data) {
    // No lock held: the block goes to storage before it counts as received,
    // so the piece is whole on disk when its last block is counted.
    const common::Status written =
        disk_->write(std::uint64_t{piece} * meta_.piece_length + offset, data);
    PieceBuffer done;
    bool complete = false;
    {
        common::MutexLock lock(mu_);
        auto it = in_flight_.find(piece);
        if (it == in_flight_.end()) return true;  // the torrent stopped meanwhile
        PieceBuffer& buf = it->second;
        const std::uint32_t bi = offset / kBlockSize;
        buf.writing[bi] = false;
        --buf.writes_in_progress;
        if (written) {
            buf.got[bi] = true;
            buf.from[bi] = key;
            buf.contributors.insert(key);
            if (++buf.received == buf.got.size()) {
                done = std::move(buf);
                in_flight_.erase(it);
                finishing_.insert(piece);
                complete = true;
            }
            auto pe = peers_.find(key);
            if (pe != peers_.end()) pe->second.last_block_ms = now_ms();
        }
    }
    if (!written) {
        fail(written.error().message);
        return false;
    }
    if (complete) finish_piece(piece, std::move(done));
    common::MutexLock lock(mu_);
    auto pe = peers_.find(key);
    return pe != peers_.end() && !banned_.count(ip_of(pe->second.address));
}

common::Result<common::Sha1Digest> Torrent::piece_digest(std::uint32_t piece,
                                                         const PieceBuffer& buf) const {
    if (buf.mem) return common::Sha1::digest(buf.view());
    common::Sha1 h;
    std::vector<char> chunk(std::min<std::uint64_t>(buf.size, 1u << 20));
    const std::uint64_t base = std::uint64_t{piece} * meta_.piece_length;
    for (std::uint64_t done = 0; done < buf.size;) {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), buf.size - done));
        if (auto s = disk_->read(base + done, n, chunk.data()); !s) return s.error();
        h.update(std::string_view(chunk.data(), n));
        done += n;
    }
    return h.finish();
}

common::Sha1Digest Torrent::block_digest_of(std::uint32_t piece, const PieceBuffer& buf,
                                            std::uint32_t bi) const {
    const std::size_t off = std::size_t{bi} * kBlockSize;
    const std::size_t n = std::min<std::size_t>(kBlockSize, buf.size - off);
    if (buf.mem) return common::Sha1::digest(buf.view().substr(off, n));
    std::string block(n, '\0');
    if (!disk_->read(std::uint64_t{piece} * meta_.piece_length + off, n, block.data())) return {};
    return common::Sha1::digest(block);
}

PieceMemory Torrent::take_memory_locked() {
    if (!spare_.empty()) {
        PieceMemory m = std::move(spare_.back());
        spare_.pop_back();
        return m;
    }
    return PieceMemory(meta_.piece_length);
}

void Torrent::give_memory(PieceMemory m) {
    if (!m) return;
    common::MutexLock lock(mu_);
    if (spare_.size() < kMaxSpareBuffers) spare_.push_back(std::move(m));
}

void Torrent::finish_piece(std::uint32_t piece, PieceBuffer buf) {
    // Verify with no lock held.
    const auto digest = piece_digest(piece, buf);
    if (!digest) return fail(digest.error().message);
    const bool good = std::string_view(reinterpret_cast<const char*>(digest->data()), 20) ==
                      meta_.piece_hash(piece);
    if (good && !buf.mem) {
        piece_written(piece, buf);  // already in storage, block by block
        return;
    }
    if (good) {
        // To the writer; a full queue holds this connection back.
        {
            common::MutexLock lock(mu_);
            space_cv_.wait(lock.native(), [&] {
                mu_.assert_held();
                return write_queue_.size() < kMaxQueuedWrites || !error_.empty() || writer_exit_;
            });
            if (error_.empty() && !writer_exit_) {
                write_queue_.push_back({piece, std::move(buf)});
                lock.unlock();
                write_cv_.notify_one();
                return;
            }
        }
        give_memory(std::move(buf.mem));
        return;
    }
    std::vector<PeerConnection*> to_close;
    std::set<PeerKey> senders(buf.from.begin(), buf.from.end());
    std::vector<common::Sha1Digest> digests;
    if (senders.size() > 1)
        for (std::uint32_t bi = 0; bi < buf.from.size(); ++bi)
            digests.push_back(block_digest_of(piece, buf, bi));
    give_memory(std::move(buf.mem));
    {
        common::MutexLock lock(mu_);
        ++bad_pieces_;
        finishing_.erase(piece);
        (void)picker_.piece_failed(piece);
        if (senders.size() == 1) {
            // One sender: it is the culprit.
            if (auto it = peers_.find(*senders.begin()); it != peers_.end())
                strike_locked(ip_of(it->second.address), to_close);
        } else {
            // Several: an honest peer must not pay for a bad one; decide when
            // the piece verifies.
            auto& list = suspects_[piece];
            for (std::uint32_t bi = 0; bi < buf.from.size(); ++bi)
                if (auto it = peers_.find(buf.from[bi]); it != peers_.end())
                    list.push_back({ip_of(it->second.address), bi, digests[bi]});
        }
        log_.warn(cat("piece ", piece, " failed its SHA-1 check (from ", senders.size(),
                      " peer(s)); fetching it again"));
        for (auto* c : to_close)
            c->close();
    }
}

void Torrent::writer_loop() {
    while (true) {
        WriteJob job;
        {
            common::MutexLock lock(mu_);
            write_cv_.wait(lock.native(), [&] {
                mu_.assert_held();
                return !write_queue_.empty() || writer_exit_;
            });
            if (write_queue_.empty()) return;  // told to exit, and drained
            job = std::move(write_queue_.front());
            write_queue_.pop_front();
        }
        space_cv_.notify_one();
        bool failed;
        {
            common::MutexLock lock(mu_);
            failed = !error_.empty();
        }
        if (!failed) {
            if (auto s = disk_->write_piece(job.piece, job.buf.view()); !s) {
                fail(s.error().message);
            } else {
                piece_written(job.piece, job.buf);
            }
        }
        give_memory(std::move(job.buf.mem));
    }
}

void Torrent::piece_written(std::uint32_t piece, PieceBuffer& buf) {
    std::vector<SuspectBlock> suspects;
    {
        common::MutexLock lock(mu_);
        picker_.piece_verified(piece);
        have_.set(piece);
        finishing_.erase(piece);
        resume_dirty_ = true;
        if (auto it = suspects_.find(piece); it != suspects_.end()) {
            suspects = std::move(it->second);
            suspects_.erase(it);
        }
    }
    // An earlier attempt at this piece failed with several contributors:
    // strike those whose blocks differ from the good data.
    std::set<std::string> culprits;
    for (const SuspectBlock& s : suspects)
        if (s.digest != block_digest_of(piece, buf, s.block)) culprits.insert(s.ip);
    if (!culprits.empty()) {
        std::vector<PeerConnection*> to_close;
        common::MutexLock lock(mu_);
        for (const std::string& addr : culprits)
            strike_locked(addr, to_close);
        for (auto* c : to_close)
            c->close();
    }
    broadcast_have(piece);
    cv_.notify_all();
}

void Torrent::strike_locked(const std::string& ip, std::vector<PeerConnection*>& to_close) {
    if (++strikes_[ip] < kMaxStrikes || banned_.count(ip)) return;
    banned_.insert(ip);
    log_.warn(cat("banned peer ", ip, ": ", strikes_[ip],
                  " strikes (pieces that failed the hash check, or floods of unrequested "
                  "blocks); its connections are closed and refused for the session"));
    for (auto& [k, p] : peers_)
        if (ip_of(p.address) == ip) to_close.push_back(p.conn);
}

void Torrent::cancel_elsewhere(const std::vector<std::pair<PeerKey, Block>>& cancel) {
    common::MutexLock lock(mu_);
    for (const auto& [k, b] : cancel) {
        auto it = peers_.find(k);
        if (it != peers_.end()) it->second.conn->post_cancel(b);
    }
}

void Torrent::broadcast_have(std::uint32_t piece) {
    common::MutexLock lock(mu_);
    for (auto& [k, p] : peers_)
        p.conn->post_have(piece);
}

void Torrent::fail(const std::string& why, bool data_changed) {
    {
        common::MutexLock lock(mu_);
        if (!error_.empty()) return;
        error_ = why;
        data_changed_ = data_changed;
        for (auto& [k, p] : peers_)
            p.conn->close();
    }
    log_.error(cat(meta_.name, ": stopped: ", why));
    cv_.notify_all();
    space_cv_.notify_all();
}

}  // namespace mt::client
