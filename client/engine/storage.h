// Storage: where a torrent's verified pieces go and whence it serves them.
// DiskStore (one file, pread/pwrite) is the product's; the folders issue adds
// multi-file storage behind the same calls, and the engine's unit tests use
// an in-memory one that fails on command (tests/client/engine/fake_storage.h).
// Every call may come from any thread at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace mt::client {

class Storage {
  public:
    virtual ~Storage() = default;
    // Errors say what failed and where (ENOSPC: "...: No space left on
    // device"); a failed write stops the torrent with that message.
    virtual common::Status write_piece(std::uint32_t piece, std::string_view data) = 0;
    // Bytes at an offset of the torrent's stream: the blocks of a piece too
    // large to keep in memory until it verifies (Torrent, kMaxBufferedPiece).
    virtual common::Status write(std::uint64_t offset, std::string_view data) = 0;
    virtual common::Status read(std::uint64_t offset, std::size_t length, char* out) const = 0;
    virtual common::Status sync() = 0;
};

}  // namespace mt::client
