#include "client/session/path_util.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

namespace mt::client {

std::string base_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string absolute_path(std::string path) {
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf)) return buf;
    if (::realpath(dir_name(path).c_str(), buf)) {
        const std::string dir = buf;
        return (dir == "/" ? "" : dir) + "/" + base_name(path);
    }
    if (!path.empty() && path[0] == '/') return path;
    if (::getcwd(buf, sizeof buf)) return std::string(buf) + "/" + path;
    return path;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

common::Status make_dirs(const std::string& path, unsigned mode) {
    std::size_t i = 0;
    while (i <= path.size()) {
        const auto slash = path.find('/', i);
        const std::string cur = path.substr(0, slash == std::string::npos ? path.size() : slash);
        if (!cur.empty() && ::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
            return common::errno_error("cannot create folder " + cur, errno);
        if (slash == std::string::npos) break;
        i = slash + 1;
    }
    if (!is_dir(path))
        return common::make_error(common::Errc::invalid_argument,
                                  path + " exists and is not a folder");
    return {};
}

common::Status make_named_folder(const std::string& dest, bool* made) {
    if (made) *made = false;
    if (dest.empty() || dest.back() != '/') return {};
    if (path_exists(dest)) {
        if (!is_dir(dest))
            return common::make_error(common::Errc::invalid_argument, dest + " is not a folder");
        return {};
    }
    if (auto s = make_dirs(dest); !s) return s;
    if (made) *made = true;
    return {};
}

common::Status check_private_dir(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return common::errno_error("cannot open " + path, errno);
    if (!S_ISDIR(st.st_mode))
        return common::make_error(common::Errc::invalid_argument, path + " is not a folder");
    if (st.st_uid != ::geteuid())
        return common::make_error(common::Errc::refused,
                                  path + " belongs to user " + std::to_string(st.st_uid) +
                                      ", not to us; refusing to trust the files in it");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return common::make_error(common::Errc::refused,
                                  path +
                                      " can be written by other users; refusing to trust the "
                                      "files in it (chmod go-w " +
                                      path + ")");
    return {};
}

std::string to_lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace mt::client
