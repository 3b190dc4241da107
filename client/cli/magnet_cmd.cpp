// The one-shot magnet command of bin/client:
//   magnet <magnet-URI | info hash> <out.mtorrent> [--tracker URL]... [--peer IP:PORT]...
//          [--timeout S] [--port P] [--bind IP] [--log FILE] [--force]
// Announces to the trackers (the link's tr= and --tracker, one tier with
// failover) as a leecher, fetches the info dictionary from the peers they
// name (and x.pe= / --peer ones, tried first) with fetch_metadata(), and
// writes a .mtorrent listing those trackers. Peers that sent bad metadata are
// not asked again; while time is left, it announces again for more peers.
// The listening socket (--bind:--port) only gives the trackers a true port:
// nothing is served. On the way out it announces `stopped`.
#include "client/cli/magnet_cmd.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>
#include <thread>

#include "client/cli/usage.h"
#include "client/dht/dht_node.h"
#include "client/engine/torrent.h"
#include "client/trackers/metadata_fetch.h"
#include "client/trackers/tracker_client.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/magnet.h"
#include "common/metainfo.h"
#include "common/net/socket.h"
#include "common/options.h"
#include "common/text_escape.h"
#include "common/tracker_url.h"
#include "common/units.h"

namespace mt::client {

using common::cat;
using common::escape_text;
using common::mono_ms;

namespace {

struct MagnetArgs {
    std::vector<std::string> positional;
    std::vector<std::string> trackers;
    std::vector<std::string> peers;
    std::vector<std::string> dht_nodes;  // --dht-bootstrap IP:PORT
    int timeout = 60;
    int port = 0;
    std::string bind;  // empty: both families (common::tcp_listen)
    std::string log_file;
    bool force = false;
    std::string error;
};

MagnetArgs parse(const std::vector<std::string>& args) {
    MagnetArgs m;
    common::Options o;
    o.list("--tracker|-t", &m.trackers)
        .list("--peer", &m.peers)
        .list("--dht-bootstrap", &m.dht_nodes)
        .text("--bind", &m.bind)
        .text("--log", &m.log_file)
        .number("--timeout", &m.timeout, 1, 1 << 20)
        .number("--port", &m.port, 0, 65535)
        .flag("--force", &m.force);
    auto pos = o.parse(args);
    if (!pos)
        m.error = pos.error().message;
    else
        m.positional = std::move(pos).value();
    for (const auto& n : m.dht_nodes) {
        const auto ep = common::parse_endpoint(n);
        if (!ep || !common::IpAddr::parse(ep->host) || ep->port == 0)
            m.error = "--dht-bootstrap wants a literal IP:PORT, not '" + n + "'";
    }
    return m;
}

void add_unique(std::vector<std::string>& list, const std::string& v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
}

bool contains(const std::vector<common::PeerAddress>& list, const common::PeerAddress& p) {
    return std::any_of(list.begin(), list.end(),
                       [&](const auto& q) { return q.ip == p.ip && q.port == p.port; });
}

// Where to look for the metadata: the link's trackers and --tracker, and
// peers given directly (the link's x.pe, then --peer), each once.
struct Sources {
    std::vector<std::string> trackers;
    std::vector<common::PeerAddress> direct;
};
common::Result<Sources> gather_sources(const MagnetArgs& a, const common::MagnetLink& link) {
    std::vector<std::string> trackers;
    for (const auto& t : link.trackers)
        add_unique(trackers, t);
    for (const auto& t : a.trackers)
        add_unique(trackers, t);
    for (const auto& t : trackers)
        if (auto u = common::parse_tracker_url(t); !u) return u.error();
    std::vector<common::PeerAddress> direct;  // the link's x.pe, then --peer
    std::vector<std::string> peer_texts = link.peers;
    peer_texts.insert(peer_texts.end(), a.peers.begin(), a.peers.end());
    for (const auto& text : peer_texts) {
        auto ep = common::parse_endpoint(text);
        auto sa = ep ? common::resolve(*ep) : common::Result<common::SockAddr>(ep.error());
        if (!sa)
            return common::make_error(common::Errc::invalid_argument,
                                      "peer '" + text + "': " + sa.error().message);
        common::PeerAddress p{sa->ip(), sa->port(), std::nullopt};
        if (!contains(direct, p)) direct.push_back(p);
    }
    if (trackers.empty() && direct.empty() && a.dht_nodes.empty())
        return common::make_error(common::Errc::invalid_argument,
                                  "magnet needs a tracker (tr= in the link or --tracker URL), a "
                                  "peer (--peer) or a DHT node (--dht-bootstrap)");
    return Sources{std::move(trackers), std::move(direct)};
}

}  // namespace

// Peers of `ih` through a DHT node started for this command, bootstrapped
// from --dht-bootstrap (a private torrent's metadata is not known yet: the
// user chose the DHT by naming nodes).
std::vector<common::PeerAddress> dht_peers(const MagnetArgs& a, const common::InfoHash& ih,
                                           common::Logger& log) {
    if (a.dht_nodes.empty()) return {};  // checked by parse(): literal addresses
    dht::DhtNode::Options o;
    o.bind = common::Endpoint{a.bind.empty() ? "0.0.0.0" : a.bind, 0};
    for (const auto& n : a.dht_nodes)
        o.bootstrap.push_back(*common::parse_endpoint(n));
    std::vector<common::PeerAddress> out;
    auto node = dht::DhtNode::start(o);
    if (!node) {
        log.warn(cat("DHT node not started: ", node.error().message));
        return out;
    }
    // Wait for the bootstrap answers before the lookup (at most 3 s).
    for (int i = 0; i < 30 && (*node)->status().nodes == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (const auto& p : (*node)->get_peers(ih, false, 0, 15000).peers)
        out.push_back({p.ip, p.port, std::nullopt});
    log.info(cat("DHT: ", out.size(), " peers of ", ih.hex()));
    return out;
}

int run_magnet(const std::vector<std::string>& args) {
    auto a = parse(args);
    if (!a.error.empty()) return usage_error(a.error);
    if (a.positional.size() != 2)
        return usage_error("magnet takes a magnet link (or info hash) and an output path");
    auto link = common::parse_magnet_or_hash(a.positional[0]);
    if (!link) return usage_error(link.error().message);
    const std::string& out = a.positional[1];

    auto sources = gather_sources(a, *link);
    if (!sources) return usage_error(sources.error().message);
    const std::vector<std::string>& trackers = sources->trackers;
    const std::vector<common::PeerAddress>& direct = sources->direct;

    auto log = a.log_file.empty()
                   ? std::make_unique<common::Logger>(common::Fd())
                   : std::make_unique<common::Logger>(a.log_file, common::LogLevel::info);
    auto listener = common::tcp_listen({a.bind, static_cast<std::uint16_t>(a.port)}, 16);
    if (!listener) {
        std::cerr << "client: " << escape_text(listener.error().message) << "\n";
        return 1;
    }
    auto port = common::local_port(listener->get());
    if (!port) {
        std::cerr << "client: " << port.error().message << "\n";
        return 1;
    }

    const common::InfoHash& ih = link->info_hash;
    SwarmMetadataRequest req;
    req.info_hash = ih;
    req.trackers = trackers;
    req.direct = direct;
    for (const auto& p : dht_peers(a, ih, *log))  // none without --dht-bootstrap
        if (!contains(req.direct, p)) req.direct.push_back(p);
    req.peer_id = make_peer_id();
    req.listen_port = *port;
    req.listen_families = common::listen_families(listener->get());
    req.timeout_ms = a.timeout * 1000;
    const std::int64_t start = mono_ms();
    auto got = fetch_metadata_from_swarm(req, *log);
    if (!got) {
        // May carry a tracker's failure reason or a peer's words.
        std::cerr << "client: " << escape_text(got.error().message) << "\n";
        return 1;
    }
    const std::optional<std::string> info = std::move(got->info);
    const SwarmMetadataResult& report = *got;
    const double secs = static_cast<double>(mono_ms() - start) / 1000.0;
    auto meta = common::metainfo_from_info(*info, trackers);
    if (!meta) {
        std::cerr << "client: the metadata from " << escape_text(report.source)
                  << " matches the info hash but is not usable: "
                  << escape_text(meta.error().message) << "\n";
        return 1;
    }
    if (auto s = common::write_file_atomic_new(out, common::encode_metainfo(*meta), a.force,
                                               /*durable=*/false);
        !s) {
        std::cerr << "client: magnet failed: " << escape_text(s.error().message) << "\n";
        return 1;
    }
    std::printf(
        "wrote %s\n  name:      %s\n  size:      %llu bytes (%s)\n  pieces:    %zu of %s\n"
        "  info_hash: %s\n  metadata:  %zu bytes from %s in %.3f s\n",
        escape_text(out).c_str(), escape_text(meta->name).c_str(),
        static_cast<unsigned long long>(meta->length), common::human_bytes(meta->length).c_str(),
        meta->piece_count(), common::human_bytes(meta->piece_length).c_str(),
        meta->info_hash.hex().c_str(), info->size(), escape_text(report.source).c_str(), secs);
    for (const auto& t : trackers)
        std::printf("  tracker:   %s\n", escape_text(t).c_str());
    if (!report.bad.empty()) {
        std::printf("  rejected bad metadata from:");
        for (const auto& p : report.bad)
            std::printf(" %s", escape_text(p).c_str());
        std::printf("\n");
    }
    return 0;
}

}  // namespace mt::client
