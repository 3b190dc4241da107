#include "client/session/folder_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>

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
    if (ends_with(".mtorrent") || ends_with(".mtresume")) return false;
    if (name.find(".tmp.") != std::string_view::npos) return false;
    return true;
}

common::Result<FileSig> file_sig(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return common::errno_error("cannot stat " + path, errno);
    FileSig s;
    s.size = static_cast<std::uint64_t>(st.st_size);
    s.mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    return s;
}

common::Result<FolderSnapshot> scan_folder(const std::string& dir) {
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
        if (!watchable_name(name)) continue;
        struct stat st {};
        if (::fstatat(::dirfd(d.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISREG(st.st_mode) || st.st_size <= 0) continue;
        snap[name] = FileSig{static_cast<std::uint64_t>(st.st_size),
                             std::int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec};
    }
    return snap;
}

}  // namespace mt::client
