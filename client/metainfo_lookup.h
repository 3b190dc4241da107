// Finding the metainfo of a file `get` names by info_hash or by name instead
// of by a .mtorrent path. The one place the session asks for a metainfo it
// does not have.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "client/tracker_query.h"
#include "common/metainfo.h"
#include "common/result.h"

namespace mt::client {

// `query` is 40 hex digits (an info_hash) or a file name as `search` shows it.
//  - info_hash: GET /metainfo on the trackers (with failover; both are asked
//    before giving up, replication may lag).
//  - name: GET /search?q=<name>, the hits whose name is exactly `query`, the
//    one with the most seeders first, then its /metainfo.
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
// (client/metadata_fetch.h); the info dictionary must hash to the info_hash,
// and the metainfo built around it lists `swarm->trackers`.
struct SwarmFallback {
    std::vector<std::string> trackers;  // announce URLs
    common::PeerId peer_id;
    std::uint16_t listen_port = 0;
    int timeout_ms = 20000;
    const std::atomic<bool>* cancel = nullptr;
    common::Logger* log = nullptr;
};
common::Result<common::Metainfo> lookup_metainfo(std::string_view query, TrackerQuery& trackers,
                                                 const SwarmFallback* swarm = nullptr);

}  // namespace mt::client
