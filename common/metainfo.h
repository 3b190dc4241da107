// The .mtorrent file: a BitTorrent v1 metainfo (BEP 3, BEP 12), bencoded.
//
// What mtorrent writes (keys sorted, as bencode requires):
//
//   d
//     8:announce      <tracker 1 URL>
//     13:announce-list l l <tracker 1 URL> <tracker 2 URL> e e   one tier: the
//                     two trackers share their peer lists (BEP 12)
//     10:created by   "mtorrent/<version>"
//     13:creation date <unix seconds>
//     4:info d
//       6:length       <file size in bytes>
//       4:name         <file name, no directory part>
//       12:piece length 524288
//       6:pieces       <20-byte SHA-1 of each 512 KiB piece, concatenated;
//                       the last piece may be short>
//     e
//   e
//
// parse_metainfo() accepts any valid single-file or multi-file (`files`)
// metainfo, keeps unknown keys, and computes the info_hash as the SHA-1 of the
// exact `info` bytes in the input (never of a re-encoding). Beside canonical
// bencode it opens what libtorrent and Transmission open: dictionary keys out
// of order, leading zeros in numbers, bytes after the top-level dictionary
// (bencode::Limits::canonical). tests/data/metainfo/cases.tsv holds every
// case with its libtorrent verdict and why we differ where we do. Every error is
// Errc::parse_error (malformed bencode, with its offset), or
// Errc::invalid_argument naming the field and what is wrong with it:
//   - top level not a dictionary; `info` missing or not a dictionary
//   (optional top-level fields of the wrong type, `announce`, `announce-list`,
//   `comment`, `created by`, `creation date`, are ignored, and announce-list
//   tiers that are not lists of URL strings skipped, as libtorrent does;
//   `private` is any non-zero integer)
//   - `name` missing, empty, or unsafe (see check_path_segment)
//   - `piece length` missing, not positive, or over kMaxPieceLength
//   - `pieces` missing, not a multiple of 20 bytes, or not one hash per piece
//   - a BEP 52 v2-only info ("v2-only torrents are not supported"; a hybrid
//     v1+v2 torrent is read through its v1 keys)
//   - both or neither of `length` and `files`; a negative length; a total
//     length of 0 (an empty torrent) or over kMaxTotalLength
//   - `files` entries without a `length` or `path`, an empty `path`, a
//     segment that is not a string (segments are kept as they are: what is
//     unsafe on disk is repaired where paths are built,
//     client/engine/file_layout.h)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace mt::common {

constexpr std::uint64_t kPieceLength = 512 * 1024;  // what mtorrent writes
// What it accepts: libtorrent's limit too (qBittorrent makes up to 256 MiB);
// the client keeps no piece over 4 MiB in memory (client/engine/torrent.h).
constexpr std::uint64_t kMaxPieceLength = 1ull << 30;
constexpr std::uint64_t kMaxTotalLength = 1ull << 50;            // 1 PiB
constexpr std::uint64_t kMaxMetainfoSize = 64ull * 1024 * 1024;  // bytes of a .mtorrent

struct MetainfoFile {
    std::vector<std::string> path;  // segments below the torrent's folder
    std::uint64_t length = 0;
    bool padding = false;  // BEP 47 attr "p"
};

// "a/b/c" from {"a", "b", "c"}: a file's path below the torrent's folder as
// the publisher wrote it (unsafe on disk: see client/engine/file_layout.h).
std::string join_path(const std::vector<std::string>& segments);

struct Metainfo {
    // Top level.
    std::string announce;                                 // may be empty
    std::vector<std::vector<std::string>> announce_list;  // tiers (BEP 12)
    std::string comment;
    std::string created_by;
    std::int64_t creation_date = 0;  // 0 when absent
    // Unknown top-level keys, each with its raw bencoded value, kept verbatim.
    std::map<std::string, std::string> extra;

    // The info dictionary.
    std::string name;
    std::uint64_t piece_length = 0;
    std::string pieces;               // concatenated 20-byte SHA-1 digests
    std::uint64_t length = 0;         // total bytes (sum of files for multi-file)
    std::vector<MetainfoFile> files;  // empty for a single-file torrent
    bool is_private = false;
    std::string info_bytes;  // the exact bencoded info dictionary
    InfoHash info_hash;      // SHA-1 of info_bytes
    // encode_metainfo() gives back the parsed bytes exactly: the input was
    // canonical bencode and every top-level field was taken as it is. False
    // for what parse_metainfo() opens leniently, as other clients do (keys
    // out of order, white space after the end, announce-list tiers skipped);
    // the info bytes, and so the info_hash, are kept as they were.
    bool canonical = true;

    bool multi_file() const { return !files.empty(); }
    std::size_t piece_count() const { return pieces.size() / 20; }
    // Size of piece i; the last one may be short.
    std::uint64_t piece_size(std::size_t i) const;
    std::string_view piece_hash(std::size_t i) const {
        return std::string_view(pieces).substr(i * 20, 20);
    }
    // The trackers to use, in order: announce-list flattened (BEP 12 says a
    // client that knows it ignores announce), else announce.
    std::vector<std::string> trackers() const;
};

Result<Metainfo> parse_metainfo(std::string_view bytes);

// Reads and parses a file; errors name the file.
Result<Metainfo> load_metainfo(const std::string& path);

// Encodes the top level from the fields and `extra`, with info_bytes verbatim.
// For any parsed input that is `canonical`, encode_metainfo(parse_metainfo(x))
// == x; for any other, the encoding parses to the same info_hash and encodes
// to itself (a fixed point).
std::string encode_metainfo(const Metainfo& m);

// Builds a single-file metainfo as mtorrent writes it (see the table above),
// filling info_bytes and info_hash.
Metainfo make_single_file_metainfo(std::string name, std::uint64_t length,
                                   std::uint64_t piece_length, std::string pieces,
                                   const std::vector<std::string>& trackers,
                                   std::int64_t creation_date, std::string created_by);

// Builds a multi-file metainfo (info.files, BEP 3) the same way, the files in
// the order given, each with its length and path segments below `name`.
Metainfo make_multi_file_metainfo(std::string name, std::vector<MetainfoFile> files,
                                  std::uint64_t piece_length, std::string pieces,
                                  const std::vector<std::string>& trackers,
                                  std::int64_t creation_date, std::string created_by);

// Builds a metainfo around an info dictionary fetched from peers (BEP 9),
// with `trackers` as announce (the first) and one announce-list tier (all of
// them; none: neither key). The info bytes are kept verbatim, so info_hash is
// their SHA-1. Errors: those of parse_metainfo() for the info dictionary
// (e.g. "metainfo: info.pieces is missing"), and invalid_argument when
// info_bytes is not one bencoded dictionary or a tracker URL is empty.
Result<Metainfo> metainfo_from_info(std::string_view info_bytes,
                                    const std::vector<std::string>& trackers);

// A file or path segment that is safe to create below a download folder:
// non-empty, not "." or "..", and without '/' or NUL. (A segment without '/'
// cannot be an absolute path.) `what` names it in the error message.
Status check_path_segment(std::string_view segment, std::string_view what);

// BEP 5's `nodes`: DHT nodes to bootstrap from, a top-level list of
// [host, port] pairs (kept in Metainfo::extra). dht_nodes() reads at most
// 64 and skips malformed entries (a host that is not a string of 1..255
// bytes, a port outside 1..65535); set_dht_nodes() writes them (none: the
// key goes).
struct DhtNode {
    std::string host;
    std::uint16_t port = 0;
    friend bool operator==(const DhtNode&, const DhtNode&) = default;
};
std::vector<DhtNode> dht_nodes(const Metainfo& m);
void set_dht_nodes(Metainfo& m, const std::vector<DhtNode>& nodes);

// Number of pieces for a total length: ceil(length / piece_length).
std::uint64_t piece_count_for(std::uint64_t length, std::uint64_t piece_length);

}  // namespace mt::common
