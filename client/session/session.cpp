#include "client/session/session.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/create/metainfo_builder.h"
#include "client/engine/file_layout.h"
#include "client/engine/partial.h"
#include "client/session/path_util.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/random.h"
#include "common/units.h"

namespace mt::client {

using common::cat;
using common::Errc;

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
    families_ = common::listen_families(listener->get());
    server_ = std::make_unique<PeerServer>(std::move(listener).value(), log_);
    server_->start();  // serves peers from the first moment
    started_ = true;
    start_dht(notes);

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
    if (dht_) dht_->stop();  // after the torrents: they use it until they stop
    save();
    log_.info(cat("session stopped: ", all.size(), " transfers saved in ", state_path_));
}

// The DHT node on UDP at our TCP address and port, its table in the state
// folder. A client that cannot start it runs on without (with a note).
void Session::start_dht(std::vector<std::string>& notes) {
    if (!config_.dht) return;
    dht::DhtNode::Options o;
    o.bind = common::Endpoint{config_.self.host.empty() ? "0.0.0.0" : config_.self.host, port_};
    o.bootstrap = config_.dht_bootstrap;
    o.state_file = config_.state_dir + "/dht.dat";
    auto node = dht::DhtNode::start(o);
    if (!node) {
        notes.push_back("DHT off: " + node.error().message);
        log_.warn(cat("DHT off: ", node.error().message));
        return;
    }
    dht_ = std::move(node).value();
    log_.info(cat("DHT node on UDP port ", dht_->port(), ", ",
                  common::plural(config_.dht_bootstrap.size(), "bootstrap node")));
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

// A paused transfer being resumed does not count: its replacement is
// on its way (relaunch()).
bool Session::info_hash_active_locked(const common::InfoHash& ih, std::string* label) const {
    for (const auto& t : transfers_)
        if (t->saved.info_hash == ih && !t->resuming) {
            if (label) *label = t->saved.label;
            return true;
        }
    return false;
}

bool Session::data_path_active_locked(const std::string& path) const {
    for (const auto& t : transfers_)
        if (t->saved.data_path == path && !t->resuming) return true;
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

void Session::set_peer_sources(TorrentOptions& opt, const PeerSources& sources) const {
    opt.dht = sources.dht ? dht_.get() : nullptr;
    opt.pex = config_.pex && sources.pex;
}

TorrentOptions Session::torrent_options(const SavedTransfer& saved, bool seeding,
                                        bool verify_existing, bool& partial) const {
    TorrentOptions opt;
    // An unfinished download writes to `<data_path>.part`, unless its final
    // path is there already (renamed just before a crash, or a download
    // begun by a version without .part files).
    partial = !seeding && !saved.complete && !path_exists(saved.data_path);
    opt.data_path = partial ? partial_path(saved.data_path) : saved.data_path;
    opt.resume_path = seeding ? "" : resume_path(saved.info_hash);
    opt.parts_path = parts_path(saved.info_hash);
    if (!seeding) opt.selected_files = saved.selected;
    opt.listen_port = port_;
    opt.listen_families = families_;
    opt.peer_id = peer_id_;
    opt.tracker_timeout_ms = config_.tracker_timeout_ms;
    opt.assume_complete = seeding;
    opt.verify_existing = verify_existing;
    opt.upload_limit = upload_limit_;
    opt.download_limit = download_limit_;
    if (config_.max_peers_per_ip) opt.max_peers_per_ip = config_.max_peers_per_ip;
    set_peer_sources(opt, saved.sources);
    return opt;
}

Session::Outcome<std::shared_ptr<Session::Transfer>> Session::launch(
    SavedTransfer saved, common::Metainfo meta, bool seeding, bool verify_existing,
    const std::string& duplicate_code) {
    bool partial = false;
    const TorrentOptions opt = torrent_options(saved, seeding, verify_existing, partial);
    auto t = std::make_shared<Transfer>();
    t->saved = std::move(saved);
    t->partial = partial;
    t->torrent = std::make_unique<Torrent>(std::move(meta), opt, log_);
    std::shared_ptr<Transfer> replaced;     // the paused (or verified) one it replaces
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
        // A resumed transfer takes the paused one's place in the list (and
        // a verified one is shown verifying while its Torrent hashes).
        auto old = std::find_if(transfers_.begin(), transfers_.end(), [&](const auto& x) {
            return x->resuming && x->saved.info_hash == t->saved.info_hash;
        });
        if (old != transfers_.end()) {
            replaced = *old;
            t->verifying = replaced->verifying;
            if (t->verifying) t->frozen = replaced->frozen;
            *old = t;
        } else {
            transfers_.push_back(t);
        }
    }
    if (auto s = t->torrent->start(); !s) {
        {
            // The one it was to replace comes back: a transfer is never lost.
            common::MutexLock lock(mu_);
            auto it = std::find(transfers_.begin(), transfers_.end(), t);
            if (it != transfers_.end() && replaced)
                *it = replaced;
            else if (it != transfers_.end())
                transfers_.erase(it);
        }
        t->torrent->stop();
        return Failure{"IO_ERROR", "cannot start " + t->saved.label + ": " + s.error().message};
    }
    run_lock.unlock();
    server_->add(t->torrent.get());
    save();
    return t;
}

void Session::retire(const std::shared_ptr<Transfer>& t, bool delete_files, DataPolicy data) {
    bool discard = false, erase = false;
    {
        common::MutexLock lock(mu_);
        transfers_.erase(std::remove(transfers_.begin(), transfers_.end(), t), transfers_.end());
        discard = delete_files && data != DataPolicy::keep && t->partial;
        // (cmd_remove refuses --delete-data for a share or adopted data.)
        erase = delete_files && data == DataPolicy::delete_all && !t->partial &&
                t->saved.kind == SavedTransfer::Kind::download && !t->saved.adopted;
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
        [this, t, delete_files, discard, erase] {
            {
                common::MutexLock lock(t->run_mu);  // never before start() returned
                t->torrent->stop();
            }
            // The resume file goes once the Torrent has stopped writing it.
            if (delete_files) {
                ::unlink(resume_path(t->saved.info_hash).c_str());
                ::unlink(parts_path(t->saved.info_hash).c_str());
            }
            if (discard || erase) delete_data(*t, discard);
            log_.info(cat("stopped ", t->saved.label, " (", t->saved.info_hash.hex(), ")"));
        },
        true);
}

void Session::delete_data(const Transfer& t, bool partial) {
    auto layout = make_file_layout(t.torrent->meta());
    if (partial) {
        auto s =
            layout ? discard_partial(t.saved.data_path, *layout) : common::Status(layout.error());
        if (!s) log_.warn(cat("removing the partial data: ", s.error().message));
        return;
    }
    auto r = layout ? delete_torrent_data(t.saved.data_path, *layout)
                    : common::Result<DataRemoval>(layout.error());
    if (!r) {
        log_.warn(cat("remove --delete-data ", t.saved.label, ": ", r.error().message));
        notice(cat(t.saved.label, ": its data could not all be deleted: ", r.error().message));
        return;
    }
    log_.info(cat("remove --delete-data ", t.saved.label, ": deleted ",
                  common::plural(r->files, "file"), " of ", t.saved.data_path));
    if (r->left || r->folder_kept)
        notice(cat(t.saved.label, ": ", common::plural(r->files, "file"), " deleted; ",
                   t.saved.data_path, " stays: it holds ",
                   r->left ? common::plural(r->left, "path") + " that the torrent did not write"
                           : std::string("files the torrent does not list")));
}

Session::Outcome<std::shared_ptr<Session::Transfer>> Session::share_file(
    const std::string& data_path, const std::string& mtorrent_path, const std::string& label,
    const std::string& watch_dir, const PeerSources& sources, std::string* published) {
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
    saved.sources = sources;
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

namespace {

// The `.part` file or folder a download writes until it is verified.
// Checking that nothing is there and creating it are one step (O_CREAT|O_EXCL
// or mkdir, no link followed): nothing planted there meanwhile can become
// what we write to. Partial data already there is ours by its name: reused,
// each piece checked.
struct PartialClaim {
    std::string part;
    bool folder = false;
    bool adopted = false;  // the complete data is there: nothing made
    bool reused = false;   // it was there already
    common::Fd created;    // a file made now
    // Removes what this claim made (an empty folder, or the very file made),
    // when the download does not start.
    void discard() const {
        if (adopted || reused) return;
        if (folder) {
            ::rmdir(part.c_str());  // only if nothing was put in it
            return;
        }
        struct stat a {
        }, b{};
        if (::fstat(created.get(), &a) == 0 && ::lstat(part.c_str(), &b) == 0 &&
            a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            ::unlink(part.c_str());
    }
};

common::Result<PartialClaim> claim_partial(const std::string& part, bool folder, bool adopted) {
    PartialClaim c;
    c.part = part;
    c.folder = folder;
    c.adopted = adopted;
    if (adopted) return c;
    if (folder) {
        if (::mkdir(part.c_str(), 0755) != 0) {
            if (errno != EEXIST)
                return common::make_error(
                    Errc::io_error, "cannot make the folder " + part + ": " + std::strerror(errno));
            c.reused = true;
        }
        return c;
    }
    auto created = common::open_for_write(part, common::WriteMode::create_new, 0644);
    if (!created && created.error().code == Errc::invalid_argument) {
        c.reused = true;  // there already
        return c;
    }
    if (!created) return created.error();
    c.created = std::move(created).value();
    return c;
}

}  // namespace

Session::Outcome<std::string> Session::download_destination(const common::InfoHash& ih,
                                                            const std::string& top,
                                                            std::string dest) {
    // A destination that ends in '/' names a folder: made if missing.
    if (auto s = make_named_folder(dest); !s)
        return Failure{"INVALID_ARGUMENTS", s.error().message};
    dest = absolute_path(dest);
    // The name made safe is one path segment (file_layout.h), so dest stays
    // in the folder.
    if (is_dir(dest)) dest += "/" + top;
    if (!is_dir(dir_name(dest)))
        return Failure{"INVALID_ARGUMENTS", "the folder " + dir_name(dest) + " does not exist"};
    common::MutexLock lock(mu_);
    std::string other;
    if (info_hash_active_locked(ih, &other))
        return Failure{"ALREADY_EXISTS", "already transferring it as " + other};
    if (data_path_active_locked(dest))
        return Failure{"ALREADY_EXISTS", dest + " is in use by another transfer"};
    return dest;
}

Session::Outcome<std::shared_ptr<Session::Transfer>> Session::start_download(
    common::Metainfo meta, std::string dest, const std::string& mtorrent_path,
    const std::string& label, const std::vector<std::string>& only, const PeerSources& sources) {
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
    auto where = download_destination(meta.info_hash, layout->top, std::move(dest));
    if (auto* f = std::get_if<Failure>(&where)) return *f;
    dest = std::get<std::string>(std::move(where));
    // What is at dest already: the torrent's complete data is adopted
    // (checked piece by piece, then seeded); anything else is never written.
    auto existing = examine_existing(meta, dest);
    if (!existing) return Failure{"IO_ERROR", existing.error().message};
    if (existing->kind == ExistingData::Kind::other)
        return Failure{"ALREADY_EXISTS", dest + " already exists and is not this torrent's data (" +
                                             existing->why +
                                             "); nothing was written: choose another destination"};
    const bool adopt = existing->kind == ExistingData::Kind::complete;
    // The data goes to `<dest>.part` until verified (PartialClaim); what
    // was made for it is removed again if the download does not start.
    auto claimed = claim_partial(partial_path(dest), meta.multi_file(), adopt);
    if (!claimed)
        return Failure{claimed.error().code == Errc::not_found ? "INVALID_ARGUMENTS" : "IO_ERROR",
                       claimed.error().message};
    const PartialClaim& claim = *claimed;
    const bool reuse = claim.reused;
    if (auto s = common::write_file_atomic(torrent_copy_path(meta.info_hash),
                                           common::encode_metainfo(meta));
        !s) {
        claim.discard();
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
    saved.sources = sources;
    if (adopt) {
        auto sig = file_sig(dest);
        saved.complete = true;
        saved.adopted = true;    // the person's: remove --delete-data never deletes it
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
        claim.discard();
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

}  // namespace mt::client
