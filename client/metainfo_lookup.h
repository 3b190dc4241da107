// Finding the metainfo of a file `get` names by info_hash or by name instead
// of by a .mtorrent path. The one place the session asks for a metainfo it
// does not have.
#pragma once

#include <string_view>

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
// Peer fallback: BEP 9 ut_metadata (client/metadata_fetch.h, written
// separately) plugs in inside this function, where the trackers have answered
// not_found or not at all: with the info_hash (given, or from the search hit)
// it announces to the trackers for peers and asks them for the info
// dictionary. This signature stays as it is; only the body grows.
common::Result<common::Metainfo> lookup_metainfo(std::string_view query, TrackerQuery& trackers);

}  // namespace mt::client
