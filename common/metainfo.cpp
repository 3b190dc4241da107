#include "common/metainfo.h"

#include <set>

#include "common/bencode.h"
#include "common/file_util.h"
#include "common/sha1.h"

namespace mt::common {

using bencode::Value;

std::uint64_t piece_count_for(std::uint64_t length, std::uint64_t piece_length) {
    return piece_length == 0 ? 0 : length / piece_length + (length % piece_length != 0);
}

std::string join_path(const std::vector<std::string>& segments) {
    std::string out;
    for (const auto& s : segments) {
        if (!out.empty()) out += '/';
        out += s;
    }
    return out;
}

std::uint64_t Metainfo::piece_size(std::size_t i) const {
    const std::uint64_t start = static_cast<std::uint64_t>(i) * piece_length;
    if (start >= length) return 0;
    return std::min(piece_length, length - start);
}

std::vector<std::string> Metainfo::trackers() const {
    std::vector<std::string> out;
    for (const auto& tier : announce_list)
        for (const auto& url : tier)
            out.push_back(url);
    if (out.empty() && !announce.empty()) out.push_back(announce);
    return out;
}

Status check_path_segment(std::string_view s, std::string_view what) {
    auto bad = [&](const char* why) {
        return make_error(Errc::invalid_argument,
                          "metainfo: " + std::string(what) + " '" + std::string(s) + "' " + why);
    };
    if (s.empty())
        return make_error(Errc::invalid_argument, "metainfo: " + std::string(what) + " is empty");
    if (s.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
    if (s.find('/') != std::string_view::npos) return bad("contains '/' (a path, not a name)");
    if (s == "." || s == "..") return bad("is a relative directory reference");
    return {};
}

namespace {

Error field_error(const std::string& field, const std::string& why) {
    return make_error(Errc::invalid_argument, "metainfo: " + field + " " + why);
}

// Looks up `key`, checking its type; nullptr with *err set when the type is
// wrong, nullptr with *err untouched when the key is absent.
const Value* get(const Value& dict, std::string_view key, Value::Type type,
                 const std::string& field, Error* err) {
    const Value* v = dict.find(key);
    if (v == nullptr) return nullptr;
    if (v->type() != type) {
        *err = field_error(field, std::string("must be ") + bencode::type_name(type) + ", found " +
                                      bencode::type_name(v->type()));
        return nullptr;
    }
    return v;
}

class MetainfoParser {
  public:
    Result<Metainfo> parse(std::string_view bytes) {
        if (bytes.size() > kMaxMetainfoSize)
            return make_error(Errc::limit_exceeded, "metainfo: " + std::to_string(bytes.size()) +
                                                        " bytes, over the limit of " +
                                                        std::to_string(kMaxMetainfoSize));
        // What other clients open (keys out of order, white space after
        // the end: Limits::canonical), in one pass that says whether the
        // file was canonical.
        bencode::Limits limits;
        limits.max_string_length = kMaxMetainfoSize;
        limits.canonical = false;
        bool relaxed = false;
        auto root = bencode::decode(bytes, limits, &relaxed);
        m_.canonical = !relaxed;
        if (!root)
            return make_error(Errc::parse_error, "metainfo: " + root.error().message,
                              root.error().offset);
        if (!root->is_dict()) return field_error("top level", "must be a dictionary");
        if (!top_level(*root)) return err_;
        const Value* info = root->find("info");
        if (info == nullptr) return field_error("info", "is missing");
        if (!info->is_dict()) return field_error("info", "must be a dictionary");
        if (!info_dict(*info)) return err_;
        m_.info_bytes = std::string(info->raw());
        m_.info_hash = InfoHash{Sha1::digest(info->raw())};
        return std::move(m_);
    }

  private:
    bool fail(Error e) {
        err_ = std::move(e);
        return false;
    }

    // An optional top-level field of the wrong type is ignored, as libtorrent
    // and Transmission ignore it (the file is then not re-encoded as it was).
    const Value* optional(const Value& d, std::string_view key, Value::Type type) {
        const Value* v = d.find(key);
        if (v == nullptr) return nullptr;
        if (v->type() == type) return v;
        m_.canonical = false;
        return nullptr;
    }

    void string_field(const Value& d, std::string_view key, std::string& out) {
        if (const Value* v = optional(d, key, Value::Type::string))
            out = std::string(v->as_string());
    }

    bool top_level(const Value& root) {
        static const std::set<std::string_view> known = {"announce",   "announce-list", "comment",
                                                         "created by", "creation date", "info"};
        string_field(root, "announce", m_.announce);
        string_field(root, "comment", m_.comment);
        string_field(root, "created by", m_.created_by);
        if (const Value* v = optional(root, "creation date", Value::Type::integer))
            m_.creation_date = v->as_int();
        if (const Value* al = optional(root, "announce-list", Value::Type::list)) {
            // As libtorrent does: a tier that is not a list, and anything in
            // a tier that is not a URL string, is skipped; an empty tier is
            // dropped. What is left (maybe nothing: then `announce`) is used.
            for (const Value& tier : al->items()) {
                std::vector<std::string> urls;
                if (tier.is_list()) {
                    for (const Value& u : tier.items()) {
                        if (u.is_string() && !u.as_string().empty())
                            urls.emplace_back(u.as_string());
                        else
                            m_.canonical = false;
                    }
                }
                if (urls.empty())
                    m_.canonical = false;
                else
                    m_.announce_list.push_back(std::move(urls));
            }
        }
        if (!err_.message.empty()) return false;
        // Everything not modelled by a field is kept verbatim in `extra`, including
        // known keys with empty values (which the fields cannot tell from absent),
        // so that encode_metainfo() gives back the exact input.
        for (std::size_t i = 0; i < root.keys().size(); ++i) {
            const std::string_view key = root.keys()[i];
            const std::string_view raw = root.items()[i].raw();
            const bool empty = raw == "0:" || raw == "le" || raw == "i0e";
            if (!known.count(key) || (key != "info" && empty))
                m_.extra.emplace(std::string(key), std::string(raw));
        }
        return true;
    }

    bool info_dict(const Value& info) {
        const Value* name = get(info, "name", Value::Type::string, "info.name", &err_);
        if (!err_.message.empty()) return false;
        if (name == nullptr) return fail(field_error("info.name", "is missing"));
        m_.name = std::string(name->as_string());
        if (auto s = check_path_segment(m_.name, "info.name"); !s) return fail(s.error());

        const Value* pl =
            get(info, "piece length", Value::Type::integer, "info.piece length", &err_);
        if (!err_.message.empty()) return false;
        if (pl == nullptr) return fail(field_error("info.piece length", "is missing"));
        if (pl->as_int() <= 0 || static_cast<std::uint64_t>(pl->as_int()) > kMaxPieceLength)
            return fail(field_error("info.piece length", std::to_string(pl->as_int()) +
                                                             " is not between 1 and " +
                                                             std::to_string(kMaxPieceLength)));
        m_.piece_length = static_cast<std::uint64_t>(pl->as_int());

        // BEP 27 says 1; any other non-zero integer is taken as private too
        // (the safe reading), anything else as not (libtorrent reads both so).
        if (const Value* p = info.find("private"); p && p->is_int())
            m_.is_private = p->as_int() != 0;

        const Value* length = get(info, "length", Value::Type::integer, "info.length", &err_);
        if (!err_.message.empty()) return false;
        const Value* files = get(info, "files", Value::Type::list, "info.files", &err_);
        if (!err_.message.empty()) return false;
        if (length && files) return fail(field_error("info", "has both 'length' and 'files'"));
        if (!length && !files && info.find("file tree") != nullptr)
            return fail(make_error(Errc::invalid_argument,
                                   "metainfo: v2-only torrents are not supported (BEP 52: "
                                   "info has a 'file tree' but no v1 'length' or 'files')"));
        if (!length && !files) return fail(field_error("info", "has neither 'length' nor 'files'"));
        if (length) {
            if (length->as_int() < 0) return fail(field_error("info.length", "is negative"));
            m_.length = static_cast<std::uint64_t>(length->as_int());
        } else if (!file_list(*files)) {
            return false;
        }
        if (m_.length == 0)
            return fail(field_error("info.length", "is 0: an empty torrent has nothing to share"));
        if (m_.length > kMaxTotalLength)
            return fail(field_error("info.length",
                                    "is over the limit of " + std::to_string(kMaxTotalLength)));

        const Value* pieces = get(info, "pieces", Value::Type::string, "info.pieces", &err_);
        if (!err_.message.empty()) return false;
        if (pieces == nullptr) return fail(field_error("info.pieces", "is missing"));
        if (pieces->as_string().size() % 20 != 0)
            return fail(field_error("info.pieces", "is " +
                                                       std::to_string(pieces->as_string().size()) +
                                                       " bytes, not a multiple of 20"));
        const std::uint64_t want = piece_count_for(m_.length, m_.piece_length);
        const std::uint64_t have = pieces->as_string().size() / 20;
        if (want != have)
            return fail(field_error("info.pieces", "holds " + std::to_string(have) +
                                                       " hashes but " + std::to_string(m_.length) +
                                                       " bytes in pieces of " +
                                                       std::to_string(m_.piece_length) + " need " +
                                                       std::to_string(want)));
        if (want > (1ull << 31))
            return fail(
                field_error("info.pieces", "has more pieces than the peer wire can number"));
        m_.pieces = std::string(pieces->as_string());
        return true;
    }

    bool file_list(const Value& files) {
        if (files.items().empty()) return fail(field_error("info.files", "is empty"));
        for (std::size_t i = 0; i < files.items().size(); ++i) {
            const Value& f = files.items()[i];
            const std::string where = "info.files[" + std::to_string(i) + "]";
            if (!f.is_dict()) return fail(field_error(where, "must be a dictionary"));
            const Value* len = get(f, "length", Value::Type::integer, where + ".length", &err_);
            if (!err_.message.empty()) return false;
            if (len == nullptr) return fail(field_error(where + ".length", "is missing"));
            if (len->as_int() < 0) return fail(field_error(where + ".length", "is negative"));
            const Value* path = get(f, "path", Value::Type::list, where + ".path", &err_);
            if (!err_.message.empty()) return false;
            if (path == nullptr) return fail(field_error(where + ".path", "is missing"));
            if (path->items().empty()) return fail(field_error(where + ".path", "is empty"));
            MetainfoFile mf;
            mf.length = static_cast<std::uint64_t>(len->as_int());
            // Segments are kept as the publisher wrote them: what is unsafe
            // on disk ('..', '/', control characters, duplicates...) is
            // repaired where paths are built (client/engine/file_layout.h).
            for (const Value& seg : path->items()) {
                if (!seg.is_string())
                    return fail(field_error(where + ".path", "holds a non-string segment"));
                mf.path.emplace_back(seg.as_string());
            }
            if (const Value* attr = f.find("attr"); attr && attr->is_string())
                mf.padding = attr->as_string().find('p') != std::string_view::npos;
            if (mf.length > kMaxTotalLength - m_.length)
                return fail(field_error("info.files", "total length is over the limit"));
            m_.length += mf.length;
            m_.files.push_back(std::move(mf));
        }
        return true;
    }

    Metainfo m_;
    Error err_;
};

}  // namespace

Result<Metainfo> parse_metainfo(std::string_view bytes) {
    return MetainfoParser().parse(bytes);
}

Result<Metainfo> load_metainfo(const std::string& path) {
    auto data = read_file(path, kMaxMetainfoSize);
    if (!data) return data.error();
    auto m = parse_metainfo(*data);
    if (!m) return make_error(m.error().code, path + ": " + m.error().message, m.error().offset);
    return m;
}

std::string encode_metainfo(const Metainfo& m) {
    bencode::Item::Dict top;
    if (!m.announce.empty()) top["announce"] = m.announce;
    if (!m.announce_list.empty()) {
        bencode::Item::List tiers;
        for (const auto& tier : m.announce_list) {
            bencode::Item::List urls;
            for (const auto& u : tier)
                urls.emplace_back(u);
            tiers.emplace_back(std::move(urls));
        }
        top["announce-list"] = std::move(tiers);
    }
    if (!m.comment.empty()) top["comment"] = m.comment;
    if (!m.created_by.empty()) top["created by"] = m.created_by;
    if (m.creation_date != 0) top["creation date"] = m.creation_date;
    for (const auto& [k, raw] : m.extra)
        top[k] = bencode::Item::Raw{raw};
    top["info"] = bencode::Item::Raw{m.info_bytes};
    return bencode::encode(top);
}

Result<Metainfo> metainfo_from_info(std::string_view info_bytes,
                                    const std::vector<std::string>& trackers) {
    // The top level is built around the info bytes as they are and parsed
    // back, so the fetched dictionary goes through every check a .mtorrent
    // file does; the bencode of `info` must stand alone for that.
    bencode::Limits limits;
    limits.max_string_length = kMaxMetainfoSize;
    limits.canonical = false;  // the info_hash vouches for these bytes, whatever their order
    auto info = bencode::decode(info_bytes, limits);
    if (!info)
        return make_error(Errc::invalid_argument, "metainfo: info: " + info.error().message,
                          info.error().offset);
    if (!info->is_dict()) return field_error("info", "must be a dictionary");
    if (info->raw().size() != info_bytes.size())
        return make_error(Errc::invalid_argument,
                          "metainfo: info: bytes after the dictionary at offset " +
                              std::to_string(info->raw().size()),
                          info->raw().size());
    bencode::Item::Dict top;
    if (!trackers.empty()) {
        bencode::Item::List tier;
        for (const auto& url : trackers) {
            if (url.empty()) return field_error("announce-list", "holds an empty tracker URL");
            tier.emplace_back(url);
        }
        top["announce"] = trackers.front();
        top["announce-list"] = bencode::Item::List{bencode::Item(std::move(tier))};
    }
    top["info"] = bencode::Item::Raw{std::string(info_bytes)};
    return parse_metainfo(bencode::encode(top));
}

namespace {

// The top level and the info keys both kinds of torrent share; the caller
// adds `length` or `files` to *info, then seal() encodes it.
Metainfo start_metainfo(std::string name, std::uint64_t piece_length, std::string pieces,
                        const std::vector<std::string>& trackers, std::int64_t creation_date,
                        std::string created_by, bencode::Item::Dict* info) {
    Metainfo m;
    if (!trackers.empty()) {
        m.announce = trackers.front();
        m.announce_list.push_back(trackers);
    }
    m.created_by = std::move(created_by);
    m.creation_date = creation_date;
    m.name = std::move(name);
    m.piece_length = piece_length;
    m.pieces = std::move(pieces);
    (*info)["name"] = m.name;
    (*info)["piece length"] = static_cast<std::int64_t>(piece_length);
    (*info)["pieces"] = m.pieces;
    return m;
}

void seal(Metainfo& m, const bencode::Item::Dict& info) {
    m.info_bytes = bencode::encode(info);
    m.info_hash = InfoHash{Sha1::digest(m.info_bytes)};
}

}  // namespace

Metainfo make_single_file_metainfo(std::string name, std::uint64_t length,
                                   std::uint64_t piece_length, std::string pieces,
                                   const std::vector<std::string>& trackers,
                                   std::int64_t creation_date, std::string created_by) {
    bencode::Item::Dict info;
    Metainfo m = start_metainfo(std::move(name), piece_length, std::move(pieces), trackers,
                                creation_date, std::move(created_by), &info);
    m.length = length;
    info["length"] = static_cast<std::int64_t>(length);
    seal(m, info);
    return m;
}

Metainfo make_multi_file_metainfo(std::string name, std::vector<MetainfoFile> files,
                                  std::uint64_t piece_length, std::string pieces,
                                  const std::vector<std::string>& trackers,
                                  std::int64_t creation_date, std::string created_by) {
    bencode::Item::Dict info;
    Metainfo m = start_metainfo(std::move(name), piece_length, std::move(pieces), trackers,
                                creation_date, std::move(created_by), &info);
    bencode::Item::List list;
    for (const auto& f : files) {
        bencode::Item::List path;
        for (const auto& seg : f.path)
            path.emplace_back(seg);
        bencode::Item::Dict entry;
        entry["length"] = static_cast<std::int64_t>(f.length);
        entry["path"] = std::move(path);
        list.emplace_back(std::move(entry));
        m.length += f.length;
    }
    info["files"] = std::move(list);
    m.files = std::move(files);
    seal(m, info);
    return m;
}

std::vector<DhtNode> dht_nodes(const Metainfo& m) {
    std::vector<DhtNode> out;
    auto it = m.extra.find("nodes");
    if (it == m.extra.end()) return out;
    bencode::Limits limits;
    limits.max_depth = 3;
    limits.max_tokens = 1000;
    limits.canonical = false;
    auto v = bencode::decode(it->second, limits);
    if (!v || !v->is_list()) return out;
    for (const auto& e : v->items()) {
        if (out.size() >= 64) break;
        if (!e.is_list() || e.items().size() != 2 || !e.items()[0].is_string() ||
            !e.items()[1].is_int())
            continue;
        const std::string_view host = e.items()[0].as_string();
        const std::int64_t port = e.items()[1].as_int();
        if (host.empty() || host.size() > 255 || port < 1 || port > 65535) continue;
        out.push_back({std::string(host), static_cast<std::uint16_t>(port)});
    }
    return out;
}

void set_dht_nodes(Metainfo& m, const std::vector<DhtNode>& nodes) {
    if (nodes.empty()) {
        m.extra.erase("nodes");
        return;
    }
    bencode::Item::List list;
    for (const auto& n : nodes)
        list.emplace_back(bencode::Item::List{n.host, std::int64_t{n.port}});
    m.extra["nodes"] = bencode::encode(bencode::Item(std::move(list)));
}

}  // namespace mt::common
