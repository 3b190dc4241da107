// Partial data: where a download lives until it is verified, and the checks
// that keep a download from ever writing over something a person has.
//
// A download is written to `<dest>.part` (its file, or a folder torrent's
// folder) and takes its real name only once every piece it wants has been
// verified, in one rename that never replaces anything. So a file under its
// final name is always a finished one (a cancelled download leaves no
// full-size decoy), and `.part` data is ours by its name: it is reused (each
// piece checked) by the next download of the same torrent to the same place.
#pragma once

#include <cstddef>
#include <string>

#include "client/engine/file_layout.h"
#include "common/metainfo.h"
#include "common/result.h"

namespace mt::client {

// "<dest>.part".
std::string partial_path(const std::string& dest);

// What is at a download's final path before it starts.
struct ExistingData {
    enum class Kind {
        none,      // nothing there
        complete,  // the torrent's data, every piece verified: adopt and seed it
        other,     // something else: never written over
    };
    Kind kind = Kind::none;
    std::string why;  // for other: what is there, for a person
};

// Looks at `dest`: nothing, the torrent's complete data (hashed piece by
// piece, at hashing speed), or anything else (another file, a file of
// another size, a folder that differs, a link, a device, ...). No link is
// followed. Errors only for what cannot be read.
common::Result<ExistingData> examine_existing(const common::Metainfo& meta,
                                              const std::string& dest);

// Gives a finished download its name: renames `<dest>.part` to `dest`
// unless something is at `dest` already (then Errc::invalid_argument, the
// data stays in `.part`). Done already (no `.part`, `dest` there): success.
common::Status finish_partial(const std::string& dest);

// Deletes a cancelled download's partial data: the `.part` file, or in the
// `.part` folder the layout's files and then the folders left empty
// (nothing else in it is touched, no link followed). Nothing there: success;
// the folder still holding something else: an error naming it (it stays).
common::Status discard_partial(const std::string& dest, const FileLayout& layout);

// What delete_torrent_data did.
struct DataRemoval {
    std::size_t files = 0;     // regular files deleted
    std::size_t left = 0;      // listed paths holding something else (a link, a folder): kept
    bool folder_kept = false;  // the folder holds what the torrent does not list: it stays
};

// Deletes a torrent's data at `path`: for a single-file torrent the file
// (only if it is a regular file); for a folder torrent exactly the files
// `layout` lists below the folder (regular files only; no link followed on
// the way, so nothing outside the folder is reached), then the layout's
// folders left empty (deepest first), then the folder itself if empty.
// Nothing else is touched. Nothing at `path`: success, nothing deleted.
// Errors: `path` cannot be looked at or opened, a file cannot be deleted.
common::Result<DataRemoval> delete_torrent_data(const std::string& path, const FileLayout& layout);

}  // namespace mt::client
