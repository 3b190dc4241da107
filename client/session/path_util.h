// Small path helpers for the session (POSIX paths, no normalisation beyond
// what realpath() does).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace mt::client {

std::string base_name(const std::string& path);  // "a/b.txt" -> "b.txt"
std::string dir_name(const std::string& path);   // "a/b.txt" -> "a", "b" -> ".", "/b" -> "/"
// The absolute form: realpath() when the path exists; otherwise its folder
// resolved (when that exists) and the last segment appended; trailing
// slashes dropped.
std::string absolute_path(std::string path);
bool ends_with(std::string_view s, std::string_view suffix);
bool is_dir(const std::string& path);       // follows symbolic links
bool path_exists(const std::string& path);  // anything, even a dangling link
// mkdir -p (new folders get `mode`); invalid_argument if something that is
// not a folder is in the way.
common::Status make_dirs(const std::string& path, unsigned mode = 0755);
// A download destination that ends in '/' names a folder: made (make_dirs)
// if missing, invalid_argument if something else is there; `*made` tells
// whether it was made. Any other destination: nothing done.
common::Status make_named_folder(const std::string& dest, bool* made = nullptr);
// For a folder whose files we trust (the state folder): Errc::refused unless
// `path` is a folder that this user owns and that neither group nor others
// can write (whoever can write there could plant a state file that shares
// any of our files, or swap the files we keep there).
common::Status check_private_dir(const std::string& path);
std::string to_lower(std::string s);  // ASCII

}  // namespace mt::client
