#include "client/session/folder_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/units.h"

namespace mt::client {

WatchDiff diff_folder(const FolderSnapshot& shared, const FolderSnapshot& previous,
                      const FolderSnapshot& current) {
    WatchDiff d;
    for (const auto& [name, sig] : current) {
        auto prev = previous.find(name);
        const bool stable = prev != previous.end() && prev->second == sig;
        if (!stable) continue;
        auto s = shared.find(name);
        if (s == shared.end())
            d.added.push_back(name);
        else if (!(s->second == sig))
            d.changed.push_back(name);
    }
    for (const auto& [name, sig] : shared)
        if (!current.count(name)) d.removed.push_back(name);
    return d;
}

bool watchable_name(std::string_view name) {
    auto ends_with = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
    };
    if (name.empty() || name[0] == '.') return false;
    // Ours, never a person's: metainfo, resume state, the sparse parts of
    // a folder's unselected files, and a download still in progress.
    if (ends_with(".mtorrent") || ends_with(".mtresume") || ends_with(".mtparts") ||
        ends_with(".part"))
        return false;
    if (name.find(".tmp.") != std::string_view::npos) return false;
    return true;
}

namespace {

std::int64_t ns_of(const timespec& t) {
    return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

// Adds the regular files below `dir` (no link followed) to `sig`: their
// sizes summed, the latest change (mtime or ctime) of anything in the tree.
common::Status add_tree(const std::string& dir, int depth, std::size_t& entries, FileSig& sig) {
    if (depth > 256) return common::make_error(common::Errc::invalid_argument, dir + ": too deep");
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
    if (!d) return common::errno_error("cannot open folder " + dir, errno);
    while (const dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (++entries > 1000000)
            return common::make_error(common::Errc::invalid_argument, dir + ": too many files");
        const std::string path = dir + "/" + name;
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile
        sig.mtime_ns = std::max({sig.mtime_ns, ns_of(st.st_mtim), ns_of(st.st_ctim)});
        if (S_ISREG(st.st_mode)) sig.size += static_cast<std::uint64_t>(st.st_size);
        if (S_ISDIR(st.st_mode))
            if (auto s = add_tree(path, depth + 1, entries, sig); !s) return s;
    }
    return {};
}

}  // namespace

common::Result<FileSig> file_sig(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return common::errno_error("cannot stat " + path, errno);
    FileSig s;
    if (S_ISDIR(st.st_mode)) {
        std::size_t entries = 0;
        s.mtime_ns = std::max(ns_of(st.st_mtim), ns_of(st.st_ctim));
        if (auto r = add_tree(path, 0, entries, s); !r) return r.error();
        return s;
    }
    s.size = static_cast<std::uint64_t>(st.st_size);
    s.mtime_ns = ns_of(st.st_mtim);
    return s;
}

common::Result<FolderSnapshot> scan_folder(const std::string& dir, WatchSkips* skips) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
    if (!d) return common::errno_error("cannot open folder " + dir, errno);
    FolderSnapshot snap;
    while (true) {
        errno = 0;
        const dirent* e = ::readdir(d.get());
        if (!e) {
            if (errno != 0) return common::errno_error("cannot read folder " + dir, errno);
            break;
        }
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (!watchable_name(name)) {
            if (skips) ++skips->ours_or_hidden;
            continue;
        }
        struct stat st {};
        if (::fstatat(::dirfd(d.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            // A folder is shared as a folder torrent once it holds a byte;
            // its signature covers every file below it (file_sig).
            auto sig = file_sig(dir + "/" + name);
            if (sig && sig->size > 0)
                snap[name] = *sig;
            else if (skips)
                ++skips->empty;
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            if (skips) ++(S_ISLNK(st.st_mode) ? skips->links : skips->special);
            continue;
        }
        if (st.st_size <= 0) {
            if (skips) ++skips->empty;
            continue;
        }
        snap[name] = FileSig{static_cast<std::uint64_t>(st.st_size),
                             std::int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec};
    }
    return snap;
}

std::string WatchSkips::text() const {
    std::string out;
    auto add = [&](std::size_t n, const char* one, const char* many) {
        if (n) out += (out.empty() ? "" : ", ") + common::plural(n, one, many);
    };
    add(empty, "empty file or folder", "empty files or folders");
    add(links, "symbolic link", "symbolic links");
    add(special, "special file", "special files");
    add(ours_or_hidden, "hidden or mtorrent file", "hidden or mtorrent files");
    return out;
}

}  // namespace mt::client
