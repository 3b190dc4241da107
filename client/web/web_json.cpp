#include "client/web/web_json.h"

#include <cstdio>

#include "common/hex.h"
#include "common/text_escape.h"

namespace mt::client::web {

namespace {

std::string number(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

const char* state_name(char s) {
    switch (s) {
        case 'D':
            return "downloading";
        case 'S':
            return "seeding";
        case 'P':
            return "paused";
        case 'V':
            return "verifying";
        case 'M':
            return "metainfo";
        default:
            return "error";
    }
}

}  // namespace

std::string json_str(std::string_view raw) {
    const std::string s = common::escape_text(raw);
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string transfer_id(const TransferView& v) {
    return v.info_hash.empty() ? "lookup:" + v.label : v.info_hash;
}

std::string transfer_json(const TransferView& v) {
    const TorrentStats& s = v.stats;
    const double size = static_cast<double>(s.total);
    const double progress =
        s.total == 0 ? (s.complete ? 1.0 : 0.0) : static_cast<double>(s.verified_bytes) / size;
    double eta = -1;
    if (!s.complete && s.down_rate > 1 && s.total >= s.verified_bytes)
        eta = static_cast<double>(s.total - s.verified_bytes) / s.down_rate;
    const double ratio = s.total == 0 ? 0.0 : static_cast<double>(s.uploaded) / size;
    std::string out = "{\"id\":" + json_str(transfer_id(v)) + ",\"name\":" + json_str(v.name) +
                      ",\"label\":" + json_str(v.label) + ",\"state\":\"" + state_name(v.state) +
                      "\"";
    out += ",\"size\":" + std::to_string(s.total);
    out += ",\"done\":" + std::to_string(s.verified_bytes);
    out += ",\"progress\":" + number(progress, 4);
    out += ",\"down_rate\":" + number(s.down_rate, 0);
    out += ",\"up_rate\":" + number(s.up_rate, 0);
    out += ",\"peers\":" + std::to_string(s.peers);
    out += ",\"eta\":" + number(eta, 0);
    out += ",\"ratio\":" + number(ratio, 3);
    out += ",\"uploaded\":" + std::to_string(s.uploaded);
    out += ",\"error\":" + json_str(!s.error.empty() ? s.error : v.note) + "}";
    return out;
}

std::string reply_json(const Reply& r) {
    if (!r.ok) return error_json(r.value, r.detail);
    return "{\"ok\":true,\"value\":" + json_str(r.value) + ",\"detail\":" + json_str(r.detail) +
           "}";
}

std::string error_json(std::string_view code, std::string_view detail) {
    return "{\"ok\":false,\"error\":" + json_str(code) + ",\"detail\":" + json_str(detail) + "}";
}

namespace {

std::string files_json(const std::vector<FileProgress>& files) {
    std::string out = "[";
    for (std::size_t i = 0; i < files.size(); ++i) {
        const FileProgress& f = files[i];
        out += (i ? ",{" : "{");
        out += "\"path\":" + json_str(f.path) + ",\"size\":" + std::to_string(f.size) +
               ",\"done\":" + std::to_string(f.done) +
               ",\"selected\":" + (f.selected ? "true" : "false") + "}";
    }
    return out + "]";
}

std::string peers_json(const std::vector<PeerView>& peers) {
    std::string out = "[";
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const PeerView& p = peers[i];
        out += (i ? ",{" : "{");
        out += "\"address\":" + json_str(p.address) + ",\"client\":" + json_str(p.client) +
               ",\"down_rate\":" + number(p.down_rate, 0) + ",\"up_rate\":" + number(p.up_rate, 0) +
               ",\"progress\":" + number(p.progress, 4) + ",\"flags\":" + json_str(peer_flags(p)) +
               "}";
    }
    return out + "]";
}

std::string trackers_json(const std::vector<TrackerLine>& trackers) {
    std::string out = "[";
    for (std::size_t i = 0; i < trackers.size(); ++i) {
        const TrackerLine& t = trackers[i];
        out += (i ? ",{" : "{");
        out += "\"url\":" + json_str(t.url) + ",\"in_use\":" + (t.in_use ? "true" : "false") +
               ",\"live\":" + (t.live ? "true" : "false") +
               ",\"last_announce_ms\":" + std::to_string(t.last_announce_ms) +
               ",\"last_error\":" + json_str(t.last_error) +
               ",\"failures\":" + std::to_string(t.failures) + "}";
    }
    return out + "]";
}

}  // namespace

std::string detail_json(const TransferDetail& d) {
    std::string out = "{\"transfer\":" + transfer_json(d.view);
    out += ",\"piece_length\":" + std::to_string(d.piece_length);
    out += ",\"piece_count\":" + std::to_string(d.piece_count);
    out += ",\"have\":\"" + (d.have.size() ? common::to_hex(d.have.wire()) : std::string()) + "\"";
    out += ",\"files\":" + files_json(d.files);
    out += ",\"files_omitted\":" + std::to_string(d.files_omitted);
    out += ",\"peers\":" + peers_json(d.peers);
    out += ",\"peers_omitted\":" + std::to_string(d.peers_omitted);
    out += ",\"trackers\":" + trackers_json(d.trackers);
    return out + "}";
}

std::string search_json(const std::vector<common::wire::SearchHit>& hits) {
    std::string out = "{\"ok\":true,\"hits\":[";
    for (std::size_t i = 0; i < hits.size() && i < kMaxSearchHits; ++i) {
        const auto& h = hits[i];
        out += (i ? ",{" : "{");
        out += "\"name\":" + json_str(h.name) + ",\"size\":" + std::to_string(h.size) +
               ",\"info_hash\":" + json_str(h.info_hash.hex()) +
               ",\"seeders\":" + std::to_string(h.seeders) +
               ",\"leechers\":" + std::to_string(h.leechers) + "}";
    }
    return out + "]}";
}

std::string log_json(const std::vector<std::string>& lines) {
    std::string out = "{\"lines\":[";
    for (std::size_t i = 0; i < lines.size(); ++i)
        out += (i ? "," : "") + json_str(lines[i]);
    return out + "]}";
}

std::string rates_json(const RateSamples& r) {
    std::string out = "{\"interval_ms\":" + std::to_string(r.interval_ms) + ",\"samples\":[";
    for (std::size_t i = 0; i < r.samples.size(); ++i)
        out += (i ? ",[" : "[") + std::to_string(r.samples[i].first) + "," +
               std::to_string(r.samples[i].second) + "]";
    return out + "]}";
}

void SyncHistory::update(State now) {
    const std::uint64_t next = rid_ + 1;
    bool changed = rid_ == 0;  // the first state gets a rid even when empty
    auto cur = current_.begin();
    auto in = now.begin();
    // One merge walk over the two sorted maps.
    while (cur != current_.end() || in != now.end()) {
        if (in == now.end() || (cur != current_.end() && cur->first < in->first)) {
            gone_.push_back(Gone{cur->first, cur->second.added, next});
            cur = current_.erase(cur);
            changed = true;
        } else if (cur == current_.end() || in->first < cur->first) {
            current_.emplace_hint(cur, in->first, Entry{std::move(in->second), next, next});
            ++in;
            changed = true;
        } else {
            if (cur->second.json != in->second) {
                cur->second.json = std::move(in->second);
                cur->second.changed = next;
                changed = true;
            }
            ++cur;
            ++in;
        }
    }
    while (gone_.size() > kMaxGone) {
        floor_ = gone_.front().removed;
        gone_.pop_front();
    }
    if (changed) rid_ = next;
}

SyncHistory::Diff SyncHistory::diff(std::uint64_t since) const {
    const bool full = since == 0 || since > rid_ || since < floor_;
    std::string out = "{\"rid\":" + std::to_string(rid_) +
                      ",\"full_update\":" + (full ? "true" : "false") + ",\"transfers\":{";
    bool first = true;
    bool changed = full;
    for (const auto& [id, e] : current_) {
        if (!full && e.changed <= since) continue;
        out += (first ? "" : ",") + json_str(id) + ":" + e.json;
        first = false;
        changed = true;
    }
    out += "},\"removed\":[";
    first = true;
    if (!full)
        for (const auto& g : gone_)
            // Known to the client (there at `since`), gone since, not back.
            if (g.added <= since && g.removed > since && !current_.count(g.id)) {
                out += (first ? "" : ",") + json_str(g.id);
                first = false;
                changed = true;
            }
    return Diff{rid_, changed, out + "]}"};
}

}  // namespace mt::client::web
