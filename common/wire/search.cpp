#include "common/wire/search.h"

#include "common/bencode.h"
#include "common/log.h"

namespace mt::common::wire {

namespace bencode = common::bencode;

std::string encode_search_reply(const std::vector<SearchHit>& hits) {
    bencode::Item::List files;
    files.reserve(hits.size());
    for (const auto& h : hits) {
        bencode::Item::Dict d;
        d["name"] = h.name;
        d["size"] = static_cast<std::int64_t>(h.size);
        d["info_hash"] = std::string(h.info_hash.view());
        d["seeders"] = static_cast<std::int64_t>(h.seeders);
        d["leechers"] = static_cast<std::int64_t>(h.leechers);
        files.emplace_back(std::move(d));
    }
    bencode::Item::Dict top;
    top["files"] = std::move(files);
    return bencode::encode(top);
}

Result<std::vector<SearchHit>> decode_search_reply(std::string_view body) {
    bencode::Limits limits;
    limits.max_depth = 8;
    limits.max_tokens = 100000;
    auto v = bencode::decode(body, limits);
    if (!v) return make_error(Errc::parse_error, cat("search reply: ", v.error().message));
    if (!v->is_dict()) return make_error(Errc::parse_error, "search reply is not a dictionary");
    if (const auto* f = v->find("failure reason"); f && f->is_string())
        return make_error(Errc::refused, std::string(f->as_string()));
    const auto* files = v->find("files");
    if (!files || !files->is_list())
        return make_error(Errc::parse_error, "search reply has no list 'files'");
    std::vector<SearchHit> hits;
    for (const auto& f : files->items()) {
        const auto* name = f.find("name");
        const auto* size = f.find("size");
        const auto* ih = f.find("info_hash");
        const auto* seeders = f.find("seeders");
        const auto* leechers = f.find("leechers");
        if (!f.is_dict() || !name || !name->is_string() || !size || !size->is_int() || !ih ||
            !ih->is_string() || ih->as_string().size() != 20 || !seeders || !seeders->is_int() ||
            !leechers || !leechers->is_int() || size->as_int() < 0 || seeders->as_int() < 0 ||
            leechers->as_int() < 0)
            return make_error(Errc::parse_error, "search reply has a malformed entry");
        SearchHit h;
        h.name = std::string(name->as_string());
        h.size = static_cast<std::uint64_t>(size->as_int());
        h.info_hash = InfoHash::from_bytes(ih->as_string());
        h.seeders = static_cast<std::uint64_t>(seeders->as_int());
        h.leechers = static_cast<std::uint64_t>(leechers->as_int());
        hits.push_back(std::move(h));
    }
    return hits;
}

}  // namespace mt::common::wire
