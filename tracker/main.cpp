// bin/tracker: one of the two replicated mtorrent trackers. Parses arguments,
// builds the parts, runs until SIGINT/SIGTERM.
#include <arpa/inet.h>
#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <iostream>

#include "common/clock.h"
#include "common/net/socket.h"
#include "common/stop_signals.h"
#include "common/text_escape.h"
#include "common/version.h"
#include "tracker/change_log.h"
#include "tracker/config.h"
#include "tracker/connection_ids.h"
#include "tracker/http_server.h"
#include "tracker/journal.h"
#include "tracker/replicator.h"
#include "tracker/secret_file.h"
#include "tracker/service.h"
#include "tracker/swarm_store.h"
#include "tracker/udp_server.h"

using namespace mt;
using common::cat;
using common::wall_ms;

namespace {

// Gives the heap's free pages back to the system: loading a big seeder list
// frees more than the store keeps (the file's bytes, decoded changes), and
// glibc would hold on to it.
void release_free_memory() {
#ifdef __GLIBC__
    ::malloc_trim(0);
#endif
}

// Descriptors kept beside the TCP connections: journal, replication link,
// epoll and event descriptors, UDP, the log.
constexpr std::size_t kReservedFds = 64;

// max_connections lowered to what RLIMIT_NOFILE leaves, so that connections
// cannot take the descriptors the journal and the link need.
std::size_t fit_descriptor_limit(std::size_t max_connections, common::Logger& log) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return max_connections;
    const auto room = rl.rlim_cur > 2 * kReservedFds ? rl.rlim_cur - kReservedFds : rl.rlim_cur / 2;
    if (max_connections <= room) return max_connections;
    log.warn(cat("--max-connections ", max_connections, " lowered to ", room,
                 ": the descriptor limit (ulimit -n) is ", rl.rlim_cur));
    return room;
}

// The other tracker's address, nullopt if unknown.
std::optional<common::IpAddr> partner_address(const common::Endpoint& other, common::Logger& log) {
    auto a = common::resolve(other);
    if (!a) {
        log.warn(cat("cannot resolve the other tracker ", other.to_string(),
                     ": its address gets no reserved way in"));
        return std::nullopt;
    }
    return a->ip();
}

// The TCP listeners and UDP sockets of `self` and every --listen address.
struct Sockets {
    std::vector<common::Fd> tcp;
    std::vector<common::Fd> udp;
};

// "127.0.0.1:6969 and [::1]:6969": where it listens, for the log and terminal.
std::string listen_text(const tracker::Config& cfg) {
    std::string text = cfg.self.to_string();
    for (const auto& ep : cfg.also_listen)
        text += " and " + ep.to_string();
    return text;
}

Sockets open_sockets(const tracker::Config& cfg) {
    Sockets s;
    std::vector<common::Endpoint> all{cfg.self};
    all.insert(all.end(), cfg.also_listen.begin(), cfg.also_listen.end());
    for (const auto& ep : all) {
        auto listener = common::tcp_listen(ep, 1024);
        if (!listener) throw std::runtime_error(listener.error().message);
        auto udp = common::udp_bind(ep);
        if (!udp) throw std::runtime_error(udp.error().message);
        s.tcp.push_back(std::move(listener).value());
        s.udp.push_back(std::move(udp).value());
    }
    return s;
}

// The limits main and the front ends enforce, for the tracker's page (the
// service adds its own).
tracker::PageLimits page_limits(const tracker::Config& cfg, std::size_t max_connections,
                                const tracker::StoreLimits& store) {
    tracker::PageLimits l;
    l.max_connections = max_connections;
    l.max_connections_per_ip = cfg.max_connections_per_ip;
    l.request_timeout_ms = cfg.request_timeout_ms;
    l.idle_timeout_ms = cfg.idle_timeout_ms;
    l.peer_timeout_s = cfg.peer_timeout_s;
    l.max_numwant = store.max_numwant;
    l.max_torrents = store.max_torrents;
    l.max_peers = store.max_peers;
    l.metainfo_ttl_s = cfg.metainfo_ttl_s;
    return l;
}

// Lets the store number changes through the ChangeLog built after it.
struct ForwardSequencer : tracker::Sequencer {
    tracker::ChangeLog* target = nullptr;
    std::uint64_t sequence(tracker::Change& c) override { return target->sequence(c); }
};

// Long (about 90 lines) for a reason: the start-up order (journal, store,
// change log, replicator, front ends) and the reverse shutdown order are
// the point of this function, and read best top to bottom in one place.
int run(const tracker::Config& cfg, const common::StopSignals& signals) {
    common::Logger log(cfg.log_file, cfg.log_level);
    auto secret = tracker::load_or_create_secret(cfg.secret_file, log);
    if (!secret) throw std::runtime_error(secret.error().message);

    Sockets sockets = open_sockets(cfg);

    tracker::JournalContents loaded;
    auto journal = tracker::Journal::open(cfg.seeder_list, log, &loaded);
    if (!journal) throw std::runtime_error(journal.error().message);

    ForwardSequencer fwd;
    tracker::StoreLimits limits;
    limits.max_torrents = cfg.max_torrents;
    limits.max_peers = cfg.max_peers;
    limits.metainfo_ttl_ms = std::int64_t{cfg.metainfo_ttl_s} * 1000;
    tracker::SwarmStore store(cfg.id, limits, fwd);
    tracker::ChangeLog::Options clo;
    clo.compact_bytes = cfg.compact_bytes;
    clo.commit_delay_us = cfg.commit_delay_us;
    clo.max_outbox = cfg.max_outbox;
    tracker::ChangeLog changelog(cfg.id, std::move(journal).value(), &store, log, clo);
    fwd.target = &changelog;
    changelog.load(loaded, wall_ms());
    // The file's bytes, hundreds of MB at 10 M peers. (Assigning an empty
    // string would keep the buffer: swap it away.)
    std::string().swap(loaded.snapshot);
    std::vector<std::string>().swap(loaded.records);
    release_free_memory();
    changelog.start();

    tracker::ReplicatorOptions ro;
    ro.self = cfg.id;
    ro.peer = cfg.other;
    ro.secret = *secret;
    const auto partner_ip = partner_address(cfg.other, log);
    ro.partner_ip = partner_ip;
    tracker::Replicator replicator(ro, store, changelog, log, wall_ms);
    tracker::ConnectionIds ids(*secret);
    tracker::ServiceOptions so;
    so.interval_s = cfg.interval_s;
    so.min_interval_s = cfg.min_interval_s;
    so.trust_ip = cfg.trust_ip;
    so.self_address = cfg.self.to_string();
    so.other_address = cfg.other.to_string();
    so.self_id = cfg.id;
    so.publish_quota.max_count = cfg.publish_quota;
    so.publish_quota.max_bytes = cfg.publish_bytes_quota;
    so.publish_quota.window_ms = std::int64_t{cfg.quota_window_s} * 1000;
    so.new_torrent_quota.max_count = cfg.new_torrent_quota;
    so.new_torrent_quota.window_ms = std::int64_t{cfg.quota_window_s} * 1000;
    const std::size_t max_connections = fit_descriptor_limit(cfg.max_connections, log);
    so.page_limits = page_limits(cfg, max_connections, limits);
    tracker::TrackerService service(so, store, changelog, &replicator, ids, log, wall_ms);
    tracker::HttpServerOptions ho;
    ho.threads = cfg.http_threads;
    ho.max_connections = max_connections;
    ho.max_per_address = cfg.max_connections_per_ip;
    ho.partner_ip = partner_ip;
    ho.reserved_timeout_ms = ro.handshake_timeout_ms;
    ho.request_timeout_ms = cfg.request_timeout_ms;
    ho.idle_timeout_ms = cfg.idle_timeout_ms;
    tracker::HttpServer http(std::move(sockets.tcp), ho, service, changelog, replicator, log);
    std::vector<std::unique_ptr<tracker::UdpServer>> udp_servers;
    for (auto& fd : sockets.udp)
        udp_servers.push_back(
            std::make_unique<tracker::UdpServer>(std::move(fd), service, changelog, log));

    const std::string listening = listen_text(cfg);
    const auto counts = store.counts();
    log.info(cat("tracker ", int(cfg.id), " ", common::kVersion, " started on ", listening,
                 " (HTTP and UDP), other tracker ", cfg.other.to_string(), ", seeder list ",
                 cfg.seeder_list, ": ", counts.torrents, " torrents, ", counts.peers, " peers"));
    replicator.start();
    http.start();
    for (auto& u : udp_servers)
        u->start();
    // One line on the terminal (the log has the rest); escaped: the paths
    // are the operator's, but may hold anything.
    std::cerr << "mtorrent tracker " << int(cfg.id) << " " << common::kVersion << ": listening on "
              << listening << " (HTTP and UDP), other tracker " << cfg.other.to_string() << ", "
              << counts.torrents << " torrents, " << counts.peers << " peers loaded from "
              << common::escape_text(cfg.seeder_list) << "; log in "
              << common::escape_text(cfg.log_file) << "\n";

    // The main thread waits for a signal and expires silent peers.
    const std::int64_t timeout_ms = std::int64_t{cfg.peer_timeout_s} * 1000;
    const std::int64_t sweep_ms = std::clamp<std::int64_t>(timeout_ms / 10, 200, 30000);
    std::int64_t last_sweep = wall_ms();
    int sig = 0;
    while (true) {
        sig = signals.wait(200);
        if (sig == SIGINT || sig == SIGTERM) break;
        const std::int64_t now = wall_ms();
        if (now - last_sweep >= sweep_ms) {
            last_sweep = now;
            if (const auto n = store.expire(now, timeout_ms, 2 * timeout_ms); n > 0)
                log.info(
                    cat("expired ", n, " peers silent for more than ", cfg.peer_timeout_s, " s"));
        }
    }
    log.info(cat("stopping on signal ", sig));
    http.stop();
    for (auto& u : udp_servers)
        u->stop();
    replicator.stop();
    changelog.stop();
    log.info("stopped; seeder list saved");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    common::ignore_sigpipe();
    // Blocked before any thread starts; the main loop takes them.
    const common::StopSignals signals;

    auto cfg = tracker::parse_config(std::vector<std::string>(argv + 1, argv + argc));
    if (!cfg) {
        std::cerr << "tracker: " << cfg.error().message << "\n"
                  << tracker::tracker_usage() << "Try 'tracker --help'.\n";
        return 2;
    }
    if (cfg->version) {
        std::cout << "mtorrent tracker " << common::kVersion << "\n";
        return 0;
    }
    if (cfg->help) {
        std::cout << "mtorrent tracker " << common::kVersion << "\n"
                  << tracker::tracker_usage() << "\n"
                  << tracker::tracker_help();
        return 0;
    }
    try {
        return run(*cfg, signals);
    } catch (const std::exception& e) {
        std::cerr << "tracker: " << e.what() << "\n";
        return 1;
    }
}
