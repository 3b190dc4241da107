// Fuzz target: the prompt's line editor (client/session/line_editor.h) on any
// keys, fed in chunks. It must never crash, and:
//   - the buffer, every line and every history entry hold only what
//     common::escape_text leaves as is (printable, valid UTF-8), within the
//     line and history limits; the cursor is in the buffer, on a code point;
//   - what is written to the terminal is text of the same kind, CR, LF, BEL
//     and only the sequences ESC [ n C / K / H / 2J (nothing typed can steer
//     the terminal), at most a few KiB per byte fed;
//   - cutting the keys into chunks changes nothing: the same events, line,
//     cursor and history as one feed of the whole input.
// Input: byte 0 sets the columns (1 + b % 160); byte 1: bits 0-2 the chunk
// length - 1, bit 3 a 16-byte line limit, bit 4 a 3-line history, bit 5
// hide()/show() between chunks, bit 6 escape_timeout() between chunks (then
// the chunking may change the meaning and is not compared), bit 7 new
// columns from each chunk's first byte. The rest: the keys.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "client/session/line_editor.h"
#include "common/text_escape.h"

using namespace mt::client;

namespace {

LineEditor::Completion complete(std::string_view before) {
    static const char* const kWords[] = {"add",
                                         "add-tracker",
                                         "alpha/",
                                         "beta",
                                         "h\xc3\xa9llo",
                                         "h\xc3\xa9las",
                                         "x\x1b[2Jy",
                                         "\xff\xfe",
                                         "",
                                         "\xc2\x9b",
                                         "\xe2\x80\xae"
                                         "rtl",
                                         "\xf0\x9f\x98\x80\xf0\x9f"};
    LineEditor::Completion c;
    const auto sp = before.rfind(' ');
    c.word_start = sp == std::string_view::npos ? 0 : sp + 1;
    if (!before.empty() && before.back() == '!') c.word_start = before.size() + 10;
    if (before.find('#') != std::string_view::npos) c.word_start = 1;  // maybe inside a code point
    const std::string_view word = before.substr(std::min(c.word_start, before.size()));
    for (const char* w : kWords)
        if (std::string_view(w).substr(0, word.size()) == word) c.candidates.emplace_back(w);
    for (int i = 0; i < 120; ++i)
        if (std::string f = "file" + std::to_string(1000 + i); f.rfind(word, 0) == 0)
            c.candidates.push_back(std::move(f));
    return c;
}

// What common::escape_text leaves as is (it keeps a backslash too).
bool clean(std::string_view s) {
    return mt::common::escape_text(s) == s;
}

// Text, CR, LF, BEL and ESC [ digits C/K/H/J only.
bool screen_ok(std::string_view s) {
    std::size_t text = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        const auto b = i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
        if (i < s.size() && b >= 0x20 && b != 0x7f) continue;
        if (!clean(s.substr(text, i - text))) return false;
        if (i < s.size() && b == 0x1b) {
            if (i + 1 >= s.size() || s[i + 1] != '[') return false;
            i += 2;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9')
                ++i;
            if (i >= s.size() || std::string_view("CKHJ").find(s[i]) == std::string_view::npos)
                return false;
        } else if (i < s.size() && b != '\r' && b != '\n' && b != 0x07) {
            return false;
        }
        text = i + 1;
    }
    return true;
}

void check_state(const LineEditor& ed, std::size_t max_line, std::size_t max_history) {
    const std::string_view buf = ed.buffer();
    if (!clean(buf) || buf.size() > max_line) std::abort();
    if (ed.cursor() > buf.size()) std::abort();
    if (ed.cursor() < buf.size() && (static_cast<unsigned char>(buf[ed.cursor()]) & 0xC0) == 0x80)
        std::abort();
    if (ed.history().size() > max_history) std::abort();
    for (const auto& h : ed.history())
        if (!clean(h) || h.empty() || h.size() > max_line) std::abort();
    if (!screen_ok(ed.show()) || !screen_ok(ed.hide())) std::abort();
}

struct Result {
    std::vector<std::string> lines;  // "L<text>" or "EOF"
    std::string buffer;
    std::size_t cursor = 0;
    std::deque<std::string> history;
};

void record(Result& r, const std::vector<LineEditor::Event>& events, std::size_t max_line) {
    for (const auto& e : events) {
        if (e.kind == LineEditor::Event::Kind::end_of_input) {
            if (!e.text.empty()) std::abort();
            r.lines.push_back("EOF");
            continue;
        }
        if (!clean(e.text) || e.text.size() > max_line) std::abort();
        r.lines.push_back("L" + e.text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    int cols = 1 + data[0] % 160;
    const std::uint8_t flags = data[1];
    const std::size_t chunk = 1 + (flags & 7);
    const std::size_t max_line = flags & 8 ? 16 : 4096;
    const std::size_t max_history = flags & 16 ? 3 : 100;
    const std::string_view keys(reinterpret_cast<const char*>(data) + 2, size - 2);

    LineEditor ed("mtorrent> ", complete, max_line, max_history);
    ed.set_columns(cols);
    Result got;
    for (std::size_t at = 0; at < keys.size(); at += chunk) {
        const std::string_view part = keys.substr(at, chunk);
        if (flags & 128) ed.set_columns(cols = 1 + static_cast<unsigned char>(part[0]) % 160);
        std::string screen;
        record(got, ed.feed(part, screen), max_line);
        if (flags & 64) ed.escape_timeout(screen);
        const std::size_t tabs =
            static_cast<std::size_t>(std::count(part.begin(), part.end(), '\t'));
        const std::size_t bound = 64 + part.size() * 2 * (8 * cols + 64) + tabs * 8192;
        if (screen.size() > bound || !screen_ok(screen)) std::abort();
        if (flags & 32) screen = ed.hide() + "notice\r\n" + ed.show();
        check_state(ed, max_line, max_history);
    }
    if (flags & 64) return 0;
    LineEditor whole("mtorrent> ", complete, max_line, max_history);
    std::string screen;
    Result want;
    record(want, whole.feed(keys, screen), max_line);
    if (got.lines != want.lines || ed.buffer() != whole.buffer() || ed.cursor() != whole.cursor() ||
        ed.history() != whole.history())
        std::abort();
    return 0;
}
