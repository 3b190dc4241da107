#include "client/create/metainfo_builder.h"

#include <sys/stat.h>

#include <cerrno>
#include <ctime>

#include "common/tracker_url.h"
#include "common/version.h"

namespace mt::client {

using common::Errc;
using common::make_error;

common::Result<common::Metainfo> create_metainfo(const std::string& file_path,
                                                 const CreateOptions& options) {
    if (options.trackers.empty())
        return make_error(Errc::invalid_argument,
                          "no tracker given: pass --tracker URL (twice for the tracker pair)");
    for (const auto& url : options.trackers)
        if (auto u = common::parse_tracker_url(url); !u) return u.error();

    struct stat st {};
    if (::stat(file_path.c_str(), &st) != 0)
        return common::errno_error("cannot open " + file_path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::invalid_argument, file_path + " is not a regular file");
    if (st.st_size == 0)
        return make_error(Errc::invalid_argument,
                          file_path + " is empty: a torrent needs at least one byte to share");

    std::string name = options.name;
    if (name.empty()) {
        const auto slash = file_path.find_last_of('/');
        name = slash == std::string::npos ? file_path : file_path.substr(slash + 1);
    }
    if (auto s = common::check_path_segment(name, "file name"); !s) return s.error();

    const auto length = static_cast<std::uint64_t>(st.st_size);
    auto pieces = hash_file_pieces(file_path, length, options.piece_length, options.hash);
    if (!pieces) return pieces.error();
    const std::int64_t date = options.creation_date ? options.creation_date
                                                    : static_cast<std::int64_t>(std::time(nullptr));
    return common::make_single_file_metainfo(std::move(name), length, options.piece_length,
                                             std::move(pieces).value(), options.trackers, date,
                                             common::kCreatedBy);
}

}  // namespace mt::client
