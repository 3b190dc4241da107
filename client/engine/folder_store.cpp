#include "client/engine/folder_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/create/piece_hasher.h"
#include "client/engine/disk_store.h"
#include "common/file_util.h"
#include "common/net/socket.h"

namespace mt::client {

using common::Errc;
using common::make_error;

namespace {

// "name/a/b" -> {"a", "b"}: the path below the torrent's folder.
std::vector<std::string> segments_below(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = path.find('/');
    while (start != std::string::npos) {
        const std::size_t next = path.find('/', start + 1);
        out.push_back(path.substr(start + 1, next == std::string::npos ? next : next - start - 1));
        start = next;
    }
    return out;
}

// Returns 0 or the errno of the failed call (EIO for no progress).
int pwrite_all(int fd, std::uint64_t offset, std::string_view data) {
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

// Reads what there is; returns the bytes read (short at the end of the file)
// or -errno.
long long pread_some(int fd, std::uint64_t offset, std::size_t length, char* out) {
    std::size_t done = 0;
    while (done < length) {
        const ssize_t r = ::pread(fd, out + done, length - done, static_cast<off_t>(offset + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        if (r == 0) break;
        done += static_cast<std::size_t>(r);
    }
    return static_cast<long long>(done);
}

}  // namespace

common::Result<std::unique_ptr<Storage>> open_data(const common::Metainfo& meta,
                                                   const std::string& path, bool existing,
                                                   const std::vector<bool>& selected,
                                                   const std::string& parts_path) {
    if (!meta.multi_file()) {
        auto disk = DiskStore::open(
            path, meta.length, meta.piece_length,
            existing ? DiskStore::Mode::open_existing : DiskStore::Mode::create_or_open);
        if (!disk) return disk.error();
        return std::unique_ptr<Storage>(std::make_unique<DiskStore>(std::move(disk).value()));
    }
    auto layout = make_file_layout(meta);
    if (!layout) return layout.error();
    FolderStore::Options o;
    o.mode = existing ? FolderStore::Mode::open_existing : FolderStore::Mode::create_or_open;
    o.selected = selected;
    o.parts_path = parts_path;
    auto store =
        FolderStore::open(path, std::move(layout).value(), meta.piece_length, std::move(o));
    if (!store) return store.error();
    return std::unique_ptr<Storage>(std::move(store).value());
}

common::Result<std::vector<bool>> good_pieces(const Storage& storage,
                                              const common::Metainfo& meta) {
    const Storage* s = &storage;
    auto hashes = hash_stream(meta.length, meta.piece_length, [s]() -> StreamRead {
        return [s](std::uint64_t offset, char* buf, std::uint64_t size) {
            return s->read(offset, static_cast<std::size_t>(size), buf);
        };
    });
    if (!hashes) return hashes.error();
    std::vector<bool> good(meta.piece_count());
    for (std::size_t i = 0; i < good.size(); ++i)
        good[i] = std::string_view(*hashes).substr(i * 20, 20) == meta.piece_hash(i);
    return good;
}

common::Result<std::size_t> count_bad_pieces(const Storage& storage, const common::Metainfo& meta) {
    auto good = good_pieces(storage, meta);
    if (!good) return good.error();
    return static_cast<std::size_t>(std::count(good->begin(), good->end(), false));
}

std::vector<bool> wanted_pieces(const FileLayout& layout, const std::vector<bool>& selected,
                                std::uint64_t piece_length, std::uint64_t total_length) {
    const std::uint64_t pieces = common::piece_count_for(total_length, piece_length);
    std::vector<bool> wanted(pieces, selected.empty());
    if (selected.empty()) return wanted;
    for (std::size_t i = 0; i < layout.files.size(); ++i) {
        const LayoutFile& f = layout.files[i];
        if (f.padding || f.length == 0 || i >= selected.size() || !selected[i]) continue;
        const std::uint64_t last = (f.offset + f.length - 1) / piece_length;
        for (std::uint64_t p = f.offset / piece_length; p <= last && p < pieces; ++p)
            wanted[p] = true;
    }
    return wanted;
}

FolderStore::FolderStore(common::Fd folder, std::string folder_path, FileLayout layout,
                         std::uint64_t piece_length, Options options)
    : folder_(std::move(folder)),
      folder_path_(std::move(folder_path)),
      layout_(std::move(layout)),
      piece_length_(piece_length),
      opt_(std::move(options)) {
    for (const LayoutFile& f : layout_.files) {
        Entry e;
        e.offset = f.offset;
        e.length = f.length;
        e.padding = f.padding;
        if (!f.padding) e.segments = segments_below(f.path);
        starts_.push_back(f.offset);
        total_ = std::max(total_, f.offset + f.length);
        entries_.push_back(std::move(e));
    }
    if (opt_.max_open == 0) {
        // Two descriptors per open file and as many unsynced, beside the
        // sockets: a quarter of what is left after 256 for the rest.
        const std::uint64_t limit = common::fd_limit();
        opt_.max_open = static_cast<std::size_t>(
            std::clamp<std::uint64_t>(limit > 512 ? (limit - 256) / 4 : 16, 16, 1024));
    }
    common::MutexLock lock(mu_);
    in_folder_.assign(entries_.size(), false);
}

common::Result<std::unique_ptr<FolderStore>> FolderStore::open(const std::string& folder,
                                                               FileLayout layout,
                                                               std::uint64_t piece_length,
                                                               Options options) {
    if (piece_length == 0) return make_error(Errc::invalid_argument, "piece length is 0");
    if (!options.selected.empty() && options.selected.size() != layout.files.size())
        return make_error(Errc::invalid_argument, "file selection does not match the torrent");
    const bool create = options.mode == Mode::create_or_open;
    if (create && ::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST)
        return common::errno_error("cannot make the folder " + folder, errno);
    // The torrent's folder itself is not followed if it is a link: a planted
    // link named like the download must not send it elsewhere. (A folder the
    // user names for seeding is theirs: followed.)
    common::Fd dir(
        ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (create ? O_NOFOLLOW : 0)));
    if (!dir.valid()) {
        if (errno == ELOOP || errno == ENOTDIR)
            return make_error(Errc::refused, folder +
                                                 " is not a folder (or is a symbolic link); "
                                                 "choose another destination");
        return common::errno_error("cannot open the folder " + folder, errno);
    }
    std::unique_ptr<FolderStore> s(new FolderStore(std::move(dir), folder, std::move(layout),
                                                   piece_length, std::move(options)));
    bool any_unselected = false;
    for (std::size_t i = 0; i < s->entries_.size(); ++i) {
        const Entry& e = s->entries_[i];
        if (e.padding) continue;
        const bool selected = s->opt_.selected.empty() || s->opt_.selected[i];
        if (!selected) any_unselected = true;
        if (create && (e.length > 0 || !selected)) {
            // What is there already (nothing followed on the way).
            auto probe = common::open_beneath(s->folder_.get(), e.segments, false, s->shown(i));
            struct stat st {};
            const bool usable = probe && ::fstat(probe->get(), &st) == 0 &&
                                static_cast<std::uint64_t>(st.st_size) == e.length;
            if (!selected && !usable) continue;  // its bytes go to the parts file
            if (selected && !probe) {
                // A planted link or a non-file on the path: refused now.
                if (probe.error().code != Errc::not_found) return probe.error();
                // Missing: created at its first write, so a file deselected
                // before any of its bytes came is never created.
                common::MutexLock lock(s->mu_);
                s->in_folder_[i] = true;
                continue;
            }
        }
        auto fd = common::open_beneath(s->folder_.get(), e.segments, create, s->shown(i));
        if (!fd) return fd.error();
        struct stat st {};
        if (::fstat(fd->get(), &st) != 0)
            return common::errno_error("cannot stat " + s->shown(i), errno);
        const auto size = static_cast<std::uint64_t>(st.st_size);
        if (!create && size != e.length)
            return make_error(Errc::invalid_argument, s->shown(i) + " is " + std::to_string(size) +
                                                          " bytes, the .mtorrent says " +
                                                          std::to_string(e.length));
        if (size != e.length && ::ftruncate(fd->get(), static_cast<off_t>(e.length)) != 0)
            return common::errno_error(
                "cannot size " + s->shown(i) + " to " + std::to_string(e.length) + " bytes", errno);
        common::MutexLock lock(s->mu_);
        s->in_folder_[i] = true;
    }
    if (any_unselected && s->opt_.parts_path.empty())
        return make_error(Errc::invalid_argument, "no place for the parts of unselected files");
    return s;
}

std::string FolderStore::shown(std::size_t index) const {
    return folder_path_ + "/" + common::join_path(entries_[index].segments);
}

bool FolderStore::in_folder(std::size_t index) const {
    common::MutexLock lock(mu_);
    return index < in_folder_.size() && in_folder_[index];
}

std::size_t FolderStore::file_at(std::uint64_t offset) const {
    std::size_t i = static_cast<std::size_t>(
        std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin());
    return i == 0 ? 0 : i - 1;
}

common::Result<FolderStore::FdPtr> FolderStore::file_fd(std::size_t index) const {
    {
        common::MutexLock lock(mu_);
        auto it = open_index_.find(index);
        if (it != open_index_.end()) {
            open_.splice(open_.begin(), open_, it->second);
            return it->second->second;
        }
    }
    // Opened outside the lock: a slow file system stalls only this caller.
    const bool create = opt_.mode == Mode::create_or_open;
    auto fd = common::open_beneath(folder_.get(), entries_[index].segments, create, shown(index));
    if (!fd) return fd.error();
    if (create) {
        // Made now (see open()) or reused: at its full size, sparse.
        struct stat st {};
        if (::fstat(fd->get(), &st) != 0)
            return common::errno_error("cannot stat " + shown(index), errno);
        if (static_cast<std::uint64_t>(st.st_size) != entries_[index].length &&
            ::ftruncate(fd->get(), static_cast<off_t>(entries_[index].length)) != 0)
            return common::errno_error("cannot size " + shown(index), errno);
    }
    auto ptr = std::make_shared<OpenFile>();
    ptr->index = index;
    ptr->fd = std::move(fd).value();
    if (create && direct_ok_.load()) {
        // The very file opened above (through /proc, checked by inode): a
        // direct write never goes through a path that may have changed.
        const std::string self = "/proc/self/fd/" + std::to_string(ptr->fd.get());
        ptr->direct.reset(::open(self.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT));
        struct stat a {
        }, b{};
        if (ptr->direct.valid() &&
            (::fstat(ptr->fd.get(), &a) != 0 || ::fstat(ptr->direct.get(), &b) != 0 ||
             a.st_ino != b.st_ino || a.st_dev != b.st_dev))
            ptr->direct.reset();
    }
    std::vector<FdPtr> to_sync;
    {
        common::MutexLock lock(mu_);
        auto it = open_index_.find(index);
        if (it != open_index_.end()) return it->second->second;  // another thread was first
        open_.emplace_front(index, ptr);
        open_index_[index] = open_.begin();
        while (open_.size() > opt_.max_open) {
            // A file being read or written elsewhere stays open until that
            // ends (the shared_ptr); it only leaves the cache here.
            if (open_.back().second->dirty) unsynced_.push_back(open_.back().second);
            open_index_.erase(open_.back().first);
            open_.pop_back();
        }
        if (unsynced_.size() > opt_.max_open) to_sync.swap(unsynced_);
    }
    for (const auto& f : to_sync)
        if (f->dirty.exchange(false) && ::fdatasync(f->get()) != 0)
            return common::errno_error("cannot sync " + shown(f->index), errno);
    return ptr;
}

common::Result<FolderStore::FdPtr> FolderStore::parts_fd(bool create) const {
    {
        common::MutexLock lock(mu_);
        if (parts_) return parts_;
    }
    // Ours (beside the download, never through a link): created when the
    // first byte of an unselected file arrives.
    common::Fd fd;
    if (create) {
        auto w = common::open_for_write(opt_.parts_path, common::WriteMode::create_or_open, 0644);
        if (!w) return w.error();
        fd = std::move(w).value();
    } else {
        fd.reset(::open(opt_.parts_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd.valid()) return common::errno_error("cannot open " + opt_.parts_path, errno);
    }
    auto ptr = std::make_shared<OpenFile>();
    ptr->fd = std::move(fd);
    common::MutexLock lock(mu_);
    if (!parts_) parts_ = ptr;
    return parts_;
}

int FolderStore::write_file_bytes(const OpenFile& f, std::uint64_t in_file, std::string_view data) {
    constexpr std::uint64_t kAlign = PieceMemory::kAlign;
    // Buffered writes fill the page cache, which on this kind of VM costs
    // more CPU than the whole download (profile of bench/get_folder: 51% in
    // copy_folio_from_iter_atomic); direct writes do not (disk_store.h).
    const std::uint64_t a = (in_file + kAlign - 1) / kAlign * kAlign;
    const std::uint64_t b = (in_file + data.size()) / kAlign * kAlign;
    if (!f.direct.valid() || !direct_ok_.load() || a >= b || b - a < 16 * kAlign)
        return pwrite_all(f.get(), in_file, data);
    if (int err = pwrite_all(f.get(), in_file, data.substr(0, a - in_file)); err != 0) return err;
    // The aligned middle, through an aligned buffer of this thread's.
    thread_local PieceMemory bounce(1u << 20);
    std::uint64_t at = a;
    while (at < b) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bounce.capacity(), b - at));
        std::memcpy(bounce.data(), data.data() + (at - in_file), n);
        int err = pwrite_all(f.direct.get(), at, std::string_view(bounce.data(), n));
        if (err == EINVAL) {  // no direct I/O here after all: buffered from now on
            direct_ok_.store(false);
            err = pwrite_all(f.get(), at, data.substr(at - in_file, b - at));
            if (err != 0) return err;
            break;
        }
        if (err != 0) return err;
        at += n;
    }
    return pwrite_all(f.get(), b, data.substr(b - in_file));
}

common::Status FolderStore::write_range(std::size_t index, std::uint64_t in_file,
                                        std::string_view data) {
    const Entry& e = entries_[index];
    if (e.padding) return {};  // zeros by definition: never written (BEP 47)
    bool here = false;
    {
        common::MutexLock lock(mu_);
        here = in_folder_[index];
    }
    if (here) {
        auto fd = file_fd(index);
        if (!fd) return fd.error();
        (*fd)->dirty = true;  // before the write: a sync racing it syncs again later
        if (int err = write_file_bytes(**fd, in_file, data); err != 0)
            return common::errno_error("cannot write " + shown(index), err);
        return {};
    }
    auto fd = parts_fd(true);
    if (!fd) return fd.error();
    if (int err = pwrite_all((*fd)->get(), e.offset + in_file, data); err != 0)
        return common::errno_error("cannot write " + opt_.parts_path, err);
    common::MutexLock lock(mu_);
    parts_dirty_ = true;
    return {};
}

common::Status FolderStore::read_range(std::size_t index, std::uint64_t in_file, std::size_t length,
                                       char* out) const {
    const Entry& e = entries_[index];
    if (e.padding) {
        std::memset(out, 0, length);
        return {};
    }
    bool here = false;
    {
        common::MutexLock lock(mu_);
        here = in_folder_[index];
    }
    if (here) {
        auto fd = file_fd(index);
        if (!fd) return fd.error();
        const long long n = pread_some((*fd)->get(), in_file, length, out);
        if (n < 0) return common::errno_error("cannot read " + shown(index), static_cast<int>(-n));
        if (static_cast<std::size_t>(n) != length)
            return make_error(Errc::io_error,
                              shown(index) + " is shorter than expected (changed on disk?)");
        return {};
    }
    // The parts file holds only what was written: anything else reads as
    // zeros (a piece that was never downloaded simply fails its hash).
    auto fd = parts_fd(false);
    if (!fd) {
        if (fd.error().code != Errc::not_found) return fd.error();
        std::memset(out, 0, length);
        return {};
    }
    const long long n = pread_some((*fd)->get(), e.offset + in_file, length, out);
    if (n < 0) return common::errno_error("cannot read " + opt_.parts_path, static_cast<int>(-n));
    std::memset(out + n, 0, length - static_cast<std::size_t>(n));
    return {};
}

common::Status FolderStore::write(std::uint64_t offset, std::string_view data) {
    if (offset > total_ || data.size() > total_ - offset)
        return make_error(Errc::invalid_argument, "write past the end of " + folder_path_);
    std::shared_lock writing(write_mu_);
    std::size_t done = 0;
    for (std::size_t i = file_at(offset); done < data.size() && i < entries_.size(); ++i) {
        const Entry& e = entries_[i];
        const std::uint64_t at = offset + done;
        if (e.offset + e.length <= at) continue;  // empty files, and the file before
        const std::uint64_t n =
            std::min<std::uint64_t>(data.size() - done, e.offset + e.length - at);
        if (auto s = write_range(i, at - e.offset, data.substr(done, n)); !s) return s;
        done += n;
    }
    return {};
}

common::Status FolderStore::write_piece(std::uint32_t piece, std::string_view data) {
    return write(std::uint64_t{piece} * piece_length_, data);
}

common::Status FolderStore::read(std::uint64_t offset, std::size_t length, char* out) const {
    if (offset > total_ || length > total_ - offset)
        return make_error(Errc::invalid_argument, "read past the end of " + folder_path_);
    std::size_t done = 0;
    for (std::size_t i = file_at(offset); done < length && i < entries_.size(); ++i) {
        const Entry& e = entries_[i];
        const std::uint64_t at = offset + done;
        if (e.offset + e.length <= at) continue;
        const auto n = static_cast<std::size_t>(
            std::min<std::uint64_t>(length - done, e.offset + e.length - at));
        if (auto s = read_range(i, at - e.offset, n, out + done); !s) return s;
        done += n;
    }
    return {};
}

common::Status FolderStore::sync() {
    std::vector<FdPtr> files;
    bool parts = false;
    {
        common::MutexLock lock(mu_);
        files.swap(unsynced_);
        for (const auto& [index, f] : open_)
            if (f->dirty) files.push_back(f);
        parts = parts_dirty_;
        parts_dirty_ = false;
    }
    for (const auto& f : files)
        if (f->dirty.exchange(false) && ::fdatasync(f->get()) != 0)
            return common::errno_error("cannot sync " + shown(f->index), errno);
    if (parts) {
        auto fd = parts_fd(true);
        if (!fd) return fd.error();
        if (::fdatasync((*fd)->get()) != 0)
            return common::errno_error("cannot sync " + opt_.parts_path, errno);
    }
    return {};
}

common::Status FolderStore::select_file(std::size_t index) {
    if (index >= entries_.size()) return make_error(Errc::invalid_argument, "no such file");
    const Entry& e = entries_[index];
    if (e.padding || in_folder(index)) return {};
    if (opt_.mode != Mode::create_or_open)
        return make_error(Errc::invalid_argument, "a seeded folder has every file");
    // No write may land in the parts file between the copy and the switch.
    std::unique_lock writing(write_mu_);
    auto fd = common::open_beneath(folder_.get(), e.segments, true, shown(index));
    if (!fd) return fd.error();
    if (::ftruncate(fd->get(), static_cast<off_t>(e.length)) != 0)
        return common::errno_error("cannot size " + shown(index), errno);
    // What the parts file holds of it, in bounded steps. Unwritten ranges
    // come back as zeros, which is what a sparse new file holds anyway.
    auto parts = parts_fd(false);
    if (parts) {
        std::vector<char> buf(std::min<std::uint64_t>(e.length, 1u << 20));
        for (std::uint64_t done = 0; done < e.length;) {
            const auto n =
                static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), e.length - done));
            const long long got = pread_some((*parts)->get(), e.offset + done, n, buf.data());
            if (got < 0)
                return common::errno_error("cannot read " + opt_.parts_path,
                                           static_cast<int>(-got));
            if (got == 0) break;  // nothing further was ever written
            if (int err = pwrite_all(fd->get(), done,
                                     std::string_view(buf.data(), static_cast<std::size_t>(got)));
                err != 0)
                return common::errno_error("cannot write " + shown(index), err);
            done += static_cast<std::uint64_t>(got);
        }
        if (::fdatasync(fd->get()) != 0)
            return common::errno_error("cannot sync " + shown(index), errno);
    }
    common::MutexLock lock(mu_);
    in_folder_[index] = true;
    return {};
}

}  // namespace mt::client
