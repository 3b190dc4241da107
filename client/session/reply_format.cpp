#include "client/session/reply_format.h"

#include <algorithm>
#include <cstdio>

#include "common/net/socket.h"
#include "common/text_escape.h"
#include "common/tracker_url.h"
#include "common/units.h"

namespace mt::client {

Reply Reply::list(std::vector<std::string> lines, const std::string& what) {
    Reply r = success(std::to_string(lines.size()), what);
    r.lines = std::move(lines);
    r.is_list = true;
    return r;
}

Reply Reply::list(std::vector<std::string> lines, const std::string& one, const std::string& many,
                  const std::string& rest) {
    const std::string what = (lines.size() == 1 ? one : many) + rest;
    return list(std::move(lines), what);
}

std::string quote_token(std::string_view s) {
    if (s.find_first_of(" \t\"'\\") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "\"";
}

std::string Reply::render() const {
    using common::escape_text;
    std::string out = (ok ? "SUCCESS:" : "FAILURE:") + quote_token(escape_text(value));
    if (!detail.empty()) out += " " + escape_text(detail);
    out += "\n";
    for (const auto& l : lines)
        out += "  " + escape_text(l) + "\n";
    return out;
}

std::string Reply::render_for_person() const {
    using common::escape_text;
    std::string out;
    if (!ok)
        out = "error: " + (detail.empty() ? escape_text(value)
                                          : escape_text(detail) + " (" + escape_text(value) + ")");
    else if (is_list || detail.empty() || value.empty())
        out =
            escape_text(value) + (value.empty() || detail.empty() ? "" : " ") + escape_text(detail);
    else
        out = escape_text(value) + ": " + escape_text(detail);
    out += "\n";
    for (const auto& l : lines)
        out += "  " + escape_text(l) + "\n";
    return out;
}

std::string progress_bar(double fraction, int width) {
    if (!(fraction >= 0)) fraction = 0;  // also NaN
    if (fraction > 1) fraction = 1;
    if (width < 1) width = 1;
    const int full = static_cast<int>(fraction * width + 1e-9);
    return "[" + std::string(static_cast<std::size_t>(full), '#') +
           std::string(static_cast<std::size_t>(width - full), '.') + "]";
}

std::string progress_text(const TorrentStats& s) {
    const double pct =
        s.total ? 100.0 * static_cast<double>(s.verified_bytes) / static_cast<double>(s.total) : 0;
    const double eta =
        s.down_rate > 1 ? static_cast<double>(s.total - s.verified_bytes) / s.down_rate : -1;
    char buf[200];
    std::snprintf(buf, sizeof buf, "%5.1f%%  down %s  up %s  %zu peer%s  ETA %s", pct,
                  common::human_rate(s.down_rate).c_str(), common::human_rate(s.up_rate).c_str(),
                  s.peers, s.peers == 1 ? "" : "s",
                  s.complete ? "done" : common::human_duration(eta).c_str());
    return buf;
}

std::string format_transfer(const TransferView& t, bool bar) {
    std::string out = std::string("[") + t.state + "] " + t.label + "  ";
    // A lookup (finding metainfo, or failed to): its note is all there is.
    // A transfer that failed shows its progress and its error.
    if (t.state == 'M' || (t.state == '!' && !t.note.empty())) return out + t.note;
    const auto& s = t.stats;
    if (bar)
        out +=
            progress_bar(
                s.total ? static_cast<double>(s.verified_bytes) / static_cast<double>(s.total) : 0,
                20) +
            " ";
    if (t.state == 'P') {
        char pct[32];
        std::snprintf(
            pct, sizeof pct, "%5.1f%%",
            s.total ? 100.0 * static_cast<double>(s.verified_bytes) / static_cast<double>(s.total)
                    : 0.0);
        out += std::string(pct) + "  paused  size " + common::human_bytes(s.total);
    } else {
        out += progress_text(s) + "  size " + common::human_bytes(s.total);
    }
    // What this client gave back (in every run), and against the size.
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.2f",
                  s.total ? static_cast<double>(s.uploaded) / static_cast<double>(s.total) : 0.0);
    out += "  sent " + common::human_bytes(s.uploaded) + " (ratio " + ratio + ")";
    if (!s.error.empty()) out += "  error: " + s.error;
    if (!t.note.empty()) out += "  " + t.note;
    return out;
}

std::string format_search_hit(const common::wire::SearchHit& h) {
    return h.name + "  " + common::human_bytes(h.size) + "  " + h.info_hash.hex() + "  " +
           common::plural(h.seeders, "seeder") + ", " + common::plural(h.leechers, "leecher");
}

std::string tracker_key(const std::string& url) {
    auto u = common::parse_tracker_url(url);
    if (!u) return url;
    return std::string(u->scheme == common::TrackerUrl::Scheme::udp ? "udp://" : "http://") +
           common::Endpoint{u->host, u->port}.to_string();
}

std::vector<TrackerLine> merge_tracker_status(
    const std::vector<std::string>& configured,
    const std::vector<std::vector<TrackerStatus>>& sources, std::size_t announce_sources) {
    std::vector<TrackerLine> lines;
    std::vector<std::int64_t> latest;  // per line: the most recent attempt seen
    auto line_for = [&](const std::string& key) -> std::size_t {
        for (std::size_t i = 0; i < lines.size(); ++i)
            if (lines[i].url == key) return i;
        TrackerLine t;
        t.url = key;
        lines.push_back(t);
        latest.push_back(-1);
        return lines.size() - 1;
    };
    for (const auto& c : configured)
        line_for(tracker_key(c));
    for (std::size_t s = 0; s < sources.size(); ++s) {
        for (const auto& st : sources[s]) {
            const std::size_t i = line_for(tracker_key(st.url));
            TrackerLine& t = lines[i];
            t.failures += st.failures;
            if (s < announce_sources && st.last_ok_ms > t.last_announce_ms)
                t.last_announce_ms = st.last_ok_ms;
            t.last_ok_ms = std::max(t.last_ok_ms, st.last_ok_ms);
            t.last_attempt_ms = std::max(t.last_attempt_ms, st.last_attempt_ms);
            if (st.last_attempt_ms > 0) t.tried = true;
            if (st.last_attempt_ms > latest[i]) {
                latest[i] = st.last_attempt_ms;
                t.live = st.live;
                t.last_error = st.last_error;
            }
        }
    }
    TrackerLine* current = nullptr;
    for (auto& t : lines)
        if (t.live && t.last_ok_ms > 0 && (!current || t.last_ok_ms > current->last_ok_ms))
            current = &t;
    if (current) current->in_use = true;
    return lines;
}

std::string format_tracker_line(std::size_t index, const TrackerLine& t, std::int64_t now_ms) {
    std::string out = "tracker " + std::to_string(index + 1) + "  " + t.url + "  ";
    auto ago = [&](std::int64_t ms) {
        return common::human_duration(static_cast<double>(std::max<std::int64_t>(now_ms - ms, 0)) /
                                      1000) +
               " ago";
    };
    out += !t.tried ? "not contacted yet" : (t.live ? "live" : "DOWN");
    if (t.in_use) out += "  in use";
    // How old that word is: a tracker killed since the last contact still
    // reads live until the next one.
    if (t.tried)
        out += "  last answer " + (t.last_ok_ms ? ago(t.last_ok_ms) : std::string("never"));
    out += "  last announce ";
    out += t.last_announce_ms
               ? common::human_duration(static_cast<double>(now_ms - t.last_announce_ms) / 1000) +
                     " ago"
               : "never";
    out += "  failures " + std::to_string(t.failures);
    if (!t.live && !t.last_error.empty()) out += "  last error: " + t.last_error;
    return out;
}

std::string format_peer(const PeerView& p) {
    std::string id(p.id.view());
    for (auto& c : id)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '.';
    return p.address + "  " + id + "  down " + common::human_rate(p.down_rate) + "  up " +
           common::human_rate(p.up_rate) + "  received " + common::human_bytes(p.downloaded) +
           "  sent " + common::human_bytes(p.uploaded) + (p.interested ? "  interested" : "");
}

}  // namespace mt::client
