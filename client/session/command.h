// The prompt's command language: tokenising a line and checking a command's
// shape. Pure: no I/O, no session; client/session/session.cpp carries the commands out.
//
// A line is split on blanks (space, tab). Double or single quotes group a
// token with blanks in it ("my file.bin"); inside double quotes and outside
// quotes a backslash takes the next character literally (\" \\ \ ); inside
// single quotes nothing is special. Adjacent quoted and plain parts join
// (a"b c"d is one token `ab cd`). An unterminated quote or a trailing
// backslash is an error (Errc::parse_error naming the column).
//
// Commands (the table in command.cpp, with their usage and help texts):
//   share, get, show downloads [--watch], remove [--keep | --delete-data],
//   pause, resume, verify, limit, search, watch, unwatch, status, peers,
//   files, select, deselect, help [command], quit | exit
// The command word is case-insensitive (SHOW Downloads); arguments are not.
// `search` takes the rest of the line as its text (joined with one space);
// `limit up|down <KiB/s | off>` has its first argument lowered; `remove`'s
// second argument, if any, is --keep or --delete-data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mt::client {

common::Result<std::vector<std::string>> tokenize(std::string_view line);

enum class CommandKind {
    empty,  // a blank line: no reply
    share,
    get,
    show_downloads,
    remove,
    search,
    watch,
    unwatch,
    status,
    peers,
    files,
    select,
    deselect,
    pause,
    resume,
    verify,
    limit,
    help,
    quit,
};

struct Command {
    CommandKind kind = CommandKind::empty;
    std::vector<std::string> args;  // the arguments after the command word(s)
};

// The reply's failure when the line is not a well-formed command: the code
// (UNKNOWN_COMMAND, INVALID_ARGUMENTS) and the usage line to show.
struct CommandError {
    std::string code;
    std::string detail;
};

// Parses one line. Errors: INVALID_ARGUMENTS for a quoting error or a wrong
// argument count (detail: that command's usage), UNKNOWN_COMMAND otherwise
// (detail: the usage line listing every command).
struct ParsedCommand {
    Command command;
    CommandError error;  // code empty: the command is valid
    bool ok() const { return error.code.empty(); }
};
ParsedCommand parse_command(std::string_view line);

// "usage: share <file> <name>.mtorrent" for one command ("" for unknown).
std::string command_usage(CommandKind kind);
// One line naming every command.
std::string usage_line();
// The help text: one line per command with what it does.
std::vector<std::string> help_lines();
// `help <word>`: its usage, what it does and more (empty: not a command).
std::vector<std::string> help_about(std::string_view word);
// Every command word, aliases included (for Tab completion).
std::vector<std::string> command_words();
// The command a mistyped word most likely meant (at most two edits, or a
// start of it), "" if none is close.
std::string nearest_command(std::string_view word);

}  // namespace mt::client
