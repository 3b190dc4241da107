#include "tracker/status_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/json.h"
#include "common/log.h"
#include "common/text_escape.h"
#include "common/units.h"

namespace mt::tracker {

using common::cat;

namespace {

// Anything from outside, for HTML text or a quoted attribute value.
std::string esc(std::string_view s) {
    return common::html_escape(common::escape_text(s));
}

std::string fixed1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string ago(std::int64_t seconds) {
    if (seconds < 0) return "not since start";
    return common::human_duration(static_cast<double>(seconds)) + " ago";
}

std::string duration(std::int64_t seconds) {
    return common::human_duration(static_cast<double>(seconds));
}

// Plot area of the graph, in SVG user units.
constexpr double kLeft = 50;
constexpr double kTop = 10;
constexpr double kWidth = 540;
constexpr double kHeight = 120;

std::string polyline(const std::vector<double>& values, double top, const char* cls) {
    std::string points;
    const std::size_t n = values.size();
    for (std::size_t i = 0; i < n; ++i) {
        const double x =
            kLeft + (n > 1 ? kWidth * static_cast<double>(i) / static_cast<double>(n - 1) : kWidth);
        const double y = kTop + kHeight - kHeight * std::min(values[i], top) / top;
        points += cat(i ? " " : "", fixed1(x), ",", fixed1(y));
    }
    return cat("<polyline class=\"", cls, "\" points=\"", points, "\"/>");
}

const char kStyle[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:60em;padding:0 1em;"
    "color:#222;background:#fafafa}"
    "h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.1em;margin:0 0 .5em}"
    "section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1em;margin:1em 0}"
    ".sub{color:#666;margin-top:0}"
    "table{border-collapse:collapse}td,th{padding:3px 12px 3px 0;text-align:left;"
    "vertical-align:top}th{color:#555;font-weight:600}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".up{color:#176f2c;font-weight:700}.down{color:#b3261e;font-weight:700}"
    ".half{color:#a05a00;font-weight:700}"
    "svg{width:100%;height:auto}polyline{fill:none;stroke-width:2}"
    "polyline.http{stroke:#1f63c6}polyline.udp{stroke:#d9730d}"
    ".axis{stroke:#bbb;stroke-width:1}svg text{font-size:11px;fill:#555}"
    ".key-http{color:#1f63c6}.key-udp{color:#d9730d}"
    "input[type=search]{width:20em;padding:3px}.name{overflow-wrap:anywhere}";

std::string header(const PageFigures& f) {
    return cat("<!doctype html><html lang=en><meta charset=utf-8>",
               "<meta name=viewport content=\"width=device-width\">",
               "<meta http-equiv=refresh content=10>", "<title>mtorrent tracker ", f.tracker_id,
               "</title><style>", kStyle, "</style><h1>mtorrent tracker ", f.tracker_id,
               "</h1><p class=sub>", esc(f.address), " &middot; partner ", esc(f.other_address),
               " &middot; up for ", duration(f.uptime_s),
               " &middot; refreshes every 10 s &middot; <a href=\"/stats\">JSON</a></p>");
}

std::string row(const std::string& k, const std::string& v, const std::string& id = "") {
    return cat("<tr><th>", k, "</th><td", id.empty() ? "" : cat(" id=", id), ">", v, "</td></tr>");
}

std::string catch_up_words(const PairHealth& p) {
    if (p.last_catch_up_snapshot) return " (sent a snapshot)";
    if (p.last_catch_up_changes == 0) return " (it missed nothing)";
    return cat(" (sent the ", common::plural(p.last_catch_up_changes, "change"), " it missed)");
}

std::string pair_section(const PairHealth& p) {
    const std::string state = partner_state(p);
    const char* cls = state == "up" ? "up" : state == "down" ? "down" : "half";
    std::string h = "<section id=pair><h2>The pair</h2><table>";
    h += row("Partner", cat("<span id=partner-state class=", cls, ">", state, "</span>"));
    if (p.known) {
        h += row("Link to the partner", p.link_out ? "connected" : "down", "link-out");
        h += row("Link from the partner", p.link_in ? "connected" : "down", "link-in");
        h += row("Replication lag",
                 cat(common::plural(p.lag, "change"), " not yet acknowledged by the partner"),
                 "lag");
        std::string last = ago(p.last_catch_up_ago_s);
        if (p.last_catch_up_ago_s >= 0) last += catch_up_words(p);
        h += row("Last catch-up of the partner", last, "catch-up");
        h += row("Last snapshot from the partner", ago(p.last_snapshot_in_ago_s));
    }
    return h + "</table></section>";
}

std::string rates_section(const AnnounceRates& r) {
    const std::size_t span = r.bucket_s * std::max(r.http.size(), r.udp.size());
    const double now_http = r.http.empty() ? 0 : r.http.back();
    const double now_udp = r.udp.empty() ? 0 : r.udp.back();
    return cat("<section id=announces><h2>Announces per second, last ",
               duration(static_cast<std::int64_t>(span)), "</h2>", announce_graph_svg(r),
               "<p><span class=key-http>&#9632; HTTP</span> ", fixed1(now_http), "/s now, ",
               r.http_total, " since start &middot; <span class=key-udp>&#9632; UDP</span> ",
               fixed1(now_udp), "/s now, ", r.udp_total, " since start (each point: ", r.bucket_s,
               " s)</p></section>");
}

std::string swarms_section(const SwarmFigures& s) {
    std::string h = "<section id=swarms><h2>Swarms and peers</h2><table>";
    h += row("Torrents", std::to_string(s.torrents), "torrents");
    h += row("Peers", std::to_string(s.peers), "peers");
    h += row("Seeders", std::to_string(s.seeders));
    h += row("Leechers", std::to_string(s.leechers));
    h += row("Published files", std::to_string(s.published));
    return h + "</table></section>";
}

std::string file_rows(const std::vector<common::wire::SearchHit>& files) {
    std::string h;
    const std::size_t shown = std::min(files.size(), kMaxFiles);
    for (std::size_t i = 0; i < shown; ++i) {
        const auto& f = files[i];
        const std::string hex = f.info_hash.hex();
        h += cat("<tr><td class=name>", esc(f.name), "</td><td class=n>",
                 common::human_bytes(f.size), "</td><td class=n>", f.seeders, "</td><td class=n>",
                 f.leechers, "</td><td><a href=\"/metainfo?info_hash=", hex, "\" title=\"", hex,
                 "\">.mtorrent</a></td></tr>");
    }
    return h;
}

// What the list shows, in a sentence.
std::string files_summary(const FileList& l, std::size_t published) {
    const std::size_t shown = std::min(l.files.size(), kMaxFiles);
    const bool more = l.more || l.files.size() > kMaxFiles;
    if (!l.query_error.empty()) return esc(l.query_error);
    if (l.query.empty())
        return cat("Showing ", shown, " of ", common::plural(published, "published file"),
                   shown < published ? "; search to find the others." : ".");
    if (shown == 0) return cat("No published file matches &ldquo;", esc(l.query), "&rdquo;.");
    return cat("First ", shown, more ? " (more match: make the search longer)" : "",
               " of the files matching &ldquo;", esc(l.query), "&rdquo;.");
}

std::string files_section(const FileList& l, std::size_t published) {
    std::string h =
        cat("<section id=files><h2>Published files</h2>",
            "<form method=get action=\"/\" role=search><input type=search name=q maxlength=256 ",
            "placeholder=\"part of a name\" aria-label=\"search published files\" value=\"",
            esc(l.query), "\"> <button type=submit>Search</button>",
            l.query.empty() ? "" : " <a href=\"/\">all</a>", "</form><p id=files-summary>",
            files_summary(l, published), "</p>");
    if (!l.files.empty())
        h += cat("<table id=file-list><tr><th>Name</th><th>Size</th><th>Seeders</th>",
                 "<th>Leechers</th><th></th></tr>", file_rows(l.files), "</table>");
    return h + "</section>";
}

std::string limits_section(const PageLimits& l) {
    std::string h = "<section id=limits><h2>Limits in force</h2><table>";
    h += row("Connections",
             cat("at most ", l.max_connections, " TCP connections at once, ",
                 l.max_connections_per_ip, " from one address (the partner is exempt)"));
    h += row(
        "Slow clients",
        cat("a request must arrive within ", fixed1(l.request_timeout_ms / 1000.0),
            " s; an idle connection is closed after ", fixed1(l.idle_timeout_ms / 1000.0), " s"));
    h += row("Announce interval",
             cat("every ", duration(l.interval_s), ", at most every ", duration(l.min_interval_s)));
    h += row("Forgetting peers",
             cat("a peer silent for ", duration(l.peer_timeout_s), " is dropped"));
    h += row("Peers per reply",
             cat(l.default_numwant, " unless the client asks; never more than ", l.max_numwant,
                 " (UDP: 200 IPv4 or 66 IPv6, to fit one datagram)"));
    h += row("Memory", cat("at most ", l.max_torrents, " torrents and ", l.max_peers,
                           " peers; when full the least active torrent makes room"));
    h += row("Publishing",
             cat(l.publish_quota, " files and ", common::human_bytes(l.publish_bytes_quota),
                 " per address every ", duration(l.quota_window_s)));
    h += row("New torrents", cat("an address's announces may create ", l.new_torrent_quota,
                                 " torrents every ", duration(l.quota_window_s)));
    h += row("Published files",
             cat("withdrawn after ", duration(l.metainfo_ttl_s), " without a live peer"));
    return h + "</table></section>";
}

}  // namespace

std::string partner_state(const PairHealth& p) {
    if (!p.known) return "no replication";
    if (p.link_out && p.link_in) return "up";
    if (p.link_out || p.link_in) return "half up";
    return "down";
}

std::string announce_graph_svg(const AnnounceRates& r) {
    double most = 1;
    for (const auto* v : {&r.http, &r.udp})
        for (double x : *v)
            most = std::max(most, x);
    const double top = std::ceil(most);
    const std::size_t span = r.bucket_s * std::max(r.http.size(), r.udp.size());
    std::string h =
        cat("<svg id=announce-graph xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 600 150\" ",
            "width=600 height=150 role=img aria-label=\"announces per second\">");
    h += cat("<line class=axis x1=", kLeft, " y1=", kTop + kHeight, " x2=", kLeft + kWidth,
             " y2=", kTop + kHeight, " />", "<line class=axis x1=", kLeft, " y1=", kTop,
             " x2=", kLeft + kWidth, " y2=", kTop, " />");
    h +=
        cat("<text x=", kLeft - 6, " y=", kTop + 4, " text-anchor=end>", fixed1(top),
            "/s</text><text x=", kLeft - 6, " y=", kTop + kHeight + 4, " text-anchor=end>0</text>");
    h += cat("<text x=", kLeft, " y=", kTop + kHeight + 16, ">-",
             duration(static_cast<std::int64_t>(span)), "</text><text x=", kLeft + kWidth,
             " y=", kTop + kHeight + 16, " text-anchor=end>now</text>");
    h += polyline(r.http, top, "http");
    h += polyline(r.udp, top, "udp");
    return h + "</svg>";
}

std::string render_status_page(const PageFigures& f) {
    std::string h = header(f);
    h += pair_section(f.pair);
    h += rates_section(f.rates);
    h += swarms_section(f.swarms);
    h += files_section(f.files, f.swarms.published);
    h += limits_section(f.limits);
    h += "</html>\n";
    return h;
}

const common::wire::HttpHeaders& status_page_headers() {
    // No script at all; styles and the SVG are inline; the search form
    // submits to this tracker only.
    static const common::wire::HttpHeaders headers = {
        {"Content-Security-Policy",
         "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
         "base-uri 'none'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
    };
    return headers;
}

}  // namespace mt::tracker
