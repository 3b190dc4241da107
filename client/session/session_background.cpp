// Session's background: the worker (jobs that wait on the network:
// publishing, withdrawing, metainfo lookups, stopping Torrents) and the
// watcher (watched folders, finished downloads, edited shares, publish
// retries, the periodic save).
#include <algorithm>
#include <chrono>

#include "client/engine/file_layout.h"
#include "client/engine/partial.h"
#include "client/session/path_util.h"
#include "client/session/session.h"
#include "client/trackers/metainfo_lookup.h"
#include "common/clock.h"
#include "common/file_util.h"
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
    swarm.listen_families = families_;
    swarm.cancel = &stopping_;
    swarm.log = &log_;
    if (dht_ && saved.sources.dht)
        swarm.find_peers = [this](const common::InfoHash& ih) {
            std::vector<common::PeerAddress> out;
            for (const auto& p : dht_->get_peers(ih, false, 0, 10000, &stopping_).peers)
                out.push_back({p.ip, p.port, std::nullopt});
            return out;
        };
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
        auto r = start_download(std::move(m).value(), saved.dest, "", label, {}, saved.sources);
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
        sample_rates();  // first: the steps below may take a while (hashing)
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
                t->saved.selected.empty() && !t->saved.paused && !t->verifying)
                ts.push_back(t);
    }
    for (const auto& t : ts) {
        FileSig saved_sig;
        {
            common::MutexLock lock(mu_);
            saved_sig = FileSig{t->saved.size, t->saved.mtime_ns};
        }
        // Stopped already for a reason of its own (told once): nothing is
        // served that could be stale.
        const TorrentStats st = t->torrent->stats();
        if (!st.error.empty() && !st.data_changed) continue;
        auto sig = file_sig(t->saved.data_path);
        const bool engine_saw = st.data_changed;
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
                                     "served (verify repairs it)");
            t->failure_noticed = true;
            notice(cat(t->saved.label, ": ", what,
                       " changed on disk; no longer served (verify repairs it: verify ",
                       quote_token(t->saved.label), ")"));
            continue;
        }
        // A share: its new contents are shared instead (the .mtorrent rewritten).
        const SavedTransfer old = t->saved;
        retire(t, true);
        if (!sig) {
            log_.warn(cat(old.label, ": ", what, " is gone; no longer shared"));
            continue;
        }
        auto r = share_file(old.data_path, old.mtorrent_path, old.label, "", old.sources);
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
            auto r = share_file(w->dir + "/" + name, "", name + ".mtorrent", w->dir, {});
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
            // A paused (or verified) transfer's Torrent is stopped: what it
            // had then is not what is on disk now (verify may have found
            // less). It finishes once running again.
            common::MutexLock lock(mu_);
            if (t->saved.complete || t->saved.paused || t->verifying) continue;
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
