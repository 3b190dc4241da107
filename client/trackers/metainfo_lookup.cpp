#include "client/trackers/metainfo_lookup.h"

#include <algorithm>

#include "client/trackers/metadata_fetch.h"
#include "common/hex.h"
#include "common/units.h"

namespace mt::client {

using common::cat;
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
    return m;
}

// The trackers first; when they have nothing, the swarm.
common::Result<common::Metainfo> from_trackers_or_swarm(const common::InfoHash& ih,
                                                        TrackerQuery& trackers,
                                                        const SwarmFallback* swarm) {
    auto m = from_trackers(ih, trackers);
    // When the trackers answered that they have none, or are unreachable
    // and another source (the DHT) names peers: unreachable trackers alone
    // would not name any peer either.
    if (m || !swarm || !swarm->log) return m;
    const bool trackers_have_none = m.error().code == Errc::not_found;
    std::vector<common::PeerAddress> direct;
    if (swarm->find_peers) direct = swarm->find_peers(ih);
    if (!trackers_have_none && direct.empty()) return m;
    swarm->log->info(cat("no tracker has the metainfo of ", ih.hex(), " (", m.error().message,
                         "); asking its peers (ut_metadata)",
                         direct.empty() ? "" : cat(", ", direct.size(), " from the DHT")));
    SwarmMetadataRequest req;
    req.info_hash = ih;
    req.direct = std::move(direct);
    req.trackers = swarm->trackers;
    req.peer_id = swarm->peer_id;
    req.listen_port = swarm->listen_port;
    req.listen_families = swarm->listen_families;
    req.timeout_ms = swarm->timeout_ms;
    req.cancel = swarm->cancel;
    auto got = fetch_metadata_from_swarm(req, *swarm->log);
    if (!got) {
        if (got.error().code == Errc::closed) return got.error();
        return make_error(Errc::not_found,
                          m.error().message + "; from the peers: " + got.error().message);
    }
    auto meta = common::metainfo_from_info(got->info, swarm->trackers);
    if (!meta)
        return make_error(Errc::parse_error, "the metadata from " + got->source +
                                                 " is not usable: " + meta.error().message);
    swarm->log->info(cat("metainfo of ", ih.hex(), " (", meta->name, ") from peer ", got->source));
    return meta;
}

}  // namespace

std::vector<SearchHit> exact_name_matches(std::vector<SearchHit> hits, std::string_view name) {
    std::vector<SearchHit> exact;
    for (auto& h : hits)
        if (h.name == name) exact.push_back(std::move(h));
    std::sort(exact.begin(), exact.end(),
              [](const SearchHit& a, const SearchHit& b) { return a.info_hash < b.info_hash; });
    exact.erase(std::unique(exact.begin(), exact.end(),
                            [](const SearchHit& a, const SearchHit& b) {
                                return a.info_hash == b.info_hash;
                            }),
                exact.end());
    return exact;
}

std::string ambiguous_text(std::string_view name, const std::vector<SearchHit>& matches) {
    std::string out =
        cat(name, " names ", matches.size(), " different files; get one by its info_hash:");
    for (std::size_t i = 0; i < matches.size(); ++i) {
        const auto& h = matches[i];
        out += cat(i ? ", " : " ", h.info_hash.hex(), " (", common::human_bytes(h.size), ", ",
                   common::plural(h.seeders, "seeder"), " as announced)");
    }
    return out;
}

common::Result<common::Metainfo> lookup_metainfo(std::string_view query, TrackerQuery& trackers,
                                                 const SwarmFallback* swarm,
                                                 std::vector<SearchHit>* ambiguous) {
    if (common::looks_like_info_hash(query)) {
        auto raw = common::from_hex(query);
        if (!raw) return raw.error();
        return from_trackers_or_swarm(common::InfoHash::from_bytes(*raw), trackers, swarm);
    }
    auto hits = trackers.search(query);
    if (!hits) return hits.error();
    std::vector<SearchHit> exact = exact_name_matches(std::move(hits).value(), query);
    if (exact.empty())
        return make_error(Errc::not_found, "no tracker knows a file named '" + std::string(query) +
                                               "' (try search)");
    if (exact.size() > 1) {
        std::string text = ambiguous_text(query, exact);
        if (ambiguous) *ambiguous = std::move(exact);
        return make_error(Errc::not_found, std::move(text));
    }
    return from_trackers_or_swarm(exact[0].info_hash, trackers, swarm);
}

}  // namespace mt::client
