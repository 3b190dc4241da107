#include "client/engine/torrent.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "client/create/piece_hasher.h"
#include "client/engine/peer_connection.h"
#include "client/engine/torrent_internal.h"
#include "common/clock.h"
#include "common/net/socket.h"
#include "common/random.h"
#include "common/sha1.h"

namespace mt::client {

using common::cat;
using detail::kIdleUnchokeMs;

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
      trackers_(meta_.trackers(), opt_.tracker_timeout_ms, log, {}, 500, opt_.listen_families),
      picker_(meta_.piece_count(), meta_.piece_length, meta_.length,
              PickerConfig{4, 2, std::hash<std::string>{}(std::string(opt_.peer_id.view()))}),
      have_(meta_.piece_count()) {}

std::int64_t Torrent::now_ms() const {
    return opt_.clock ? opt_.clock() : common::mono_ms();
}

Torrent::~Torrent() {
    stop();
}

namespace {

// The storage a torrent with these options reads and writes.
common::Result<std::unique_ptr<Storage>> open_storage(const common::Metainfo& meta,
                                                      const TorrentOptions& opt) {
    if (opt.open_storage) return opt.open_storage(meta);
    return open_data(meta, opt.data_path, opt.assume_complete, opt.selected_files, opt.parts_path);
}

}  // namespace

common::Result<std::vector<bool>> check_pieces(const common::Metainfo& meta,
                                               const TorrentOptions& options) {
    auto storage = open_storage(meta, options);
    if (!storage) return storage.error();
    return good_pieces(**storage, meta);
}

common::Status Torrent::start() {
    auto storage = open_storage(meta_, opt_);
    if (!storage) return storage.error();
    disk_ = std::move(storage).value();
    folder_ = dynamic_cast<FolderStore*>(disk_.get());
    std::vector<bool> wanted;
    if (folder_ && !opt_.selected_files.empty())
        wanted =
            wanted_pieces(folder_->layout(), opt_.selected_files, meta_.piece_length, meta_.length);

    std::vector<bool> verified(meta_.piece_count(), opt_.assume_complete);
    bool restored = false;
    // verify_existing: what is on disk counts, whatever the resume state says.
    if (!opt_.resume_path.empty() && !opt_.assume_complete && !opt_.verify_existing) {
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
    const bool hashed = opt_.verify_existing && !restored;
    if (hashed) {
        auto good = good_pieces(*disk_, meta_);
        if (!good) return good.error();
        verified = std::move(good).value();
    }
    std::size_t n = 0;
    {
        common::MutexLock lock(mu_);  // no other thread yet: for the analysis
        resume_dirty_ = hashed;       // what hashing found replaces the resume state
        if (!wanted.empty()) picker_.set_wanted(wanted);
        selected_ = folder_ ? opt_.selected_files : std::vector<bool>();
        for (std::size_t i = 0; i < verified.size(); ++i)
            if (verified[i]) {
                picker_.mark_have(static_cast<PieceIndex>(i));
                have_.set(i);
                ++n;
            }
        if (opt_.initial_seeding && n == meta_.piece_count())
            seeder_ = std::make_unique<InitialSeeder>(
                meta_.piece_count(), static_cast<std::uint32_t>(meta_.piece_length),
                std::random_device{}(), opt_.initial_seeding_window);
    }
    if (opt_.assume_complete)  // hashed by the caller just now (share, seed, adopted data)
        log_.info(cat(meta_.name, ": all ", meta_.piece_count(), " pieces hashed; seeding"));
    else
        log_.info(
            cat(meta_.name, ": ", n, " of ", meta_.piece_count(), " pieces already verified"));
    for (int i = 0; i < kWriters; ++i)
        writers_.emplace_back([this] { writer_loop(); });
    announcer_ = std::thread([this] { announcer_loop(); });
    if (opt_.dht && !meta_.is_private) dht_thread_ = std::thread([this] { dht_loop(); });
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
    dht_stop_ = true;
    cv_.notify_all();
    if (announcer_.joinable()) announcer_.join();
    if (dht_thread_.joinable()) dht_thread_.join();
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
    for (auto& w : writers_)
        if (w.joinable()) w.join();
    if (disk_) {
        (void)disk_->sync();
        save_resume_locked_out();
    }
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

common::Status Torrent::flush() {
    if (!disk_) return {};
    return disk_->sync();
}

TorrentStats Torrent::stats() const {
    common::MutexLock lock(mu_);
    TorrentStats s;
    s.total = picker_.wanted_bytes();  // the whole torrent unless files are left out
    s.verified_bytes = picker_.wanted_bytes() - picker_.needed_bytes();
    s.downloaded = downloaded_.load();
    s.uploaded = uploaded_.load();
    s.down_rate = down_rate_.rate();
    s.up_rate = up_rate_.rate();
    s.peers = peers_.size();
    s.pieces = meta_.piece_count();
    s.have = have_.count();
    s.banned = banned_.size();
    s.bad_pieces = bad_pieces_;
    s.wasted = wasted_.load();
    s.complete = picker_.complete_wanted();
    s.error = error_;
    s.data_changed = data_changed_;
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

// Peers from the DHT (BEP 5): a lookup that also announces us, again every
// 5 s while downloading with few peers, else every 5 minutes. Private
// torrents never get here.
void Torrent::dht_loop() {
    opt_.dht->add_own(meta_.info_hash, opt_.listen_port);
    // The .mtorrent's own bootstrap nodes (BEP 5 `nodes`); a name is
    // resolved here, off every other thread.
    for (const auto& n : common::dht_nodes(meta_)) {
        if (const auto ip = common::IpAddr::parse(n.host)) {
            opt_.dht->add_node({*ip, n.port});
        } else if (auto addr = common::resolve(common::Endpoint{n.host, n.port})) {
            opt_.dht->add_node({addr->ip(), n.port});
        }
    }
    while (!dht_stop_.load()) {
        const auto r =
            opt_.dht->get_peers(meta_.info_hash, true, opt_.listen_port, 20000, &dht_stop_);
        for (const auto& p : r.peers)
            connect_to(p.ip, p.port);
        common::MutexLock lock(mu_);
        const bool hungry = !picker_.complete_wanted() && peers_.size() < 4;
        cv_.wait_for(lock.native(), std::chrono::milliseconds(hungry ? 5000 : 300000), [&] {
            mu_.assert_held();
            return stopping_;
        });
        if (stopping_) break;
    }
    opt_.dht->remove_own(meta_.info_hash);
}

// ---- Housekeeping: rates, choking, resume state --------------------------------

void Torrent::housekeeper_loop() {
    std::int64_t last_rechoke = 0, last_save = now_ms();
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
            down_rate_.add(now, d);
            up_rate_.add(now, u);
            for (auto& [k, p] : peers_) {
                const std::uint64_t pd = p.conn->bytes_down(), pu = p.conn->bytes_up();
                // ~20 s rolling rates for the choker.
                p.down_rate =
                    0.95 * p.down_rate + 0.05 * static_cast<double>(pd - p.down_bytes) / dt;
                p.up_rate = 0.95 * p.up_rate + 0.05 * static_cast<double>(pu - p.up_bytes) / dt;
                p.down_bytes = pd;
                p.up_bytes = pu;
            }
            last_tick = now;
        }
        bool soon;
        {
            common::MutexLock lock(mu_);
            soon = rechoke_soon_;
            rechoke_soon_ = false;
            check_idle_offers_locked(now);
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
        // Seeding rounds are shorter: round robin (Choker) serves every peer
        // within a few rounds even in a swarm of 32.
        const std::int64_t round_ms = complete() ? 5000 : 10000;
        if (now - last_rechoke >= round_ms || last_rechoke == 0 || soon) {
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
        s.uploaded = p.conn->bytes_up();
        s.connected_at_ms = p.connected_ms;
        if (p.last_block_ms >= 0) s.last_block_ms = p.last_block_ms;
        const std::int64_t idle = p.conn->idle_unchoked_since_ms();
        s.idle_unchoked = idle >= 0 && now_ms - idle >= kIdleUnchokeMs;
        stats.push_back(s);
    }
    const auto decision = choker_.rechoke(now_ms, have_.all(), stats);
    const auto unchoked = decision.unchoked();
    for (auto& [k, p] : peers_) {
        const bool choked = std::find(unchoked.begin(), unchoked.end(), k) == unchoked.end();
        p.conn->set_choked(choked);
        p.choked = choked;
        // Initial seeding: what a choked peer was shown moves nowhere; it
        // must not hold back those pieces from the unchoked ones.
        if (seeder_ && choked) seeder_->suspend(k);
        if (seeder_ && !choked) show_locked(k, seeder_->resume(k));
    }
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
        v.client = p.client.empty() ? client_from_peer_id(p.id) : p.client;
        v.progress = meta_.piece_count() ? static_cast<double>(picker_.peer_piece_count(k)) /
                                               static_cast<double>(meta_.piece_count())
                                         : 0;
        v.incoming = !p.outgoing;
        v.choked = p.choked;
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace mt::client
