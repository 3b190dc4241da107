#include "client/engine/torrent.h"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "client/create/piece_hasher.h"
#include "client/engine/peer_connection.h"
#include "common/clock.h"
#include "common/net/socket.h"
#include "common/random.h"
#include "common/sha1.h"

namespace mt::client {

using common::cat;

namespace {

std::string ip_text(std::uint32_t ip, std::uint16_t port) {
    in_addr a{htonl(ip)};
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port);
}

// The IP address of "ip:port" (the whole string if it has no port).
std::string ip_of(const std::string& address) {
    const auto colon = address.rfind(':');
    return colon == std::string::npos ? address : address.substr(0, colon);
}

constexpr int kMaxStrikes = 2;               // strikes before an IP address is banned
constexpr std::size_t kMaxQueuedWrites = 8;  // verified pieces waiting for the writer
constexpr std::size_t kMaxSpareBuffers = 16;
// An unchoked peer that has requested nothing for this long loses its
// priority for a slot (see Choker).
constexpr std::int64_t kIdleUnchokeMs = 5000;

}  // namespace

common::PeerId make_peer_id() {
    static const char* alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string id = "-MT0100-";
    const std::string r = common::random_bytes(12);
    for (char c : r)
        id.push_back(alphabet[static_cast<unsigned char>(c) % 62]);
    return common::PeerId::from_bytes(id);
}

Torrent::Torrent(common::Metainfo meta, TorrentOptions options, common::Logger& log)
    : meta_(std::move(meta)),
      opt_(std::move(options)),
      log_(log),
      trackers_(meta_.trackers(), opt_.tracker_timeout_ms, log),
      picker_(meta_.piece_count(), meta_.piece_length, meta_.length,
              PickerConfig{4, 2, std::hash<std::string>{}(std::string(opt_.peer_id.view()))}),
      have_(meta_.piece_count()) {}

std::int64_t Torrent::now_ms() const {
    return opt_.clock ? opt_.clock() : common::mono_ms();
}

Torrent::~Torrent() {
    stop();
}

common::Status Torrent::start() {
    if (opt_.open_storage) {
        auto storage = opt_.open_storage(meta_);
        if (!storage) return storage.error();
        disk_ = std::move(storage).value();
    } else {
        auto storage = open_data(meta_, opt_.data_path, opt_.assume_complete, opt_.selected_files,
                                 opt_.parts_path);
        if (!storage) return storage.error();
        disk_ = std::move(storage).value();
    }
    folder_ = dynamic_cast<FolderStore*>(disk_.get());
    std::vector<bool> wanted;
    if (folder_ && !opt_.selected_files.empty())
        wanted =
            wanted_pieces(folder_->layout(), opt_.selected_files, meta_.piece_length, meta_.length);

    std::vector<bool> verified(meta_.piece_count(), opt_.assume_complete);
    bool restored = false;
    if (!opt_.resume_path.empty() && !opt_.assume_complete) {
        auto r = load_resume(opt_.resume_path, meta_.info_hash, meta_.piece_count());
        if (r) {
            verified = r->verified;
            restored = true;
        } else if (r.error().code != common::Errc::not_found) {
            // Damaged or foreign: set aside (kept for a look), never trusted.
            const std::string aside =
                opt_.resume_path + ".corrupt-" + std::to_string(common::wall_ms() / 1000);
            const bool moved = ::rename(opt_.resume_path.c_str(), aside.c_str()) == 0;
            log_.warn(cat("resume state not used (", r.error().message, ")",
                          moved ? "; set aside as " + aside : std::string(),
                          "; checking the file instead"));
            opt_.verify_existing = true;
        }
    }
    if (opt_.verify_existing && !restored) {
        auto good = good_pieces(*disk_, meta_);
        if (!good) return good.error();
        verified = std::move(good).value();
    }
    std::size_t n = 0;
    {
        common::MutexLock lock(mu_);  // no other thread yet: for the analysis
        if (!wanted.empty()) picker_.set_wanted(wanted);
        selected_ = folder_ ? opt_.selected_files : std::vector<bool>();
        for (std::size_t i = 0; i < verified.size(); ++i)
            if (verified[i]) {
                picker_.mark_have(static_cast<PieceIndex>(i));
                have_.set(i);
                ++n;
            }
    }
    log_.info(cat(meta_.name, ": ", n, " of ", meta_.piece_count(), " pieces already verified"));
    writer_ = std::thread([this] { writer_loop(); });
    announcer_ = std::thread([this] { announcer_loop(); });
    housekeeper_ = std::thread([this] { housekeeper_loop(); });
    return {};
}

void Torrent::stop() {
    {
        common::MutexLock lock(mu_);
        if (stopping_) return;
        stopping_ = true;
        for (auto* c : live_)
            c->close();
    }
    cv_.notify_all();
    if (announcer_.joinable()) announcer_.join();
    if (housekeeper_.joinable()) housekeeper_.join();
    std::vector<std::thread> threads;
    {
        common::MutexLock lock(mu_);
        for (auto* c : live_)
            c->close();  // connections that came in meanwhile
        threads.swap(threads_);
        thread_done_.clear();
    }
    for (auto& t : threads)
        t.join();
    // No connection is left to queue pieces: the writer drains the queue and ends.
    {
        common::MutexLock lock(mu_);
        writer_exit_ = true;
    }
    write_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (disk_) {
        (void)disk_->sync();
        save_resume_locked_out();
    }
}

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

void Torrent::connect_to(std::uint32_t ip, std::uint16_t port) {
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
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(ip);
        sa.sin_port = htons(port);
        auto fd = common::tcp_connect(sa, 3000);
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
    peers_.emplace(key, e);
    return key;
}

void Torrent::detach(PeerKey key) {
    common::MutexLock lock(mu_);
    peers_.erase(key);
    picker_.peer_gone(key);
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
    return picker_.is_interesting(key);
}

bool Torrent::on_have(PeerKey key, std::uint32_t piece) {
    common::MutexLock lock(mu_);
    picker_.peer_has(key, piece);
    return picker_.is_interesting(key);
}

bool Torrent::on_have_all(PeerKey key) {
    common::MutexLock lock(mu_);
    picker_.peer_has_all(key);
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
                                   char* out) const {
    return disk_->read(std::uint64_t{piece} * meta_.piece_length + offset, length, out);
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

void Torrent::fail(const std::string& why) {
    {
        common::MutexLock lock(mu_);
        if (!error_.empty()) return;
        error_ = why;
        for (auto& [k, p] : peers_)
            p.conn->close();
    }
    log_.error(cat(meta_.name, ": download stopped: ", why));
    cv_.notify_all();
    space_cv_.notify_all();
}

bool Torrent::complete() const {
    common::MutexLock lock(mu_);
    return picker_.complete_wanted();
}

common::Status Torrent::select_files(const std::vector<bool>& selected) {
    if (!folder_) return common::make_error(common::Errc::invalid_argument, "not a folder torrent");
    const std::size_t n = folder_->layout().files.size();
    if (!selected.empty() && selected.size() != n)
        return common::make_error(common::Errc::invalid_argument,
                                  "file selection does not match the torrent");
    for (std::size_t i = 0; i < n; ++i)
        if (selected.empty() || selected[i])
            if (auto s = folder_->select_file(i); !s) return s;
    const std::vector<bool> wanted =
        wanted_pieces(folder_->layout(), selected, meta_.piece_length, meta_.length);
    {
        common::MutexLock lock(mu_);
        picker_.set_wanted(wanted);
        selected_ = selected;
    }
    // Each connection asks again whether we are interested within 250 ms.
    cv_.notify_all();
    return {};
}

std::vector<bool> Torrent::selected_files() const {
    common::MutexLock lock(mu_);
    return selected_;
}

const FileLayout* Torrent::layout() const {
    return folder_ ? &folder_->layout() : nullptr;
}

bool Torrent::wait_complete(int timeout_ms) {
    common::MutexLock lock(mu_);
    cv_.wait_for(lock.native(), std::chrono::milliseconds(timeout_ms), [&] {
        mu_.assert_held();
        return picker_.complete_wanted() || !error_.empty() || stopping_;
    });
    return picker_.complete_wanted();
}

TorrentStats Torrent::stats() const {
    common::MutexLock lock(mu_);
    TorrentStats s;
    s.total = picker_.wanted_bytes();  // the whole torrent unless files are left out
    s.verified_bytes = picker_.wanted_bytes() - picker_.needed_bytes();
    s.downloaded = downloaded_.load();
    s.uploaded = uploaded_.load();
    s.down_rate = down_rate_;
    s.up_rate = up_rate_;
    s.peers = peers_.size();
    s.pieces = meta_.piece_count();
    s.have = have_.count();
    s.banned = banned_.size();
    s.bad_pieces = bad_pieces_;
    s.wasted = wasted_.load();
    s.complete = picker_.complete_wanted();
    s.error = error_;
    return s;
}

void Torrent::save_resume_locked_out() {
    if (opt_.resume_path.empty()) return;
    std::vector<bool> v;
    {
        common::MutexLock lock(mu_);
        if (!resume_dirty_) return;
        resume_dirty_ = false;
        v.resize(have_.size());
        for (std::size_t i = 0; i < v.size(); ++i)
            v[i] = have_.get(i);
    }
    // The pieces must be on disk before the state that says so.
    if (auto s = disk_->sync(); !s) return fail(s.error().message);
    if (auto s = save_resume(opt_.resume_path, meta_.info_hash, meta_.length, v); !s)
        log_.warn(cat("cannot save resume state: ", s.error().message));
}

// ---- Trackers ----------------------------------------------------------------

common::AnnounceRequest Torrent::announce_request(common::AnnounceEvent ev) const {
    common::AnnounceRequest r;
    r.info_hash = meta_.info_hash;
    r.peer_id = opt_.peer_id;
    r.port = opt_.listen_port;
    r.uploaded = uploaded_.load();
    r.downloaded = downloaded_.load();
    {
        common::MutexLock lock(mu_);
        r.left = picker_.bytes_left();  // truthful: only verified pieces count
    }
    r.event = ev;
    r.numwant = 80;
    r.compact = true;
    return r;
}

void Torrent::announcer_loop() {
    common::AnnounceEvent ev = common::AnnounceEvent::started;
    std::int64_t interval_ms = 30000;
    while (true) {
        {
            common::MutexLock lock(mu_);
            if (stopping_) break;
        }
        auto r = trackers_.announce(announce_request(ev));
        std::size_t peers_now = 0;
        if (r) {
            if (ev == common::AnnounceEvent::completed) {
                common::MutexLock lock(mu_);  // the wait below reads it
                completed_announced_ = true;
            }
            ev = common::AnnounceEvent::none;
            // Every address is a candidate, ours included: many peers share
            // 127.0.0.1, and a connection to ourselves is recognised by the
            // peer id in its handshake, never by address.
            for (const auto& p : r->peers)
                connect_to(p.ip, p.port);
            interval_ms = std::int64_t{std::max<std::uint32_t>(r->interval, 1)} * 1000;
        } else {
            interval_ms = 2000;  // every tracker failed: try again soon
        }
        common::MutexLock lock(mu_);
        peers_now = peers_.size();
        // Few peers and still downloading: ask again early (bounded by min interval).
        std::int64_t wait = interval_ms;
        if (!picker_.complete_wanted() && peers_now < 4) wait = std::min<std::int64_t>(wait, 5000);
        const bool was_complete = have_.all();
        cv_.wait_for(lock.native(), std::chrono::milliseconds(wait), [&] {
            mu_.assert_held();
            return stopping_ || (!was_complete && have_.all() && !completed_announced_);
        });
        if (stopping_) break;
        if (!was_complete && have_.all() && !completed_announced_)
            ev = common::AnnounceEvent::completed;
    }
    // Tell the trackers we are leaving (best effort, short deadline).
    (void)trackers_.announce(announce_request(common::AnnounceEvent::stopped));
}

// ---- Housekeeping: rates, choking, resume state --------------------------------

void Torrent::housekeeper_loop() {
    std::int64_t last_rechoke = 0, last_save = now_ms();
    std::uint64_t last_down = downloaded_.load(), last_up = uploaded_.load();
    std::int64_t last_tick = now_ms();
    while (true) {
        {
            common::MutexLock lock(mu_);
            cv_.wait_for(lock.native(), std::chrono::milliseconds(500), [&] {
                mu_.assert_held();
                return stopping_ || rechoke_soon_;
            });
            if (stopping_) break;
        }
        const std::int64_t now = now_ms();
        const double dt = static_cast<double>(now - last_tick) / 1000.0;
        if (dt > 0) {
            const std::uint64_t d = downloaded_.load(), u = uploaded_.load();
            common::MutexLock lock(mu_);
            down_rate_ = 0.7 * down_rate_ + 0.3 * static_cast<double>(d - last_down) / dt;
            up_rate_ = 0.7 * up_rate_ + 0.3 * static_cast<double>(u - last_up) / dt;
            for (auto& [k, p] : peers_) {
                const std::uint64_t pd = p.conn->bytes_down(), pu = p.conn->bytes_up();
                // ~20 s rolling rates for the choker.
                p.down_rate =
                    0.95 * p.down_rate + 0.05 * static_cast<double>(pd - p.down_bytes) / dt;
                p.up_rate = 0.95 * p.up_rate + 0.05 * static_cast<double>(pu - p.up_bytes) / dt;
                p.down_bytes = pd;
                p.up_bytes = pu;
            }
            last_down = d;
            last_up = u;
            last_tick = now;
        }
        bool soon;
        {
            common::MutexLock lock(mu_);
            soon = rechoke_soon_;
            rechoke_soon_ = false;
        }
        // An unchoked peer that asks for nothing holds a slot: rechoke early
        // (the choker ranks it last) rather than at the next 10 s round.
        if (!soon && now - last_rechoke >= kIdleUnchokeMs) {
            common::MutexLock lock(mu_);
            for (const auto& [k, p] : peers_) {
                const std::int64_t idle = p.conn->idle_unchoked_since_ms();
                if (idle >= 0 && now - idle >= kIdleUnchokeMs) soon = true;
            }
        }
        if (now - last_rechoke >= 10000 || last_rechoke == 0 || soon) {
            rechoke(now);
            last_rechoke = now;
        }
        if (now - last_save >= 2000) {
            save_resume_locked_out();
            last_save = now;
        }
        reap_finished_threads();
    }
}

void Torrent::rechoke(std::int64_t now_ms) {
    common::MutexLock lock(mu_);
    std::vector<PeerStats> stats;
    for (const auto& [k, p] : peers_) {
        PeerStats s;
        s.key = k;
        s.interested = p.conn->peer_interested();
        s.download_rate = p.down_rate;
        s.upload_rate = p.up_rate;
        s.connected_at_ms = p.connected_ms;
        if (p.last_block_ms >= 0) s.last_block_ms = p.last_block_ms;
        const std::int64_t idle = p.conn->idle_unchoked_since_ms();
        s.idle_unchoked = idle >= 0 && now_ms - idle >= kIdleUnchokeMs;
        stats.push_back(s);
    }
    const auto decision = choker_.rechoke(now_ms, have_.all(), stats);
    const auto unchoked = decision.unchoked();
    for (auto& [k, p] : peers_)
        p.conn->set_choked(std::find(unchoked.begin(), unchoked.end(), k) == unchoked.end());
}

// ---- Read-only views -------------------------------------------------------------

std::vector<Torrent::PeerView> Torrent::peer_views() const {
    common::MutexLock lock(mu_);
    std::vector<PeerView> out;
    out.reserve(peers_.size());
    for (const auto& [k, p] : peers_) {
        PeerView v;
        v.address = p.address;
        v.id = p.id;
        v.down_rate = p.down_rate;
        v.up_rate = p.up_rate;
        v.downloaded = p.conn->bytes_down();
        v.uploaded = p.conn->bytes_up();
        v.interested = p.conn->peer_interested();
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace mt::client
