// Finding the metainfo of a file `get` names by info_hash or by name instead
// of by a .mtorrent path. The one place the session asks for a metainfo it
// does not have.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "client/trackers/tracker_query.h"
#include "common/metainfo.h"
#include "common/net/socket.h"
#include "common/result.h"

namespace mt::client {

// `query` is 40 hex digits (an info_hash) or a file name as `search` shows it.
//  - info_hash: GET /metainfo on the trackers (with failover; both are asked
//    before giving up, replication may lag).
//  - name: GET /search?q=<name>, the hits whose name is exactly `query`;
//    with one file (one info_hash) its /metainfo. With several different
//    files of that name nothing is chosen (seeder counts are whatever the
//    announcers claimed, so they cannot pick the real one): Errc::not_found
//    and `*ambiguous` (if given) holds one hit per info_hash, so the session
//    answers AMBIGUOUS and lists them.
// The bytes are parsed and must hash to the info_hash asked for.
//
// Errors (Errc): not_found when no tracker has it (the session reports
// FAILURE:METAINFO_NOT_FOUND), parse_error when a tracker sent a metainfo
// that does not parse or does not match (INVALID_MTORRENT), unsupported for a
// multi-file torrent, and the transport error (timeout, refused, io_error)
// when no tracker answered (TRACKERS_UNREACHABLE).
//
// Peer fallback (`swarm` given): when the trackers answer that they have no
// metainfo for the info_hash (given, or from the search hit), the swarm is
// asked: an announce for peers, then BEP 9 ut_metadata from them
// (client/trackers/metadata_fetch.h); the info dictionary must hash to the info_hash,
// and the metainfo built around it lists `swarm->trackers`.
struct SwarmFallback {
    std::vector<std::string> trackers;  // announce URLs
    common::PeerId peer_id;
    std::uint16_t listen_port = 0;
    common::Families listen_families;
    int timeout_ms = 20000;
    const std::atomic<bool>* cancel = nullptr;
    common::Logger* log = nullptr;
    // More peers to ask (the session's DHT lookup); null: the trackers' only.
    std::function<std::vector<common::PeerAddress>(const common::InfoHash&)> find_peers;
};
common::Result<common::Metainfo> lookup_metainfo(std::string_view query, TrackerQuery& trackers,
                                                 const SwarmFallback* swarm = nullptr,
                                                 std::vector<SearchHit>* ambiguous = nullptr);

// The files named exactly `name` among search hits: one hit per info_hash,
// ordered by info_hash (never by seeders).
std::vector<SearchHit> exact_name_matches(std::vector<SearchHit> hits, std::string_view name);

// "NAME names N different files; get one by its info_hash: IH (SIZE, S
// seeders as announced), ..." for an AMBIGUOUS reply.
std::string ambiguous_text(std::string_view name, const std::vector<SearchHit>& matches);

}  // namespace mt::client
