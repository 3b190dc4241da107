// Command line of bin/tracker:
//   tracker <my_ip:port> <other_ip:port> <seederlist_file> <log_file> [options]
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/net/socket.h"
#include "common/result.h"

namespace mt::tracker {

struct Config {
    common::Endpoint self;
    common::Endpoint other;
    std::vector<common::Endpoint> also_listen;  // --listen: more addresses, TCP and UDP
    std::string seeder_list;
    std::string log_file;
    std::uint8_t id = 0;  // 1 or 2; 0 = derive (the lower ip:port is tracker 1)
    std::string secret_file = "mtorrent.secret";
    std::uint32_t interval_s = 1800;
    std::uint32_t min_interval_s = 60;
    std::uint32_t peer_timeout_s = 2700;
    bool trust_ip = false;
    unsigned http_threads = 2;
    std::size_t max_connections = 4096;
    std::size_t max_torrents = 1'000'000;
    std::size_t max_peers = 10'000'000;
    int request_timeout_ms = 5000;
    int idle_timeout_ms = 30000;
    // Strangers on the TCP port (issue 12): connections one address may hold
    // (the other tracker's address is exempt). Loopback tests may raise it.
    std::size_t max_connections_per_ip = 64;
    std::uint64_t compact_bytes = 64ull << 20;
    // Group commit: how long the journal writer waits for more changes
    // before it syncs a batch (a change's answer waits that much longer; an
    // fsync per change is what a lightly loaded tracker pays otherwise).
    std::uint32_t commit_delay_us = 2000;
    std::size_t max_outbox = 1'000'000;               // own changes kept for a reconnecting peer
    std::uint32_t metainfo_ttl_s = 86400;             // published file with no live peer
    std::uint64_t publish_quota = 200;                // publishes per address per window
    std::uint64_t publish_bytes_quota = 32ull << 20;  // bytes published per address per window
    std::uint64_t new_torrent_quota = 2000;  // torrents an address's announces create per window
    std::uint32_t quota_window_s = 600;
    common::LogLevel log_level = common::LogLevel::info;
    bool help = false;
    bool version = false;
};

// Errc::invalid_argument with a message naming the bad argument.
common::Result<Config> parse_config(const std::vector<std::string>& args);

const char* tracker_usage();
const char* tracker_help();

}  // namespace mt::tracker
