#include "client/web/transmission_rpc.h"

#include <algorithm>
#include <optional>

#include "client/web/rpc_fields.h"
#include "client/web/web_auth.h"
#include "client/web/web_json.h"
#include "common/magnet.h"
#include "common/metainfo.h"
#include "common/version.h"

namespace mt::client::web {

using common::JsonValue;
using common::wire::HttpRequest;
using Type = JsonValue::Type;

namespace {

bool is_hex40(std::string_view s) {
    if (s.size() != 40) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

WebResponse reply(int status, std::string body, const std::string& session_id) {
    WebResponse r{status, "application/json", std::move(body), {}};
    r.headers.push_back({TransmissionRpc::kSessionHeader, session_id});
    return r;
}

// {"result":...,"arguments":{...}[,"tag":N]}
std::string envelope(const std::string& result, const std::string& arguments,
                     const JsonValue* tag) {
    std::string out = "{\"result\":" + json_str(result) + ",\"arguments\":" + arguments;
    if (tag && tag->is(Type::number) && tag->integral)
        out += ",\"tag\":" + std::to_string(tag->integer);
    return out + "}";
}

// The bytes of RFC 4648 base64 text, line breaks and blanks ignored.
std::optional<std::string> decode_base64_text(std::string_view in) {
    std::string compact;
    for (char c : in)
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
    return base64_decode(compact);
}

bool selects_hash(const JsonValue& sel, const std::string& key, int id) {
    if (sel.is(Type::number)) return sel.integral && sel.integer == id;
    if (sel.is(Type::string)) return is_hex40(sel.string) && lower(sel.string) == key;
    return false;
}

}  // namespace

std::string rpc_key(const TransferView& v) {
    if (!v.info_hash.empty()) return lower(v.info_hash);
    if (is_hex40(v.label)) return lower(v.label);
    return "lookup:" + v.label;
}

bool TransmissionRpc::is_rpc_path(std::string_view path) {
    return path == "/transmission/rpc" || path == "/transmission/rpc/";
}

WebResponse TransmissionRpc::handle(const HttpRequest& req, std::int64_t now_ms) {
    if (req.method != "POST")
        return reply(405, envelope("the Transmission RPC takes POST requests", "{}", nullptr),
                     session_id_);
    const std::string* sid = req.find("x-transmission-session-id");
    if (session_id_.empty() || !sid || *sid != session_id_)
        return reply(409,
                     envelope("send the header " + std::string(kSessionHeader) + ": " + session_id_,
                              "{}", nullptr),
                     session_id_);
    auto body = common::parse_json(req.body);
    if (!body) return reply(400, envelope(body.error().message, "{}", nullptr), session_id_);
    const JsonValue* method = body->find("method");
    if (!method || !method->is(Type::string))
        return reply(400, envelope("the request names no method", "{}", nullptr), session_id_);
    JsonValue no_arguments;
    no_arguments.type = Type::object;
    const JsonValue* args = body->find("arguments");
    if (!args) args = &no_arguments;
    if (!args->is(Type::object))
        return reply(400, envelope("arguments must be an object", "{}", nullptr), session_id_);
    std::string result = "success";
    const std::string out = dispatch(method->string, *args, now_ms, result);
    return reply(200, envelope(result, out, body->find("tag")), session_id_);
}

std::string TransmissionRpc::dispatch(const std::string& method, const JsonValue& args,
                                      std::int64_t now_ms, std::string& result) {
    if (method == "session-get") return session_get();
    if (method == "session-stats") return session_stats(now_ms);
    if (method == "torrent-get") return torrent_get(args, now_ms);
    if (method == "torrent-add") return torrent_add(args, now_ms, result);
    CommandKind kind = CommandKind::empty;
    if (method == "torrent-verify") kind = CommandKind::verify;
    if (method == "torrent-start" || method == "torrent-start-now") kind = CommandKind::resume;
    if (method == "torrent-stop") kind = CommandKind::pause;
    if (method == "torrent-remove") kind = CommandKind::remove;
    if (kind == CommandKind::empty) {
        result = "method name not recognized: " + method;
        return "{}";
    }
    result = run_each(kind, args, now_ms);
    return "{}";
}

int TransmissionRpc::id_for(const std::string& key) {
    if (auto it = ids_.find(key); it != ids_.end()) return it->second;
    if (ids_.size() >= kMaxIds)
        std::erase_if(ids_, [this](const auto& kv) {
            return std::find(present_.begin(), present_.end(), kv.second) == present_.end();
        });
    ids_.emplace(key, next_id_);
    return next_id_++;
}

std::vector<TransmissionRpc::Item> TransmissionRpc::items(std::int64_t now_ms) {
    std::vector<Item> out;
    for (auto& v : backend_.views()) {
        const int id = id_for(rpc_key(v));
        out.push_back(Item{id, std::move(v)});
    }
    std::vector<int> now_present;
    for (const auto& it : out)
        now_present.push_back(it.id);
    for (int id : present_)
        if (std::find(now_present.begin(), now_present.end(), id) == now_present.end())
            removed_.emplace_back(id, now_ms);
    present_ = std::move(now_present);
    while (!removed_.empty() &&
           (removed_.size() > kMaxRemoved || removed_.front().second < now_ms - kRecentMs))
        removed_.pop_front();
    return out;
}

std::vector<TransmissionRpc::Item> TransmissionRpc::select(const JsonValue* ids,
                                                           std::int64_t now_ms) {
    std::vector<Item> all = items(now_ms);
    if (!ids) return all;
    std::vector<Item> out;
    for (auto& it : all) {
        const std::string key = rpc_key(it.view);
        bool pick = false;
        if (ids->is(Type::string) && ids->string == "recently-active")
            pick = it.view.state != 'P';
        else if (ids->is(Type::array))
            pick = std::any_of(ids->items.begin(), ids->items.end(),
                               [&](const JsonValue& s) { return selects_hash(s, key, it.id); });
        else
            pick = selects_hash(*ids, key, it.id);
        if (pick) out.push_back(std::move(it));
    }
    return out;
}

std::string TransmissionRpc::session_get() const {
    return std::string("{\"rpc-version\":17,\"rpc-version-minimum\":14,\"version\":") +
           json_str(std::string("mtorrent ") + common::kVersion) +
           ",\"download-dir\":" + json_str(backend_.download_dir()) +
           ",\"session-id\":" + json_str(session_id_) + "}";
}

std::string TransmissionRpc::session_stats(std::int64_t now_ms) {
    std::size_t active = 0, paused = 0;
    double down = 0, up = 0;
    std::uint64_t uploaded = 0, downloaded = 0;
    const auto all = items(now_ms);
    for (const auto& it : all) {
        const TorrentStats& s = it.view.stats;
        (it.view.state == 'P' ? paused : active) += 1;
        down += s.down_rate;
        up += s.up_rate;
        uploaded += s.uploaded;
        downloaded += s.downloaded;
    }
    const std::string totals = "{\"uploadedBytes\":" + std::to_string(uploaded) +
                               ",\"downloadedBytes\":" + std::to_string(downloaded) +
                               ",\"filesAdded\":" + std::to_string(all.size()) +
                               ",\"sessionCount\":1,\"secondsActive\":0}";
    return "{\"activeTorrentCount\":" + std::to_string(active) +
           ",\"pausedTorrentCount\":" + std::to_string(paused) +
           ",\"torrentCount\":" + std::to_string(all.size()) +
           ",\"downloadSpeed\":" + std::to_string(static_cast<std::uint64_t>(down)) +
           ",\"uploadSpeed\":" + std::to_string(static_cast<std::uint64_t>(up)) +
           ",\"current-stats\":" + totals + ",\"cumulative-stats\":" + totals + "}";
}

std::string TransmissionRpc::torrent_get(const JsonValue& args, std::int64_t now_ms) {
    std::vector<std::string> fields;
    if (const JsonValue* f = args.find("fields"); f && f->is(Type::array))
        for (const auto& name : f->items)
            if (name.is(Type::string) && fields.size() < 256) fields.push_back(name.string);
    if (fields.empty()) fields = rpc_list_fields();
    const JsonValue* ids = args.find("ids");
    std::string out = "{\"torrents\":[";
    bool first = true;
    for (const auto& it : select(ids, now_ms)) {
        out += first ? "{" : ",{";
        first = false;
        bool first_field = true;
        for (const auto& f : fields) {
            const std::string v = rpc_field(f, it.view, it.id, backend_.download_dir());
            if (v.empty()) continue;
            out += (first_field ? "" : ",") + json_str(f) + ":" + v;
            first_field = false;
        }
        out += "}";
    }
    out += "]";
    if (ids && ids->is(Type::string) && ids->string == "recently-active") {
        out += ",\"removed\":[";
        for (std::size_t i = 0; i < removed_.size(); ++i)
            out += (i ? "," : "") + std::to_string(removed_[i].first);
        out += "]";
    }
    return out + "}";
}

std::optional<std::string> TransmissionRpc::duplicate_of(const std::string& hash,
                                                         std::int64_t now_ms) {
    for (const auto& it : items(now_ms))
        if (rpc_key(it.view) == hash)
            return "{\"torrent-duplicate\":{\"id\":" + std::to_string(it.id) +
                   ",\"name\":" + json_str(it.view.name.empty() ? it.view.label : it.view.name) +
                   ",\"hashString\":" + json_str(hash) + "}}";
    return std::nullopt;
}

std::string TransmissionRpc::torrent_add(const JsonValue& args, std::int64_t now_ms,
                                         std::string& result) {
    auto fail = [&result](std::string why) {
        result = std::move(why);
        return std::string("{}");
    };
    const JsonValue* meta = args.find("metainfo");
    const JsonValue* file = args.find("filename");
    std::string hash, name;
    std::optional<std::string> bytes;
    if (meta && meta->is(Type::string)) {
        bytes = decode_base64_text(meta->string);
        if (!bytes) return fail("metainfo is not base64");
        auto m = common::parse_metainfo(*bytes);
        if (!m) return fail("invalid .mtorrent: " + m.error().message);
        hash = m->info_hash.hex();
        name = m->name;
    } else if (file && file->is(Type::string)) {
        auto link = common::parse_magnet_or_hash(file->string);
        if (!link)
            return fail(
                "filename must be a magnet link or an info_hash (send a .mtorrent's contents as "
                "metainfo): " +
                link.error().message);
        hash = link->info_hash.hex();
        name = link->name.empty() ? hash : link->name;
    } else {
        return fail("torrent-add needs metainfo or filename");
    }
    if (auto dup = duplicate_of(hash, now_ms)) return *dup;
    const Reply r = bytes ? backend_.add_metainfo(*bytes) : backend_.add_source(file->string);
    if (!r.ok) return fail(r.value + ": " + r.detail);
    return "{\"torrent-added\":{\"id\":" + std::to_string(id_for(hash)) +
           ",\"name\":" + json_str(name) + ",\"hashString\":" + json_str(hash) + "}}";
}

std::string TransmissionRpc::run_each(CommandKind kind, const JsonValue& args,
                                      std::int64_t now_ms) {
    bool delete_data = false;
    if (const JsonValue* d = args.find("delete-local-data"); d && d->is(Type::boolean))
        delete_data = d->boolean;
    std::string failures;
    for (const auto& it : select(args.find("ids"), now_ms)) {
        const std::string target = it.view.info_hash.empty() ? it.view.label : it.view.info_hash;
        std::vector<std::string> cmd_args{target};
        if (kind == CommandKind::remove)
            cmd_args.push_back(delete_data ? "--delete-data" : "--keep");
        const Reply r = backend_.run(kind, cmd_args);
        // Starting a running transfer or stopping a stopped one is no error
        // to Transmission.
        if (r.ok || r.value == "NOT_PAUSED" || r.value == "ALREADY_PAUSED") continue;
        failures += (failures.empty() ? "" : "; ") + std::to_string(it.id) + ": " + r.value + " " +
                    r.detail;
    }
    return failures.empty() ? "success" : failures;
}

}  // namespace mt::client::web
