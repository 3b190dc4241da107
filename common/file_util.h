// Whole-file reads with a size bound, and crash-safe replacement of a file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mt::common {

// Reads all of `path`; Errc::limit_exceeded if it is larger than max_size,
// Errc::not_found if it does not exist.
Result<std::string> read_file(const std::string& path, std::uint64_t max_size);

// Replaces `path` atomically: writes a temporary file beside it, fsyncs it,
// renames it over `path` and fsyncs the directory. After a crash the file
// holds either the old or the new contents, never a mix. `mode` applies to a
// newly created file.
// `durable` false skips both fsyncs: the replacement is still all-or-nothing
// for readers, but a crash may leave the old file (for outputs a user can
// regenerate, where an fsync would cost more than the work).
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644,
                         bool durable = true);

// Fails with Errc::invalid_argument if `path` exists and overwrite is false.
Status write_file_atomic_new(const std::string& path, std::string_view data, bool overwrite,
                             bool durable = true);

}  // namespace mt::common
