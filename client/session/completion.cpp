#include "client/session/completion.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "client/session/command.h"
#include "client/session/path_util.h"

namespace mt::client {

namespace {

// The words typed before the one being completed (unquoted and unescaped),
// that word as typed and as meant, and where it starts.
struct Split {
    std::vector<std::string> before;
    std::size_t word_start = 0;
    std::string word;  // unescaped
};

Split split_words(std::string_view s) {
    Split out;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (!in_word && c != ' ' && c != '\t') {
            in_word = true;
            out.word_start = i;
        }
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < s.size())
                cur.push_back(s[++i]);
            else
                cur.push_back(c);
        } else if (c == '\\' && i + 1 < s.size()) {
            cur.push_back(s[++i]);
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == ' ' || c == '\t') {
            if (in_word) out.before.push_back(std::move(cur));
            cur.clear();
            in_word = false;
        } else if (c != '\\') {
            cur.push_back(c);
        }
    }
    if (in_word)
        out.word = std::move(cur);
    else
        out.word_start = s.size();
    return out;
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
}

std::string escape_word(std::string_view w) {
    std::string out;
    for (char c : w) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' || c == '\\')
            out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

void add_matching(const std::vector<std::string>& words, const std::string& prefix, bool any_case,
                  std::vector<std::string>& out) {
    const std::string p = any_case ? to_lower(prefix) : prefix;
    for (const auto& w : words)
        if (w.compare(0, p.size(), p) == 0) out.push_back(escape_word(w));
}

void add_paths(const std::string& typed, bool dirs_only, const CompletionSource& src,
               std::vector<std::string>& out) {
    if (!src.list_dir) return;
    const auto slash = typed.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : typed.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? typed : typed.substr(slash + 1);
    for (const auto& e : src.list_dir(dir)) {
        if (e.compare(0, base.size(), base) != 0) continue;
        if (!e.empty() && e[0] == '.' && (base.empty() || base[0] != '.')) continue;
        if (dirs_only && e.back() != '/') continue;
        out.push_back(escape_word(dir + e));
    }
}

enum class Arg { none, command, name, path, folder, words };

// What the argument at `index` (1: the first after the command) of `cmd` is.
Arg argument_kind(const std::string& cmd, std::size_t index, std::vector<std::string>& words) {
    if (cmd == "show") {
        words = index == 1 ? std::vector<std::string>{"downloads"}
                           : std::vector<std::string>{"--watch"};
        return index <= 2 ? Arg::words : Arg::none;
    }
    if (cmd == "help") return index == 1 ? Arg::command : Arg::none;
    if (cmd == "limit") {
        words =
            index == 1 ? std::vector<std::string>{"up", "down"} : std::vector<std::string>{"off"};
        return index <= 2 ? Arg::words : Arg::none;
    }
    if (cmd == "remove" && index == 2) {
        words = {"--keep"};
        return Arg::words;
    }
    if (cmd == "get" && index >= 3) {
        words = {"--only"};
        return index % 2 == 1 ? Arg::words : Arg::none;
    }
    for (const char* c : {"remove", "pause", "resume", "peers", "files", "select", "deselect"})
        if (cmd == c) return index == 1 ? Arg::name : Arg::none;
    if (cmd == "share" || cmd == "get") return index <= 2 ? Arg::path : Arg::none;
    if (cmd == "watch" || cmd == "unwatch") return index == 1 ? Arg::folder : Arg::none;
    return Arg::none;
}

}  // namespace

LineEditor::Completion complete_line(std::string_view before_cursor, const CompletionSource& src) {
    const Split s = split_words(before_cursor);
    LineEditor::Completion c;
    c.word_start = s.word_start;
    // A word with control bytes was not typed at a terminal: nothing to offer.
    if (has_control(s.word)) return c;
    std::vector<std::string> words;
    const std::string cmd = s.before.empty() ? "" : to_lower(s.before[0]);
    switch (s.before.empty() ? Arg::command : argument_kind(cmd, s.before.size(), words)) {
        case Arg::none:
            break;
        case Arg::command:
            add_matching(command_words(), s.word, true, c.candidates);
            break;
        case Arg::words:
            add_matching(words, s.word, false, c.candidates);
            break;
        case Arg::name:
            add_matching(src.names, s.word, false, c.candidates);
            break;
        case Arg::path:
        case Arg::folder:
            add_paths(s.word, argument_kind(cmd, s.before.size(), words) == Arg::folder, src,
                      c.candidates);
            break;
    }
    std::sort(c.candidates.begin(), c.candidates.end());
    c.candidates.erase(std::unique(c.candidates.begin(), c.candidates.end()), c.candidates.end());
    return c;
}

std::vector<std::string> list_directory(const std::string& dir, std::size_t max) {
    std::vector<std::string> out;
    const std::string path = dir.empty() ? "." : dir;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(path.c_str()), &::closedir);
    if (!d) return out;
    while (const dirent* e = ::readdir(d.get())) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (has_control(name)) continue;
        if (is_dir(path + "/" + name)) name += '/';
        out.push_back(std::move(name));
        if (out.size() >= max) break;
    }
    return out;
}

}  // namespace mt::client
