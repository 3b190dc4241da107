#include "tracker/pair_metainfo.h"

#include "common/bencode.h"
#include "common/metainfo.h"
#include "common/tracker_url.h"

namespace mt::tracker {

namespace bencode = common::bencode;

std::array<std::string, 2> PairTrackers::urls() const {
    return {"http://" + endpoints[0].to_string() + "/announce",
            "http://" + endpoints[1].to_string() + "/announce"};
}

namespace {

bool names_pair(std::string_view url, const PairTrackers& pair) {
    auto u = common::parse_tracker_url(url);
    if (!u) return false;
    for (const auto& ep : pair.endpoints)
        if (u->host == ep.host && u->port == ep.port) return true;
    return false;
}

// True when announce and every announce-list URL (at least one) name the pair.
bool announces_to_pair(const bencode::Value& top, const PairTrackers& pair) {
    const bencode::Value* a = top.find("announce");
    const bencode::Value* list = top.find("announce-list");
    if (!a && !list) return false;
    if (a && (!a->is_string() || !names_pair(a->as_string(), pair))) return false;
    if (list) {
        if (!list->is_list()) return false;
        for (const auto& tier : list->items()) {
            if (!tier.is_list()) return false;
            for (const auto& url : tier.items())
                if (!url.is_string() || !names_pair(url.as_string(), pair)) return false;
        }
    }
    return true;
}

}  // namespace

common::Result<std::string> pair_metainfo(std::string_view published, const PairTrackers& pair) {
    // Leniently, as common::parse_metainfo accepts it (keys out of order, a
    // newline after the end): the info bytes are kept as they are, the rest
    // is re-encoded canonically.
    bencode::Limits limits;
    limits.max_string_length = common::kMaxMetainfoSize;
    limits.canonical = false;
    auto top = bencode::decode(published, limits);
    if (!top) return top.error();
    if (!top->is_dict())
        return common::make_error(common::Errc::parse_error, "metainfo is not a dictionary");
    bencode::Item::Dict out;
    for (const char* key : {"info", "comment", "created by", "creation date"})
        if (const bencode::Value* v = top->find(key))
            out[key] = bencode::Item::Raw{std::string(v->raw())};
    if (announces_to_pair(*top, pair)) {
        for (const char* key : {"announce", "announce-list"})
            if (const bencode::Value* v = top->find(key))
                out[key] = bencode::Item::Raw{std::string(v->raw())};
    } else {
        const auto urls = pair.urls();
        out["announce"] = urls[0];
        // One tier of both URLs. Not List{List{...}}: for a braced list whose
        // one element is a List, clang takes the copy constructor where g++
        // takes the initializer_list (the tier), and clang's tracker served
        // "announce-list": [url, url], which no client parses.
        bencode::Item::List tiers;
        tiers.emplace_back(bencode::Item::List{urls[0], urls[1]});
        out["announce-list"] = std::move(tiers);
    }
    return bencode::encode(out);
}

}  // namespace mt::tracker
