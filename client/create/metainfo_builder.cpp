#include "client/create/metainfo_builder.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "common/tracker_url.h"
#include "common/version.h"

namespace mt::client {

using common::Errc;
using common::make_error;

namespace {

constexpr std::size_t kMaxFolderFiles = 1'000'000;
constexpr std::size_t kMaxFolderDepth = 256;

std::string base_name(std::string path) {
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

common::Result<FolderListing> list_folder(const std::string& folder) {
    FolderListing out;
    struct Pending {
        std::string dir;  // path on disk
        std::vector<std::string> below;
    };
    std::vector<Pending> stack{{folder, {}}};
    std::size_t entries = 0;
    while (!stack.empty()) {
        Pending p = std::move(stack.back());
        stack.pop_back();
        DIR* d = ::opendir(p.dir.c_str());
        if (d == nullptr) return common::errno_error("cannot read folder " + p.dir, errno);
        std::vector<std::string> names;
        errno = 0;
        while (dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            names.push_back(name);
            if (++entries > kMaxFolderFiles) {
                ::closedir(d);
                return make_error(Errc::limit_exceeded, folder + " holds more than " +
                                                            std::to_string(kMaxFolderFiles) +
                                                            " files and folders");
            }
        }
        ::closedir(d);
        for (const auto& name : names) {
            std::vector<std::string> rel = p.below;
            rel.push_back(name);
            const std::string disk = p.dir + "/" + name;
            struct stat st {};
            if (::lstat(disk.c_str(), &st) != 0)
                return common::errno_error("cannot read " + disk, errno);
            if (S_ISDIR(st.st_mode)) {
                if (rel.size() >= kMaxFolderDepth)
                    return make_error(
                        Errc::limit_exceeded,
                        disk + " is deeper than " + std::to_string(kMaxFolderDepth) + " folders");
                stack.push_back({disk, std::move(rel)});
            } else if (S_ISREG(st.st_mode)) {
                if (auto s = common::check_path_segment(name, "file name"); !s) return s.error();
                out.files.push_back({std::move(rel), static_cast<std::uint64_t>(st.st_size)});
                out.total += static_cast<std::uint64_t>(st.st_size);
            } else {
                out.skipped.push_back(common::join_path(rel));
            }
        }
    }
    // By the whole path, each joined once (not twice per comparison).
    std::vector<std::pair<std::string, std::size_t>> keys;
    keys.reserve(out.files.size());
    for (std::size_t i = 0; i < out.files.size(); ++i)
        keys.emplace_back(common::join_path(out.files[i].path), i);
    std::sort(keys.begin(), keys.end());
    std::vector<common::MetainfoFile> sorted;
    sorted.reserve(keys.size());
    for (const auto& k : keys)
        sorted.push_back(std::move(out.files[k.second]));
    out.files = std::move(sorted);
    std::sort(out.skipped.begin(), out.skipped.end());
    return out;
}

common::Result<common::Metainfo> create_metainfo(const std::string& path,
                                                 const CreateOptions& options,
                                                 std::vector<std::string>* skipped) {
    if (options.trackers.empty())
        return make_error(Errc::invalid_argument,
                          "no tracker given: pass --tracker URL (twice for the tracker pair)");
    for (const auto& url : options.trackers)
        if (auto u = common::parse_tracker_url(url); !u) return u.error();

    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return common::errno_error("cannot open " + path, errno);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return make_error(Errc::invalid_argument, path + " is neither a regular file nor a folder");

    std::string name = options.name;
    if (name.empty()) name = base_name(path);
    if (S_ISDIR(st.st_mode) && (name == "." || name == ".." || name == "/")) {
        char resolved[PATH_MAX];
        if (::realpath(path.c_str(), resolved) != nullptr) name = base_name(resolved);
    }
    if (auto s = common::check_path_segment(name, "file name"); !s) return s.error();
    const std::int64_t date = options.creation_date ? options.creation_date
                                                    : static_cast<std::int64_t>(std::time(nullptr));

    if (S_ISREG(st.st_mode)) {
        if (st.st_size == 0)
            return make_error(Errc::invalid_argument,
                              path + " is empty: a torrent needs at least one byte to share");
        const auto length = static_cast<std::uint64_t>(st.st_size);
        auto pieces = hash_file_pieces(path, length, options.piece_length, options.hash);
        if (!pieces) return pieces.error();
        return common::make_single_file_metainfo(std::move(name), length, options.piece_length,
                                                 std::move(pieces).value(), options.trackers, date,
                                                 common::kCreatedBy);
    }

    auto listing = list_folder(path);
    if (!listing) return listing.error();
    if (skipped) *skipped = listing->skipped;
    if (listing->files.empty())
        return make_error(Errc::invalid_argument, path + " holds no file to share");
    if (listing->total == 0)
        return make_error(Errc::invalid_argument,
                          path +
                              " holds only empty files: a torrent needs at least one byte "
                              "to share");
    std::vector<HashSource> sources;
    for (const auto& f : listing->files)
        sources.push_back({path + "/" + common::join_path(f.path), f.length});
    auto pieces = hash_pieces(sources, options.piece_length, options.hash);
    if (!pieces) return pieces.error();
    return common::make_multi_file_metainfo(std::move(name), std::move(listing->files),
                                            options.piece_length, std::move(pieces).value(),
                                            options.trackers, date, common::kCreatedBy);
}

}  // namespace mt::client
