// The interactive client's saved state: what it shares, downloads and
// watches, so that a restart (after quit or kill -9) carries on.
//
// The state folder (--state-dir) holds:
//   session.state              this file (below), replaced atomically on every change
//   torrents/<info_hash>.mtorrent  a copy of each transfer's metainfo
//   torrents/<info_hash>.mtresume  a download's verified pieces (Torrent's resume file)
//   torrents/<info_hash>.mtparts   a folder download's bytes of files left out
//
// session.state:
//   offset size field
//   0      8    magic "MTSESS01"
//   8      4    format version, u32 = 1
//   12     4    payload length N, u32 (at most 64 MiB)
//   16     N    payload: a bencoded dictionary (below)
//   16+N   4    crc32c of bytes [0, 16+N), u32
//
// Payload (keys sorted, as bencode requires):
//   lookups:   list of {dest, query; optional no_dht, no_pex}: `get` by name
//              or info_hash still waiting for its metainfo
//   transfers: list of {complete (0/1), data (absolute path: the file, or a
//              folder torrent's folder), files (optional: a folder download
//              with files left out, one '0' or '1' per file of the metainfo),
//              info_hash (20 bytes), kind ("share" | "download"), label,
//              mtime_ns, mtorrent (the user's .mtorrent path, may be empty),
//              size, watch (the watched folder that shared it, or empty);
//              optional: adopted (1: a download whose complete data was
//              at its destination already: never deleted by remove
//              --delete-data), paused (1: paused by the user), uploaded
//              (bytes sent in earlier runs), no_dht, no_pex (1: get/share
//              --no-dht, --no-pex)}
//   watched:   list of absolute folder paths
//   limits:    optional {down, up}: the session's rate limits in bytes/s (0: none),
//              as `limit` set them
// Unknown keys are ignored (a later version may add some); a missing key or a
// value of the wrong type makes the file corrupt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace mt::client {

// Where a transfer may find peers besides the trackers (`get`/`share`
// --no-dht, --no-pex); the session's own switches still apply on top.
struct PeerSources {
    bool dht = true;  // the Mainline DHT (BEP 5)
    bool pex = true;  // peer exchange (BEP 11)
    friend bool operator==(const PeerSources&, const PeerSources&) = default;
};

struct SavedTransfer {
    enum class Kind { share, download };
    Kind kind = Kind::share;
    std::string label;          // how the user names it: "<name>.mtorrent"
    std::string mtorrent_path;  // the user's .mtorrent (shares: the one we wrote); may be empty
    std::string data_path;      // absolute path of the data file
    common::InfoHash info_hash;
    // The data file when it was last known complete and matching (shares,
    // finished downloads): a restart re-hashes only if these changed.
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    bool complete = false;  // downloads: finished, now seeding
    std::string watch_dir;  // shares made by `watch`: the folder
    // A folder download: which of its files are selected (empty: all).
    std::vector<bool> selected;
    bool paused = false;  // `pause`d: not started until `resume`
    // A download whose complete data was at its destination already (get
    // adopted it, checked piece by piece): the person's, never deleted.
    bool adopted = false;
    std::uint64_t uploaded = 0;  // bytes sent in earlier runs
    PeerSources sources;

    friend bool operator==(const SavedTransfer&, const SavedTransfer&) = default;
};

struct SavedLookup {
    std::string query;    // a file name or 40 hex digits
    std::string dest;     // absolute destination path
    PeerSources sources;  // for the lookup and the download it starts
    friend bool operator==(const SavedLookup&, const SavedLookup&) = default;
};

struct SessionState {
    std::vector<SavedTransfer> transfers;
    std::vector<SavedLookup> lookups;
    std::vector<std::string> watched;
    std::uint64_t limit_up = 0, limit_down = 0;  // bytes/s, 0: none
    friend bool operator==(const SessionState&, const SessionState&) = default;
};

constexpr std::uint32_t kStateVersion = 1;
constexpr std::size_t kMaxStateBytes = 64u << 20;

std::string encode_state(const SessionState& state);
// Errc::parse_error naming what is wrong: a short file, a wrong magic, an
// unknown version, a length that does not match, a bad checksum, malformed
// bencode, a missing or mistyped field, an info_hash that is not 20 bytes,
// an unknown kind.
common::Result<SessionState> decode_state(std::string_view bytes);

struct LoadedState {
    SessionState state;
    // Set when the file was damaged: what was wrong and where it was moved
    // (<path>.corrupt-<unix time>). The state is then empty.
    std::string problem;
};

// A missing file is a first start (empty state, no problem). A file that does
// not decode is renamed aside and reported, never trusted.
LoadedState load_state(const std::string& path);
// Written atomically (temporary file, fsync, rename, directory fsync).
common::Status save_state(const std::string& path, const SessionState& state);

}  // namespace mt::client
