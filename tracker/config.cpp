#include "tracker/config.h"

#include <arpa/inet.h>

#include "common/options.h"

namespace mt::tracker {

using common::Errc;
using common::make_error;

const char* tracker_usage() {
    return "usage: tracker <my_ip:port> <other_ip:port> <seederlist_file> <log_file> [options]\n";
}

const char* tracker_help() {
    return "mtorrent tracker: one of the two replicated trackers. Start tracker 1 and tracker 2 "
           "the same\n"
           "way with the two addresses swapped. One ip:port serves HTTP (/announce, /scrape, "
           "/search,\n"
           "/publish, /metainfo, /stats; a page for people at /), UDP (BEP 15) and the\n"
           "replication link to the other tracker.\n"
           "\n"
           "  <my_ip:port>        where this tracker listens (TCP and UDP); IPv6 as [addr]:port,\n"
           "                      [::]:port for both families\n"
           "  <other_ip:port>     the other tracker of the pair\n"
           "  <seederlist_file>   crash-safe state (a snapshot; its journal is <file>.journal)\n"
           "  <log_file>          timestamped log lines\n"
           "\n"
           "options:\n"
           "  --id 1|2               which tracker this is (default: the lower ip:port is 1)\n"
           "  --listen IP:PORT       listen on this address too, TCP and UDP (repeatable;\n"
           "                         e.g. [::1]:6969 beside 127.0.0.1:6969 for IPv6 clients)\n"
           "  --secret-file PATH     shared secret of the pair (default ./mtorrent.secret, "
           "created\n"
           "                         mode 0600 if missing; copy it to the other tracker's "
           "machine)\n"
           "  --interval SEC         announce interval given to clients (default 1800)\n"
           "  --min-interval SEC     minimum announce interval (default 60)\n"
           "  --peer-timeout SEC     forget peers silent this long (default 2700)\n"
           "  --trust-ip             use the ip= a client claims instead of its source address\n"
           "  --http-threads N       event-loop threads for TCP (default 2)\n"
           "  --max-connections N    open TCP connections at once (default 4096; lowered to\n"
           "                         fit the descriptor limit, ulimit -n, less 64)\n"
           "  --max-connections-per-ip N\n"
           "                         TCP connections one address may hold; the other\n"
           "                         tracker's address is exempt (default 64)\n"
           "  --max-torrents N       torrents in memory (default 1000000)\n"
           "  --max-peers N          peers in memory (default 10000000)\n"
           "  --request-timeout MS   time for a whole HTTP request to arrive (default 5000)\n"
           "  --idle-timeout MS      keep-alive connections with nothing to do (default 30000)\n"
           "  --compact-bytes N      compact the journal past this size (default 67108864)\n"
           "  --commit-delay US      wait this long for more changes before a journal sync\n"
           "                         (group commit; default 2000, 0: sync at once)\n"
           "  --max-outbox N         own changes kept for the other tracker while it is away;\n"
           "                         a longer absence is caught up by snapshot (default 1000000)\n"
           "  --metainfo-ttl SEC     withdraw a published file that had no live peer this long\n"
           "                         (default 86400)\n"
           "  --publish-quota N      publishes one address may make per quota window (default "
           "200)\n"
           "  --publish-bytes-quota N  bytes one address may publish per window (default "
           "33554432)\n"
           "  --new-torrent-quota N  torrents one address's announces may create per window\n"
           "                         (default 2000)\n"
           "  --quota-window SEC     the quotas' window (default 600)\n"
           "  --log-level LEVEL      debug, info, warn or error (default info)\n"
           "  --help                 this text\n"
           "  --version              the version\n";
}

common::Result<Config> parse_config(const std::vector<std::string>& args) {
    Config c;
    auto bad = [](const std::string& why) { return make_error(Errc::invalid_argument, why); };
    unsigned id = 0;
    int level = 1;
    std::vector<std::string> listen;
    common::Options o;
    o.flag("--help|-h", &c.help)
        .flag("--version", &c.version)
        .flag("--trust-ip", &c.trust_ip)
        .number("--id", &id, 1, 2)
        .text("--secret-file", &c.secret_file)
        .list("--listen", &listen)
        .number("--interval", &c.interval_s, 1, 86400)
        .number("--min-interval", &c.min_interval_s, 0, 86400)
        .number("--peer-timeout", &c.peer_timeout_s, 1, 7 * 86400)
        .number("--http-threads", &c.http_threads, 1, 64)
        .number("--max-connections", &c.max_connections, 1, 1'000'000)
        .number("--max-connections-per-ip", &c.max_connections_per_ip, 1, 1'000'000)
        .number("--max-torrents", &c.max_torrents, 1, 100'000'000)
        .number("--max-peers", &c.max_peers, 1, 1'000'000'000)
        .number("--request-timeout", &c.request_timeout_ms, 100, 600000)
        .number("--idle-timeout", &c.idle_timeout_ms, 100, 3600000)
        .number("--compact-bytes", &c.compact_bytes, 4096, 1ull << 40)
        .number("--commit-delay", &c.commit_delay_us, 0, 1'000'000)
        .number("--max-outbox", &c.max_outbox, 1, 100'000'000)
        .number("--metainfo-ttl", &c.metainfo_ttl_s, 1, 365 * 86400)
        .number("--publish-quota", &c.publish_quota, 1, 1'000'000'000)
        .number("--publish-bytes-quota", &c.publish_bytes_quota, 1, 1ull << 50)
        .number("--new-torrent-quota", &c.new_torrent_quota, 1, 1'000'000'000)
        .number("--quota-window", &c.quota_window_s, 1, 7 * 86400)
        .choice("--log-level", {"debug", "info", "warn", "error"}, &level);
    for (const auto& a : args) {  // --help and --version win over any mistake
        c.help = c.help || a == "--help" || a == "-h";
        c.version = c.version || a == "--version";
    }
    if (c.help || c.version) return c;
    auto parsed = o.parse(args);
    if (!parsed) return parsed.error();
    const std::vector<std::string>& positional = *parsed;
    c.id = static_cast<std::uint8_t>(id);
    constexpr common::LogLevel kLevels[] = {common::LogLevel::debug, common::LogLevel::info,
                                            common::LogLevel::warn, common::LogLevel::error};
    c.log_level = kLevels[level];
    if (positional.size() != 4)
        return bad("expected 4 arguments, got " + std::to_string(positional.size()));
    auto self = common::parse_endpoint_arg(positional[0], "address");
    if (!self) return self.error();
    auto other = common::parse_endpoint_arg(positional[1], "address of the other tracker");
    if (!other) return other.error();
    c.self = *self;
    c.other = *other;
    for (const auto& l : listen) {
        auto ep = common::parse_endpoint_arg(l, "--listen address");
        if (!ep) return ep.error();
        c.also_listen.push_back(*ep);
    }
    c.seeder_list = positional[2];
    c.log_file = positional[3];
    if (c.seeder_list.empty() || c.log_file.empty()) return bad("file names must not be empty");
    if (c.id == 0) {
        auto a = common::resolve(c.self);
        auto b = common::resolve(c.other);
        if (!a) return a.error();
        if (!b) return b.error();
        const auto ka = std::make_pair(a->ip(), c.self.port);
        const auto kb = std::make_pair(b->ip(), c.other.port);
        if (ka == kb) return bad("my address and the other tracker's address are the same");
        c.id = ka < kb ? 1 : 2;
    }
    return c;
}

}  // namespace mt::tracker
