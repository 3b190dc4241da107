// DiskStore: the file being downloaded or seeded, addressed by piece.
//
// The target is created at its full size (sparse: ftruncate), and pieces are
// written at their offsets with pwrite() once verified, read with pread() to
// serve peers. Every call is thread-safe (pread/pwrite on one descriptor).
//
// Writes that are aligned to kDirectAlign (buffer address, offset and
// length: every whole piece of a PieceMemory buffer) go through a second
// descriptor opened with O_DIRECT: the data goes from our buffer to the
// device, with no copy into the page cache. On this kind of VM, filling fresh
// page-cache pages costs 1-2 s of system CPU per GiB, against 0.2 s for
// direct I/O (BENCHMARKS.md). Unaligned writes (the short last piece) and
// file systems without O_DIRECT use the buffered descriptor; Linux keeps the
// two coherent (a direct write invalidates the cached pages it covers).
// Errors name the file and say what failed; ENOSPC comes back as
// Errc::io_error "...: No space left on device".
//
// ResumeState: which pieces are verified, kept beside the download so a
// restart fetches nothing twice. Versioned, checksummed, written atomically
// (common::write_file_atomic: a random temporary name, created exclusively).
//
//   offset size field
//   0      8    magic "MTRESUM1"
//   8      4    version (1)
//   12     20   info_hash
//   32     4    piece count N
//   36     8    file size when saved (a resumed file must still have it)
//   44     ceil(N/8) bitfield, piece 0 = high bit of byte 0
//   ...    4    crc32c of everything before
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/engine/storage.h"
#include "common/ids.h"
#include "common/net/fd.h"
#include "common/result.h"

namespace mt::client {

// Uninitialised memory aligned for O_DIRECT, for one piece.
class PieceMemory {
  public:
    static constexpr std::size_t kAlign = 4096;
    PieceMemory() = default;
    explicit PieceMemory(std::size_t capacity);
    char* data() { return p_.get(); }
    const char* data() const { return p_.get(); }
    std::size_t capacity() const { return capacity_; }
    explicit operator bool() const { return p_ != nullptr; }

  private:
    struct Free {
        void operator()(char* p) const { std::free(p); }
    };
    std::unique_ptr<char, Free> p_;
    std::size_t capacity_ = 0;
};

class DiskStore final : public Storage {
  public:
    static constexpr std::size_t kDirectAlign = PieceMemory::kAlign;

    enum class Mode { create_or_open, open_existing };

    // create_or_open: makes the file exclusively (and sizes it) if missing;
    // an existing file is used only if it is a regular file of ours with one
    // link and no symbolic link at `path` (common::open_for_write, Errc::refused
    // otherwise), and resized to `total_length`. open_existing: the file must
    // exist with exactly `total_length` bytes (seeding); opened read-only.
    static common::Result<DiskStore> open(const std::string& path, std::uint64_t total_length,
                                          std::uint64_t piece_length, Mode mode);

    common::Status write(std::uint64_t offset, std::string_view data) override;
    common::Status read(std::uint64_t offset, std::size_t length, char* out) const override;
    common::Status write_piece(std::uint32_t piece, std::string_view data) override {
        return write(std::uint64_t{piece} * piece_length_, data);
    }
    common::Status sync() override;

    const std::string& path() const { return path_; }
    std::uint64_t total_length() const { return total_; }
    int fd() const { return fd_.get(); }
    // Whether aligned writes still go through O_DIRECT (false once the file
    // system refused it).
    bool direct() const { return direct_fd_.valid() && direct_ok_->load(); }

  private:
    DiskStore(common::Fd fd, common::Fd direct_fd, std::string path, std::uint64_t total,
              std::uint64_t piece_length)
        : fd_(std::move(fd)),
          direct_fd_(std::move(direct_fd)),
          path_(std::move(path)),
          total_(total),
          piece_length_(piece_length) {}
    static int pwrite_all(int fd, std::uint64_t offset, std::string_view data);

    // Seeding (open_existing): the file as it was when opened (modification
    // time and size); every read checks it still is (an fstat), so bytes of
    // a file edited since it was checked are never served as the torrent's
    // (Errc::changed).
    std::optional<std::pair<std::int64_t, std::uint64_t>> sig_;

    common::Fd fd_;
    common::Fd direct_fd_;  // O_DIRECT, or invalid
    std::unique_ptr<std::atomic<bool>> direct_ok_ = std::make_unique<std::atomic<bool>>(true);
    std::string path_;
    std::uint64_t total_ = 0;
    std::uint64_t piece_length_ = 0;
};

struct ResumeData {
    std::vector<bool> verified;
    std::uint64_t file_size = 0;
};

std::string encode_resume(const common::InfoHash& ih, std::uint64_t file_size,
                          const std::vector<bool>& verified);
// Errc::parse_error for a damaged or foreign file (wrong magic, version,
// checksum, info_hash or piece count): the caller sets it aside and rechecks.
common::Result<ResumeData> decode_resume(std::string_view bytes, const common::InfoHash& ih,
                                         std::size_t pieces);

// Errc::refused for a symbolic link or another user's file at `path` (not
// ours: never trusted), Errc::not_found when there is none.
common::Result<ResumeData> load_resume(const std::string& path, const common::InfoHash& ih,
                                       std::size_t pieces);
common::Status save_resume(const std::string& path, const common::InfoHash& ih,
                           std::uint64_t file_size, const std::vector<bool>& verified);

}  // namespace mt::client
