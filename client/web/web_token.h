// The web interface's token: 32 random bytes as 64 hex digits in
// <state folder>/web.token, mode 0600, made at the first start and kept
// across restarts (so a bookmarked URL keeps working).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/result.h"

namespace mt::client::web {

// Why a token file with this owner and mode is not trusted (another user's,
// or readable or writable by group or others), or nullopt.
std::optional<std::string> token_file_problem(const std::string& path, uid_t owner, mode_t mode,
                                              uid_t me);

// Reads the token at `path` (no symbolic link followed), or makes one there
// if nothing is. Errors: Errc::refused for an untrusted file (see
// token_file_problem; the message says what to do), Errc::invalid_argument
// for a file that does not hold at least 32 hex digits, io errors.
common::Result<std::string> load_or_create_token(const std::string& path);

}  // namespace mt::client::web
