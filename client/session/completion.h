// Tab completion for the prompt (client/session/line_editor.h's Completer):
// which words may follow what is typed. Pure but for list_directory().
//
// The command word completes to a command (any case typed); then, by
// command and position: transfer names (remove, pause, resume, peers, files,
// select, deselect), file and folder paths (share, get, watch, unwatch:
// folders only), the fixed words (show downloads --watch, help <command>,
// limit up|down off, remove --keep, get --only). A candidate comes escaped
// for client/session/command.h's tokenize (a backslash before blanks,
// quotes and backslashes); a folder ends in '/'. Dot files are offered only
// when the typed part of the name starts with a dot.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "client/session/line_editor.h"

namespace mt::client {

struct CompletionSource {
    std::vector<std::string> names;  // the transfers' labels
    // The entries of a folder ("" is the current folder), folders ending in
    // '/'; empty when it cannot be read.
    std::function<std::vector<std::string>(const std::string& dir)> list_dir;
};

LineEditor::Completion complete_line(std::string_view before_cursor, const CompletionSource& src);

// The entries of `dir` for completion: at most `max` of them, names with
// control bytes left out, folders (links to folders too) ending in '/'.
std::vector<std::string> list_directory(const std::string& dir, std::size_t max = 5000);

}  // namespace mt::client
