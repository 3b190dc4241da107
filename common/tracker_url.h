// Tracker URLs as mtorrent uses them:
//   http://host:port/path   (HTTP tracker, BEP 3; path usually /announce)
//   udp://host:port[/...]   (UDP tracker, BEP 15)
// The port is required for udp and defaults to 80 for http. An IPv6 host is
// written in brackets (http://[::1]:6969/announce) and kept without them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mt::common {

struct TrackerUrl {
    enum class Scheme { http, udp };
    Scheme scheme = Scheme::http;
    std::string host;  // a name, dotted IPv4 or IPv6 text (no brackets)
    std::uint16_t port = 0;
    std::string path;  // "/announce" for http; as given (or empty) for udp

    // The scrape URL per BEP 48 (http only): the last "announce" in the path
    // becomes "scrape"; empty if the path has no "announce" segment.
    std::string scrape_path() const;
};

// Errc::invalid_argument naming what is wrong ("tracker URL 'ftp://x' has
// scheme 'ftp': use http:// or udp://").
Result<TrackerUrl> parse_tracker_url(std::string_view url);

}  // namespace mt::common
