#include "common/file_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/hex.h"
#include "common/net/socket.h"
#include "common/random.h"

namespace mt::common {

namespace {

Result<std::string> read_fd(const Fd& fd, const std::string& path, std::uint64_t max_size) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat " + path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::invalid_argument, path + " is not a regular file");
    if (static_cast<std::uint64_t>(st.st_size) > max_size)
        return make_error(Errc::limit_exceeded, path + " is " + std::to_string(st.st_size) +
                                                    " bytes, over the limit of " +
                                                    std::to_string(max_size));
    std::string data;
    char buf[65536];
    while (true) {
        const ssize_t r = ::read(fd.get(), buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return errno_error("cannot read " + path, errno);
        if (r == 0) break;
        data.append(buf, static_cast<std::size_t>(r));
        if (data.size() > max_size)
            return make_error(Errc::limit_exceeded, path + " grew past the limit of " +
                                                        std::to_string(max_size) + " bytes");
    }
    return data;
}

Error symlink_refused(const std::string& path) {
    return make_error(Errc::refused, path +
                                         " is a symbolic link; refusing to write through it "
                                         "(remove it or choose another destination)");
}

Result<Fd> open_dir(const std::string& dir) {
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd.valid()) return errno_error("cannot open folder " + dir, errno);
    return dfd;
}

// The existing file we are about to write into: a regular file of ours with
// one link (a hard link to another user's file must not become our target).
Status check_own_regular(const Fd& fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat " + path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::refused, path + " is not a regular file; refusing to write to it");
    if (st.st_uid != ::geteuid())
        return make_error(Errc::refused, path +
                                             " belongs to another user; refusing to write to it "
                                             "(remove it or choose another destination)");
    if (st.st_nlink > 1)
        return make_error(Errc::refused,
                          path + " has " + std::to_string(st.st_nlink) +
                              " hard links; refusing to write to it (choose another destination)");
    return {};
}

Status clear_nonblock(const Fd& fd, const std::string& path) {
    const int fl = ::fcntl(fd.get(), F_GETFL);
    if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0)
        return errno_error("cannot set flags of " + path, errno);
    return {};
}

// One attempt: O_EXCL creation, else the existing file without following a
// link. ENOENT from the second open (removed in between) comes back as is.
Result<Fd> create_or_open_at(int dfd, const std::string& name, const std::string& path,
                             unsigned perm) {
    const int base = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    Fd fd(::openat(dfd, name.c_str(), base | O_CREAT | O_EXCL, perm));
    if (fd.valid()) return fd;
    if (errno != EEXIST) return errno_error("cannot create " + path, errno);
    fd.reset(::openat(dfd, name.c_str(), base));
    if (!fd.valid()) {
        if (errno == ELOOP) return symlink_refused(path);
        return errno_error("cannot open " + path, errno);
    }
    if (auto s = check_own_regular(fd, path); !s) return s.error();
    return fd;
}

// The system's own links to this process's streams (/dev/stderr ->
// /proc/self/fd/2): nobody else can plant anything at these names.
bool is_system_stream(const std::string& path) {
    if (path == "/dev/stdout" || path == "/dev/stderr" || path == "/dev/null" || path == "/dev/tty")
        return true;
    for (const std::string prefix : {"/dev/fd/", "/proc/self/fd/"})
        if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
            path.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
            return true;
    return false;
}

Status write_atomic(const std::string& path, const std::vector<std::string_view>& parts,
                    unsigned mode, bool durable, bool replace) {
    const DirAndName dn = split_path(path);
    if (dn.name.empty() || dn.name == "." || dn.name == "..")
        return make_error(Errc::invalid_argument, "cannot write " + path + ": not a file name");
    auto dfd = open_dir(dn.dir);
    if (!dfd) return dfd.error();
    std::string tmp;
    Fd fd;
    for (int attempt = 0; attempt < 8 && !fd.valid(); ++attempt) {
        tmp = dn.name + ".tmp." + to_hex(random_bytes(8));
        fd.reset(::openat(dfd->get(), tmp.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
        if (!fd.valid() && errno != EEXIST)
            return errno_error("cannot create a temporary file beside " + path, errno);
    }
    if (!fd.valid())
        return make_error(Errc::io_error, "cannot create a temporary file beside " + path +
                                              ": every random name was taken");
    auto discard = [&](Error e) {
        ::unlinkat(dfd->get(), tmp.c_str(), 0);
        return e;
    };
    // A big durable file is synced as it goes, every kSyncEvery bytes: on
    // ext4 (data=ordered) an fsync of any other file (a journal's) must also
    // write out every dirty block of this one, so a backlog of hundreds of
    // MB would stall it for seconds.
    constexpr std::size_t kSyncEvery = 4u << 20;
    std::size_t unsynced = 0;
    for (std::string_view data : parts)
        while (!data.empty()) {
            const std::string_view chunk = data.substr(0, kSyncEvery - unsynced);
            if (auto s = write_all(fd.get(), chunk); !s)
                return discard(make_error(s.error().code, "cannot write " + dn.dir + "/" + tmp +
                                                              ": " + s.error().message));
            data.remove_prefix(chunk.size());
            unsynced += chunk.size();
            if (unsynced == kSyncEvery) {
                if (durable && ::fdatasync(fd.get()) != 0)
                    return discard(errno_error("cannot fdatasync " + dn.dir + "/" + tmp, errno));
                unsynced = 0;
            }
        }
    if (durable && ::fsync(fd.get()) != 0)
        return discard(errno_error("cannot fsync " + dn.dir + "/" + tmp, errno));
    fd.reset();
    if (replace) {
        if (::renameat(dfd->get(), tmp.c_str(), dfd->get(), dn.name.c_str()) != 0)
            return discard(errno_error("cannot rename " + tmp + " to " + path, errno));
    } else if (::renameat2(dfd->get(), tmp.c_str(), dfd->get(), dn.name.c_str(),
                           RENAME_NOREPLACE) != 0) {
        int err = errno;
        // A file system without RENAME_NOREPLACE: link() refuses an existing
        // name just as well.
        if (err == EINVAL || err == ENOSYS) {
            err =
                ::linkat(dfd->get(), tmp.c_str(), dfd->get(), dn.name.c_str(), 0) == 0 ? 0 : errno;
            ::unlinkat(dfd->get(), tmp.c_str(), 0);
        }
        if (err == EEXIST) {
            ::unlinkat(dfd->get(), tmp.c_str(), 0);
            return make_error(Errc::invalid_argument,
                              path + " already exists (use --force to replace it)");
        }
        if (err != 0) return discard(errno_error("cannot rename " + tmp + " to " + path, err));
    }
    if (durable) ::fsync(dfd->get());
    return {};
}

}  // namespace

DirAndName split_path(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return {".", path};
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

Result<std::string> read_file(const std::string& path, std::uint64_t max_size) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return errno_error("cannot open " + path, errno);
    return read_fd(fd, path, max_size);
}

Result<std::string> read_own_file(const std::string& path, std::uint64_t max_size) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd.valid()) {
        if (errno == ELOOP)
            return make_error(Errc::refused, path + " is a symbolic link; not trusted");
        return errno_error("cannot open " + path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat " + path, errno);
    if (S_ISREG(st.st_mode) && st.st_uid != ::geteuid())
        return make_error(Errc::refused, path + " belongs to another user; not trusted");
    return read_fd(fd, path, max_size);
}

Result<Fd> open_for_write(const std::string& path, WriteMode how, unsigned perm) {
    const DirAndName dn = split_path(path);
    if (dn.name.empty() || dn.name == "." || dn.name == "..")
        return make_error(Errc::invalid_argument, "cannot write " + path + ": not a file name");
    auto dfd = open_dir(dn.dir);
    if (!dfd) return dfd.error();
    Fd fd;
    switch (how) {
        case WriteMode::create_new:
            fd.reset(::openat(dfd->get(), dn.name.c_str(),
                              O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
                              perm));
            if (!fd.valid() && errno == EEXIST) {
                struct stat st {};
                const bool link =
                    ::fstatat(dfd->get(), dn.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode);
                return make_error(Errc::invalid_argument,
                                  path + " already exists" +
                                      (link ? " (a symbolic link, not followed)" : "") +
                                      "; choose another destination");
            }
            if (!fd.valid()) return errno_error("cannot create " + path, errno);
            break;
        case WriteMode::create_or_open:
            for (int attempt = 0; attempt < 4 && !fd.valid(); ++attempt) {
                auto r = create_or_open_at(dfd->get(), dn.name, path, perm);
                if (r) {
                    fd = std::move(r).value();
                } else if (r.error().code != Errc::not_found || attempt == 3) {
                    return r.error();
                }
            }
            break;
        case WriteMode::append:
            // No O_NONBLOCK: a FIFO as the log waits for its reader, as before.
            if (is_system_stream(path)) {
                fd.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
                if (!fd.valid()) return errno_error("cannot open " + path, errno);
                return fd;
            }
            fd.reset(::openat(dfd->get(), dn.name.c_str(),
                              O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, perm));
            if (!fd.valid() && errno == ELOOP) return symlink_refused(path);
            if (!fd.valid()) return errno_error("cannot open " + path, errno);
            return fd;
    }
    if (auto s = clear_nonblock(fd, path); !s) return s.error();
    return fd;
}

Result<Fd> open_beneath(int root, const std::vector<std::string>& segments, bool create,
                        const std::string& shown, unsigned perm) {
    if (segments.empty()) return make_error(Errc::invalid_argument, "no file name: " + shown);
    for (const auto& s : segments)
        if (s.empty() || s == "." || s == ".." || s.find('/') != std::string::npos ||
            s.find('\0') != std::string::npos)
            return make_error(Errc::invalid_argument, "not a plain name in " + shown);
    Fd dir;
    int at = root;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
        const char* name = segments[i].c_str();
        Fd next(::openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next.valid() && errno == ENOENT && create) {
            if (::mkdirat(at, name, 0755) != 0 && errno != EEXIST)
                return errno_error("cannot make a folder for " + shown, errno);
            next.reset(::openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        }
        if (!next.valid()) {
            const int e = errno;
            if (e == ELOOP || e == ENOTDIR) {
                struct stat st {};
                if (::fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                    return make_error(Errc::refused, shown +
                                                         ": a folder on its path is a symbolic "
                                                         "link; not followed");
                return make_error(Errc::refused, shown + ": a folder on its path is not a folder");
            }
            return errno_error("cannot open " + shown, e);
        }
        dir = std::move(next);
        at = dir.get();
    }
    const std::string& leaf = segments.back();
    if (create) {
        // Most calls reopen a file made earlier: try it as it is first (no
        // link followed, ours, one link), then create it exclusively.
        Fd existing(::openat(at, leaf.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (existing.valid()) {
            if (auto s = check_own_regular(existing, shown); !s) return s.error();
            if (auto s = clear_nonblock(existing, shown); !s) return s.error();
            return existing;
        }
        if (errno == ELOOP) return symlink_refused(shown);
        for (int attempt = 0;; ++attempt) {
            auto r = create_or_open_at(at, leaf, shown, perm);
            if (r) {
                if (auto s = clear_nonblock(*r, shown); !s) return s.error();
                return r;
            }
            if (r.error().code != Errc::not_found || attempt == 3) return r.error();
        }
    }
    Fd fd(::openat(at, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid()) {
        const int e = errno;
        if (e == ELOOP)
            return make_error(Errc::refused, shown + " is a symbolic link; not followed");
        return errno_error("cannot open " + shown, e);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat " + shown, errno);
    if (!S_ISREG(st.st_mode)) return make_error(Errc::refused, shown + " is not a regular file");
    if (auto s = clear_nonblock(fd, shown); !s) return s.error();
    return fd;
}

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode,
                         bool durable) {
    return write_atomic(path, {data}, mode, durable, /*replace=*/true);
}

Status write_file_atomic_parts(const std::string& path, const std::vector<std::string_view>& parts,
                               unsigned mode, bool durable) {
    return write_atomic(path, parts, mode, durable, /*replace=*/true);
}

Status write_file_atomic_new(const std::string& path, std::string_view data, bool overwrite,
                             bool durable, unsigned mode) {
    return write_atomic(path, {data}, mode, durable, /*replace=*/overwrite);
}

}  // namespace mt::common
