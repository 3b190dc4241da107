#include "client/web/web_json.h"

#include <cstdio>

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

SyncHistory::Diff SyncHistory::diff(std::uint64_t since, State now) {
    if (states_.empty() || states_.back().second != now) {
        states_.emplace_back(next_rid_++, std::move(now));
        if (states_.size() > kKeep) states_.pop_front();
    }
    const auto& [rid, cur] = states_.back();
    const State* old = nullptr;
    for (const auto& [r, st] : states_)
        if (r == since && since != 0) old = &st;
    std::string out = "{\"rid\":" + std::to_string(rid) +
                      ",\"full_update\":" + (old ? "false" : "true") + ",\"transfers\":{";
    bool first = true;
    bool changed = !old;
    for (const auto& [id, obj] : cur) {
        if (old) {
            const auto it = old->find(id);
            if (it != old->end() && it->second == obj) continue;
        }
        out += (first ? "" : ",") + json_str(id) + ":" + obj;
        first = false;
        changed = true;
    }
    out += "},\"removed\":[";
    first = true;
    if (old)
        for (const auto& [id, obj] : *old)
            if (!cur.count(id)) {
                out += (first ? "" : ",") + json_str(id);
                first = false;
                changed = true;
            }
    return Diff{rid, changed, out + "]}"};
}

}  // namespace mt::client::web
