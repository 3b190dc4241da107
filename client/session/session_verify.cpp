// Session: `verify`, hashing a transfer's data on disk again (see session.h:
// cmd_verify, verify_by_relaunch, verify_in_place). Nothing here hashes by
// itself: a running download is started again with verify_existing (as a
// restart of changed data is), anything else goes through check_pieces, the
// engine's own opening and hashing of a torrent's storage.
#include <algorithm>

#include "client/engine/disk_store.h"
#include "client/engine/file_layout.h"
#include "client/engine/folder_store.h"
#include "client/engine/partial.h"
#include "client/session/session.h"

namespace mt::client {

using common::cat;

namespace {

// "all 40 pieces good", "37 of 40 pieces good".
std::string pieces_good(std::size_t good, std::size_t n) {
    return good == n ? cat("all ", n, " pieces good") : cat(good, " of ", n, " pieces good");
}

}  // namespace

Reply Session::cmd_verify(const std::string& name) {
    auto found = find_one(name);
    if (auto* f = std::get_if<Failure>(&found)) return Reply::failure(f->code, f->detail);
    const auto t = std::get<std::shared_ptr<Transfer>>(found);
    bool relaunch = false;
    {
        common::MutexLock lock(mu_);
        if (t->resuming || t->verifying)
            return Reply::failure("BUSY", t->saved.label +
                                              " is being resumed or verified; try again in a "
                                              "moment");
        if (!t->finish_error.empty())
            return Reply::failure("CANNOT_VERIFY", t->saved.label + " is complete but " +
                                                       t->finish_error +
                                                       "; move what is there away and restart");
        relaunch = t->saved.kind == SavedTransfer::Kind::download && !t->saved.paused;
        t->verifying = true;
        t->resuming = relaunch;  // a new Torrent takes its place (launch)
    }
    if (relaunch) server_->remove(t->torrent.get());  // no new peers while it stops
    post([this, t, relaunch] { relaunch ? verify_by_relaunch(t) : verify_in_place(t); }, false);
    log_.info(cat("verify ", t->saved.label, ": hashing its data on disk again"));
    return Reply::success(
        t->saved.label,
        relaunch ? "verifying: it stops, its data on disk is hashed again, then it carries on, "
                   "fetching what is missing or damaged (see show downloads; a notice tells "
                   "how many pieces are good)"
                 : "verifying: its data on disk is hashed again in the background (see show "
                   "downloads; a notice tells how many pieces are good)");
}

void Session::verify_by_relaunch(const std::shared_ptr<Transfer>& t) {
    {
        common::MutexLock run(t->run_mu);
        t->torrent->stop();  // its resume state saved; `stopped` told
    }
    TorrentStats before = t->torrent->stats();
    before.down_rate = before.up_rate = 0;
    before.peers = 0;
    SavedTransfer s;
    {
        common::MutexLock lock(mu_);
        t->frozen = before;  // shown [V] meanwhile
        s = t->saved;
        s.uploaded = total_uploaded(*t);
    }
    auto r = launch(s, t->torrent->meta(), /*seeding=*/false, /*verify_existing=*/true,
                    "ALREADY_EXISTS");
    if (auto* f = std::get_if<Failure>(&r)) {
        const bool quitting = f->code == "SHUTTING_DOWN";
        {
            common::MutexLock lock(mu_);
            t->verifying = t->resuming = false;
            if (!quitting) t->saved.paused = true;  // its Torrent stopped: resume starts it
        }
        if (!quitting)
            verify_done(cat("verify ", s.label, ": it could not start again (", f->code, " ",
                            f->detail, "); paused: resume tries again"),
                        false);
        save();
        return;
    }
    const auto& nt = std::get<std::shared_ptr<Transfer>>(r);
    const TorrentStats now = nt->torrent->stats();
    const bool complete = nt->torrent->complete();
    const auto sig = file_sig(s.data_path);
    {
        common::MutexLock lock(mu_);
        nt->verifying = false;
        nt->frozen.reset();
        if (!complete) {
            nt->saved.complete = false;  // a download again: it fetches what is missing
        } else if (nt->saved.complete && sig) {
            nt->saved.size = sig->size;  // as checked just now
            nt->saved.mtime_ns = sig->mtime_ns;
        }
    }
    save();
    verify_done(cat("verified ", s.label, ": ", pieces_good(now.have, now.pieces),
                    complete ? "" : "; fetching the others from peers"),
                true);
}

void Session::verify_in_place(const std::shared_ptr<Transfer>& t) {
    SavedTransfer s;
    {
        common::MutexLock run(t->run_mu);  // a pause's stop is over
        common::MutexLock lock(mu_);
        s = t->saved;
    }
    // A share is only read (the person's file is never written); a paused
    // download's data is opened as its Torrent would open it.
    const bool share = s.kind == SavedTransfer::Kind::share;
    bool partial = false;
    const TorrentOptions opt = torrent_options(s, share, false, partial);
    auto good = check_pieces(t->torrent->meta(), opt);
    if (!good) {
        {
            common::MutexLock lock(mu_);
            t->verifying = false;
        }
        verify_done(cat("verify ", s.label, ": cannot read its data: ", good.error().message),
                    false);
        return;
    }
    record_verified(t, *good);
}

void Session::record_verified(const std::shared_ptr<Transfer>& t, const std::vector<bool>& good) {
    const common::Metainfo& meta = t->torrent->meta();
    SavedTransfer s;
    {
        common::MutexLock lock(mu_);
        s = t->saved;
    }
    const bool share = s.kind == SavedTransfer::Kind::share;
    std::vector<bool> wanted(good.size(), true);
    if (auto layout = make_file_layout(meta); layout && !s.selected.empty())
        wanted = wanted_pieces(*layout, s.selected, meta.piece_length, meta.length);
    common::Bitfield have(good.size());
    bool whole = true;  // every wanted piece is good
    for (std::size_t i = 0; i < good.size(); ++i) {
        have.set(i, good[i]);
        if (i < wanted.size() && wanted[i] && !good[i]) whole = false;
    }
    std::string outcome = cat("verified ", s.label, ": ", pieces_good(have.count(), good.size()));
    if (share && !whole) {
        outcome +=
            "; the others differ from what was shared, so it is no longer served (your file is "
            "left as it is: share it again to publish its new contents)";
        if (!s.paused)
            t->torrent->stop_serving(cat("verify: ", good.size() - have.count(), " of ",
                                         good.size(),
                                         " pieces differ from what was shared; no longer served "
                                         "(share the file again to publish its new contents)"));
    } else if (!share) {
        // What resume starts from (a paused download).
        if (auto st = save_resume(resume_path(s.info_hash), s.info_hash, meta.length, good); !st)
            log_.warn(
                cat("verify ", s.label, ": cannot save its resume state: ", st.error().message));
        if (!whole) outcome += "; resume fetches the others";
    }
    const auto sig = file_sig(s.data_path);
    {
        common::MutexLock lock(mu_);
        t->verifying = false;
        // A share that no longer matches is checked again (and shared anew)
        // at the next start or resume, never seeded as it was.
        if (share && !whole) t->saved.mtime_ns = 0;
        if (!share) t->saved.complete = t->saved.complete && whole;
        if (whole && t->saved.complete && sig) {
            t->saved.size = sig->size;
            t->saved.mtime_ns = sig->mtime_ns;
        }
        if (t->saved.paused) {
            TorrentStats f = stats_of_pieces(meta, have, t->saved.complete && whole);
            if (t->frozen) {
                f.uploaded = t->frozen->uploaded;
                f.downloaded = t->frozen->downloaded;
            }
            if (share && !whole) f.error = "its file no longer matches what was shared (verify)";
            t->frozen = f;
            t->frozen_have = have;
        }
    }
    save();
    verify_done(outcome, true);
}

void Session::verify_done(const std::string& text, bool ok) {
    if (ok)
        log_.info(text);
    else
        log_.warn(text);
    notice(text);
}

}  // namespace mt::client
