// The pair's shared secret on disk (--secret-file, default ./mtorrent.secret).
//
// Whoever can write the secret can join the replication link, and whoever
// planted it knows it; so, as OpenSSH treats private keys, the file is used
// only if it is a regular file (not a symlink, which is never followed),
// owned by the user running the tracker, with no permission bits for group
// or others. Otherwise the tracker refuses to start, saying why and what to do.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/log.h"
#include "common/result.h"

namespace mt::tracker {

// Loads the secret from `path` (at least 32 bytes once trailing whitespace
// is trimmed), creating it if it does not exist: 32 random bytes as hex are
// written to a temporary file created exclusively beside it (O_EXCL,
// O_NOFOLLOW, mode 0600, unpredictable name), then link()ed into place.
// link() follows no symlink and fails if anything is there, so two trackers
// started at once in one folder agree on one secret, and a file or link
// planted first is found and judged rather than written through.
// Errors (messages name the file): Errc::refused for a file that must not be
// trusted (symlink, not a regular file, other owner, group/other bits);
// Errc::invalid_argument for a too short secret; Errc::io_error otherwise.
common::Result<std::string> load_or_create_secret(const std::string& path, common::Logger& log);

// Why a regular file with this owner and mode must not hold the secret of a
// tracker run by user `me`, or nullopt if it may.
std::optional<std::string> secret_file_problem(const std::string& path, uid_t owner, mode_t mode,
                                               uid_t me);

}  // namespace mt::tracker
