#include "client/engine/partial.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>

#include "client/engine/folder_store.h"
#include "common/log.h"
#include "common/net/fd.h"

namespace mt::client {

using common::cat;
using common::Errc;
using common::make_error;

namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::size_t end = slash == std::string::npos ? path.size() : slash;
        if (end > start) out.push_back(path.substr(start, end - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

// The folder at `segments` below `root`, no link followed; invalid if any
// segment is missing or not a folder.
common::Fd open_dir_beneath(int root, const std::vector<std::string>& segments, std::size_t n) {
    common::Fd cur(::fcntl(root, F_DUPFD_CLOEXEC, 0));
    for (std::size_t i = 0; i < n && cur.valid(); ++i)
        cur.reset(::openat(cur.get(), segments[i].c_str(),
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    return cur;
}

std::string kind_text(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISREG(mode)) return "a file";
    return "a special file";
}

}  // namespace

std::string partial_path(const std::string& dest) {
    return dest + ".part";
}

common::Result<ExistingData> examine_existing(const common::Metainfo& meta,
                                              const std::string& dest) {
    struct stat st {};
    ExistingData out;
    if (::lstat(dest.c_str(), &st) != 0) {
        if (errno == ENOENT) return out;
        return common::errno_error("cannot look at " + dest, errno);
    }
    out.kind = ExistingData::Kind::other;
    const bool folder = meta.multi_file();
    if (folder ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        out.why = cat("it is ", kind_text(st.st_mode), "; the torrent holds ",
                      folder ? "a folder" : "a file");
        return out;
    }
    if (!folder && static_cast<std::uint64_t>(st.st_size) != meta.length) {
        out.why = cat("it holds ", st.st_size, " bytes, the torrent's file ", meta.length);
        return out;
    }
    auto storage = open_data(meta, dest, /*existing=*/true);
    if (!storage) {
        out.why = storage.error().message;  // a file missing, of another size, a link
        return out;
    }
    auto bad = count_bad_pieces(**storage, meta);
    if (!bad) return bad.error();
    if (*bad) {
        out.why = cat(*bad, " of ", meta.piece_count(), " pieces differ from the torrent's");
        return out;
    }
    out.kind = ExistingData::Kind::complete;
    return out;
}

common::Status finish_partial(const std::string& dest) {
    const std::string part = partial_path(dest);
    struct stat st {};
    if (::lstat(part.c_str(), &st) != 0 && errno == ENOENT && ::lstat(dest.c_str(), &st) == 0)
        return {};  // renamed before (a restart after the rename)
    if (::renameat2(AT_FDCWD, part.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) == 0)
        return {};
    int err = errno;
    if (err == EINVAL || err == ENOSYS) {
        // A file system without RENAME_NOREPLACE: a file is linked (which
        // never replaces) and its old name dropped; a folder is renamed if
        // nothing is there (a narrow race, on such file systems only).
        if (::lstat(part.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
            if (::link(part.c_str(), dest.c_str()) == 0) {
                ::unlink(part.c_str());
                return {};
            }
            err = errno;
        } else if (::lstat(dest.c_str(), &st) != 0 && errno == ENOENT) {
            if (::rename(part.c_str(), dest.c_str()) == 0) return {};
            err = errno;
        } else {
            err = EEXIST;
        }
    }
    if (err == EEXIST || err == ENOTEMPTY)
        return make_error(Errc::invalid_argument,
                          cat(dest, " appeared while it downloaded; the data stays in ", part));
    return common::errno_error("cannot rename " + part + " to " + dest, err);
}

common::Status discard_partial(const std::string& dest, const FileLayout& layout) {
    const std::string part = partial_path(dest);
    auto r = delete_torrent_data(part, layout);
    if (!r) return r.error();
    if (r->folder_kept)
        return make_error(Errc::invalid_argument, part + " is not empty; left as it is");
    if (r->left)
        return make_error(Errc::invalid_argument,
                          part + " is not what the download wrote (a link?); left as it is");
    return {};
}

namespace {

// In the folder `root`, the layout's files ("<name>/<inside>": the part
// after the top), then its folders left empty.
common::Status delete_listed(int root, const std::string& path, const FileLayout& layout,
                             DataRemoval& out) {
    std::set<std::vector<std::string>> dirs;
    for (const auto& f : layout.files) {
        if (f.padding || f.path.empty()) continue;
        auto segs = split_path(f.path);
        if (segs.size() < 2) continue;
        segs.erase(segs.begin());
        for (std::size_t n = 1; n < segs.size(); ++n)
            dirs.insert(std::vector<std::string>(segs.begin(), segs.begin() + n));
        common::Fd parent = open_dir_beneath(root, segs, segs.size() - 1);
        struct stat st {};
        if (!parent.valid() ||
            ::fstatat(parent.get(), segs.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;  // not there
        if (!S_ISREG(st.st_mode)) {
            ++out.left;
            continue;
        }
        if (::unlinkat(parent.get(), segs.back().c_str(), 0) != 0)
            return common::errno_error("cannot delete " + path + "/" + f.path, errno);
        ++out.files;
    }
    // The deepest folders first; one still holding something stays.
    std::vector<std::vector<std::string>> order(dirs.begin(), dirs.end());
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& d : order) {
        common::Fd parent = open_dir_beneath(root, d, d.size() - 1);
        if (parent.valid()) ::unlinkat(parent.get(), d.back().c_str(), AT_REMOVEDIR);
    }
    return {};
}

}  // namespace

common::Result<DataRemoval> delete_torrent_data(const std::string& path, const FileLayout& layout) {
    DataRemoval out;
    const bool folder = std::any_of(layout.files.begin(), layout.files.end(), [](const auto& f) {
        return f.path.find('/') != std::string::npos;
    });
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
        return errno == ENOENT ? common::Result<DataRemoval>(out)
                               : common::errno_error("cannot look at " + path, errno);
    if (folder != S_ISDIR(st.st_mode) || (!folder && !S_ISREG(st.st_mode))) {
        out.left = 1;  // not what the torrent made there: never deleted
        return out;
    }
    if (!folder) {
        if (::unlink(path.c_str()) != 0) return common::errno_error("cannot delete " + path, errno);
        out.files = 1;
        return out;
    }
    common::Fd root(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root.valid()) return common::errno_error("cannot open " + path, errno);
    if (auto s = delete_listed(root.get(), path, layout, out); !s) return s.error();
    if (::rmdir(path.c_str()) != 0) out.folder_kept = true;
    return out;
}

}  // namespace mt::client
