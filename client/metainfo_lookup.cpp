#include "client/metainfo_lookup.h"

#include <algorithm>

#include "client/command.h"
#include "common/hex.h"

namespace mt::client {

using common::Errc;
using common::make_error;

namespace {

common::Result<common::Metainfo> from_trackers(const common::InfoHash& ih, TrackerQuery& trackers) {
    auto bytes = trackers.metainfo(ih);
    if (!bytes) return bytes.error();
    auto m = common::parse_metainfo(*bytes);
    if (!m)
        return make_error(Errc::parse_error, "the tracker's metainfo for " + ih.hex() +
                                                 " is invalid: " + m.error().message);
    if (m->info_hash != ih)
        return make_error(Errc::parse_error, "the tracker sent a metainfo for " +
                                                 m->info_hash.hex() + " when asked for " +
                                                 ih.hex());
    if (m->multi_file())
        return make_error(Errc::unsupported,
                          m->name + " is a folder; downloading folders is not supported yet");
    return m;
}

}  // namespace

common::Result<common::Metainfo> lookup_metainfo(std::string_view query, TrackerQuery& trackers) {
    if (looks_like_info_hash(query)) {
        auto raw = common::from_hex(query);
        if (!raw) return raw.error();
        // The ut_metadata fallback goes here: when this fails with not_found
        // or a transport error, ask the swarm's peers.
        return from_trackers(common::InfoHash::from_bytes(*raw), trackers);
    }
    auto hits = trackers.search(query);
    if (!hits) return hits.error();
    std::vector<SearchHit> exact;
    for (auto& h : *hits)
        if (h.name == query) exact.push_back(std::move(h));
    if (exact.empty())
        return make_error(Errc::not_found, "no tracker knows a file named '" + std::string(query) +
                                               "' (try search)");
    std::stable_sort(exact.begin(), exact.end(),
                     [](const SearchHit& a, const SearchHit& b) { return a.seeders > b.seeders; });
    // The ut_metadata fallback also fits here, with exact[0].info_hash.
    return from_trackers(exact[0].info_hash, trackers);
}

}  // namespace mt::client
