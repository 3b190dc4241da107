#include "tracker/config.h"

#include <arpa/inet.h>

#include <charconv>

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
           "/publish, /metainfo, /stats), UDP (BEP 15) and the replication link to the other "
           "tracker.\n"
           "\n"
           "  <my_ip:port>        where this tracker listens (TCP and UDP)\n"
           "  <other_ip:port>     the other tracker of the pair\n"
           "  <seederlist_file>   crash-safe state (a snapshot; its journal is <file>.journal)\n"
           "  <log_file>          timestamped log lines\n"
           "\n"
           "options:\n"
           "  --id 1|2               which tracker this is (default: the lower ip:port is 1)\n"
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
           "  --help                 this text\n";
}

namespace {
template <class T>
bool number(const std::string& s, T& out, T lo, T hi) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}
}  // namespace

common::Result<Config> parse_config(const std::vector<std::string>& args) {
    Config c;
    std::vector<std::string> positional;
    auto bad = [](const std::string& why) { return make_error(Errc::invalid_argument, why); };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            c.help = true;
            return c;
        }
        if (a == "--trust-ip") {
            c.trust_ip = true;
            continue;
        }
        if (a.rfind("--", 0) != 0) {
            positional.push_back(a);
            continue;
        }
        if (i + 1 == args.size()) return bad(a + " needs a value");
        const std::string& v = args[++i];
        bool ok = true;
        if (a == "--id") {
            unsigned id = 0;
            ok = number(v, id, 1u, 2u);
            c.id = static_cast<std::uint8_t>(id);
        } else if (a == "--secret-file") {
            c.secret_file = v;
        } else if (a == "--interval") {
            ok = number(v, c.interval_s, 1u, 86400u);
        } else if (a == "--min-interval") {
            ok = number(v, c.min_interval_s, 0u, 86400u);
        } else if (a == "--peer-timeout") {
            ok = number(v, c.peer_timeout_s, 1u, 7u * 86400u);
        } else if (a == "--http-threads") {
            ok = number(v, c.http_threads, 1u, 64u);
        } else if (a == "--max-connections") {
            ok = number<std::size_t>(v, c.max_connections, 1, 1'000'000);
        } else if (a == "--max-connections-per-ip") {
            ok = number<std::size_t>(v, c.max_connections_per_ip, 1, 1'000'000);
        } else if (a == "--max-torrents") {
            ok = number<std::size_t>(v, c.max_torrents, 1, 100'000'000);
        } else if (a == "--max-peers") {
            ok = number<std::size_t>(v, c.max_peers, 1, 1'000'000'000);
        } else if (a == "--request-timeout") {
            ok = number(v, c.request_timeout_ms, 100, 600000);
        } else if (a == "--idle-timeout") {
            ok = number(v, c.idle_timeout_ms, 100, 3600000);
        } else if (a == "--compact-bytes") {
            ok = number<std::uint64_t>(v, c.compact_bytes, 4096, 1ull << 40);
        } else if (a == "--max-outbox") {
            ok = number<std::size_t>(v, c.max_outbox, 1, 100'000'000);
        } else if (a == "--metainfo-ttl") {
            ok = number(v, c.metainfo_ttl_s, 1u, 365u * 86400u);
        } else if (a == "--publish-quota") {
            ok = number<std::uint64_t>(v, c.publish_quota, 1, 1'000'000'000);
        } else if (a == "--publish-bytes-quota") {
            ok = number<std::uint64_t>(v, c.publish_bytes_quota, 1, 1ull << 50);
        } else if (a == "--new-torrent-quota") {
            ok = number<std::uint64_t>(v, c.new_torrent_quota, 1, 1'000'000'000);
        } else if (a == "--quota-window") {
            ok = number(v, c.quota_window_s, 1u, 7u * 86400u);
        } else if (a == "--log-level") {
            if (v == "debug")
                c.log_level = common::LogLevel::debug;
            else if (v == "info")
                c.log_level = common::LogLevel::info;
            else if (v == "warn")
                c.log_level = common::LogLevel::warn;
            else if (v == "error")
                c.log_level = common::LogLevel::error;
            else
                ok = false;
        } else {
            return bad("unknown option " + a);
        }
        if (!ok) return bad("invalid value '" + v + "' for " + a);
    }
    if (positional.size() != 4)
        return bad("expected 4 arguments, got " + std::to_string(positional.size()));
    auto self = common::parse_endpoint(positional[0]);
    if (!self) return self.error();
    auto other = common::parse_endpoint(positional[1]);
    if (!other) return other.error();
    if (self->port == 0 || other->port == 0) return bad("ports must not be 0");
    c.self = *self;
    c.other = *other;
    c.seeder_list = positional[2];
    c.log_file = positional[3];
    if (c.seeder_list.empty() || c.log_file.empty()) return bad("file names must not be empty");
    if (c.id == 0) {
        auto a = common::resolve(c.self);
        auto b = common::resolve(c.other);
        if (!a) return a.error();
        if (!b) return b.error();
        const auto ka = (std::uint64_t{ntohl(a->sin_addr.s_addr)} << 16) | c.self.port;
        const auto kb = (std::uint64_t{ntohl(b->sin_addr.s_addr)} << 16) | c.other.port;
        if (ka == kb) return bad("my address and the other tracker's address are the same");
        c.id = ka < kb ? 1 : 2;
    }
    return c;
}

}  // namespace mt::tracker
