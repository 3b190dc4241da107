// Hashes a file's pieces in parallel: the engine behind `create` and behind
// checking a file against a .mtorrent.
//
// Workers (one per core by default) claim chunks of whole pieces (2 MiB) in
// file order from a shared counter, pread() each chunk into their own buffer
// and hash its pieces two at a time (common/sha1_pair.h). The file is read
// front to back, with at most `threads` chunks in flight; memory is threads x
// chunk_bytes, whatever the file size.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/metainfo.h"
#include "common/result.h"

namespace mt::client {

struct HashOptions {
    unsigned threads = 0;                  // 0: one per core
    std::uint64_t chunk_bytes = 2u << 20;  // rounded to whole pieces
    // Called from worker threads with the bytes hashed so far (monotonic).
    std::function<void(std::uint64_t)> progress;
    const std::atomic<bool>* cancel = nullptr;  // stops early with Errc::invalid_argument
};

// One file of the byte stream a torrent hashes: its first `length` bytes.
struct HashSource {
    std::string path;
    std::uint64_t length = 0;
};

// Returns the concatenated 20-byte SHA-1 digests of the pieces of the files'
// bytes one after another (a multi-file torrent's pieces span file
// boundaries). Each worker keeps at most one file open; files of length 0 are
// not opened. Errors as hash_file_pieces(), naming the file.
common::Result<std::string> hash_pieces(const std::vector<HashSource>& files,
                                        std::uint64_t piece_length,
                                        const HashOptions& options = {});

// Reads [offset, offset + size) of a byte stream into buf.
using StreamRead =
    std::function<common::Status(std::uint64_t offset, char* buf, std::uint64_t size)>;

// The engine of the two above: hashes the pieces of a stream of `length`
// bytes, each worker reading through its own reader from make_reader()
// (called once per worker thread).
common::Result<std::string> hash_stream(std::uint64_t length, std::uint64_t piece_length,
                                        const std::function<StreamRead()>& make_reader,
                                        const HashOptions& options = {});

// Returns the concatenated 20-byte SHA-1 digests of the pieces of the first
// `length` bytes of `path`. Errors: Errc::not_found / io_error from the system
// (message names the file), Errc::io_error "file changed while hashing" when
// the file is shorter than `length`.
common::Result<std::string> hash_file_pieces(const std::string& path, std::uint64_t length,
                                             std::uint64_t piece_length,
                                             const HashOptions& options = {});

// Checks a file against a metainfo: hashes its first meta.length bytes and
// returns how many pieces differ (0: the file matches). Errors as above.
common::Result<std::size_t> count_bad_pieces(const std::string& path, const common::Metainfo& meta,
                                             const HashOptions& options = {});

}  // namespace mt::client
