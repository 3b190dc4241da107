#include "client/session/session.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "client/create/metainfo_builder.h"
#include "client/create/piece_hasher.h"
#include "client/engine/file_layout.h"
#include "client/engine/partial.h"
#include "client/session/path_util.h"
#include "client/trackers/metainfo_lookup.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/hex.h"
#include "common/random.h"
#include "common/units.h"

namespace mt::client {

using common::cat;
using common::Errc;

namespace {

// The reply code for an error of the metainfo lookup.
std::string lookup_failure_code(Errc e) {
    switch (e) {
        case Errc::not_found:
            return "METAINFO_NOT_FOUND";
        case Errc::parse_error:
        case Errc::unsupported:
        case Errc::changed:
        case Errc::invalid_argument:
            return "INVALID_MTORRENT";
        default:
            return "TRACKERS_UNREACHABLE";
    }
}

}  // namespace

Session::Session(SessionConfig config, common::Logger& log)
    : config_(std::move(config)),
      log_(log),
      peer_id_(make_peer_id()),
      query_(config_.trackers, config_.tracker_timeout_ms, log),
      upload_limit_(std::make_shared<RateLimiter>(config_.max_upload_rate)),
      download_limit_(std::make_shared<RateLimiter>(config_.max_download_rate)) {}

Session::~Session() {
    stop();
}

std::vector<std::string> Session::tracker_urls() const {
    std::vector<std::string> out;
    for (const auto& t : config_.trackers)
        out.push_back("http://" + t.to_string() + "/announce");
    return out;
}

std::string Session::torrent_copy_path(const common::InfoHash& ih) const {
    return config_.state_dir + "/torrents/" + ih.hex() + ".mtorrent";
}

std::string Session::resume_path(const common::InfoHash& ih) const {
    return config_.state_dir + "/torrents/" + ih.hex() + ".mtresume";
}

std::string Session::parts_path(const common::InfoHash& ih) const {
    return config_.state_dir + "/torrents/" + ih.hex() + ".mtparts";
}

// ---- Start and stop -------------------------------------------------------------------

common::Status Session::start(std::vector<std::string>& notes) {
    // The port first: a client that cannot start leaves nothing behind (no
    // empty state folder).
    auto listener = common::tcp_listen(config_.self, 128);
    if (!listener) {
        const std::string& m = listener.error().message;
        return common::make_error(listener.error().code,
                                  m.rfind("cannot listen on", 0) == 0
                                      ? m
                                      : "cannot listen on " + config_.self.to_string() + ": " + m);
    }
    auto port = common::local_port(listener->get());
    if (!port) return port.error();
    const bool existed = path_exists(config_.state_dir);
    if (auto s = make_dirs(config_.state_dir + "/torrents", 0700); !s) return s;
    for (const auto& dir : {config_.state_dir, config_.state_dir + "/torrents"})
        if (auto s = check_private_dir(dir); !s) {
            if (!existed) {
                ::rmdir((config_.state_dir + "/torrents").c_str());
                ::rmdir(config_.state_dir.c_str());
            }
            return s;
        }
    config_.state_dir = absolute_path(config_.state_dir);
    state_path_ = config_.state_dir + "/session.state";
    load_publisher_secret(notes);
    port_ = *port;
    server_ = std::make_unique<PeerServer>(std::move(listener).value(), log_);
    server_->start();  // serves peers from the first moment
    started_ = true;

    LoadedState loaded = load_state(state_path_);
    if (!loaded.problem.empty()) {
        notes.push_back("state file " + state_path_ + " is damaged: " + loaded.problem);
        log_.error(cat("state file ", state_path_, " is damaged: ", loaded.problem));
    }
    // The limits `limit` set last time, unless the command line gives some.
    if (!config_.max_upload_rate && !config_.max_download_rate) {
        upload_limit_->set_rate(loaded.state.limit_up);
        download_limit_->set_rate(loaded.state.limit_down);
    }
    restore(loaded.state, notes);
    save();
    std::size_t restored = 0;
    {
        common::MutexLock lock(mu_);
        restored = transfers_.size();
    }
    log_.info(cat("session started: peers on ", config_.self.host, ":", port_, ", state in ",
                  config_.state_dir, ", ", restored, " transfers restored"));
    worker_ = std::thread([this] { worker_loop(); });
    watcher_ = std::thread([this] { watcher_loop(); });
    return {};
}

void Session::stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    {
        common::MutexLock lock(jobs_mu_);
        stopping_ = true;
    }
    jobs_cv_.notify_all();
    wake_cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
    if (worker_.joinable()) worker_.join();  // finishes stopping removed transfers
    check_transfers();                       // a download that finished just now
    server_->stop();
    std::vector<std::shared_ptr<Transfer>> all;
    {
        common::MutexLock lock(mu_);
        all = transfers_;
    }
    // Every transfer announces `stopped`: in parallel, so quitting costs at
    // most one tracker timeout however many there are.
    std::vector<std::thread> stoppers;
    for (auto& t : all)
        stoppers.emplace_back([t] {
            common::MutexLock lock(t->run_mu);
            t->torrent->stop();
        });
    for (auto& th : stoppers)
        th.join();
    for (auto& t : all)
        if (t->saved.kind == SavedTransfer::Kind::download && t->saved.complete)
            ::unlink(resume_path(t->saved.info_hash).c_str());
    save();
    log_.info(cat("session stopped: ", all.size(), " transfers saved in ", state_path_));
}

// ---- State ------------------------------------------------------------------------------

void Session::save() {
    if (state_path_.empty()) return;
    common::MutexLock save_lock(save_mu_);  // snapshots are written in order
    SessionState s;
    s.limit_up = upload_limit_->rate();
    s.limit_down = download_limit_->rate();
    {
        common::MutexLock lock(mu_);
        for (const auto& t : transfers_) {
            s.transfers.push_back(t->saved);
            s.transfers.back().uploaded = total_uploaded(*t);
        }
        for (const auto& l : lookups_)
            if (!l->failed) s.lookups.push_back(l->saved);
        for (const auto& w : watched_)
            s.watched.push_back(w->dir);
    }
    if (auto st = save_state(state_path_, s); !st)
        log_.error(cat("cannot save the session state: ", st.error().message));
}

// ---- Transfers ------------------------------------------------------------------------

bool Session::info_hash_active_locked(const common::InfoHash& ih, std::string* label) const {
    for (const auto& t : transfers_)
        if (t->saved.info_hash == ih) {
            if (label) *label = t->saved.label;
            return true;
        }
    return false;
}

bool Session::data_path_active_locked(const std::string& path) const {
    for (const auto& t : transfers_)
        if (t->saved.data_path == path) return true;
    for (const auto& l : lookups_)
        if (!l->failed && l->saved.dest == path) return true;
    return false;
}

std::vector<std::shared_ptr<Session::Transfer>> Session::find_locked(
    const std::string& name) const {
    // In order of preference: the label, the .mtorrent path, the file name,
    // the info_hash.
    const std::string abs = name.find('/') != std::string::npos ? absolute_path(name) : "";
    const std::string hex = to_lower(name);
    std::vector<std::shared_ptr<Transfer>> out;
    for (int rule = 0; rule < 4 && out.empty(); ++rule)
        for (const auto& t : transfers_) {
            const bool hit = (rule == 0 && t->saved.label == name) ||
                             (rule == 1 && !abs.empty() && t->saved.mtorrent_path == abs) ||
                             (rule == 2 && t->torrent->meta().name == name) ||
                             (rule == 3 && t->saved.info_hash.hex() == hex);
            if (hit) out.push_back(t);
        }
    return out;
}

Session::Outcome<std::shared_ptr<Session::Transfer>> Session::launch(
    SavedTransfer saved, common::Metainfo meta, bool seeding, bool verify_existing,
    const std::string& duplicate_code) {
    TorrentOptions opt;
    // An unfinished download writes to `<data_path>.part`, unless its final
    // path is there already (renamed just before a crash, or a download
    // begun by a version without .part files).
    const bool partial = !seeding && !saved.complete && !path_exists(saved.data_path);
    opt.data_path = partial ? partial_path(saved.data_path) : saved.data_path;
    opt.resume_path = seeding ? "" : resume_path(meta.info_hash);
    opt.parts_path = parts_path(meta.info_hash);
    if (!seeding) opt.selected_files = saved.selected;
    opt.listen_port = port_;
    opt.peer_id = peer_id_;
    opt.tracker_timeout_ms = config_.tracker_timeout_ms;
    opt.assume_complete = seeding;
    opt.verify_existing = verify_existing;
    opt.upload_limit = upload_limit_;
    opt.download_limit = download_limit_;
    if (config_.max_peers_per_ip) opt.max_peers_per_ip = config_.max_peers_per_ip;
    auto t = std::make_shared<Transfer>();
    t->saved = std::move(saved);
    t->partial = partial;
    t->torrent = std::make_unique<Torrent>(std::move(meta), opt, log_);
    common::MutexLock run_lock(t->run_mu);  // held until started: see retire()
    {
        common::MutexLock lock(mu_);
        if (stopping_) return Failure{"SHUTTING_DOWN", "the client is quitting"};
        std::string other;
        if (info_hash_active_locked(t->saved.info_hash, &other))
            return Failure{duplicate_code,
                           "already transferring " + t->saved.info_hash.hex() + " as " + other};
        if (data_path_active_locked(t->saved.data_path))
            return Failure{duplicate_code, t->saved.data_path + " is in use by another transfer"};
        if (!t->saved.watch_dir.empty() &&
            std::none_of(watched_.begin(), watched_.end(),
                         [&](const auto& w) { return w->dir == t->saved.watch_dir; }))
            return Failure{"NOT_WATCHED", t->saved.watch_dir + " is no longer watched"};
        transfers_.push_back(t);
    }
    if (auto s = t->torrent->start(); !s) {
        {
            common::MutexLock lock(mu_);
            transfers_.erase(std::remove(transfers_.begin(), transfers_.end(), t),
                             transfers_.end());
        }
        t->torrent->stop();
        return Failure{"IO_ERROR", "cannot start " + t->saved.label + ": " + s.error().message};
    }
    run_lock.unlock();
    server_->add(t->torrent.get());
    save();
    return t;
}

void Session::retire(const std::shared_ptr<Transfer>& t, bool delete_files, bool keep_partial) {
    bool discard = false;
    {
        common::MutexLock lock(mu_);
        transfers_.erase(std::remove(transfers_.begin(), transfers_.end(), t), transfers_.end());
        discard = delete_files && !keep_partial && t->partial;
    }
    server_->remove(t->torrent.get());
    {
        const auto seen = t->torrent->trackers();
        common::MutexLock lock(mu_);
        for (const auto& st : seen) {
            auto it = std::find_if(retired_trackers_.begin(), retired_trackers_.end(),
                                   [&](const TrackerStatus& x) { return x.url == st.url; });
            if (it == retired_trackers_.end()) {
                if (retired_trackers_.size() < 64) retired_trackers_.push_back(st);
            } else if (st.last_attempt_ms > it->last_attempt_ms) {
                const std::uint64_t failures = it->failures + st.failures;
                const std::int64_t ok = std::max(it->last_ok_ms, st.last_ok_ms);
                *it = st;
                it->failures = failures;
                it->last_ok_ms = ok;
            }
            // (never "in use": no announce goes there any more)
        }
        for (auto& x : retired_trackers_)
            x.in_use = false;
    }
    save();
    // No longer shared: what it published is taken back from the trackers
    // (only its publisher can), so its name leads nowhere stale.
    if (delete_files && t->saved.kind == SavedTransfer::Kind::share)
        post([this, l = t->saved.label, ih = t->saved.info_hash] { withdraw(l, ih); }, true);
    if (delete_files) {
        ::unlink(torrent_copy_path(t->saved.info_hash).c_str());
        if (t->saved.kind == SavedTransfer::Kind::share && !t->saved.mtorrent_path.empty())
            ::unlink(t->saved.mtorrent_path.c_str());
    }
    // Stopping announces `stopped` (a network wait): the worker does it.
    post(
        [this, t, delete_files, discard] {
            {
                common::MutexLock lock(t->run_mu);  // never before start() returned
                t->torrent->stop();
            }
            // The resume file goes once the Torrent has stopped writing it.
            if (delete_files) {
                ::unlink(resume_path(t->saved.info_hash).c_str());
                ::unlink(parts_path(t->saved.info_hash).c_str());
            }
            if (discard) {
                auto layout = make_file_layout(t->torrent->meta());
                auto s = layout ? discard_partial(t->saved.data_path, *layout)
                                : common::Status(layout.error());
                if (!s) log_.warn(cat("removing the partial data: ", s.error().message));
            }
            log_.info(cat("stopped ", t->saved.label, " (", t->saved.info_hash.hex(), ")"));
        },
        true);
}

Session::Outcome<std::shared_ptr<Session::Transfer>> Session::share_file(
    const std::string& data_path, const std::string& mtorrent_path, const std::string& label,
    const std::string& watch_dir, std::string* published) {
    const std::string abs = absolute_path(data_path);
    struct stat st {};
    if (::stat(abs.c_str(), &st) != 0)
        return Failure{errno == ENOENT ? "FILE_NOT_FOUND" : "IO_ERROR",
                       "cannot open " + data_path + ": " + std::strerror(errno)};
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return Failure{"INVALID_ARGUMENTS", data_path + " is neither a file nor a folder"};
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        return Failure{"INVALID_ARGUMENTS",
                       data_path + " is empty: a torrent needs at least one piece"};
    {
        common::MutexLock lock(mu_);
        if (data_path_active_locked(abs))
            return Failure{"ALREADY_SHARED", abs + " is already shared"};
    }
    auto before = file_sig(abs);
    CreateOptions opt;
    opt.trackers = tracker_urls();
    auto m = create_metainfo(abs, opt);
    if (!m)
        return Failure{m.error().code == Errc::not_found          ? "FILE_NOT_FOUND"
                       : m.error().code == Errc::invalid_argument ? "INVALID_ARGUMENTS"
                                                                  : "IO_ERROR",
                       m.error().message};
    auto after = file_sig(abs);
    if (!before || !after || !(*before == *after))
        return Failure{"FILE_CHANGED", data_path + " changed while it was hashed; share it again"};
    const std::string bytes = common::encode_metainfo(*m);
    if (auto s = common::write_file_atomic(torrent_copy_path(m->info_hash), bytes); !s)
        return Failure{"IO_ERROR", s.error().message};
    std::string mt_abs;
    if (!mtorrent_path.empty()) {
        mt_abs = absolute_path(mtorrent_path);
        if (auto s = common::write_file_atomic(mt_abs, bytes); !s)
            return Failure{"IO_ERROR", s.error().message};
    }
    SavedTransfer saved;
    saved.kind = SavedTransfer::Kind::share;
    saved.label = label;
    saved.mtorrent_path = mt_abs;
    saved.data_path = abs;
    saved.info_hash = m->info_hash;
    saved.size = after->size;
    saved.mtime_ns = after->mtime_ns;
    saved.complete = true;
    saved.watch_dir = watch_dir;
    auto t = launch(std::move(saved), std::move(m).value(), true, false, "ALREADY_SHARED");
    if (auto* f = std::get_if<Failure>(&t)) {
        if (f->code != "ALREADY_SHARED") ::unlink(torrent_copy_path(m->info_hash).c_str());
        return *f;
    }
    const auto& tr = std::get<std::shared_ptr<Transfer>>(t);
    log_.info(cat("sharing ", abs, " as ", label, " (", tr->saved.info_hash.hex(), ")"));
    if (published) {
        auto p = publish(label, bytes);
        *published = p ? "" : p.error().message;
    } else {
        post([this, l = label, bytes] { (void)publish(l, bytes); }, false);
    }
    return t;
}

Session::Outcome<std::shared_ptr<Session::Transfer>> Session::start_download(
    common::Metainfo meta, std::string dest, const std::string& mtorrent_path,
    const std::string& label, const std::vector<std::string>& only) {
    auto layout = make_file_layout(meta);
    if (!layout) return Failure{"INVALID_MTORRENT", layout.error().message};
    std::vector<bool> selected;
    if (!only.empty()) {
        if (!meta.multi_file())
            return Failure{"INVALID_ARGUMENTS", "--only chooses files of a folder torrent"};
        selected = select_by_globs(*layout, only);
        if (std::find(selected.begin(), selected.end(), true) == selected.end())
            return Failure{"INVALID_ARGUMENTS", "no file of " + meta.name + " matches --only"};
    }
    // A destination that ends in '/' names a folder: made if missing.
    if (auto s = make_named_folder(dest); !s)
        return Failure{"INVALID_ARGUMENTS", s.error().message};
    dest = absolute_path(dest);
    // The name made safe is one path segment (file_layout.h), so dest stays
    // in the folder.
    if (is_dir(dest)) dest += "/" + layout->top;
    if (!is_dir(dir_name(dest)))
        return Failure{"INVALID_ARGUMENTS", "the folder " + dir_name(dest) + " does not exist"};
    {
        common::MutexLock lock(mu_);
        std::string other;
        if (info_hash_active_locked(meta.info_hash, &other))
            return Failure{"ALREADY_EXISTS", "already transferring it as " + other};
        if (data_path_active_locked(dest))
            return Failure{"ALREADY_EXISTS", dest + " is in use by another transfer"};
    }
    // What is at dest already: the torrent's complete data is adopted
    // (checked piece by piece, then seeded); anything else is never written.
    auto existing = examine_existing(meta, dest);
    if (!existing) return Failure{"IO_ERROR", existing.error().message};
    if (existing->kind == ExistingData::Kind::other)
        return Failure{"ALREADY_EXISTS", dest + " already exists and is not this torrent's data (" +
                                             existing->why +
                                             "); nothing was written: choose another destination"};
    const bool adopt = existing->kind == ExistingData::Kind::complete;
    // The data goes to `<dest>.part` until verified. Checking that nothing
    // is there and creating it (or a folder torrent's folder) are one step
    // (O_CREAT|O_EXCL or mkdir, no link followed): nothing planted there
    // meanwhile can become what we write to. Partial data already there is
    // ours by its name: reused, each piece checked. Removed again if the
    // download does not start.
    const std::string part = partial_path(dest);
    bool reuse = false;
    common::Result<common::Fd> created = common::Fd();
    if (!adopt && meta.multi_file()) {
        if (::mkdir(part.c_str(), 0755) != 0) {
            if (errno != EEXIST)
                return Failure{"IO_ERROR",
                               "cannot make the folder " + part + ": " + std::strerror(errno)};
            reuse = true;
        }
    } else if (!adopt) {
        created = common::open_for_write(part, common::WriteMode::create_new, 0644);
        if (!created && created.error().code == Errc::invalid_argument) {
            reuse = true;  // there already
            created = common::Fd();
        }
    }
    if (!created)
        return Failure{created.error().code == Errc::not_found ? "INVALID_ARGUMENTS" : "IO_ERROR",
                       created.error().message};
    auto discard_created = [&] {
        if (adopt || reuse) return;
        if (meta.multi_file()) {
            ::rmdir(part.c_str());  // only if nothing was put in it
            return;
        }
        struct stat a {
        }, b{};
        if (::fstat(created->get(), &a) == 0 && ::lstat(part.c_str(), &b) == 0 &&
            a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            ::unlink(part.c_str());
    };
    if (auto s = common::write_file_atomic(torrent_copy_path(meta.info_hash),
                                           common::encode_metainfo(meta));
        !s) {
        discard_created();
        return Failure{"IO_ERROR", s.error().message};
    }
    // A cancelled earlier try: not this data.
    ::unlink(resume_path(meta.info_hash).c_str());
    ::unlink(parts_path(meta.info_hash).c_str());
    SavedTransfer saved;
    saved.kind = SavedTransfer::Kind::download;
    saved.label = label;
    saved.mtorrent_path = mtorrent_path;
    saved.data_path = dest;
    saved.info_hash = meta.info_hash;
    saved.selected = selected;
    if (adopt) {
        auto sig = file_sig(dest);
        saved.complete = true;
        saved.selected.clear();  // all of it is there
        if (sig) {
            saved.size = sig->size;
            saved.mtime_ns = sig->mtime_ns;
        }
    }
    const common::InfoHash ih = meta.info_hash;
    auto t = launch(std::move(saved), std::move(meta), adopt, reuse, "ALREADY_EXISTS");
    if (auto* f = std::get_if<Failure>(&t)) {
        if (f->code != "ALREADY_EXISTS") ::unlink(torrent_copy_path(ih).c_str());
        discard_created();
        return *f;
    }
    if (adopt) {
        log_.info(cat("adopted ", dest, " for ", label, " (", ih.hex(),
                      "): every piece checked; seeding"));
        return t;
    }
    log_.info(cat("downloading ", label, " (", ih.hex(), ") to ", dest));
    return t;
}

// ---- Background ---------------------------------------------------------------------------

void Session::post(std::function<void()> job, bool essential) {
    {
        common::MutexLock lock(jobs_mu_);
        jobs_.push_back({std::move(job), essential});
    }
    jobs_cv_.notify_one();
}

void Session::worker_loop() {
    while (true) {
        Job job;
        {
            common::MutexLock lock(jobs_mu_);
            jobs_cv_.wait(lock.native(), [&] {
                jobs_mu_.assert_held();
                return stopping_ || !jobs_.empty();
            });
            if (jobs_.empty()) return;  // stopping, nothing left
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        // Quitting: stop what was removed, skip the network errands (a
        // pending lookup stays in the state and runs again next time).
        if (stopping_ && !job.essential) continue;
        job.fn();
    }
}

void Session::load_publisher_secret(std::vector<std::string>& notes) {
    const std::string path = config_.state_dir + "/publisher.secret";
    auto held = common::read_own_file(path, 64);
    if (held && held->size() == 32) {
        publisher_secret_ = std::move(held).value();
        return;
    }
    if (held || held.error().code != Errc::not_found)
        notes.push_back(cat(path, " is unusable (", held ? "not 32 bytes" : held.error().message,
                            "); a new one is made: files published before cannot be withdrawn"));
    publisher_secret_ = common::random_bytes(32);
    if (auto s = common::write_file_atomic_new(path, publisher_secret_, /*overwrite=*/true,
                                               /*durable=*/true, 0600);
        !s)
        notes.push_back(cat("cannot save ", path, ": ", s.error().message));
}

void Session::withdraw(const std::string& label, const common::InfoHash& ih) {
    auto r = query_.withdraw(ih, publisher_proof(publisher_secret_, ih));
    if (r)
        log_.info(cat("withdrawn ", label, " (", ih.hex(), ") from the trackers"));
    else
        log_.warn(cat("cannot withdraw ", label, " (", ih.hex(),
                      ") from the trackers: ", r.error().message));
}

common::Status Session::publish(const std::string& label, std::string bytes) {
    auto meta = common::parse_metainfo(bytes);
    const std::string owner =
        meta ? owner_of_proof(publisher_proof(publisher_secret_, meta->info_hash)) : "";
    auto r = query_.publish(bytes, owner);
    if (r) {
        log_.info(cat("published ", label, " (", r->hex(), ") to the trackers"));
        return {};
    }
    log_.warn(cat("cannot publish ", label, " to the trackers (trying again in ",
                  kPublishRetryMs / 1000, " s): ", r.error().message));
    common::MutexLock lock(mu_);
    unpublished_.push_back({label, std::move(bytes)});
    return r.error();
}

void Session::retry_publishing() {
    const std::int64_t now = common::mono_ms();
    std::vector<std::pair<std::string, std::string>> retry;
    {
        common::MutexLock lock(mu_);
        if (unpublished_.empty() || now - last_publish_retry_ms_ < kPublishRetryMs) return;
        last_publish_retry_ms_ = now;
        for (auto& [label, bytes] : unpublished_) {
            const bool still_shared =
                std::any_of(transfers_.begin(), transfers_.end(),
                            [&l = label](const auto& t) { return t->saved.label == l; });
            if (still_shared) retry.emplace_back(std::move(label), std::move(bytes));
        }
        unpublished_.clear();
    }
    for (auto& [label, bytes] : retry)
        post([this, l = std::move(label), b = std::move(bytes)] { (void)publish(l, b); }, false);
}

void Session::run_lookup(SavedLookup saved) {
    if (stopping_) return;
    SwarmFallback swarm;
    swarm.trackers = tracker_urls();
    swarm.peer_id = peer_id_;
    swarm.listen_port = port_;
    swarm.cancel = &stopping_;
    swarm.log = &log_;
    std::vector<SearchHit> ambiguous;
    auto m = lookup_metainfo(saved.query, query_, &swarm, &ambiguous);
    std::shared_ptr<Lookup> l;
    {
        common::MutexLock lock(mu_);
        for (const auto& x : lookups_)
            if (x->saved == saved && !x->failed) l = x;
    }
    if (!l) return;  // cancelled meanwhile
    {
        // Off the list while the download starts: its destination is the
        // lookup's own.
        common::MutexLock lock(mu_);
        lookups_.erase(std::remove(lookups_.begin(), lookups_.end(), l), lookups_.end());
    }
    Failure failure;
    if (m) {
        const std::string label = m->name + ".mtorrent";
        auto r = start_download(std::move(m).value(), saved.dest, "", label);
        if (auto* f = std::get_if<Failure>(&r)) failure = *f;
    } else {
        failure = {ambiguous.empty() ? lookup_failure_code(m.error().code) : "AMBIGUOUS",
                   m.error().message};
    }
    if (!failure.code.empty()) {
        common::MutexLock lock(mu_);
        l->failed = true;
        l->code = failure.code;
        l->detail = failure.detail;
        lookups_.push_back(l);
    }
    if (!failure.code.empty()) {
        log_.warn(cat("get ", saved.query, " failed: FAILURE:", failure.code, " ", failure.detail));
        notice(cat("get ", saved.query, " failed: ", failure.detail, " (", failure.code, ")"));
    }
    save();
}

void Session::watcher_loop() {
    while (true) {
        {
            common::MutexLock lock(jobs_mu_);
            wake_cv_.wait_for(lock.native(), std::chrono::milliseconds(config_.watch_interval_ms),
                              [&] { return stopping_.load(); });
            if (stopping_) return;
        }
        scan_watched();
        check_transfers();
        check_shared_files();
        retry_publishing();
        // What was sent counts across restarts, also after a kill -9: saved
        // once a minute (and at every other change).
        if (common::mono_ms() - last_save_ms_ >= 60'000) {
            last_save_ms_ = common::mono_ms();
            save();
        }
    }
}

void Session::check_shared_files() {
    std::vector<std::shared_ptr<Transfer>> ts;
    {
        common::MutexLock lock(mu_);
        for (const auto& t : transfers_)
            if (t->saved.complete && t->saved.watch_dir.empty() && !t->partial &&
                t->saved.selected.empty() && !t->saved.paused)
                ts.push_back(t);
    }
    for (const auto& t : ts) {
        FileSig saved_sig;
        {
            common::MutexLock lock(mu_);
            saved_sig = FileSig{t->saved.size, t->saved.mtime_ns};
        }
        auto sig = file_sig(t->saved.data_path);
        const bool engine_saw = t->torrent->stats().data_changed;
        if (sig && *sig == saved_sig && !engine_saw) {
            t->changed_to.reset();
            continue;
        }
        // Wait until the edit is over: the same signature (or none: gone)
        // twice in a row.
        const FileSig now = sig ? *sig : FileSig{};
        if (!t->changed_to || !(*t->changed_to == now)) {
            t->changed_to = now;
            continue;
        }
        const std::string what = t->saved.data_path;
        if (t->saved.kind == SavedTransfer::Kind::download) {
            t->torrent->stop_serving(what +
                                     " changed on disk since it was verified; no longer "
                                     "served (get it again to repair it)");
            t->failure_noticed = true;
            notice(cat(t->saved.label, ": ", what,
                       " changed on disk; no longer served (get it again to repair it)"));
            continue;
        }
        // A share: its new contents are shared instead (the .mtorrent rewritten).
        const SavedTransfer old = t->saved;
        retire(t, true);
        if (!sig) {
            log_.warn(cat(old.label, ": ", what, " is gone; no longer shared"));
            continue;
        }
        auto r = share_file(old.data_path, old.mtorrent_path, old.label, "");
        if (auto* f = std::get_if<Failure>(&r)) {
            log_.warn(cat(old.label, ": ", what, " changed and cannot be shared again: FAILURE:",
                          f->code, " ", f->detail));
            notice(cat(old.label, ": ", what, " changed and cannot be shared again: ", f->detail));
        } else {
            const std::string ih = std::get<std::shared_ptr<Transfer>>(r)->saved.info_hash.hex();
            log_.info(cat(old.label, ": ", what, " changed; shared again as ", ih, " (the old ",
                          old.info_hash.hex(), " withdrawn)"));
            notice(cat(old.label, ": ", what, " changed; shared again as ", ih));
        }
    }
}

void Session::scan_watched() {
    std::vector<std::shared_ptr<Watched>> ws;
    {
        common::MutexLock lock(mu_);
        ws = watched_;
    }
    for (const auto& w : ws) {
        auto snap = scan_folder(w->dir);
        if (!snap && snap.error().code != Errc::not_found) {
            log_.warn(cat("watch: ", snap.error().message));
            continue;
        }
        const FolderSnapshot current = snap ? *snap : FolderSnapshot{};
        const WatchDiff d = diff_folder(w->acted, w->previous, current);
        auto shared_as = [&](const std::string& name) {
            std::vector<std::shared_ptr<Transfer>> out;
            common::MutexLock lock(mu_);
            for (const auto& t : transfers_)
                if (t->saved.watch_dir == w->dir && t->saved.data_path == w->dir + "/" + name)
                    out.push_back(t);
            return out;
        };
        auto share = [&](const std::string& name, const char* why) {
            auto r = share_file(w->dir + "/" + name, "", name + ".mtorrent", w->dir);
            w->acted[name] = current.at(name);  // failed too: retried once it changes
            if (auto* f = std::get_if<Failure>(&r))
                log_.warn(cat("watch: cannot share ", w->dir, "/", name, ": FAILURE:", f->code, " ",
                              f->detail));
            else
                log_.info(cat("watch: ", why, " ", w->dir, "/", name, " shared as ",
                              std::get<std::shared_ptr<Transfer>>(r)->saved.info_hash.hex()));
        };
        for (const auto& name : d.removed) {
            for (const auto& t : shared_as(name))
                retire(t, true);
            w->acted.erase(name);
            log_.info(cat("watch: ", w->dir, "/", name, " is gone; no longer shared"));
        }
        for (const auto& name : d.changed) {
            for (const auto& t : shared_as(name))
                retire(t, true);
            share(name, "changed:");
        }
        for (const auto& name : d.added)
            share(name, "new file:");
        w->previous = current;
        if (stopping_) return;
    }
}

void Session::check_transfers() {
    common::MutexLock check_lock(check_mu_);
    std::vector<std::shared_ptr<Transfer>> ts;
    {
        common::MutexLock lock(mu_);
        ts = transfers_;
    }
    bool changed = false;
    for (const auto& t : ts) {
        if (!t->failure_noticed) {
            const std::string error = t->torrent->stats().error;
            if (!error.empty()) {
                t->failure_noticed = true;
                notice(cat(t->saved.label, " failed: ", error));
            }
        }
        if (t->saved.kind != SavedTransfer::Kind::download || !t->torrent->complete()) continue;
        {
            common::MutexLock lock(mu_);
            if (t->saved.complete) continue;
        }
        const TorrentStats s = t->torrent->stats();
        bool partial;
        {
            common::MutexLock lock(mu_);
            partial = t->partial;
            if (partial && !t->finish_error.empty()) continue;
        }
        if (partial) {
            // Verified: the data takes its name (made durable first).
            auto done = t->torrent->flush();
            if (done) done = finish_partial(t->saved.data_path);
            common::MutexLock lock(mu_);
            if (!done) {
                t->finish_error = done.error().message;
                log_.error(cat("download complete: ", t->saved.label, ": ", t->finish_error));
                continue;
            }
            t->partial = false;
        }
        auto sig = file_sig(t->saved.data_path);
        {
            common::MutexLock lock(mu_);
            t->saved.complete = true;
            if (sig) {
                t->saved.size = sig->size;
                t->saved.mtime_ns = sig->mtime_ns;
            }
        }
        changed = true;
        log_.info(cat("download complete: ", t->saved.label, ": ", s.downloaded,
                      " bytes received in this run for a ", s.total, "-byte file; now seeding"));
        notice(cat(t->saved.label, " downloaded (", common::human_bytes(s.total), ") to ",
                   t->saved.data_path, "; now seeding"));
    }
    if (changed) save();
}

}  // namespace mt::client
