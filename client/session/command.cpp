#include "client/session/command.h"

#include <algorithm>
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
    const char* help;     // one line for `help`; null: an alias, not listed
    const char* details;  // more for `help <command>`: lines separated by '\n'
};

const Spec kSpecs[] = {
    {"share", CommandKind::share, 2, 4, "share <file|folder> <name>.mtorrent [--no-dht] [--no-pex]",
     "hash a file or folder, write its .mtorrent, publish it and seed it",
     "Hashes the data in 512 KiB pieces, writes <name>.mtorrent (both trackers in it),\n"
     "publishes it to the trackers so others can get it by name, and seeds it.\n"
     "If no tracker answers, it is shared but not announced; publishing is retried.\n"
     "--no-dht, --no-pex: this transfer stays off the DHT, or exchanges no peers.\n"
     "example: share ~/holiday.mp4 holiday.mtorrent"},
    {"get", CommandKind::get, 2, -1,
     "get <x.mtorrent | info_hash | name> <destination> [--only <glob>]... [--no-dht] [--no-pex]",
     "download in the background (a name or info_hash is looked up on the trackers)",
     "The data goes to <destination>.part until every piece is verified, then takes\n"
     "its name. A destination ending in '/' is a folder (made if missing). Complete\n"
     "data already there is checked and seeded; anything else there is never touched.\n"
     "--only <glob>: only those files of a folder torrent (repeatable).\n"
     "--no-dht: find peers through the trackers (and PEX) only; --no-pex: no peer exchange.\n"
     "examples: get holiday.mtorrent downloads/\n"
     "          get holiday.mp4 downloads/      (by name, from the trackers)"},
    {"show", CommandKind::show_downloads, 1, 2, "show downloads [--watch]",
     "every transfer with its progress (--watch: live, until a key is pressed)",
     "One line per transfer: [D] downloading, [S] seeding, [P] paused,\n"
     "[M] finding metainfo, [!] failed; with progress, rates, peers, ETA, and what\n"
     "was sent with the ratio. --watch redraws every second until a key is pressed\n"
     "(at a terminal; on a pipe it answers once)."},
    {"remove", CommandKind::remove, 1, 2, "remove <name> [--keep | --delete-data]",
     "stop a transfer, tell the trackers, forget it",
     "A finished file stays on disk. An unfinished download's partial data is\n"
     "deleted unless --keep. A share is withdrawn from the trackers.\n"
     "--delete-data also deletes a download's data: the finished file, or exactly\n"
     "the files its .mtorrent lists (then their folders left empty); never\n"
     "anything else. What you shared, or data that was there before its\n"
     "download, is never deleted (NOT_OUR_DATA).\n"
     "<name> is the label (x.mtorrent), the file name or the info_hash."},
    {"pause", CommandKind::pause, 1, 1, "pause <name>",
     "stop a transfer's traffic, keeping it (resume carries on)",
     "Closes its connections and tells the trackers; its data and progress stay.\n"
     "A paused transfer stays paused across restarts until resume."},
    {"resume", CommandKind::resume, 1, 1, "resume <name>", "carry on a paused transfer",
     "Starts the transfer again from where it stopped (the data on disk is\n"
     "checked again if it changed meanwhile)."},
    {"verify", CommandKind::verify, 1, 1, "verify <name>",
     "hash a transfer's data on disk again; missing or damaged pieces are fetched again",
     "Runs in the background ([V] in show downloads; a notice says how many\n"
     "pieces are good). A download (finished or not) stops, is checked and\n"
     "carries on, fetching from peers what is missing or damaged. A paused one\n"
     "stays paused, its progress updated. A share is checked while it seeds; if\n"
     "its file no longer matches, it is no longer served (your file is never\n"
     "written: share it again to publish its new contents)."},
    {"limit", CommandKind::limit, 0, 2, "limit [up|down <KiB/s | off>]",
     "show or change the rate limits of every transfer",
     "limit             shows both limits\n"
     "limit up 2048     uploads at most 2048 KiB/s in all\n"
     "limit down off    no download limit\n"
     "The limits are kept across restarts."},
    {"search", CommandKind::search, 1, -1, "search [--all] <text>",
     "ask the trackers which files have <text> in their name",
     "Shows the files with live peers; --all shows those with none too."},
    {"watch", CommandKind::watch, 1, 1, "watch <dir>",
     "share every file in a folder and follow it (new, changed, deleted files)",
     "Files directly in the folder are shared (subfolders, empty files and\n"
     "unfinished downloads are skipped and said so)."},
    {"unwatch", CommandKind::unwatch, 1, 1, "unwatch <dir>",
     "stop following a folder and stop sharing its files", nullptr},
    {"status", CommandKind::status, 0, 0, "status",
     "each tracker: live or not, last announce, failures, which one is in use",
     "Also the watched folders and what is not yet announced."},
    {"peers", CommandKind::peers, 1, 1, "peers <name>", "the peers connected for a transfer",
     nullptr},
    {"files", CommandKind::files, 1, 1, "files <name>",
     "a folder transfer's files: index, size, progress, selected or not", nullptr},
    {"select", CommandKind::select, 2, -1, "select <name> <index | glob>...",
     "download these files of a folder too (globs as get --only)", nullptr},
    {"deselect", CommandKind::deselect, 2, -1, "deselect <name> <index | glob>...",
     "stop downloading these files of a folder (what is on disk stays)", nullptr},
    {"help", CommandKind::help, 0, 1, "help [command]", "this list, or more about one command",
     nullptr},
    {"quit", CommandKind::quit, 0, 0, "quit",
     "tell the trackers, save the state and exit (also exit, Ctrl-C, Ctrl-D)", nullptr},
    {"exit", CommandKind::quit, 0, 0, "exit", nullptr, nullptr},
};

const Spec* find_spec(CommandKind kind) {
    for (const auto& s : kSpecs)
        if (s.kind == kind) return &s;
    return nullptr;
}

const Spec* find_word(std::string_view word) {
    for (const auto& s : kSpecs)
        if (word == s.word) return &s;
    return nullptr;
}

std::string ascii_lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Levenshtein distance with adjacent transpositions (optimal string
// alignment), capped: words here are short.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    if (a.size() > 64 || b.size() > 64) return 64;
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

std::string shown_word(std::string_view w) {
    std::string shown(w.size() > 40 ? std::string(w.substr(0, 40)) + "..." : std::string(w));
    for (auto& ch : shown)
        if (!std::isprint(static_cast<unsigned char>(ch))) ch = '?';
    return shown;
}

}  // namespace

std::string command_usage(CommandKind kind) {
    const Spec* s = find_spec(kind);
    return s ? std::string("usage: ") + s->usage : "";
}

std::vector<std::string> command_words() {
    std::vector<std::string> out;
    for (const auto& s : kSpecs)
        out.emplace_back(s.word);
    return out;
}

std::string nearest_command(std::string_view word) {
    const std::string w = ascii_lower(std::string(word));
    std::string best;
    std::size_t best_d = 3;  // at most 2 edits away
    for (const auto& s : kSpecs) {
        const std::string_view c = s.word;
        std::size_t d = edit_distance(w, c);
        // A start of a command, or a command with something glued on.
        if (w.size() >= 2 && (c.substr(0, w.size()) == w || w.substr(0, c.size()) == c))
            d = std::min<std::size_t>(d, 1);
        if (d < best_d || (d == best_d && !best.empty() && c.size() < best.size())) {
            best_d = d;
            best = c;
        }
    }
    return best_d * 2 <= std::max<std::size_t>(w.size(), 2) ? best : "";
}

std::string usage_line() {
    std::string u;
    for (const auto& s : kSpecs)
        if (s.help) u += (u.empty() ? "commands: " : " | ") + std::string(s.word);
    return u;
}

std::vector<std::string> help_lines() {
    std::vector<std::string> out;
    for (const auto& s : kSpecs) {
        if (!s.help) continue;
        std::string line = s.usage;
        if (line.size() < 36) line.resize(36, ' ');
        out.push_back(line + " " + s.help);
    }
    out.push_back("help <command> says more about one. Names: a transfer's label (x.mtorrent),");
    out.push_back("its file name or its info_hash. Tab completes commands, names and paths.");
    return out;
}

std::vector<std::string> help_about(std::string_view word) {
    const Spec* s = find_word(ascii_lower(std::string(word)));
    if (!s) return {};
    if (!s->help)
        if (const Spec* main = find_spec(s->kind)) s = main;  // an alias: what it stands for
    std::vector<std::string> out{std::string("usage: ") + s->usage,
                                 std::string(s->help ? s->help : "")};
    if (s->details) {
        std::string_view d = s->details;
        while (!d.empty()) {
            const auto nl = d.find('\n');
            out.emplace_back(d.substr(0, nl));
            if (nl == std::string_view::npos) break;
            d.remove_prefix(nl + 1);
        }
    }
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
    const Spec* spec = find_word(ascii_lower(t[0]));
    if (!spec) {
        const std::string near = nearest_command(t[0]);
        p.error = {"UNKNOWN_COMMAND", "'" + shown_word(t[0]) + "' is not a command" +
                                          (near.empty() ? "" : "; did you mean '" + near + "'?") +
                                          " (help lists them)"};
        return p;
    }
    std::vector<std::string> args(t.begin() + 1, t.end());
    if (spec->kind == CommandKind::show_downloads) {
        // show downloads [--watch]: the first word is part of the command.
        if (args.empty() || ascii_lower(args[0]) != "downloads" ||
            (args.size() == 2 && args[1] != "--watch") || args.size() > 2) {
            p.error = {"INVALID_ARGUMENTS", command_usage(spec->kind)};
            return p;
        }
        args.erase(args.begin());
    }
    const int n =
        static_cast<int>(args.size()) + (spec->kind == CommandKind::show_downloads ? 1 : 0);
    if (n < spec->min_args || (spec->max_args >= 0 && n > spec->max_args)) {
        p.error = {"INVALID_ARGUMENTS", std::string("usage: ") + spec->usage};
        return p;
    }
    if (spec->kind == CommandKind::limit && !args.empty()) {
        const std::string dir = ascii_lower(args[0]);
        if (args.size() != 2 || (dir != "up" && dir != "down")) {
            p.error = {"INVALID_ARGUMENTS", std::string("usage: ") + spec->usage};
            return p;
        }
        args[0] = dir;
    }
    if (spec->kind == CommandKind::remove && args.size() == 2 && args[1] != "--keep" &&
        args[1] != "--delete-data") {
        p.error = {"INVALID_ARGUMENTS", std::string("usage: ") + spec->usage};
        return p;
    }
    if (spec->kind == CommandKind::help && !args.empty() && help_about(args[0]).empty()) {
        const std::string near = nearest_command(args[0]);
        p.error = {"UNKNOWN_COMMAND", "'" + shown_word(args[0]) + "' is not a command" +
                                          (near.empty() ? "" : "; did you mean '" + near + "'?")};
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
