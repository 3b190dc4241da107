// The tracker's page (GET / and /stats?format=html): what an operator wants
// to see at a glance, rendered from a plain struct of figures.
//
// Pure: no sockets, clock, store or lock. TrackerService gathers the figures
// (bounded: the store's counts, at most kMaxFiles + 1 published files, a
// fixed window of the announce rate ring) and sends the string with
// status_page_headers().
//
// Safety: every text that came from outside (published names, the search
// query) goes through common::escape_text (control and bidirectional
// characters as \xNN) and then common::html_escape, in text and in attribute
// values alike. The page has no script and loads nothing: the graph is an
// inline SVG drawn here, the style an inline <style>, and the headers forbid
// everything else (Content-Security-Policy default-src 'none'), framing and
// MIME sniffing. It changes nothing on the tracker: the only form is a GET
// search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/wire/http.h"
#include "common/wire/search.h"

namespace mt::tracker {

// The pair: both replication links, how far behind the other tracker is.
struct PairHealth {
    bool known = false;     // false: no replicator (the page says so)
    bool link_out = false;  // our link to the other tracker streams changes
    bool link_in = false;   // the other tracker's link to us is authenticated
    std::uint64_t lag = 0;  // own changes the other has not acknowledged yet
    // The last time we caught the other tracker up (on connecting: the
    // changes it missed, or a snapshot); -1: not since start.
    std::int64_t last_catch_up_ago_s = -1;
    bool last_catch_up_snapshot = false;
    std::uint64_t last_catch_up_changes = 0;  // tail: changes it missed
    // The last snapshot the other tracker sent us; -1: none since start.
    std::int64_t last_snapshot_in_ago_s = -1;
};

// Announces per second, oldest first; `http` and `udp` have the same length,
// one value per `bucket_s` seconds.
struct AnnounceRates {
    std::size_t bucket_s = 5;
    std::vector<double> http;
    std::vector<double> udp;
    std::uint64_t http_total = 0;  // since start
    std::uint64_t udp_total = 0;
};

struct SwarmFigures {
    std::size_t torrents = 0;
    std::size_t peers = 0;
    std::size_t seeders = 0;
    std::size_t leechers = 0;
    std::size_t published = 0;
};

struct FileList {
    std::string query;        // as typed (raw bytes); empty: no search, a sample of files
    std::string query_error;  // non-empty: the search was refused
    std::vector<common::wire::SearchHit> files;  // the page shows at most kMaxFiles
    bool more = false;                           // more matched than `files` holds
};

// The limits in force, as configured (tracker/config.h).
struct PageLimits {
    std::size_t max_connections = 0;
    std::size_t max_connections_per_ip = 0;
    int request_timeout_ms = 0;
    int idle_timeout_ms = 0;
    std::uint32_t interval_s = 0;
    std::uint32_t min_interval_s = 0;
    std::uint32_t peer_timeout_s = 0;
    std::uint32_t default_numwant = 0;
    std::uint32_t max_numwant = 0;
    std::size_t max_torrents = 0;
    std::size_t max_peers = 0;
    std::uint64_t publish_quota = 0;
    std::uint64_t publish_bytes_quota = 0;
    std::uint64_t new_torrent_quota = 0;
    std::uint32_t quota_window_s = 0;
    std::uint32_t metainfo_ttl_s = 0;
};

struct PageFigures {
    int tracker_id = 0;
    std::string address;
    std::string other_address;
    std::int64_t uptime_s = 0;
    PairHealth pair;
    AnnounceRates rates;
    SwarmFigures swarms;
    FileList files;
    PageLimits limits;
};

inline constexpr std::size_t kMaxFiles = 100;

// The whole page, UTF-8 HTML.
std::string render_status_page(const PageFigures& f);

// The announce graph alone: an <svg> with one polyline per protocol (class
// "http" and "udp") over a plot 540 units wide and 120 high, scaled to the
// largest rate (at least 1), and its axis labels.
std::string announce_graph_svg(const AnnounceRates& r);

// "up" (both links), "half up" (one link), "down" (none) or "no replication".
std::string partner_state(const PairHealth& p);

// Content-Security-Policy, X-Content-Type-Options, X-Frame-Options,
// Referrer-Policy and Cache-Control for the page.
const common::wire::HttpHeaders& status_page_headers();

}  // namespace mt::tracker
