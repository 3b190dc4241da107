#include "client/session/command.h"

#include <cctype>

namespace mt::client {

using common::Errc;
using common::make_error;

common::Result<std::vector<std::string>> tokenize(std::string_view line) {
    std::vector<std::string> out;
    std::string cur;
    bool in_token = false;
    char quote = 0;  // 0, '"' or '\''
    std::size_t quote_col = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quote == '\'') {
            if (c == '\'')
                quote = 0;
            else
                cur.push_back(c);
            continue;
        }
        if (c == '\\') {
            if (i + 1 == line.size())
                return make_error(Errc::parse_error,
                                  "a backslash ends the line at column " + std::to_string(i + 1));
            cur.push_back(line[++i]);
            in_token = true;
            continue;
        }
        if (quote == '"') {
            if (c == '"')
                quote = 0;
            else
                cur.push_back(c);
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            quote_col = i + 1;
            in_token = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (in_token) out.push_back(std::move(cur));
            cur.clear();
            in_token = false;
            continue;
        }
        cur.push_back(c);
        in_token = true;
    }
    if (quote)
        return make_error(Errc::parse_error, std::string("the quote ") + quote + " at column " +
                                                 std::to_string(quote_col) + " is not closed");
    if (in_token) out.push_back(std::move(cur));
    return out;
}

namespace {

struct Spec {
    const char* word;
    CommandKind kind;
    int min_args, max_args;  // max -1: the rest of the line
    const char* usage;
    const char* help;
};

const Spec kSpecs[] = {
    {"share", CommandKind::share, 2, 2, "share <file> <name>.mtorrent",
     "hash a file, write its .mtorrent, publish it to the trackers and seed it"},
    {"get", CommandKind::get, 2, -1,
     "get <x.mtorrent | info_hash | name> <destination> [--only <glob>]...",
     "download in the background (a name or info_hash is looked up on the trackers; "
     "--only: those files of a folder)"},
    {"show", CommandKind::show_downloads, 1, 1, "show downloads",
     "one line per transfer: [D] downloading, [S] seeding, [M] finding metainfo, [!] failed"},
    {"remove", CommandKind::remove, 1, 2, "remove <name> [--keep]",
     "stop a transfer, tell the trackers, forget it (a finished file stays; an unfinished "
     "download's partial data is deleted unless --keep)"},
    {"search", CommandKind::search, 1, -1, "search [--all] <text>",
     "ask the trackers which files have <text> in their name (--all: with no peers too)"},
    {"watch", CommandKind::watch, 1, 1, "watch <dir>",
     "share every file in a folder and follow it (new, changed, deleted files)"},
    {"unwatch", CommandKind::unwatch, 1, 1, "unwatch <dir>",
     "stop following a folder and stop sharing its files"},
    {"status", CommandKind::status, 0, 0, "status",
     "each tracker: live or not, last announce, failures, which one is in use"},
    {"peers", CommandKind::peers, 1, 1, "peers <name>", "the peers connected for a transfer"},
    {"files", CommandKind::files, 1, 1, "files <name>",
     "a folder transfer's files: index, size, progress, selected or not"},
    {"select", CommandKind::select, 2, -1, "select <name> <index | glob>...",
     "download these files of a folder too (globs as get --only)"},
    {"deselect", CommandKind::deselect, 2, -1, "deselect <name> <index | glob>...",
     "stop downloading these files of a folder (what is on disk stays)"},
    {"help", CommandKind::help, 0, 0, "help", "this list"},
    {"quit", CommandKind::quit, 0, 0, "quit",
     "tell the trackers, save the state and exit (also exit, Ctrl-C, end of input)"},
    {"exit", CommandKind::quit, 0, 0, "exit", nullptr},
};

const Spec* find_spec(CommandKind kind) {
    for (const auto& s : kSpecs)
        if (s.kind == kind) return &s;
    return nullptr;
}

}  // namespace

std::string command_usage(CommandKind kind) {
    const Spec* s = find_spec(kind);
    return s ? std::string("usage: ") + s->usage : "";
}

std::string usage_line() {
    std::string u;
    for (const auto& s : kSpecs)
        u += (u.empty() ? "commands: " : " | ") + std::string(s.help ? s.usage : s.word);
    return u;
}

std::vector<std::string> help_lines() {
    std::vector<std::string> out;
    for (const auto& s : kSpecs) {
        if (!s.help) continue;
        std::string line = s.usage;
        if (line.size() < 50) line.resize(50, ' ');
        out.push_back(line + " " + s.help);
    }
    out.push_back("Replies start with SUCCESS:<value> or FAILURE:<REASON>; a list reply");
    out.push_back("(SUCCESS:<N> ...) is followed by N lines, each indented by two spaces.");
    return out;
}

ParsedCommand parse_command(std::string_view line) {
    ParsedCommand p;
    auto tokens = tokenize(line);
    if (!tokens) {
        p.error = {"INVALID_ARGUMENTS", tokens.error().message};
        return p;
    }
    auto& t = *tokens;
    if (t.empty()) return p;  // kind empty
    const Spec* spec = nullptr;
    for (const auto& s : kSpecs)
        if (t[0] == s.word) spec = &s;
    if (!spec) {
        std::string shown = t[0].size() > 40 ? t[0].substr(0, 40) + "..." : t[0];
        for (auto& ch : shown)
            if (!std::isprint(static_cast<unsigned char>(ch))) ch = '?';
        p.error = {"UNKNOWN_COMMAND", "'" + shown + "'; " + usage_line()};
        return p;
    }
    std::vector<std::string> args(t.begin() + 1, t.end());
    if (spec->kind == CommandKind::show_downloads) {
        if (args.size() != 1 || args[0] != "downloads") {
            p.error = {"INVALID_ARGUMENTS", command_usage(spec->kind)};
            return p;
        }
        args.clear();
    }
    const int n = static_cast<int>(args.size());
    const bool count_ok = spec->kind == CommandKind::show_downloads ||
                          (n >= spec->min_args && (spec->max_args < 0 || n <= spec->max_args));
    if (!count_ok) {
        p.error = {"INVALID_ARGUMENTS", std::string("usage: ") + spec->usage};
        return p;
    }
    if (spec->kind == CommandKind::search) {
        std::string text;
        for (const auto& a : args)
            text += (text.empty() ? "" : " ") + a;
        args = {text};
    }
    p.command.kind = spec->kind;
    p.command.args = std::move(args);
    return p;
}

}  // namespace mt::client
