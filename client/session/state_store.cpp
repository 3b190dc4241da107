#include "client/session/state_store.h"

#include <cstdio>
#include <ctime>

#include "common/bencode.h"
#include "common/byte_io.h"
#include "common/crc32c.h"
#include "common/file_util.h"

namespace mt::client {

using common::Errc;
using common::make_error;
namespace bencode = common::bencode;

namespace {

constexpr std::string_view kMagic = "MTSESS01";
constexpr std::size_t kHeader = 16;

const char* kind_name(SavedTransfer::Kind k) {
    return k == SavedTransfer::Kind::share ? "share" : "download";
}

common::Error bad(const std::string& why) {
    return make_error(Errc::parse_error, "session state: " + why);
}

// Field readers for one dictionary; `what` names it in errors.
struct Fields {
    const bencode::Value& dict;
    std::string what;

    common::Result<const bencode::Value*> get(std::string_view key,
                                              bencode::Value::Type type) const {
        const bencode::Value* v = dict.find(key);
        if (!v) return bad(what + " has no '" + std::string(key) + "'");
        if (v->type() != type)
            return bad(what + " '" + std::string(key) + "' is a " + bencode::type_name(v->type()) +
                       ", expected a " + bencode::type_name(type));
        return v;
    }
    common::Status str(std::string_view key, std::string& out) const {
        auto v = get(key, bencode::Value::Type::string);
        if (!v) return v.error();
        out = std::string((*v)->as_string());
        return {};
    }
    common::Status integer(std::string_view key, std::int64_t& out) const {
        auto v = get(key, bencode::Value::Type::integer);
        if (!v) return v.error();
        out = (*v)->as_int();
        return {};
    }
};

#define MT_TRY(expr)                 \
    do {                             \
        if (auto s_ = (expr); !s_) { \
            return s_.error();       \
        }                            \
    } while (0)

// The optional no_dht and no_pex flags (0 or 1).
common::Status decode_sources(const Fields& f, PeerSources& out) {
    for (const auto& [key, on] : {std::pair{"no_dht", &out.dht}, std::pair{"no_pex", &out.pex}}) {
        std::int64_t off = 0;
        if (f.dict.find(key) != nullptr) MT_TRY(f.integer(key, off));
        if (off != 0 && off != 1) return bad(f.what + " '" + std::string(key) + "' is not 0 or 1");
        *on = off == 0;
    }
    return {};
}

void encode_sources(const PeerSources& s, bencode::Item::Dict& d) {
    if (!s.dht) d["no_dht"] = 1;
    if (!s.pex) d["no_pex"] = 1;
}

common::Result<SavedTransfer> decode_transfer(const bencode::Value& v, std::size_t i) {
    if (!v.is_dict()) return bad("transfer " + std::to_string(i) + " is not a dictionary");
    Fields f{v, "transfer " + std::to_string(i)};
    SavedTransfer t;
    std::string kind, hash;
    std::int64_t complete = 0, size = 0, mtime = 0;
    MT_TRY(f.str("kind", kind));
    MT_TRY(f.str("label", t.label));
    MT_TRY(f.str("mtorrent", t.mtorrent_path));
    MT_TRY(f.str("data", t.data_path));
    MT_TRY(f.str("info_hash", hash));
    MT_TRY(f.integer("size", size));
    MT_TRY(f.integer("mtime_ns", mtime));
    MT_TRY(f.integer("complete", complete));
    MT_TRY(f.str("watch", t.watch_dir));
    if (v.find("files") != nullptr) {
        std::string files;
        MT_TRY(f.str("files", files));
        if (files.find_first_not_of("01") != std::string::npos)
            return bad(f.what + " 'files' is not a string of 0 and 1");
        for (char ch : files)
            t.selected.push_back(ch == '1');
    }
    MT_TRY(decode_sources(f, t.sources));
    std::int64_t paused = 0, uploaded = 0, adopted = 0;
    if (v.find("paused") != nullptr) MT_TRY(f.integer("paused", paused));
    if (v.find("uploaded") != nullptr) MT_TRY(f.integer("uploaded", uploaded));
    if (v.find("adopted") != nullptr) MT_TRY(f.integer("adopted", adopted));
    if (paused != 0 && paused != 1) return bad(f.what + " 'paused' is not 0 or 1");
    if (adopted != 0 && adopted != 1) return bad(f.what + " 'adopted' is not 0 or 1");
    if (uploaded < 0) return bad(f.what + " has a negative 'uploaded'");
    t.paused = paused == 1;
    t.adopted = adopted == 1;
    t.uploaded = static_cast<std::uint64_t>(uploaded);
    if (kind == "share")
        t.kind = SavedTransfer::Kind::share;
    else if (kind == "download")
        t.kind = SavedTransfer::Kind::download;
    else
        return bad(f.what + " has unknown kind '" + kind + "'");
    if (hash.size() != 20) return bad(f.what + " info_hash is not 20 bytes");
    if (size < 0) return bad(f.what + " has a negative size");
    if (complete != 0 && complete != 1) return bad(f.what + " 'complete' is not 0 or 1");
    if (t.data_path.empty() || t.label.empty()) return bad(f.what + " has an empty path or label");
    t.info_hash = common::InfoHash::from_bytes(hash);
    t.size = static_cast<std::uint64_t>(size);
    t.mtime_ns = mtime;
    t.complete = complete == 1;
    return t;
}

}  // namespace

std::string encode_state(const SessionState& state) {
    bencode::Item::List transfers, lookups, watched;
    for (const auto& t : state.transfers) {
        bencode::Item::Dict d;
        d["complete"] = t.complete ? 1 : 0;
        d["data"] = t.data_path;
        d["info_hash"] = std::string(t.info_hash.view());
        d["kind"] = kind_name(t.kind);
        d["label"] = t.label;
        d["mtime_ns"] = t.mtime_ns;
        d["mtorrent"] = t.mtorrent_path;
        d["size"] = static_cast<std::int64_t>(t.size);
        d["watch"] = t.watch_dir;
        if (t.paused) d["paused"] = 1;
        if (t.adopted) d["adopted"] = 1;
        if (t.uploaded) d["uploaded"] = static_cast<std::int64_t>(t.uploaded);
        encode_sources(t.sources, d);
        if (!t.selected.empty()) {
            std::string files;
            for (bool b : t.selected)
                files += b ? '1' : '0';
            d["files"] = files;
        }
        transfers.emplace_back(std::move(d));
    }
    for (const auto& l : state.lookups) {
        bencode::Item::Dict d;
        d["dest"] = l.dest;
        d["query"] = l.query;
        encode_sources(l.sources, d);
        lookups.emplace_back(std::move(d));
    }
    for (const auto& w : state.watched)
        watched.emplace_back(w);
    bencode::Item::Dict top;
    if (state.limit_up || state.limit_down) {
        bencode::Item::Dict limits;
        limits["down"] = static_cast<std::int64_t>(state.limit_down);
        limits["up"] = static_cast<std::int64_t>(state.limit_up);
        top["limits"] = std::move(limits);
    }
    top["lookups"] = std::move(lookups);
    top["transfers"] = std::move(transfers);
    top["watched"] = std::move(watched);
    const std::string payload = bencode::encode(top);

    std::string out(kMagic);
    common::append_u32(out, kStateVersion);
    common::append_u32(out, static_cast<std::uint32_t>(payload.size()));
    out += payload;
    common::append_u32(out, common::crc32c(out));
    return out;
}

common::Result<SessionState> decode_state(std::string_view bytes) {
    if (bytes.size() < kHeader + 4)
        return bad("file too short (" + std::to_string(bytes.size()) + " bytes)");
    if (bytes.substr(0, 8) != kMagic) return bad("not a session state file (wrong magic)");
    const std::uint32_t version = common::read_u32(bytes.data() + 8);
    if (version != kStateVersion) return bad("unsupported version " + std::to_string(version));
    const std::uint64_t n = common::read_u32(bytes.data() + 12);
    if (n > kMaxStateBytes || kHeader + n + 4 != bytes.size())
        return bad("payload length " + std::to_string(n) + " does not match the file size " +
                   std::to_string(bytes.size()));
    const std::size_t end = kHeader + static_cast<std::size_t>(n);
    if (common::crc32c(bytes.substr(0, end)) != common::read_u32(bytes.data() + end))
        return bad("checksum mismatch (damaged)");
    auto top = bencode::decode(bytes.substr(kHeader, end - kHeader));
    if (!top) return bad(top.error().message);
    if (!top->is_dict()) return bad("payload is not a dictionary");
    Fields f{*top, "payload"};
    SessionState s;
    auto transfers = f.get("transfers", bencode::Value::Type::list);
    if (!transfers) return transfers.error();
    for (std::size_t i = 0; i < (*transfers)->items().size(); ++i) {
        auto t = decode_transfer((*transfers)->items()[i], i);
        if (!t) return t.error();
        s.transfers.push_back(std::move(t).value());
    }
    if (top->find("limits") != nullptr) {
        auto limits = f.get("limits", bencode::Value::Type::dict);
        if (!limits) return limits.error();
        Fields lf{**limits, "limits"};
        std::int64_t up = 0, down = 0;
        MT_TRY(lf.integer("up", up));
        MT_TRY(lf.integer("down", down));
        if (up < 0 || down < 0) return bad("a negative rate limit");
        s.limit_up = static_cast<std::uint64_t>(up);
        s.limit_down = static_cast<std::uint64_t>(down);
    }
    auto lookups = f.get("lookups", bencode::Value::Type::list);
    if (!lookups) return lookups.error();
    for (std::size_t i = 0; i < (*lookups)->items().size(); ++i) {
        const auto& v = (*lookups)->items()[i];
        if (!v.is_dict()) return bad("lookup " + std::to_string(i) + " is not a dictionary");
        Fields lf{v, "lookup " + std::to_string(i)};
        SavedLookup l;
        MT_TRY(lf.str("query", l.query));
        MT_TRY(lf.str("dest", l.dest));
        MT_TRY(decode_sources(lf, l.sources));
        s.lookups.push_back(std::move(l));
    }
    auto watched = f.get("watched", bencode::Value::Type::list);
    if (!watched) return watched.error();
    for (const auto& w : (*watched)->items()) {
        if (!w.is_string()) return bad("a watched folder is not a string");
        s.watched.emplace_back(w.as_string());
    }
    return s;
}

LoadedState load_state(const std::string& path) {
    LoadedState out;
    auto bytes = common::read_file(path, kMaxStateBytes + 64);
    if (!bytes && bytes.error().code == Errc::not_found) return out;
    common::Result<SessionState> s =
        bytes ? decode_state(*bytes) : common::Result<SessionState>(bytes.error());
    if (s) {
        out.state = std::move(s).value();
        return out;
    }
    const std::string aside = path + ".corrupt-" + std::to_string(std::time(nullptr));
    if (std::rename(path.c_str(), aside.c_str()) == 0)
        out.problem = s.error().message + "; moved to " + aside + ", starting with no state";
    else
        out.problem = s.error().message + "; could not move it aside, starting with no state";
    return out;
}

common::Status save_state(const std::string& path, const SessionState& state) {
    return common::write_file_atomic(path, encode_state(state));
}

}  // namespace mt::client
