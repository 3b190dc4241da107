// Files: whole-file reads with a size bound, the one safe way to open a file
// for writing, and crash-safe replacement of a file.
//
// Every path of ours that writes a file goes through open_for_write() or
// write_file_atomic(): a symbolic link in the last component of the path is
// never followed (O_NOFOLLOW, and O_EXCL for new files), the check of what is
// at the path and the open are one system call (openat() on the folder's
// descriptor), and temporary files get unpredictable names (random suffix
// from OpenSSL's generator) and are created exclusively. Folders along the
// way are the caller's: they are followed as given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/fd.h"
#include "common/result.h"

namespace mt::common {

// Reads all of `path`; Errc::limit_exceeded if it is larger than max_size,
// Errc::not_found if it does not exist, Errc::invalid_argument if it is not
// a regular file.
Result<std::string> read_file(const std::string& path, std::uint64_t max_size);

// read_file() for state that we wrote and that decides what we trust (resume
// files): also Errc::refused if the last component is a symbolic link or the
// file belongs to another user.
Result<std::string> read_own_file(const std::string& path, std::uint64_t max_size);

enum class WriteMode {
    // The file must not exist; created with O_CREAT|O_EXCL, opened read/write.
    create_new,
    // Created exclusively if missing; otherwise the existing file is opened
    // read/write, only if it is a regular file that this user owns and that
    // has no other hard link.
    create_or_open,
    // Write-only, O_APPEND, created if missing (logs). An existing file may
    // be anything but a symbolic link (a FIFO, a terminal...). The system's
    // links to our own streams (/dev/stdout, /dev/stderr, /dev/null,
    // /dev/tty, /dev/fd/N, /proc/self/fd/N) are opened as given.
    append,
};

// Opens `path` for writing, never through a symbolic link in its last
// component; new files get `perm` (less the umask). Errors name the path and
// say what to do:
//   Errc::invalid_argument "already exists"  create_new, and something is there
//   Errc::refused  a symbolic link is at the path, or (create_or_open) the
//                  file is not a regular file, belongs to another user or has
//                  other hard links
//   Errc::not_found  the folder does not exist
//   Errc::io_error  any other failure of the system call
Result<Fd> open_for_write(const std::string& path, WriteMode how, unsigned perm = 0644);

// Opens the file at `segments` below the folder `root` (a descriptor),
// following no symbolic link on the way: every folder is opened with
// O_NOFOLLOW|O_DIRECTORY and the file with O_NOFOLLOW, each relative to the
// one before (openat), so nothing planted in the tree can lead outside it.
// `shown` names the file in errors. With `create`, missing folders are made
// (0755) and the file as open_for_write(create_or_open) would (a regular
// file of ours with one link, else Errc::refused), opened read/write;
// without, the file must exist and is opened read-only (Errc::not_found if
// it or a folder on the way is missing). A segment must be a plain name (no
// '/', not "", "." or ".."): Errc::invalid_argument otherwise.
Result<Fd> open_beneath(int root, const std::vector<std::string>& segments, bool create,
                        const std::string& shown, unsigned perm = 0644);

// Replaces `path` atomically: writes a temporary file beside it
// ("<path>.tmp.<16 random hex digits>", created exclusively, no link
// followed), fsyncs it, renames it over `path` and fsyncs the directory.
// After a crash the file holds either the old or the new contents, never a
// mix. A symbolic link at `path` is replaced, not followed. `mode` applies to
// a newly created file.
// `durable` false skips both fsyncs: the replacement is still all-or-nothing
// for readers, but a crash may leave the old file (for outputs a user can
// regenerate, where an fsync would cost more than the work).
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644,
                         bool durable = true);
// The same for a file written in parts (their concatenation), so that a
// large file need not be assembled in memory first.
Status write_file_atomic_parts(const std::string& path, const std::vector<std::string_view>& parts,
                               unsigned mode = 0644, bool durable = true);

// write_file_atomic(); unless `overwrite`, fails with Errc::invalid_argument
// if anything is at `path` (even a dangling link), checked by the rename
// itself (RENAME_NOREPLACE), so nothing can slip in between: an exclusive
// creation of a complete file (`mode` 0600 for a secret).
Status write_file_atomic_new(const std::string& path, std::string_view data, bool overwrite,
                             bool durable = true, unsigned mode = 0644);

// "a/b" -> {"a", "b"}, "b" -> {".", "b"}, "/b" -> {"/", "b"}.
struct DirAndName {
    std::string dir;
    std::string name;
};
DirAndName split_path(const std::string& path);

}  // namespace mt::common
