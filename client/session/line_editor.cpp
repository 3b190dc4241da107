#include "client/session/line_editor.h"

#include <algorithm>

#include "common/text_escape.h"

namespace mt::client {

namespace {

constexpr std::size_t kMaxEscape = 32;  // parameter bytes of a CSI or SS3 kept
constexpr std::size_t kMaxListed = 100;
constexpr int kMaxColumns = 1024;
constexpr char kBell = '\x07';
constexpr std::string_view kClearScreen = "\x1b[H\x1b[2J";

bool is_cont(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The length of the UTF-8 sequence a lead byte starts; 0: not a lead byte
// (C0 and C1 are overlong forms, F5..FF past U+10FFFF).
std::size_t utf8_length(unsigned char b) {
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b >= 0xE0 && b <= 0xEF) return 3;
    if (b >= 0xF0 && b <= 0xF4) return 4;
    return 0;
}

// Whether `b` may follow `partial` (a lead byte and its continuations so
// far): rejects overlong forms, surrogates and code points past U+10FFFF.
bool utf8_next_ok(std::string_view partial, unsigned char b) {
    const unsigned lead = partial.size() == 1 ? static_cast<unsigned char>(partial[0]) : 0;
    return (b & 0xC0) == 0x80 && !(lead == 0xE0 && b < 0xA0) && !(lead == 0xED && b > 0x9F) &&
           !(lead == 0xF0 && b < 0x90) && !(lead == 0xF4 && b > 0x8F);
}

// A code point the terminal shows as is: common::escape_text's rule (no C1
// control, line separator or bidirectional override either).
bool shown_as_is(std::string_view cp) {
    return common::escape_text(cp) == cp;
}

// The code points of `in` that the buffer may hold (valid UTF-8, shown as
// is), at most `max` bytes.
std::string printable(std::string_view in, std::size_t max) {
    std::string out;
    std::size_t i = 0;
    while (i < in.size()) {
        const auto b = static_cast<unsigned char>(in[i]);
        const std::size_t n = b >= 0x20 && b < 0x7F ? 1 : utf8_length(b);
        std::size_t k = 1;
        while (k < n && i + k < in.size() && utf8_next_ok(in.substr(i, k), in[i + k]))
            ++k;
        if (n == 0 || k < n || !shown_as_is(in.substr(i, n))) {
            i += k;  // dropped; a byte that broke the sequence starts afresh
            continue;
        }
        if (out.size() + n > max) break;
        out.append(in.substr(i, n));
        i += n;
    }
    return out;
}

std::size_t next_cp(std::string_view s, std::size_t i) {
    if (i < s.size()) ++i;
    while (i < s.size() && is_cont(s[i]))
        ++i;
    return i;
}

std::size_t prev_cp(std::string_view s, std::size_t i) {
    if (i > 0) --i;
    while (i > 0 && is_cont(s[i]))
        --i;
    return i;
}

std::size_t forward_cps(std::string_view s, std::size_t i, std::size_t n) {
    for (; n > 0 && i < s.size(); --n)
        i = next_cp(s, i);
    return i;
}

std::size_t back_cps(std::string_view s, std::size_t i, std::size_t n) {
    for (; n > 0 && i > 0; --n)
        i = prev_cp(s, i);
    return i;
}

// The code points in s[from, to), counted up to limit + 1 (so that the cost
// stays with the visible width, however long the line).
std::size_t cps_between(std::string_view s, std::size_t from, std::size_t to, std::size_t limit) {
    std::size_t n = 0;
    for (std::size_t i = from; i < to && n <= limit; ++i)
        n += is_cont(s[i]) ? 0 : 1;
    return n;
}

std::size_t word_start(std::string_view s, std::size_t i) {
    while (i > 0 && s[i - 1] == ' ')
        --i;
    while (i > 0 && s[i - 1] != ' ')
        --i;
    return i;
}

std::size_t word_end(std::string_view s, std::size_t i) {
    while (i < s.size() && s[i] == ' ')
        ++i;
    while (i < s.size() && s[i] != ' ')
        ++i;
    return i;
}

// The longest common prefix of sorted words (that of the first and the
// last), cut to whole code points.
std::string common_prefix(const std::vector<std::string>& words) {
    const std::string &a = words.front(), &z = words.back();
    std::size_t n = 0;
    while (n < a.size() && n < z.size() && a[n] == z[n])
        ++n;
    while (n > 0 && n < a.size() && is_cont(a[n]))
        --n;
    return a.substr(0, n);
}

// The first visible byte of `line` in `cols` text columns with the cursor at
// byte `at`: `hint` (the previous one) moved as little as keeps the cursor
// visible and no column empty that the line could fill.
std::size_t fit(std::string_view line, std::size_t at, std::size_t hint, std::size_t cols) {
    std::size_t s = std::min(hint, at);
    while (s > 0 && s < line.size() && is_cont(line[s]))
        --s;
    if (cps_between(line, s, at, cols) > cols - 1) s = back_cps(line, at, cols - 1);
    if (s > 0 && cps_between(line, s, line.size(), cols) < cols - 1)
        s = back_cps(line, line.size(), cols - 1);
    return s;
}

}  // namespace

LineEditor::LineEditor(std::string prompt, Completer completer, std::size_t max_line,
                       std::size_t max_history)
    : prompt_(printable(prompt, 4096)),
      completer_(std::move(completer)),
      max_line_(max_line),
      max_history_(max_history) {
    drawn_ = render();  // the caller writes show() first
}

std::vector<LineEditor::Event> LineEditor::feed(std::string_view bytes, std::string& screen) {
    std::vector<Event> events;
    Out out{screen, events};
    for (char c : bytes)
        byte(static_cast<unsigned char>(c), out);
    return events;
}

void LineEditor::escape_timeout(std::string& screen) {
    std::vector<Event> events;
    Out out{screen, events};
    const bool lone = esc_ == Esc::esc;
    esc_ = Esc::none;
    seq_.clear();
    if (lone) key(Key::escape, {}, out);
}

void LineEditor::set_columns(int cols) {
    cols_ = std::clamp(cols, 1, kMaxColumns);
}

void LineEditor::add_history(std::string line) {
    line = printable(line, max_line_);
    if (max_history_ == 0 || line.find_first_not_of(' ') == std::string::npos ||
        (!history_.empty() && history_.back() == line))
        return;
    const bool typing = hist_pos_ == history_.size();
    history_.push_back(std::move(line));
    if (typing) hist_pos_ = history_.size();
    if (history_.size() <= max_history_) return;
    history_.pop_front();
    if (hist_pos_ > 0) --hist_pos_;
    if (match_) match_ = *match_ > 0 ? std::optional<std::size_t>(*match_ - 1) : std::nullopt;
}

// ---- Decoding bytes into keys ----------------------------------------------

void LineEditor::byte(unsigned char b, Out& out) {
    const bool cr = after_cr_;
    after_cr_ = false;
    if (esc_ != Esc::none) return escape_byte(b, out);
    if (!utf8_.empty()) {
        if (utf8_next_ok(utf8_, b)) {
            utf8_ += static_cast<char>(b);
            if (utf8_.size() < utf8_len_) return;
            const std::string cp = std::move(utf8_);
            utf8_.clear();
            if (shown_as_is(cp)) key(Key::insert, cp, out);
            return;
        }
        utf8_.clear();  // a broken sequence is dropped; `b` starts afresh
    }
    if (b >= 0x20 && b < 0x7F) {
        const char c = static_cast<char>(b);
        return key(Key::insert, std::string_view(&c, 1), out);
    }
    if (b >= 0x80) {
        utf8_len_ = utf8_length(b);
        if (utf8_len_ > 0) utf8_.assign(1, static_cast<char>(b));
        return;
    }
    if (b == '\n' && cr) return;
    after_cr_ = b == '\r';
    control(b, out);
}

void LineEditor::control(unsigned char b, Out& out) {
    static constexpr std::pair<unsigned char, Key> kKeys[] = {
        {'\r', Key::enter},      {'\n', Key::enter},     {0x01, Key::home},  {0x02, Key::left},
        {0x04, Key::ctrl_d},     {0x05, Key::end},       {0x06, Key::right}, {0x07, Key::cancel},
        {0x08, Key::backspace},  {0x7F, Key::backspace}, {0x09, Key::tab},   {0x0B, Key::kill_end},
        {0x0C, Key::clear},      {0x0E, Key::down},      {0x10, Key::up},    {0x12, Key::search},
        {0x15, Key::kill_start}, {0x17, Key::kill_word}};
    if (b == 0x1B) esc_ = Esc::esc;
    for (const auto& [c, k] : kKeys)
        if (c == b) return key(k, {}, out);
}

void LineEditor::escape_byte(unsigned char b, Out& out) {
    if (esc_ == Esc::esc) {
        esc_ = Esc::none;
        seq_.clear();
        if (b == '[' || b == 'O') {
            esc_ = b == '[' ? Esc::csi : Esc::ss3;
            return;
        }
        if (b == 'b' || b == 'f') return key(b == 'b' ? Key::word_left : Key::word_right, {}, out);
        if (b == 0x7F || b == 0x08) return key(Key::kill_word, {}, out);
        if (b >= 0x20) return key(Key::alt, {}, out);  // Alt+key (a UTF-8 one loses its lead)
        key(Key::escape, {}, out);                     // Esc, then a control key
        return byte(b, out);
    }
    if (b < 0x20 || b >= 0x7F) {  // not part of a sequence: it ends there, `b` starts afresh
        esc_ = Esc::none;
        seq_.clear();
        return byte(b, out);
    }
    if (b >= 0x40) {
        const Esc kind = esc_;
        esc_ = Esc::none;
        if (kind != Esc::skip) sequence_end(b, out);
        seq_.clear();
        return;
    }
    if (esc_ == Esc::skip) return;
    if (seq_.size() >= kMaxEscape) {
        seq_.clear();
        esc_ = Esc::skip;
        return;
    }
    seq_ += static_cast<char>(b);
}

void LineEditor::sequence_end(unsigned char final, Out& out) {
    int p[2] = {0, 0};
    std::size_t n = 0;
    for (char c : seq_) {
        if (c == ';' && n == 0) {
            n = 1;
        } else if (c >= '0' && c <= '9') {
            p[n] = std::min(p[n] * 10 + (c - '0'), 100000);
        } else {
            return;  // private parameters, intermediates: not a key of ours
        }
    }
    const int mods = (p[1] != 0 ? p[1] : std::max(p[0], 1)) - 1;  // xterm: 1 + shift|alt<<1|ctrl<<2
    const bool word = (mods & 0xE) != 0 || final == 'c' || final == 'd';  // rxvt: ESC O c/d
    if (final == 'C' || final == 'c') return key(word ? Key::word_right : Key::right, {}, out);
    if (final == 'D' || final == 'd') return key(word ? Key::word_left : Key::left, {}, out);
    static constexpr std::pair<int, Key> kLetters[] = {
        {'A', Key::up}, {'B', Key::down}, {'H', Key::home}, {'F', Key::end}};
    // ESC [ n ~; the others (paste markers 200 and 201, function keys) do nothing.
    static constexpr std::pair<int, Key> kTildes[] = {
        {1, Key::home}, {7, Key::home}, {4, Key::end}, {8, Key::end}, {3, Key::del}};
    for (const auto& [c, k] : kLetters)
        if (c == final) return key(k, {}, out);
    if (final != '~') return;
    for (const auto& [c, k] : kTildes)
        if (c == p[0]) return key(k, {}, out);
}

// ---- Editing ---------------------------------------------------------------

void LineEditor::key(Key k, std::string_view text, Out& out) {
    if (searching_)
        search_key(k, text, out);
    else
        edit_key(k, text, out);
    last_tab_ = k == Key::tab;
    refresh(out);
}

void LineEditor::edit_key(Key k, std::string_view text, Out& out) {
    if (const auto to = moved(k)) {
        pos_ = *to;
        return;
    }
    if (k == Key::ctrl_d && buf_.empty()) {
        out.screen += "\r\n";
        out.events.push_back({Event::Kind::end_of_input, {}});
        drawn_ = render();
        return;
    }
    if (k == Key::insert) return insert(text, out);
    if (k == Key::enter) return enter(out);
    if (k == Key::up || k == Key::down) return move_history(k == Key::up);
    if (k == Key::backspace) return erase(prev_cp(buf_, pos_), pos_);
    if (k == Key::del || k == Key::ctrl_d) return erase(pos_, next_cp(buf_, pos_));
    if (k == Key::kill_start) return erase(0, pos_);
    if (k == Key::kill_end) return erase(pos_, buf_.size());
    if (k == Key::kill_word) return erase(word_start(buf_, pos_), pos_);
    if (k == Key::clear) return clear_screen(out);
    if (k == Key::tab) return complete(out);
    if (k == Key::search) searching_ = true;
}

// Where a movement key takes the cursor; nullopt: not a movement.
std::optional<std::size_t> LineEditor::moved(Key k) const {
    if (k == Key::left) return prev_cp(buf_, pos_);
    if (k == Key::right) return next_cp(buf_, pos_);
    if (k == Key::word_left) return word_start(buf_, pos_);
    if (k == Key::word_right) return word_end(buf_, pos_);
    if (k == Key::home) return 0;
    if (k == Key::end) return buf_.size();
    return std::nullopt;
}

void LineEditor::clear_screen(Out& out) {
    out.screen += kClearScreen;
    drawn_.clear();
}

void LineEditor::insert(std::string_view text, Out& out) {
    if (buf_.size() + text.size() > max_line_) {
        out.screen += kBell;
        return;
    }
    buf_.insert(pos_, text);
    pos_ += text.size();
}

void LineEditor::erase(std::size_t from, std::size_t to) {
    if (from >= to) return;
    buf_.erase(from, to - from);
    pos_ = from;
}

void LineEditor::move_history(bool older) {
    const std::size_t n = history_.size();
    if (older ? hist_pos_ == 0 : hist_pos_ >= n) return;
    if (hist_pos_ == n) typed_ = buf_;
    hist_pos_ = older ? hist_pos_ - 1 : hist_pos_ + 1;
    buf_ = hist_pos_ == n ? typed_ : history_[hist_pos_];
    pos_ = buf_.size();
}

void LineEditor::enter(Out& out) {
    pos_ = buf_.size();
    refresh(out);
    out.screen += "\r\n";
    std::string line = std::move(buf_);
    buf_.clear();
    pos_ = scroll_ = 0;
    typed_.clear();
    add_history(line);
    hist_pos_ = history_.size();
    out.events.push_back({Event::Kind::line, std::move(line)});
    drawn_ = render();  // not drawn: the caller shows the prompt when ready
}

// ---- Reverse incremental search --------------------------------------------

void LineEditor::search_key(Key k, std::string_view text, Out& out) {
    const std::optional<std::size_t> newest =
        history_.empty() ? std::nullopt : std::optional<std::size_t>(history_.size() - 1);
    if (k == Key::insert && query_.size() + text.size() > max_line_) {
        out.screen += kBell;
    } else if (k == Key::insert) {
        query_ += text;
        search_from(match_ ? match_ : newest, out);
    } else if (k == Key::backspace) {
        if (!query_.empty()) query_.erase(prev_cp(query_, query_.size()));
        match_.reset();
        search_failed_ = false;
        if (!query_.empty()) search_from(newest, out);
    } else if (k == Key::search) {
        if (query_.empty()) query_ = last_query_;
        if (query_.empty()) return;
        if (!match_) return search_from(newest, out);
        search_from(*match_ > 0 ? std::optional<std::size_t>(*match_ - 1) : std::nullopt, out);
    } else if (k == Key::cancel) {
        end_search();
    } else if (k == Key::clear) {
        clear_screen(out);
    } else {
        accept_search();  // Esc and Alt+key only that; the other keys then act
        if (k != Key::escape && k != Key::alt) edit_key(k, text, out);
    }
}

// The newest entry at or before `newest` holding the query becomes the
// match; none: the search failed (the previous match stays shown).
void LineEditor::search_from(std::optional<std::size_t> newest, Out& out) {
    for (std::size_t i = newest ? *newest + 1 : 0; i > 0; --i) {
        if (history_[i - 1].find(query_) != std::string::npos) {
            match_ = i - 1;
            search_failed_ = false;
            return;
        }
    }
    search_failed_ = true;
    out.screen += kBell;
}

void LineEditor::accept_search() {
    if (match_) {
        if (hist_pos_ == history_.size()) typed_ = buf_;
        pos_ = match_cursor();
        buf_ = history_[*match_];
        hist_pos_ = *match_;
    }
    end_search();
}

void LineEditor::end_search() {
    searching_ = search_failed_ = false;
    if (!query_.empty()) last_query_ = query_;
    query_.clear();
    match_.reset();
}

// ---- Completion ------------------------------------------------------------

void LineEditor::complete(Out& out) {
    if (!completer_) {
        out.screen += kBell;
        return;
    }
    const Completion c = completer_(std::string_view(buf_).substr(0, pos_));
    std::size_t start = std::min(c.word_start, pos_);
    while (start > 0 && start < buf_.size() && is_cont(buf_[start]))
        --start;
    std::vector<std::string> words;
    for (const auto& w : c.candidates)
        if (std::string p = printable(w, max_line_); !p.empty()) words.push_back(std::move(p));
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    bool ok = false;
    if (words.size() == 1) {
        ok = replace_word(start, words[0].back() == '/' ? words[0] : words[0] + ' ');
    } else if (words.size() > 1) {
        const std::string prefix = common_prefix(words);
        if (prefix.size() > pos_ - start) {
            ok = replace_word(start, prefix);
        } else if (last_tab_) {
            list(words, out);
            return;
        }
    }
    if (!ok) out.screen += kBell;
}

bool LineEditor::replace_word(std::size_t start, const std::string& with) {
    if (buf_.size() - (pos_ - start) + with.size() > max_line_) return false;
    buf_.replace(start, pos_ - start, with);
    pos_ = start + with.size();
    return true;
}

// Below the line, in as many columns as fit; then the prompt is drawn again.
void LineEditor::list(const std::vector<std::string>& words, Out& out) {
    const auto usable = static_cast<std::size_t>(std::max(cols_ - 1, 1));
    const std::size_t shown = std::min(words.size(), kMaxListed);
    std::size_t width = 0;
    for (std::size_t i = 0; i < shown; ++i)
        width = std::max(width, cps_between(words[i], 0, words[i].size(), usable));
    width = std::min(width, usable);
    const std::size_t per_row = std::max<std::size_t>(1, (usable + 2) / (width + 2));
    std::string s = "\r\n";
    for (std::size_t i = 0; i < shown; ++i) {
        const std::string_view w = std::string_view(words[i]).substr(
            0, forward_cps(words[i], 0, usable));  // a word wider than the terminal is cut
        s += w;
        if ((i + 1) % per_row == 0 || i + 1 == shown)
            s += "\r\n";
        else
            s.append(width + 2 - cps_between(w, 0, w.size(), usable), ' ');
    }
    if (words.size() > shown) s += "... and " + std::to_string(words.size() - shown) + " more\r\n";
    out.screen += s;
    drawn_.clear();
}

// ---- Drawing ---------------------------------------------------------------

void LineEditor::refresh(Out& out) {
    if (!searching_) scroll_ = fit(buf_, pos_, scroll_, widths(prompt_).text);
    std::string now = render();
    if (now == drawn_) return;
    out.screen += now;
    drawn_ = std::move(now);
}

// The last column is never written (a terminal would wrap, or erase it at
// the next "\x1b[K"); the prompt leaves at least one column for the text.
LineEditor::Widths LineEditor::widths(std::string_view prefix) const {
    const auto usable = static_cast<std::size_t>(std::max(cols_ - 1, 1));
    const std::size_t prompt = std::min(cps_between(prefix, 0, prefix.size(), usable), usable - 1);
    return {prompt, usable - prompt};
}

std::string LineEditor::draw(std::string_view prefix, std::string_view line, std::size_t at,
                             std::size_t hint) const {
    const Widths w = widths(prefix);
    const std::size_t scroll = fit(line, at, hint, w.text);
    const std::size_t end = forward_cps(line, scroll, w.text);
    std::string s = "\r";
    s.append(prefix.substr(0, forward_cps(prefix, 0, w.prompt)));
    s.append(line.substr(scroll, end - scroll));
    s += "\x1b[K";
    const std::size_t col = w.prompt + cps_between(line, scroll, at, w.text);
    if (col != w.prompt + cps_between(line, scroll, end, w.text)) {
        s += '\r';
        if (col > 0) s += "\x1b[" + std::to_string(col) + "C";
    }
    return s;
}

std::string LineEditor::render() const {
    if (!searching_) return draw(prompt_, buf_, pos_, scroll_);
    std::string prefix = search_failed_ ? "(failed reverse-i-search)'" : "(reverse-i-search)'";
    prefix += query_;
    prefix += "': ";
    if (!match_) return draw(prefix, buf_, pos_, 0);
    return draw(prefix, history_[*match_], match_cursor(), 0);
}

// Where the query is in the match; after a failed search, where the longest
// part of it that matched is.
std::size_t LineEditor::match_cursor() const {
    const std::string_view line = history_[*match_];
    std::string_view q = query_;
    while (line.find(q) == std::string_view::npos)
        q = q.substr(0, prev_cp(q, q.size()));
    return line.find(q);
}

}  // namespace mt::client
