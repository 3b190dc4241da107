// The one-shot transfer commands of bin/client:
//   get <x.mtorrent> <dest_path> [--port P] [--bind IP] [--seed-after S] [--timeout S] [--log FILE]
//       [--progress-ms N]   (off a terminal: a status line every N ms, default 5000)
//       [--pipeline N]      (16 KiB requests in flight per peer; see TorrentOptions)
//       [--max-peers N]     (connections at once, default 60)
//       [--max-peers-per-ip N]  (connections with one IP address, default 8)
//       [--max-upload-rate KIB] [--max-download-rate KIB]   (KiB/s; 0: no limit)
//       [--only GLOB]...    (a folder torrent: only the files the globs match)
//   seed <x.mtorrent> <path> [--port P] [--bind IP] [--log FILE] [--max-upload-rate KIB]
//       [--max-peers N] [--max-peers-per-ip N]
#include "client/cli/transfer_cmd.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "client/cli/usage.h"
#include "client/create/piece_hasher.h"
#include "client/engine/file_layout.h"
#include "client/engine/folder_store.h"
#include "client/engine/partial.h"
#include "client/engine/peer_server.h"
#include "client/engine/torrent.h"
#include "client/session/path_util.h"
#include "client/session/reply_format.h"
#include "common/metainfo.h"
#include "common/net/socket.h"
#include "common/options.h"
#include "common/stop_signals.h"
#include "common/text_escape.h"
#include "common/units.h"

namespace mt::client {

using common::cat;
using common::escape_text;

namespace {

struct TransferArgs {
    std::vector<std::string> positional;
    int port = 0;
    std::string bind;  // empty: both families (common::tcp_listen)
    int seed_after = 0;
    int progress_ms = 5000;
    int pipeline = 0;      // 0: the default
    int max_peers = 0;     // 0: the default
    int max_per_ip = 0;    // 0: the default
    int max_up_kib = 0;    // KiB/s; 0: no limit
    int max_down_kib = 0;  // KiB/s; 0: no limit
    int timeout = 0;
    bool no_initial_seeding = false;
    bool no_pex = false;
    std::vector<std::string> peers;  // --peer IP:PORT: connect to these too
    int seed_window_mib = 0;         // 0: the default (InitialSeeder::kWindowBytes)
    std::string log_file;
    std::vector<std::string> only;
    std::string error;
};

TransferArgs parse(const std::vector<std::string>& args) {
    TransferArgs t;
    common::Options o;
    o.number("--port", &t.port, 0, 65535)
        .number("--seed-after", &t.seed_after, 0, 1 << 30)
        .number("--max-peers", &t.max_peers, 1, 10000)
        .number("--max-peers-per-ip", &t.max_per_ip, 1, 10000)
        .number("--max-upload-rate", &t.max_up_kib, 0, 1 << 30)
        .number("--max-download-rate", &t.max_down_kib, 0, 1 << 30)
        .number("--pipeline", &t.pipeline, 1, 1024)
        .number("--progress-ms", &t.progress_ms, 50, 3600000)
        .number("--timeout", &t.timeout, 0, 1 << 30)
        .flag("--no-initial-seeding", &t.no_initial_seeding)
        .flag("--no-pex", &t.no_pex)
        .list("--peer", &t.peers)
        .number("--seed-window", &t.seed_window_mib, 1, 1024)
        .text("--bind", &t.bind)
        .text("--log", &t.log_file)
        .list("--only", &t.only);
    auto pos = o.parse(args);
    if (!pos)
        t.error = pos.error().message;
    else
        t.positional = std::move(pos).value();
    for (const auto& p : t.peers) {
        const auto ep = common::parse_endpoint(p);
        if (!ep || !common::IpAddr::parse(ep->host) || ep->port == 0)
            t.error = "--peer wants a literal IP:PORT (or [IPv6]:PORT), not '" + p + "'";
    }
    return t;
}

// One swarm run by this process: its log, listening socket and torrent.
struct OneTransfer {
    std::unique_ptr<common::Logger> log;
    std::unique_ptr<PeerServer> server;
    std::unique_ptr<Torrent> torrent;
    std::uint16_t port = 0;
};

// The .mtorrent a get or seed names, loaded and laid out (its files' safe
// paths, repairs listed); nullopt once the reason has been printed.
struct Loaded {
    common::Metainfo meta;
    FileLayout layout;
};
std::optional<Loaded> load_torrent(const std::string& path) {
    auto meta = common::load_metainfo(path);
    if (!meta) {
        std::cerr << "client: " << escape_text(meta.error().message) << "\n";
        return std::nullopt;
    }
    auto layout = make_file_layout(*meta);
    if (!layout) {
        std::cerr << "client: " << escape_text(layout.error().message) << "\n";
        return std::nullopt;
    }
    for (const auto& r : layout->repairs)
        std::cerr << "client: note: " << escape_text(r) << "\n";
    return Loaded{std::move(meta).value(), std::move(layout).value()};
}

common::Result<OneTransfer> open_transfer(const TransferArgs& a, common::Metainfo meta,
                                          TorrentOptions opt) {
    OneTransfer s;
    s.log = a.log_file.empty()
                ? std::make_unique<common::Logger>(common::Fd())
                : std::make_unique<common::Logger>(a.log_file, common::LogLevel::info);
    auto listener = common::tcp_listen({a.bind, static_cast<std::uint16_t>(a.port)}, 128);
    if (!listener) return listener.error();
    auto port = common::local_port(listener->get());
    if (!port) return port.error();
    s.port = *port;
    opt.listen_port = *port;
    opt.listen_families = common::listen_families(listener->get());
    opt.peer_id = make_peer_id();
    if (a.max_up_kib > 0)
        opt.upload_limit = std::make_shared<RateLimiter>(std::uint64_t{1024} * a.max_up_kib);
    if (a.max_down_kib > 0)
        opt.download_limit = std::make_shared<RateLimiter>(std::uint64_t{1024} * a.max_down_kib);
    s.server = std::make_unique<PeerServer>(std::move(listener).value(), *s.log);
    s.torrent = std::make_unique<Torrent>(std::move(meta), std::move(opt), *s.log);
    s.server->add(s.torrent.get());
    return s;
}

void close_transfer(OneTransfer& s) {
    s.server->stop();
    s.torrent->stop();
}

// Shows the download's progress (a line redrawn on a terminal, else a line
// every progress_ms) until it completes, fails, times out or a stop signal
// comes; true for the signal.
bool watch_download(Torrent& t, const std::string& name, const TransferArgs& a,
                    const common::StopSignals& signals) {
    const bool tty = ::isatty(STDOUT_FILENO);
    const auto started = std::chrono::steady_clock::now();
    auto last_line = started;
    while (true) {
        if (t.wait_complete(250)) break;
        const TorrentStats s = t.stats();
        if (!s.error.empty()) break;
        if (signals.wait(1) != 0) return true;
        const auto now = std::chrono::steady_clock::now();
        if (tty) {
            std::printf("\r\033[K%s: %s", name.c_str(), progress_text(s).c_str());
            std::fflush(stdout);
        } else if (now - last_line >= std::chrono::milliseconds(a.progress_ms)) {
            // Off a terminal: a line a script can read, with the verified byte
            // count and the time since start.
            std::printf("%s: %s (%llu of %llu bytes verified, %.3f s)\n", name.c_str(),
                        progress_text(s).c_str(), static_cast<unsigned long long>(s.verified_bytes),
                        static_cast<unsigned long long>(s.total),
                        std::chrono::duration<double>(now - started).count());
            std::fflush(stdout);
            last_line = now;
        }
        if (a.timeout && now - started > std::chrono::seconds(a.timeout)) break;
    }
    return false;
}

// Where a download goes and what of it: `<dest>/<name>` when dest is a
// folder, or names one with a trailing '/' (made if missing); the name made
// safe is one path segment, so it stays inside. The data is written to
// `<path>.part` until it is verified (client/engine/partial.h), with the
// resume state and the parts file beside it; --only chooses the files.
// `final_path` gets `<path>`. nullopt once the reason has been printed.
std::optional<TorrentOptions> download_options(const TransferArgs& a, const Loaded& loaded,
                                               std::string* final_path) {
    std::string dest = a.positional[1];
    bool made = false;
    if (auto s = make_named_folder(dest, &made); !s) {
        std::cerr << "client: " << escape_text(s.error().message) << "\n";
        return std::nullopt;
    }
    if (made) std::cerr << "client: made the folder " << escape_text(dest) << "\n";
    struct stat st {};
    if (::stat(dest.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        while (dest.size() > 1 && dest.back() == '/')
            dest.pop_back();
        dest += "/" + loaded.layout.top;
    }
    TorrentOptions opt;
    opt.pex = !a.no_pex;
    if (!a.only.empty()) {
        if (!loaded.meta.multi_file()) {
            usage_error("--only chooses files of a folder torrent");
            return std::nullopt;
        }
        opt.selected_files = select_by_globs(loaded.layout, a.only);
        const auto& s = opt.selected_files;
        if (std::find(s.begin(), s.end(), true) == s.end()) {
            std::cerr << "client: no file of " << escape_text(loaded.meta.name)
                      << " matches the --only patterns\n";
            return std::nullopt;
        }
    }
    *final_path = dest;
    opt.data_path = partial_path(dest);
    opt.resume_path = dest + ".mtresume";
    opt.parts_path = dest + ".mtparts";
    if (a.pipeline) opt.pipeline_blocks = static_cast<std::size_t>(a.pipeline);
    if (a.max_peers) opt.max_peers = static_cast<std::size_t>(a.max_peers);
    if (a.max_per_ip) opt.max_peers_per_ip = static_cast<std::size_t>(a.max_per_ip);
    opt.initial_seeding = !a.no_initial_seeding;
    opt.pex = !a.no_pex;
    return opt;
}

// Decides what to do with what is already at the destination: nothing
// there: download into `<dest>.part` (reusing one left by an earlier run,
// each piece checked unless its resume state says which are good); the
// torrent's complete data: adopt it (seed it, download nothing); anything
// else: refuse, untouched. false once the reason has been printed.
bool plan_download(const common::Metainfo& meta, const std::string& dest, TorrentOptions& opt) {
    auto existing = examine_existing(meta, dest);
    if (!existing) {
        std::cerr << "client: " << escape_text(existing.error().message) << "\n";
        return false;
    }
    if (existing->kind == ExistingData::Kind::other) {
        std::cerr << "client: " << escape_text(dest) << " already exists and is not this torrent's "
                  << "data (" << escape_text(existing->why)
                  << "); nothing was written: choose another destination\n";
        return false;
    }
    if (existing->kind == ExistingData::Kind::complete) {
        opt.data_path = dest;
        opt.assume_complete = true;  // just checked, piece by piece
        opt.resume_path.clear();
        return true;
    }
    struct stat st {};
    if (::lstat(opt.data_path.c_str(), &st) != 0) {
        // No partial data: no resume state can describe it.
        ::unlink(opt.resume_path.c_str());
        ::unlink(opt.parts_path.c_str());
    } else if (::lstat(opt.resume_path.c_str(), &st) != 0) {
        opt.verify_existing = true;
    }
    return true;
}

// The line a finished get ends with (scripts read "complete and verified").
void print_complete(const std::string& dest, const TorrentStats& s, double secs, bool adopted) {
    if (adopted)
        std::printf(
            "%s: complete and verified: already there (%s, %s checked), nothing downloaded\n",
            escape_text(dest).c_str(), common::human_bytes(s.total).c_str(),
            common::plural(s.pieces, "piece").c_str());
    else
        std::printf("%s: complete and verified: %s in %.2f s (%s), %llu bytes uploaded\n",
                    escape_text(dest).c_str(), common::human_bytes(s.total).c_str(), secs,
                    common::human_rate(secs > 0 ? static_cast<double>(s.total) / secs : 0).c_str(),
                    static_cast<unsigned long long>(s.uploaded));
    std::fflush(stdout);
}

}  // namespace

int run_get(const std::vector<std::string>& args) {
    const common::StopSignals signals;
    auto a = parse(args);
    if (!a.error.empty()) return usage_error(a.error);
    if (a.positional.size() != 2) return usage_error("get takes a .mtorrent and a destination");
    auto loaded = load_torrent(a.positional[0]);
    if (!loaded) return 1;
    auto& meta = loaded->meta;
    std::string dest;
    auto opt = download_options(a, *loaded, &dest);
    if (!opt) return 1;
    if (!plan_download(meta, dest, *opt)) return 1;
    const bool adopted = opt->assume_complete;
    const std::string name = escape_text(meta.name);  // only ever shown
    auto run = open_transfer(a, std::move(meta), *opt);
    if (!run) {
        std::cerr << "client: " << escape_text(run.error().message) << "\n";
        return 1;
    }
    Torrent& t = *run->torrent;
    if (auto s = t.start(); !s) {
        std::cerr << "client: cannot start " << name << ": " << escape_text(s.error().message)
                  << "\n";
        return 1;
    }
    run->server->start();
    for (const auto& p : a.peers) {  // checked by parse()
        const auto ep = common::parse_endpoint(p);
        t.connect_to(*common::IpAddr::parse(ep->host), ep->port);
    }
    const auto started = std::chrono::steady_clock::now();
    const bool interrupted = watch_download(t, name, a, signals);
    const bool tty = ::isatty(STDOUT_FILENO);
    const TorrentStats s = t.stats();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (tty) std::printf("\r\033[K");
    if (!s.complete) {
        close_transfer(*run);
        if (interrupted) {
            std::printf("%s: interrupted at %s; run the same command again to resume\n",
                        name.c_str(), progress_text(s).c_str());
            return 130;
        }
        std::cerr << "client: " << name << " not complete: "
                  << (s.error.empty() ? "timed out after " + std::to_string(a.timeout) + " s"
                                      : escape_text(s.error))
                  << "\n";
        return 1;
    }
    if (!adopted) {
        // Verified: the data takes its name (made durable first).
        auto done = t.flush();
        if (done) done = finish_partial(dest);
        if (!done) {
            close_transfer(*run);
            std::cerr << "client: " << name << " complete, but "
                      << escape_text(done.error().message) << "\n";
            return 1;
        }
    }
    print_complete(dest, s, secs, adopted);
    if (a.seed_after > 0) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(a.seed_after);
        while (std::chrono::steady_clock::now() < until && signals.wait(250) == 0) {
        }
    }
    close_transfer(*run);
    // Complete: the files themselves are the state now. Of a partial
    // download the parts file stays (it holds the edges of files left out).
    ::unlink(opt->resume_path.c_str());
    if (opt->selected_files.empty()) ::unlink(opt->parts_path.c_str());
    return 0;
}

int run_seed(const std::vector<std::string>& args) {
    const common::StopSignals signals;
    auto a = parse(args);
    if (!a.error.empty()) return usage_error(a.error);
    if (a.positional.size() != 2) return usage_error("seed takes a .mtorrent and the file");
    auto loaded = load_torrent(a.positional[0]);
    if (!loaded) return 1;
    auto* meta = &loaded->meta;
    const std::string path = a.positional[1];
    // The user's file or folder, checked piece by piece before anything is
    // offered (a folder: every file at its path inside, no link followed).
    auto storage = open_data(*meta, path, /*existing=*/true);
    if (!storage) {
        std::cerr << "client: " << escape_text(storage.error().message) << "\n";
        return 1;
    }
    auto bad = count_bad_pieces(**storage, *meta);
    if (!bad) {
        std::cerr << "client: " << escape_text(bad.error().message) << "\n";
        return 1;
    }
    if (*bad) {
        std::cerr << "client: " << escape_text(path) << " does not match the .mtorrent: " << *bad
                  << " of " << meta->piece_count() << " pieces differ\n";
        return 1;
    }
    TorrentOptions opt;
    opt.data_path = path;
    opt.assume_complete = true;  // just checked, piece by piece
    auto checked = std::make_shared<std::unique_ptr<Storage>>(std::move(storage).value());
    opt.open_storage =
        [checked](const common::Metainfo&) -> common::Result<std::unique_ptr<Storage>> {
        if (!*checked) return common::make_error(common::Errc::invalid_argument, "already opened");
        return std::move(*checked);
    };
    if (a.max_peers) opt.max_peers = static_cast<std::size_t>(a.max_peers);
    if (a.max_per_ip) opt.max_peers_per_ip = static_cast<std::size_t>(a.max_per_ip);
    opt.initial_seeding = !a.no_initial_seeding;
    if (a.seed_window_mib) opt.initial_seeding_window = std::uint64_t(a.seed_window_mib) << 20;
    const std::string name = escape_text(meta->name);  // only ever shown
    auto run = open_transfer(a, std::move(*meta), opt);
    if (!run) {
        std::cerr << "client: " << escape_text(run.error().message) << "\n";
        return 1;
    }
    if (auto s = run->torrent->start(); !s) {
        std::cerr << "client: cannot seed " << name << ": " << escape_text(s.error().message)
                  << "\n";
        return 1;
    }
    run->server->start();
    std::printf("seeding %s on port %u (Ctrl-C to stop)\n", name.c_str(), run->port);
    std::fflush(stdout);
    const bool tty = ::isatty(STDOUT_FILENO);
    auto last_line = std::chrono::steady_clock::now();
    while (signals.wait(250) == 0) {
        const auto now = std::chrono::steady_clock::now();
        if (tty) {
            std::printf("\r\033[K%s: %s", name.c_str(),
                        progress_text(run->torrent->stats()).c_str());
            std::fflush(stdout);
        } else if (now - last_line > std::chrono::seconds(10)) {
            std::printf("%s: %s\n", name.c_str(), progress_text(run->torrent->stats()).c_str());
            std::fflush(stdout);
            last_line = now;
        }
    }
    if (tty) std::printf("\n");
    run->server->remove(run->torrent.get());
    close_transfer(*run);
    std::printf("stopped seeding %s\n", name.c_str());
    return 0;
}

}  // namespace mt::client
