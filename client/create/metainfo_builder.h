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

// A folder's files as a torrent lists them: every regular file below it
// (empty ones included), as path segments below the folder, sorted as
// mktorrent sorts them (by the whole path, byte by byte), so that the
// info_hash is mktorrent's. Symbolic links are not followed and, like
// anything else that is not a regular file or a folder, are skipped and
// listed in `skipped` (paths below the folder).
struct FolderListing {
    std::vector<common::MetainfoFile> files;
    std::vector<std::string> skipped;
    std::uint64_t total = 0;  // bytes
};
// Errors: the folder cannot be read (errno_error), a name that is not a safe
// path segment, more than 1,000,000 files or folders deeper than 256 levels.
common::Result<FolderListing> list_folder(const std::string& folder);

// `path` is a file (a single-file torrent) or a folder (a multi-file one:
// name = the folder's name, files as list_folder() gives them; `skipped`,
// when not null, gets what was left out).
// Errors (Errc::invalid_argument unless said): no tracker, an invalid tracker
// URL, a missing path (Errc::not_found), a path that is neither a regular
// file nor a folder, an empty file or a folder without a byte to share (a
// torrent needs at least one piece), an unsafe name, and any read error from
// hashing.
common::Result<common::Metainfo> create_metainfo(const std::string& path,
                                                 const CreateOptions& options,
                                                 std::vector<std::string>* skipped = nullptr);

}  // namespace mt::client
