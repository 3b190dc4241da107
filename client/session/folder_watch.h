// Following a watched folder: scanning it, and the pure comparison that says
// which files to share, re-share or stop.
//
// A folder is scanned once a second: its files, and each folder in it as a
// whole (a folder torrent). A file is known by its
// name, size and modification time; its contents are hashed only when those
// change. A new or changed file is acted on once it has looked the same in two
// scans in a row, so a file still being written is not hashed half-way; a
// vanished file is stopped at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mt::client {

struct FileSig {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    friend bool operator==(const FileSig&, const FileSig&) = default;
};

using FolderSnapshot = std::map<std::string, FileSig>;  // file name (no folder) -> signature

struct WatchDiff {
    std::vector<std::string> added;    // share
    std::vector<std::string> changed;  // stop the old one, share again
    std::vector<std::string> removed;  // stop
    bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};

// `shared`: the files acted on so far and the signature each had then (shared
// or failed: a file that failed is retried only once it changes).
// `previous`, `current`: the last two scans. Names come out sorted.
WatchDiff diff_folder(const FolderSnapshot& shared, const FolderSnapshot& previous,
                      const FolderSnapshot& current);

// Files a watch shares: not hidden (leading '.'), not our own .mtorrent,
// .mtresume, .mtparts or temporary (".tmp.") files, nor a download in
// progress (".part": client/engine/partial.h).
bool watchable_name(std::string_view name);

// The regular, non-empty, watchable files directly in `dir`, and its
// folders that hold a byte (each shared as a folder torrent; signature as
// file_sig). Symbolic links are not followed. Errc::not_found if the folder is gone, io_error
// otherwise.
// What a scan leaves out, for a person: empty files and folders (a torrent
// needs a byte), symbolic links (never followed), devices, pipes and
// sockets, hidden files and our own (.mtorrent, .part, ...).
struct WatchSkips {
    std::size_t empty = 0, links = 0, special = 0, ours_or_hidden = 0;
    std::string text() const;  // "2 empty files or folders, 1 link"; "" when none
};
common::Result<FolderSnapshot> scan_folder(const std::string& dir, WatchSkips* skips = nullptr);

// The signature of one file; Errc::not_found if it is missing. A folder's:
// the bytes of every regular file below it, and the latest modification or
// status change of anything in it (no link followed), so any edit shows.
common::Result<FileSig> file_sig(const std::string& path);

}  // namespace mt::client
