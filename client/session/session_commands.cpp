// Session: the commands (see session.h for the threads and the state).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/engine/file_layout.h"
#include "client/engine/partial.h"
#include "client/session/path_util.h"
#include "client/session/session.h"
#include "client/trackers/metainfo_lookup.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/units.h"

namespace mt::client {

using common::cat;
using common::Errc;

namespace {

// Why remove --delete-data must not delete a transfer's data ("": it may).
// What a person shared, or had before a download adopted it, is theirs.
std::string not_ours_to_delete(const SavedTransfer& s) {
    if (s.kind == SavedTransfer::Kind::share)
        return s.label + " shares your own " + s.data_path +
               ": mtorrent never deletes what you shared; nothing was removed (remove it "
               "without --delete-data: the data stays)";
    if (s.adopted)
        return s.label + ": " + s.data_path +
               " was there before its download (checked and seeded, never written): mtorrent "
               "never deletes it; nothing was removed (remove it without --delete-data)";
    return "";
}

}  // namespace

// ---- Commands -----------------------------------------------------------------------------

namespace {

// The options after share's and get's two arguments: --no-dht, --no-pex,
// and (get only) --only <glob>. False: something else is there.
bool parse_transfer_options(const Command& c, std::vector<std::string>& only,
                            PeerSources& sources) {
    for (std::size_t i = 2; i < c.args.size(); ++i) {
        const std::string& a = c.args[i];
        if (a == "--no-dht") {
            sources.dht = false;
        } else if (a == "--no-pex") {
            sources.pex = false;
        } else if (a == "--only" && c.kind == CommandKind::get && i + 1 < c.args.size()) {
            only.push_back(c.args[++i]);
        } else {
            return false;
        }
    }
    return true;
}

// " (no DHT, no PEX)" for a transfer that turned them off; "" otherwise.
std::string sources_note(const PeerSources& s) {
    if (s.dht && s.pex) return "";
    if (!s.dht && !s.pex) return " (no DHT, no PEX)";
    return s.dht ? " (no PEX)" : " (no DHT)";
}

}  // namespace

Reply Session::execute(const Command& c, bool tty) {
    common::MutexLock turn(exec_mu_);
    switch (c.kind) {
        case CommandKind::empty:
            return Reply::success("");
        case CommandKind::share:
        case CommandKind::get: {
            // share <data> <name>.mtorrent [--no-dht] [--no-pex]
            // get <source> <dest> [--only <glob>]... [--no-dht] [--no-pex]
            std::vector<std::string> only;
            PeerSources sources;
            if (!parse_transfer_options(c, only, sources))
                return Reply::failure("INVALID_ARGUMENTS", command_usage(c.kind));
            if (c.kind == CommandKind::share) return cmd_share(c.args[0], c.args[1], sources);
            return cmd_get(c.args[0], c.args[1], only, sources);
        }
        case CommandKind::show_downloads:
            return cmd_show(tty);
        case CommandKind::remove: {
            // remove <name> [--keep | --delete-data]
            DataPolicy data = DataPolicy::partial_deleted;
            if (c.args.size() == 2 && c.args[1] == "--keep")
                data = DataPolicy::keep;
            else if (c.args.size() == 2 && c.args[1] == "--delete-data")
                data = DataPolicy::delete_all;
            else if (c.args.size() == 2)
                return Reply::failure("INVALID_ARGUMENTS", command_usage(CommandKind::remove));
            return cmd_remove(c.args[0], data);
        }
        case CommandKind::search:
            return cmd_search(c.args[0]);
        case CommandKind::watch:
            return cmd_watch(c.args[0]);
        case CommandKind::unwatch:
            return cmd_unwatch(c.args[0]);
        case CommandKind::status:
            return cmd_status();
        case CommandKind::peers:
            return cmd_peers(c.args[0]);
        case CommandKind::files:
            return cmd_files(c.args[0]);
        case CommandKind::select:
        case CommandKind::deselect:
            return cmd_select(c.args[0], {c.args.begin() + 1, c.args.end()},
                              c.kind == CommandKind::select);
        case CommandKind::help:
            return cmd_help(c.args);
        case CommandKind::pause:
            return cmd_pause(c.args[0]);
        case CommandKind::resume:
            return cmd_resume(c.args[0]);
        case CommandKind::verify:
            return cmd_verify(c.args[0]);
        case CommandKind::limit:
            return cmd_limit(c.args);
        case CommandKind::quit: {
            std::size_t n;
            {
                common::MutexLock lock(mu_);
                n = transfers_.size();
            }
            Reply r = Reply::success("quit", cat("stopping ", common::plural(n, "transfer"),
                                                 "; state in ", config_.state_dir));
            r.quit = true;
            return r;
        }
    }
    return Reply::failure("UNKNOWN_COMMAND", usage_line());
}

Reply Session::cmd_share(const std::string& file, const std::string& mtorrent,
                         const PeerSources& sources) {
    const std::string label = base_name(mtorrent);
    if (!ends_with(mtorrent, ".mtorrent") || label == ".mtorrent")
        return Reply::failure("INVALID_ARGUMENTS",
                              "the second argument must be a <name>.mtorrent path; " +
                                  command_usage(CommandKind::share));
    if (is_dir(mtorrent)) return Reply::failure("INVALID_ARGUMENTS", mtorrent + " is a folder");
    if (!is_dir(dir_name(absolute_path(mtorrent))))
        return Reply::failure("INVALID_ARGUMENTS", "the folder of " + mtorrent + " does not exist");
    {
        common::MutexLock lock(mu_);
        const std::string abs = absolute_path(mtorrent);
        for (const auto& t : transfers_)
            if (t->saved.mtorrent_path == abs || t->saved.label == label)
                return Reply::failure("ALREADY_SHARED", t->saved.label + " is already in use for " +
                                                            t->saved.data_path);
    }
    std::string unpublished;
    auto r = share_file(file, mtorrent, label, "", sources, &unpublished);
    if (auto* f = std::get_if<Failure>(&r)) return Reply::failure(f->code, f->detail);
    const auto& t = std::get<std::shared_ptr<Transfer>>(r);
    const auto& m = t->torrent->meta();
    // Shared here either way; whether anyone can find it is the trackers'.
    return Reply::success(
        label,
        cat("seeding ", m.name, " (", common::human_bytes(m.length), ", ",
            common::plural(m.piece_count(), "piece"), ", info_hash ", m.info_hash.hex(), ")",
            sources_note(sources), "; ",
            unpublished.empty()
                ? "published to the trackers"
                : "shared here but NOT announced (" + unpublished + "); trying again every " +
                      std::to_string(kPublishRetryMs / 1000) + " s (see status)"));
}

Reply Session::cmd_get(const std::string& source, const std::string& dest,
                       const std::vector<std::string>& only, const PeerSources& sources) {
    // A path (it ends in .mtorrent or has a '/') is a .mtorrent to open; so
    // is any other existing file that parses as one (a .torrent). Anything
    // else is an info_hash or a name from a search, even if a file of that
    // name happens to be in the current folder.
    const bool is_path = ends_with(source, ".mtorrent") || source.find('/') != std::string::npos;
    struct stat st {};
    const bool found = ::stat(source.c_str(), &st) == 0;
    const int err = errno;
    if (is_path && !found)
        return Reply::failure("MTORRENT_FILE_NOT_FOUND",
                              "cannot open " + source + ": " + std::strerror(err));
    if (is_path && !S_ISREG(st.st_mode))
        return Reply::failure("INVALID_MTORRENT", source + " is not a .mtorrent file");
    auto m = is_path || (found && S_ISREG(st.st_mode) && !common::looks_like_info_hash(source))
                 ? common::load_metainfo(source)
                 : common::Result<common::Metainfo>(common::make_error(Errc::not_found, ""));
    if (is_path && !m) return Reply::failure("INVALID_MTORRENT", m.error().message);
    if (!m && !only.empty())
        return Reply::failure("INVALID_ARGUMENTS",
                              "--only needs a .mtorrent; for a name or info_hash, choose files "
                              "with deselect once its metainfo is found");
    if (m) {
        auto r = start_download(std::move(m).value(), dest, absolute_path(source),
                                base_name(source), only, sources);
        if (auto* f = std::get_if<Failure>(&r)) return Reply::failure(f->code, f->detail);
        const auto& t = std::get<std::shared_ptr<Transfer>>(r);
        if (t->saved.complete)
            return Reply::success(
                t->saved.data_path,
                cat(t->torrent->meta().name, " is there already: all ",
                    t->torrent->meta().piece_count(), " pieces checked; seeding it"));
        return Reply::success(t->saved.data_path,
                              cat("downloading ", t->torrent->meta().name, " (",
                                  common::human_bytes(t->torrent->meta().length), ")",
                                  sources_note(sources), " in the background; see show downloads"));
    }
    // An info_hash or a file name: the metainfo comes from the trackers, in
    // the background. A destination ending in '/' names a folder (made if
    // missing), as for a .mtorrent.
    if (auto s = make_named_folder(dest); !s)
        return Reply::failure("INVALID_ARGUMENTS", s.error().message);
    std::string abs = absolute_path(dest);
    const bool by_hash = common::looks_like_info_hash(source);
    if (!by_hash) {
        // Never choose between different files of one name: with several,
        // the person picks one by info_hash. (Unreachable trackers: the
        // background lookup tries again and reports.)
        if (auto hits = query_.search(source)) {
            auto matches = exact_name_matches(std::move(hits).value(), source);
            if (matches.size() > 1)
                return Reply::failure("AMBIGUOUS", ambiguous_text(source, matches));
        }
    }
    if (is_dir(abs) && !by_hash) {
        if (auto s = common::check_path_segment(source, "file name"); !s)
            return Reply::failure("INVALID_ARGUMENTS", s.error().message);
        abs += "/" + source;
    }
    if (!is_dir(abs) && path_exists(abs))
        return Reply::failure("ALREADY_EXISTS",
                              abs + " already exists; choose another destination");
    if (!is_dir(abs) && !is_dir(dir_name(abs)))
        return Reply::failure("INVALID_ARGUMENTS",
                              "the folder " + dir_name(abs) + " does not exist");
    auto l = std::make_shared<Lookup>();
    l->saved.query = by_hash ? to_lower(source) : source;
    l->saved.dest = abs;
    l->saved.sources = sources;
    {
        common::MutexLock lock(mu_);
        if (by_hash) {
            auto raw = common::from_hex(source);
            std::string other;
            if (raw && info_hash_active_locked(common::InfoHash::from_bytes(*raw), &other))
                return Reply::failure("ALREADY_EXISTS", "already transferring it as " + other);
        }
        for (const auto& x : lookups_)
            if (!x->failed && (x->saved.query == l->saved.query || x->saved.dest == abs))
                return Reply::failure("ALREADY_EXISTS", "already looking up " + x->saved.query +
                                                            " for " + x->saved.dest);
        if (data_path_active_locked(abs))
            return Reply::failure("ALREADY_EXISTS", abs + " is in use by another transfer");
        lookups_.push_back(l);
    }
    save();
    post([this, s = l->saved] { run_lookup(s); }, false);
    log_.info(cat("looking up ", l->saved.query, " on the trackers for ", abs));
    return Reply::success(abs, "finding the metainfo of " + source +
                                   " on the trackers in the background; see show downloads");
}

Reply Session::cmd_show(bool tty) {
    std::vector<std::string> lines;
    for (const auto& v : transfer_views())
        lines.push_back(format_transfer(v, tty));
    return Reply::list(std::move(lines), "transfer", "transfers", "");
}

std::vector<TransferView> Session::transfer_views() {
    check_transfers();  // a download finished just now is shown under its name
    std::vector<std::shared_ptr<Transfer>> ts;
    std::vector<TransferView> out;
    {
        common::MutexLock lock(mu_);
        ts = transfers_;
        for (const auto& l : lookups_) {  // their fields change under mu_
            TransferView v;
            v.label = v.name = l->saved.query;
            if (l->failed) {
                v.state = '!';
                v.note = "FAILURE:" + l->code + " " + l->detail;
            } else {
                v.state = 'M';
                v.note = "finding the metainfo on the trackers for " + l->saved.dest;
            }
            out.push_back(std::move(v));
        }
    }
    for (const auto& t : ts)
        out.push_back(view_of(*t));
    return out;
}

TransferView Session::view_of(const Transfer& t) const {
    TransferView v;
    v.label = t.saved.label;
    v.info_hash = t.saved.info_hash.hex();
    v.name = t.torrent->meta().name;
    v.stats = t.torrent->stats();
    common::MutexLock lock(mu_);
    if ((t.saved.paused || t.verifying) && t.frozen) v.stats = *t.frozen;
    v.stats.uploaded += t.saved.uploaded;  // earlier runs'
    if (!t.finish_error.empty() && v.stats.error.empty())
        v.stats.error = "verified, but " + t.finish_error;
    else if (t.partial && v.stats.complete)
        v.stats.complete = false;  // named a moment from now
    if (t.verifying) {
        v.state = 'V';
        v.note = "verifying: its data on disk is being hashed";
    } else if (t.saved.paused) {
        v.state = 'P';
    } else {
        v.state = !v.stats.error.empty() ? '!' : (v.stats.complete ? 'S' : 'D');
    }
    return v;
}

Reply Session::cmd_remove(const std::string& name, DataPolicy data) {
    std::vector<std::shared_ptr<Transfer>> hits;
    std::shared_ptr<Lookup> lookup;
    {
        common::MutexLock lock(mu_);
        hits = find_locked(name);
        if (hits.empty()) {
            const std::string abs = absolute_path(name);
            for (const auto& l : lookups_)
                if (l->saved.query == name || l->saved.query == to_lower(name) ||
                    l->saved.dest == abs)
                    lookup = l;
            if (lookup)
                lookups_.erase(std::remove(lookups_.begin(), lookups_.end(), lookup),
                               lookups_.end());
        }
    }
    if (lookup) {
        save();
        return Reply::success(lookup->saved.query, "lookup cancelled");
    }
    if (hits.empty())
        return Reply::failure("NOT_FOUND", "no transfer named " + name + "; see show downloads");
    if (hits.size() > 1) {
        std::string which;
        for (const auto& t : hits)
            which += (which.empty() ? "" : ", ") + t->saved.info_hash.hex();
        return Reply::failure("AMBIGUOUS", name + " names " + std::to_string(hits.size()) +
                                               " transfers; remove one by info_hash: " + which);
    }
    const auto& t = hits[0];
    bool partial;
    {
        common::MutexLock lock(mu_);
        partial = t->partial;
        if (t->resuming || t->verifying)  // its replacement is starting: remove that one
            return Reply::failure("BUSY", t->saved.label +
                                              " is being resumed or verified; remove it again in a "
                                              "moment");
    }
    if (data == DataPolicy::delete_all) {
        if (auto why = not_ours_to_delete(t->saved); !why.empty())
            return Reply::failure("NOT_OUR_DATA", why);
    }
    retire(t, true, data);
    const bool download = t->saved.kind == SavedTransfer::Kind::download;
    const std::string done =
        download && !t->torrent->complete() ? "download cancelled" : "no longer shared";
    if (partial)
        return Reply::success(
            t->saved.label,
            cat(done, "; telling the trackers; its partial data ", partial_path(t->saved.data_path),
                data == DataPolicy::keep ? " stays (get it again to resume)" : " is deleted"));
    if (data == DataPolicy::delete_all)
        return Reply::success(t->saved.label,
                              cat(done, "; telling the trackers; deleting its data ",
                                  t->saved.data_path, " (only what its .mtorrent lists)"));
    return Reply::success(t->saved.label,
                          cat(done, "; telling the trackers; ", t->saved.data_path, " stays"));
}

Reply Session::cmd_search(const std::string& words) {
    // search [--all] <text>: files nobody seeds or fetches are left out
    // unless --all (counted at the end of the first line).
    const bool all = words.rfind("--all ", 0) == 0;
    const std::string text = all ? words.substr(6) : words;
    if (text == "--all")
        return Reply::failure("INVALID_ARGUMENTS", command_usage(CommandKind::search));
    std::vector<SearchHit> hits;
    if (Reply r = search(text, hits); !r.ok) return r;
    std::vector<std::string> lines;
    std::size_t dead = 0;
    for (const auto& h : hits) {
        if (!all && h.seeders == 0 && h.leechers == 0) {
            ++dead;
            continue;
        }
        lines.push_back(format_search_hit(h));
    }
    return Reply::list(std::move(lines), "file matches", "files match",
                       " '" + text + "' (name  size  info_hash  seeders)" +
                           (dead ? "; " + common::plural(dead, "more has", "more have") +
                                       " no peers now (search --all lists them)"
                                 : std::string()));
}

Reply Session::cmd_watch(const std::string& dir) {
    if (!path_exists(dir)) return Reply::failure("DIR_NOT_FOUND", dir + " does not exist");
    if (!is_dir(dir)) return Reply::failure("INVALID_ARGUMENTS", dir + " is not a folder");
    auto w = std::make_shared<Watched>();
    w->dir = absolute_path(dir);
    if (w->dir == config_.state_dir || w->dir.rfind(config_.state_dir + "/", 0) == 0)
        return Reply::failure("INVALID_ARGUMENTS", "the state folder cannot be watched");
    WatchSkips skips;
    auto snap = scan_folder(w->dir, &skips);
    if (!snap) return Reply::failure("IO_ERROR", snap.error().message);
    w->previous = *snap;  // the next scan shares what has not changed since
    {
        common::MutexLock lock(mu_);
        for (const auto& x : watched_)
            if (x->dir == w->dir) return Reply::failure("ALREADY_WATCHED", w->dir + " is watched");
        watched_.push_back(w);
    }
    save();
    const std::string skipped = skips.text();
    log_.info(cat("watching ", w->dir, " (", snap->size(), " files)"));
    return Reply::success(w->dir,
                          cat(common::plural(snap->size(), "file or folder", "files and folders"),
                              " to share", skipped.empty() ? "" : " (not shared: " + skipped + ")",
                              "; new, changed and deleted ones are followed every second"));
}

Reply Session::cmd_unwatch(const std::string& dir) {
    const std::string abs = absolute_path(dir);
    std::vector<std::shared_ptr<Transfer>> gone;
    {
        common::MutexLock lock(mu_);
        auto it = std::find_if(watched_.begin(), watched_.end(),
                               [&](const auto& w) { return w->dir == abs; });
        if (it == watched_.end())
            return Reply::failure("NOT_WATCHED", abs + " is not watched; see status");
        watched_.erase(it);
        for (const auto& t : transfers_)
            if (t->saved.watch_dir == abs) gone.push_back(t);
    }
    for (const auto& t : gone)
        retire(t, true);
    save();
    log_.info(cat("unwatched ", abs, ": ", gone.size(), " files no longer shared"));
    return Reply::success(abs, cat("no longer followed; ", gone.size(), " files no longer shared"));
}

Reply Session::cmd_status() {
    std::vector<std::shared_ptr<Transfer>> ts;
    std::vector<std::pair<std::string, std::size_t>> watched;  // folder, files shared from it
    std::vector<TrackerStatus> retired;
    std::size_t unpublished = 0;
    {
        common::MutexLock lock(mu_);
        ts = transfers_;
        for (const auto& w : watched_)
            watched.emplace_back(
                w->dir, std::count_if(transfers_.begin(), transfers_.end(),
                                      [&](const auto& t) { return t->saved.watch_dir == w->dir; }));
        retired = retired_trackers_;
        unpublished = unpublished_.size();
    }
    std::vector<std::vector<TrackerStatus>> sources;
    sources.push_back(retired);
    for (const auto& t : ts)
        sources.push_back(t->torrent->trackers());
    sources.push_back(query_.status());
    const auto merged = merge_tracker_status(tracker_urls(), sources, ts.size() + 1);
    std::vector<std::string> lines;
    const std::int64_t now = common::wall_ms();
    for (std::size_t i = 0; i < merged.size(); ++i)
        lines.push_back(format_tracker_line(i, merged[i], now));
    for (const auto& [dir, n] : watched)
        lines.push_back(cat("watching ", dir, "  ", common::plural(n, "share")));
    lines.push_back(dht_line());
    return Reply::list(
        std::move(lines),
        cat("status lines: ", common::plural(merged.size(), "tracker"), ", ",
            common::plural(watched.size(), "watched folder"), ", the DHT; peers on ",
            config_.self.host, ":", port_, "; ", common::plural(ts.size(), "transfer"),
            unpublished ? cat("; ", common::plural(unpublished, "share"),
                              " not announced yet (trackers unreachable; trying every ",
                              kPublishRetryMs / 1000, " s)")
                        : std::string()));
}

std::string Session::dht_line() const {
    if (!dht_)
        return config_.dht ? "dht: off (could not start; see the log)" : "dht: off (--no-dht)";
    const auto s = dht_->status();
    const auto last = dht_->last_lookup();
    return cat("dht: ", common::plural(s.nodes, "node"), " known (", s.good_nodes,
               " good), UDP port ", dht_->port(),
               s.stored_peers
                   ? cat("; holding ", common::plural(s.stored_peers, "peer"), " for others")
                   : std::string(),
               last.any ? cat("; last lookup ", last.info_hash.hex().substr(0, 8), ": ",
                              common::plural(last.peers, "peer"), " from ",
                              common::plural(last.queried, "node"), ", ",
                              (common::mono_ms() - last.at_ms) / 1000, " s ago")
                        : std::string("; no lookup yet"));
}

Reply Session::cmd_peers(const std::string& name) {
    std::vector<std::shared_ptr<Transfer>> hits;
    {
        common::MutexLock lock(mu_);
        hits = find_locked(name);
    }
    if (hits.empty())
        return Reply::failure("NOT_FOUND", "no transfer named " + name + "; see show downloads");
    if (hits.size() > 1)
        return Reply::failure("AMBIGUOUS", name + " names several transfers; use the info_hash");
    std::vector<std::string> lines;
    for (const auto& p : hits[0]->torrent->peer_views())
        lines.push_back(format_peer(p));
    std::sort(lines.begin(), lines.end());
    std::string what = " of " + hits[0]->saved.label;
    if (auto ended = format_drop_counts(hits[0]->torrent->drop_counts()); !ended.empty())
        what += "; " + ended;
    return Reply::list(std::move(lines), "peer", "peers", what);
}

Reply Session::search(const std::string& text, std::vector<SearchHit>& hits) {
    if (text.empty())
        return Reply::failure("INVALID_ARGUMENTS", command_usage(CommandKind::search));
    if (text.size() > 256)
        return Reply::failure("INVALID_ARGUMENTS", "search text is longer than 256 bytes");
    auto found = query_.search(text);
    if (!found)
        return Reply::failure(
            found.error().code == Errc::refused ? "TRACKER_ERROR" : "TRACKERS_UNREACHABLE",
            found.error().message);
    hits = std::move(found).value();
    return Reply::success("");
}

// The one transfer `name` names, or the failure to reply.
Session::Outcome<std::shared_ptr<Session::Transfer>> Session::find_one(const std::string& name) {
    std::vector<std::shared_ptr<Transfer>> hits;
    {
        common::MutexLock lock(mu_);
        hits = find_locked(name);
    }
    if (hits.empty())
        return Failure{"NOT_FOUND", "no transfer named " + name + "; see show downloads"};
    if (hits.size() > 1)
        return Failure{"AMBIGUOUS", name + " names several transfers; use the info_hash"};
    return hits[0];
}

Reply Session::cmd_files(const std::string& name) {
    check_transfers();  // a download finished just now is shown under its name
    auto found = find_one(name);
    if (auto* f = std::get_if<Failure>(&found)) return Reply::failure(f->code, f->detail);
    const auto& t = std::get<std::shared_ptr<Transfer>>(found);
    const FileLayout* layout = t->torrent->layout();
    if (!layout && t->saved.paused)
        return Reply::failure("PAUSED", t->saved.label + " is paused; resume it first");
    if (!layout) return Reply::failure("NOT_A_FOLDER", t->saved.label + " is a single file");
    std::vector<std::string> lines;
    for (const auto& f :
         file_progress(*layout, t->torrent->have_bitfield(), t->torrent->meta().piece_length,
                       t->torrent->selected_files(), layout->files.size())) {
        const int pct = f.size == 0 ? 100 : static_cast<int>(f.done * 100 / f.size);
        lines.push_back(cat(f.index, "  ", common::human_bytes(f.size), "  ", pct, "%  ",
                            f.selected ? "selected" : "skipped", "  ", f.path));
    }
    return Reply::list(std::move(lines), "file", "files", " of " + t->saved.label);
}

Reply Session::cmd_select(const std::string& name, const std::vector<std::string>& which, bool on) {
    auto found = find_one(name);
    if (auto* f = std::get_if<Failure>(&found)) return Reply::failure(f->code, f->detail);
    const auto& t = std::get<std::shared_ptr<Transfer>>(found);
    const FileLayout* layout = t->torrent->layout();
    if (!layout && t->saved.paused)
        return Reply::failure("PAUSED", t->saved.label + " is paused; resume it first");
    if (!layout) return Reply::failure("NOT_A_FOLDER", t->saved.label + " is a single file");
    if (t->saved.kind != SavedTransfer::Kind::download)
        return Reply::failure("NOT_A_DOWNLOAD", t->saved.label + " is shared: it has every file");
    {
        common::MutexLock lock(mu_);
        if (t->resuming || t->verifying)
            return Reply::failure("BUSY", t->saved.label +
                                              " is being resumed or verified; try again in a "
                                              "moment");
    }
    const std::size_t n = layout->files.size();
    std::vector<bool> chosen(n, false);
    std::vector<std::string> globs;
    for (const auto& w : which) {
        std::size_t index = 0;
        if (!w.empty() && w.size() < 10 && w.find_first_not_of("0123456789") == std::string::npos &&
            (index = std::stoul(w)) < n) {
            chosen[index] = true;
        } else if (!w.empty() && w.find_first_not_of("0123456789") == std::string::npos) {
            return Reply::failure("INVALID_ARGUMENTS", cat("no file ", w, "; see files ", name));
        } else {
            globs.push_back(w);
        }
    }
    const std::vector<bool> by_glob = select_by_globs(*layout, globs);
    std::vector<bool> sel = t->torrent->selected_files();
    if (sel.empty()) sel.assign(n, true);
    std::size_t changed = 0;
    for (std::size_t i = 0; i < n; ++i)
        if ((chosen[i] || by_glob[i]) && !layout->files[i].padding && sel[i] != on) {
            sel[i] = on;
            ++changed;
        }
    if (std::find(sel.begin(), sel.end(), true) == sel.end())
        return Reply::failure("INVALID_ARGUMENTS", "that would leave no file selected; use remove");
    const bool all = std::all_of(sel.begin(), sel.end(), [](bool b) { return b; });
    if (auto s = t->torrent->select_files(all ? std::vector<bool>() : sel); !s)
        return Reply::failure("IO_ERROR", s.error().message);
    {
        common::MutexLock lock(mu_);
        t->saved.selected = all ? std::vector<bool>() : sel;
        if (!t->torrent->complete()) t->saved.complete = false;
    }
    save();
    return Reply::success(t->saved.label,
                          cat(changed, " file(s) ", on ? "selected" : "deselected"));
}

}  // namespace mt::client
