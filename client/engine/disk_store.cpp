#include "client/engine/disk_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <new>

#include "common/byte_io.h"
#include "common/crc32c.h"
#include "common/file_util.h"

namespace mt::client {

using common::Errc;
using common::make_error;

namespace {
// Modification time (ns) and size: what an edit changes.
std::pair<std::int64_t, std::uint64_t> sig_of(const struct stat& st) {
    return {std::int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec,
            static_cast<std::uint64_t>(st.st_size)};
}
}  // namespace

common::Result<DiskStore> DiskStore::open(const std::string& path, std::uint64_t total_length,
                                          std::uint64_t piece_length, Mode mode) {
    common::Fd fd;
    if (mode == Mode::create_or_open) {
        // The file we write: no link followed, created exclusively or an
        // existing regular file of ours (common::open_for_write).
        auto w = common::open_for_write(path, common::WriteMode::create_or_open, 0644);
        if (!w) return w.error();
        fd = std::move(w).value();
    } else {
        // Seeding only reads: the user's file, wherever a link they made points.
        fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
        if (!fd.valid()) return common::errno_error("cannot open " + path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return common::errno_error("cannot stat " + path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::invalid_argument, path + " is not a regular file");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (mode == Mode::open_existing && size != total_length)
        return make_error(Errc::invalid_argument, path + " is " + std::to_string(size) +
                                                      " bytes, the .mtorrent says " +
                                                      std::to_string(total_length));
    if (size != total_length && ::ftruncate(fd.get(), static_cast<off_t>(total_length)) != 0)
        return common::errno_error(
            "cannot size " + path + " to " + std::to_string(total_length) + " bytes", errno);
    // A second descriptor for direct writes; not every file system has them
    // (tmpfs before Linux 6.6, some FUSE): then every write is buffered. It
    // is opened through /proc/self/fd, so it is the very file opened above
    // (the path may have been replaced since); no /proc, no direct I/O.
    common::Fd direct;
    if (mode == Mode::create_or_open) {
        const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
        direct.reset(::open(self.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT));
        struct stat dst {};
        if (direct.valid() && (::fstat(direct.get(), &dst) != 0 || dst.st_ino != st.st_ino ||
                               dst.st_dev != st.st_dev))
            direct.reset();
    }
    DiskStore store(std::move(fd), std::move(direct), path, total_length, piece_length);
    if (mode == Mode::open_existing) store.sig_ = sig_of(st);
    return store;
}

PieceMemory::PieceMemory(std::size_t capacity) : capacity_(capacity) {
    void* p = nullptr;
    const std::size_t rounded = (capacity + kAlign - 1) / kAlign * kAlign;
    if (::posix_memalign(&p, kAlign, rounded == 0 ? kAlign : rounded) != 0) throw std::bad_alloc();
    p_.reset(static_cast<char*>(p));
}

// Returns 0 or the errno of the failed pwrite (EIO for no progress).
int DiskStore::pwrite_all(int fd, std::uint64_t offset, std::string_view data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t w =
            ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return errno;
        if (w == 0) return EIO;
        done += static_cast<std::size_t>(w);
    }
    return 0;
}

common::Status DiskStore::write(std::uint64_t offset, std::string_view data) {
    if (offset + data.size() > total_)
        return make_error(Errc::invalid_argument, "write past the end of " + path_);
    const bool aligned = reinterpret_cast<std::uintptr_t>(data.data()) % kDirectAlign == 0 &&
                         offset % kDirectAlign == 0 && data.size() % kDirectAlign == 0;
    int err = EINVAL;
    if (aligned && direct()) {
        err = pwrite_all(direct_fd_.get(), offset, data);
        // EINVAL: this file system takes no direct I/O after all (or wants a
        // larger alignment): buffered writes from now on.
        if (err == EINVAL) direct_ok_->store(false);
    }
    if (err == EINVAL) err = pwrite_all(fd_.get(), offset, data);
    if (err != 0) return common::errno_error("cannot write " + path_, err);
    return {};
}

common::Status DiskStore::read(std::uint64_t offset, std::size_t length, char* out) const {
    if (offset + length > total_)
        return make_error(Errc::invalid_argument, "read past the end of " + path_);
    std::size_t done = 0;
    while (done < length) {
        const ssize_t r =
            ::pread(fd_.get(), out + done, length - done, static_cast<off_t>(offset + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return common::errno_error("cannot read " + path_, errno);
        if (r == 0)
            return make_error(Errc::changed, path_ + " is shorter than it was when checked");
        done += static_cast<std::size_t>(r);
    }
    if (sig_) {
        // After the read: a write that raced with it has moved the times.
        struct stat st {};
        if (::fstat(fd_.get(), &st) != 0) return common::errno_error("cannot stat " + path_, errno);
        if (sig_of(st) != *sig_)
            return make_error(Errc::changed, path_ + " changed on disk since it was checked");
    }
    return {};
}

common::Status DiskStore::sync() {
    if (::fdatasync(fd_.get()) != 0) return common::errno_error("cannot sync " + path_, errno);
    return {};
}

namespace {
constexpr std::string_view kMagic = "MTRESUM1";
constexpr std::uint32_t kVersion = 1;
}  // namespace

std::string encode_resume(const common::InfoHash& ih, std::uint64_t file_size,
                          const std::vector<bool>& verified) {
    std::string out(kMagic);
    common::append_u32(out, kVersion);
    out.append(ih.view());
    common::append_u32(out, static_cast<std::uint32_t>(verified.size()));
    common::append_u64(out, file_size);
    std::string bits((verified.size() + 7) / 8, '\0');
    for (std::size_t i = 0; i < verified.size(); ++i)
        if (verified[i]) bits[i / 8] = static_cast<char>(bits[i / 8] | (0x80 >> (i % 8)));
    out += bits;
    common::append_u32(out, common::crc32c(out));
    return out;
}

common::Result<ResumeData> decode_resume(std::string_view bytes, const common::InfoHash& ih,
                                         std::size_t pieces) {
    auto bad = [](const std::string& why) {
        return make_error(Errc::parse_error, "resume state: " + why);
    };
    const std::size_t want = 44 + (pieces + 7) / 8 + 4;
    if (bytes.size() < 8 || bytes.substr(0, 8) != kMagic) return bad("not a resume file");
    if (bytes.size() >= 12 && common::read_u32(bytes.data() + 8) != kVersion)
        return bad("unsupported version " + std::to_string(common::read_u32(bytes.data() + 8)));
    if (bytes.size() != want) return bad("wrong size (damaged, or for another torrent)");
    if (common::crc32c(bytes.substr(0, want - 4)) != common::read_u32(bytes.data() + want - 4))
        return bad("checksum mismatch (damaged)");
    if (bytes.substr(12, 20) != ih.view()) return bad("for another torrent");
    if (common::read_u32(bytes.data() + 32) != pieces) return bad("piece count differs");
    ResumeData d;
    d.file_size = common::read_u64(bytes.data() + 36);
    d.verified.resize(pieces);
    for (std::size_t i = 0; i < pieces; ++i)
        d.verified[i] = (static_cast<unsigned char>(bytes[44 + i / 8]) & (0x80 >> (i % 8))) != 0;
    return d;
}

common::Result<ResumeData> load_resume(const std::string& path, const common::InfoHash& ih,
                                       std::size_t pieces) {
    // Only a file we wrote: a link or another user's file planted beside the
    // download could otherwise claim pieces we never verified.
    auto bytes = common::read_own_file(path, 64u << 20);
    if (!bytes) return bytes.error();
    auto d = decode_resume(*bytes, ih, pieces);
    if (!d) return make_error(d.error().code, path + ": " + d.error().message);
    return d;
}

common::Status save_resume(const std::string& path, const common::InfoHash& ih,
                           std::uint64_t file_size, const std::vector<bool>& verified) {
    return common::write_file_atomic(path, encode_resume(ih, file_size, verified));
}

}  // namespace mt::client
