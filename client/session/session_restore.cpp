// Session's restart: what the saved state lists is started again (shares
// re-checked, downloads resumed, paused transfers listed but not started).
#include <unistd.h>

#include "client/engine/disk_store.h"
#include "client/engine/partial.h"
#include "client/session/path_util.h"
#include "client/session/session.h"
#include "common/file_util.h"

namespace mt::client {

using common::cat;
using common::Errc;

// ---- Restart ------------------------------------------------------------------------------

void Session::restore(const SessionState& state, std::vector<std::string>& notes) {
    for (const auto& dir : state.watched) {
        if (!is_dir(dir)) {
            notes.push_back("watched folder " + dir + " is gone; no longer watched");
            continue;
        }
        auto w = std::make_shared<Watched>();
        w->dir = dir;
        if (auto snap = scan_folder(dir)) w->previous = *snap;
        common::MutexLock lock(mu_);
        watched_.push_back(w);
    }
    for (const auto& t : state.transfers)
        if (t.paused)
            restore_paused(t, notes);
        else
            restore_transfer(t, notes);
    for (const auto& l : state.lookups) {
        auto x = std::make_shared<Lookup>();
        x->saved = l;
        {
            common::MutexLock lock(mu_);
            lookups_.push_back(x);
        }
        post([this, l] { run_lookup(l); }, false);
    }
}

common::Result<common::Metainfo> Session::load_saved_meta(const SavedTransfer& saved) const {
    auto meta = common::load_metainfo(torrent_copy_path(saved.info_hash));
    if ((!meta || meta->info_hash != saved.info_hash) && !saved.mtorrent_path.empty())
        meta = common::load_metainfo(saved.mtorrent_path);
    if (meta && meta->info_hash != saved.info_hash)
        return common::make_error(Errc::not_found, "another torrent");
    return meta;
}

void Session::restore_paused(const SavedTransfer& saved, std::vector<std::string>& notes) {
    auto meta = load_saved_meta(saved);
    if (!meta) {
        notes.push_back(
            cat(saved.label, ": its metainfo is lost (", meta.error().message, "); not restored"));
        return;
    }
    // What the files hold, as far as the state knows without reading them
    // (no resume state: nothing known, nothing counted).
    const bool whole = saved.complete && saved.selected.empty();
    common::Bitfield have(meta->piece_count());
    if (whole) {
        have.fill(true);
    } else if (auto r = load_resume(resume_path(saved.info_hash), saved.info_hash,
                                    meta->piece_count())) {
        for (std::size_t i = 0; i < r->verified.size(); ++i)
            have.set(i, r->verified[i]);
    } else {
        have = common::Bitfield();
    }
    const TorrentStats frozen = stats_of_pieces(*meta, have, whole);
    TorrentOptions opt;
    opt.data_path = saved.data_path;
    opt.listen_port = port_;
    opt.listen_families = families_;
    opt.peer_id = peer_id_;
    set_peer_sources(opt, saved.sources);
    auto t = std::make_shared<Transfer>();
    t->saved = saved;
    t->partial = !saved.complete && !path_exists(saved.data_path);
    t->frozen = frozen;
    t->frozen_have = std::move(have);
    t->torrent = std::make_unique<Torrent>(std::move(meta).value(), opt, log_);
    common::MutexLock lock(mu_);
    transfers_.push_back(t);
}

void Session::restore_transfer(const SavedTransfer& saved, std::vector<std::string>& notes) {
    const std::string copy = torrent_copy_path(saved.info_hash);
    auto meta = load_saved_meta(saved);
    if (!meta) {
        notes.push_back(
            cat(saved.label, ": its metainfo is lost (", meta.error().message, "); not restored"));
        return;
    }
    auto note_failure = [&](const Outcome<std::shared_ptr<Transfer>>& r) {
        if (auto* f = std::get_if<Failure>(&r))
            notes.push_back(cat(saved.label, ": not restored: FAILURE:", f->code, " ", f->detail));
    };
    // A finished download of some files of a folder carries on as a
    // download (it cannot seed files it never fetched).
    if (saved.kind == SavedTransfer::Kind::share || (saved.complete && saved.selected.empty())) {
        auto sig = file_sig(saved.data_path);
        if (!sig) {
            notes.push_back(cat(saved.label, ": ", saved.data_path, " is gone; no longer shared"));
            ::unlink(copy.c_str());
            return;
        }
        SavedTransfer s = saved;
        bool matches = sig->size == saved.size && sig->mtime_ns == saved.mtime_ns;
        if (!matches && sig->size == meta->length) {
            auto storage = open_data(*meta, saved.data_path, /*existing=*/true);
            auto bad = storage ? count_bad_pieces(**storage, *meta)
                               : common::Result<std::size_t>(storage.error());
            matches = bad && *bad == 0;
        }
        if (matches) {
            s.size = sig->size;
            s.mtime_ns = sig->mtime_ns;
            if (!s.watch_dir.empty()) {
                common::MutexLock lock(mu_);
                for (auto& w : watched_)
                    if (w->dir == s.watch_dir) w->acted[base_name(s.data_path)] = *sig;
            }
            const std::string bytes = common::encode_metainfo(*meta);
            auto r = launch(std::move(s), std::move(meta).value(), true, false, "ALREADY_SHARED");
            note_failure(r);
            if (saved.kind == SavedTransfer::Kind::share &&
                std::holds_alternative<std::shared_ptr<Transfer>>(r))
                post([this, l = saved.label, bytes] { (void)publish(l, bytes); }, false);
            return;
        }
        ::unlink(copy.c_str());
        if (saved.kind == SavedTransfer::Kind::share) {
            if (!saved.watch_dir.empty()) return;  // the watcher shares the new contents
            auto r =
                share_file(saved.data_path, saved.mtorrent_path, saved.label, "", saved.sources);
            note_failure(r);
            if (auto* t = std::get_if<std::shared_ptr<Transfer>>(&r))
                notes.push_back(cat(saved.label, ": ", saved.data_path,
                                    " changed since the last run; shared again as ",
                                    (*t)->saved.info_hash.hex()));
            return;
        }
        // A finished download that changed: check it piece by piece and fetch
        // what differs.
        if (auto s2 = common::write_file_atomic(copy, common::encode_metainfo(*meta)); !s2)
            log_.warn(s2.error().message);
        s.complete = false;
        notes.push_back(cat(saved.label, ": ", saved.data_path,
                            " changed since the last run; fetching the pieces that differ"));
        note_failure(launch(std::move(s), std::move(meta).value(), false, true, "ALREADY_EXISTS"));
        return;
    }
    // An unfinished download: the Torrent resumes from its resume file, if
    // its data is still there (at `.part`, or its final path; see launch).
    if (!path_exists(saved.data_path) && !path_exists(partial_path(saved.data_path)))
        ::unlink(resume_path(saved.info_hash).c_str());
    // (Some files of a folder, finished: no resume state is kept for it, so
    // what is on disk is checked instead of fetched again.)
    note_failure(launch(saved, std::move(meta).value(), false,
                        saved.complete && !path_exists(resume_path(saved.info_hash)),
                        "ALREADY_EXISTS"));
}

}  // namespace mt::client
