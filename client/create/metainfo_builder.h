// Creates the .mtorrent for a local file: checks the inputs, hashes the file
// in 512 KiB pieces (in parallel) and builds the metainfo.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/create/piece_hasher.h"
#include "common/metainfo.h"

namespace mt::client {

struct CreateOptions {
    std::vector<std::string> trackers;  // http://host:port/announce or udp://host:port
    std::uint64_t piece_length = common::kPieceLength;
    std::int64_t creation_date = 0;  // 0: now
    std::string name;                // empty: the file's base name
    HashOptions hash;
};

// Errors (Errc::invalid_argument unless said): no tracker, an invalid tracker
// URL, a missing file (Errc::not_found), a path that is not a regular file, an
// empty file (a torrent needs at least one piece), an unsafe name, and any
// read error from hashing.
common::Result<common::Metainfo> create_metainfo(const std::string& file_path,
                                                 const CreateOptions& options);

}  // namespace mt::client
