// FileLayout: where each file of a torrent goes below the destination folder,
// and where its bytes lie in the torrent's byte stream. Pure: no file system.
//
// A metainfo's paths are the publisher's. Every path this builds stays inside
// the destination, whatever they hold; the policy, case by case (as in
// docs/PROTOCOL.md, "Paths of a folder torrent"):
//   repaired, as libtorrent does (the file is still written, at a safe path;
//   each repair is listed in FileLayout::repairs):
//     - empty, "." and ".." segments are dropped (a path left with none is
//       "_"); Transmission accepts an empty first segment on purpose
//     - NUL, control characters (0x01-0x1f, 0x7f) and '/' inside a segment
//       become '_'
//     - bytes that are not valid UTF-8 become '_'
//     - a segment over 255 bytes (NAME_MAX) is shortened at a character
//       boundary, keeping an extension of up to 32 bytes
//     - a path used twice, or a file where another file needs a folder (and
//       the reverse), is made distinct: "name.1.ext", "name.2.ext", ...
//   refused (Errc::invalid_argument, naming the file):
//     - a path over 4,000 bytes once repaired (PATH_MAX is 4,096 with the
//       destination in front)
// BEP 47 pad files (attr "p") get no path: they are never written, their
// zeros only count in the stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/metainfo.h"
#include "common/result.h"

namespace mt::client {

constexpr std::size_t kMaxSegmentBytes = 255;
constexpr std::size_t kMaxPathBytes = 4000;

struct LayoutFile {
    // Below the destination: "<name>" for a single-file torrent,
    // "<name>/<segment>/..." for a folder; empty for a pad file.
    std::string path;
    std::uint64_t offset = 0;  // in the torrent's byte stream
    std::uint64_t length = 0;
    bool padding = false;
};

struct FileLayout {
    std::string top;                // the torrent's name made safe: the file or the folder
    std::vector<LayoutFile> files;  // in metainfo order
    // One line per repaired path: "files[3]: 'a/../b' written as 'name/a/b'
    // (dropped '..')". The original bytes are the publisher's: escape them
    // (common/text_escape.h) before they reach a terminal or a log.
    std::vector<std::string> repairs;
};

common::Result<FileLayout> make_file_layout(const common::Metainfo& meta);

// The files that --only globs choose (as .gitignore patterns): a glob with
// no '/' matches a file's or a folder's name at any depth ("*.iso", "docs"),
// one with '/' matches a path inside the torrent from its top ("docs/*.pdf",
// "/extras"); a match on a folder takes everything below it, and a trailing
// '/' matches folders only. `*`, `?` and `[...]` as in fnmatch (never across
// a '/'). Pad files are never chosen. Globs are matched against the paths as
// stored (repaired). Returns one flag per layout file.
std::vector<bool> select_by_globs(const FileLayout& layout, const std::vector<std::string>& globs);

// One path segment made safe (see the policy above); `why` gets what was
// repaired ("" when nothing). Never empty, never "." or "..".
std::string safe_segment(std::string_view raw, std::string* why = nullptr);

}  // namespace mt::client
