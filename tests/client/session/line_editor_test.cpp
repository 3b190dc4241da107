#include "client/session/line_editor.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mt::client {
namespace {

using Kind = LineEditor::Event::Kind;
using namespace std::string_literals;

const std::string kCtrlR = "\x12";  // a constant, as "\x12add" would be one hex escape

struct Fed {
    std::vector<LineEditor::Event> events;
    std::string screen;
};

Fed type(LineEditor& ed, std::string_view bytes) {
    Fed f;
    f.events = ed.feed(bytes, f.screen);
    return f;
}

std::vector<std::string> lines_of(const std::vector<LineEditor::Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events)
        out.push_back(e.kind == Kind::line ? e.text : "<eof>");
    return out;
}

// Just enough of a terminal for what the editor writes: text (one cell per
// code point), CR, LF, BEL, and ESC [ n C / D / K / H / 2J. Anything else
// fails the test, and so does a write into the last column.
class Terminal {
  public:
    explicit Terminal(std::size_t cols) : cols_(cols), rows_(1) {}

    void write(std::string_view s) {
        for (std::size_t i = 0; i < s.size();) {
            const char c = s[i];
            if (c == '\r') {
                col_ = 0;
            } else if (c == '\n') {
                rows_.resize(++row_ + 1 > rows_.size() ? row_ + 1 : rows_.size());
            } else if (c == '\x07') {
                ++bells_;
            } else if (c == '\x1b') {
                i = csi(s, i);
                continue;
            } else {
                std::size_t n = 1;
                while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80)
                    ++n;
                put(std::string(s.substr(i, n)));
                i += n;
                continue;
            }
            ++i;
        }
    }
    // The cells of a row, trailing blanks cut.
    std::string row(std::size_t r) const {
        std::string out;
        for (const auto& cell : rows_.at(r))
            out += cell.empty() ? " " : cell;
        while (!out.empty() && out.back() == ' ')
            out.pop_back();
        return out;
    }
    std::string current() const { return row(row_); }
    std::size_t col() const { return col_; }
    std::size_t row_index() const { return row_; }
    int bells() const { return bells_; }

  private:
    std::size_t csi(std::string_view s, std::size_t i) {
        EXPECT_LT(i + 1, s.size());
        EXPECT_EQ(s[i + 1], '[');
        std::size_t j = i + 2;
        std::size_t n = 0;
        bool any = false;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
            n = n * 10 + static_cast<std::size_t>(s[j++] - '0');
            any = true;
        }
        const char f = j < s.size() ? s[j] : '?';
        auto& r = rows_[row_];
        if (f == 'K' && r.size() > col_) {
            r.resize(col_);
        } else if (f == 'C') {
            col_ = std::min(col_ + (any ? n : 1), cols_ - 1);
        } else if (f == 'D') {
            col_ -= std::min(col_, any ? n : 1);
        } else if (f == 'H') {
            row_ = col_ = 0;
        } else if (f == 'J' && n == 2) {
            rows_.assign(1, {});
        } else if (f != 'K') {
            ADD_FAILURE() << "unexpected sequence " << s.substr(i, j + 1 - i);
        }
        return j + 1;
    }
    void put(std::string cell) {
        EXPECT_LT(col_ + 1, cols_) << "wrote into the last column";
        auto& r = rows_[row_];
        if (r.size() <= col_) r.resize(col_ + 1);
        r[col_] = std::move(cell);
        col_ = std::min(col_ + 1, cols_ - 1);
    }

    std::size_t cols_;
    std::vector<std::vector<std::string>> rows_;
    std::size_t row_ = 0, col_ = 0;
    int bells_ = 0;
};

// An editor, its terminal and both fed together.
struct Rig {
    explicit Rig(std::size_t cols = 80, LineEditor::Completer c = {}, std::size_t max_line = 1024)
        : ed("> ", std::move(c), max_line, 100), term(cols) {
        ed.set_columns(static_cast<int>(cols));
        term.write(ed.show());
    }
    Fed operator()(std::string_view bytes) {
        Fed f = type(ed, bytes);
        term.write(f.screen);
        return f;
    }
    LineEditor ed;
    Terminal term;
};

TEST(LineEditor, TypesAndSubmitsALine) {
    Rig r;
    auto f = r("hello");
    EXPECT_TRUE(f.events.empty());
    EXPECT_EQ(r.ed.buffer(), "hello");
    EXPECT_EQ(r.ed.cursor(), 5u);
    EXPECT_EQ(r.term.current(), "> hello");
    f = r("\r");
    EXPECT_EQ(lines_of(f.events), std::vector<std::string>{"hello"});
    EXPECT_EQ(f.screen.substr(f.screen.size() - 2), "\r\n");
    EXPECT_EQ(r.ed.buffer(), "");
    EXPECT_EQ(r.ed.cursor(), 0u);
    EXPECT_EQ(r.ed.history(), std::deque<std::string>{"hello"});
    EXPECT_EQ(r.term.row(0), "> hello");
    EXPECT_EQ(r.term.row_index(), 1u);
    EXPECT_EQ(r.term.current(), "");  // the caller shows the prompt when ready
    r.term.write(r.ed.show());
    EXPECT_EQ(r.term.current(), ">");
    EXPECT_EQ(r.term.col(), 2u);
}

TEST(LineEditor, CrLfIsOneEnterEvenWhenSplit) {
    LineEditor ed("> ");
    EXPECT_EQ(lines_of(type(ed, "a\r\nb\n\r").events), (std::vector<std::string>{"a", "b", ""}));
    EXPECT_EQ(lines_of(type(ed, "c\r").events), std::vector<std::string>{"c"});
    EXPECT_EQ(lines_of(type(ed, "\nd\n").events), std::vector<std::string>{"d"});
    EXPECT_EQ(ed.history(), (std::deque<std::string>{"a", "b", "c", "d"}));
}

TEST(LineEditor, BlankLinesAreSubmittedButNotRemembered) {
    LineEditor ed("> ");
    EXPECT_EQ(lines_of(type(ed, "   \r\r").events), (std::vector<std::string>{"   ", ""}));
    EXPECT_TRUE(ed.history().empty());
}

TEST(LineEditor, LeftRightHomeEndInEveryEncoding) {
    const std::pair<std::string, std::size_t> keys[] = {
        {"\x1b[D", 3},  {"\x1bOD", 3},   {"\x02", 3},    {"\x1b[C", 5},  {"\x1bOC", 5},
        {"\x06", 5},    {"\x1b[H", 0},   {"\x1b[F", 6},  {"\x1bOH", 0},  {"\x1bOF", 6},
        {"\x1b[1~", 0}, {"\x1b[4~", 6},  {"\x1b[7~", 0}, {"\x1b[8~", 6}, {"\x01", 0},
        {"\x05", 6},    {"\x1b[1;2D", 3}};
    for (const auto& [key, want] : keys) {
        LineEditor ed("> ");
        type(ed, "abcdef\x01\x06\x06\x06\x06");  // cursor at 4
        type(ed, key);
        EXPECT_EQ(ed.cursor(), want) << testing::PrintToString(key);
        EXPECT_EQ(ed.buffer(), "abcdef");
    }
}

TEST(LineEditor, WordMoves) {
    const std::pair<std::string, std::size_t> keys[] = {
        {"\x1b[1;5D", 5}, {"\x1b[1;3D", 5}, {"\033b", 5},   {"\x1bOd", 5},
        {"\x1b[1;5C", 9}, {"\033f", 9},     {"\x1b[5C", 9}, {"\x1bOc", 9}};
    for (const auto& [key, want] : keys) {
        LineEditor ed("> ");
        type(ed, "add  some file\x01\x1b[C\x1b[C\x1b[C\x1b[C\x1b[C\x1b[C");  // on "some"'s 'o'
        ASSERT_EQ(ed.cursor(), 6u);
        type(ed, key);
        EXPECT_EQ(ed.cursor(), want) << testing::PrintToString(key);
    }
    LineEditor ed("> ");
    type(ed, "ab  cd\033b\033b\033b");
    EXPECT_EQ(ed.cursor(), 0u);
    type(ed, "\033f\033f\033f");
    EXPECT_EQ(ed.cursor(), 6u);
}

TEST(LineEditor, DeletingKeys) {
    const struct {
        std::string keys, buffer;
        std::size_t cursor;
    } cases[] = {
        {"\x7f", "abc ef", 4},         {"\x08", "abc ef", 4},     {"\x1b[3~", "abc df", 5},
        {"\x04", "abc df", 5},         {"\x15", "ef", 0},         {"\x0b", "abc d", 5},
        {"\x17", "abc ef", 4},         {"\x1b\x7f", "abc ef", 4}, {"\x01\x7f", "abc def", 0},
        {"\x05\x1b[3~", "abc def", 7}, {"\x05\x17", "abc ", 4},   {"\x1b[3;5~", "abc df", 5},
    };
    for (const auto& c : cases) {
        LineEditor ed("> ");
        type(ed, "abc def\x02\x02");  // cursor on the 'e'
        type(ed, c.keys);
        EXPECT_EQ(ed.buffer(), c.buffer) << testing::PrintToString(c.keys);
        EXPECT_EQ(ed.cursor(), c.cursor) << testing::PrintToString(c.keys);
    }
}

TEST(LineEditor, CtrlWDeletesTheWordAndTheBlanksBeforeTheCursor) {
    LineEditor ed("> ");
    type(ed, "show  downloads   \x17");
    EXPECT_EQ(ed.buffer(), "show  ");
    type(ed, "\x17\x17");
    EXPECT_EQ(ed.buffer(), "");
}

TEST(LineEditor, CtrlDEndsInputOnlyOnAnEmptyLine) {
    LineEditor ed("> ");
    auto f = type(ed, "ab\x01\x04");
    EXPECT_TRUE(f.events.empty());
    EXPECT_EQ(ed.buffer(), "b");
    f = type(ed, "\x04\x04");
    ASSERT_EQ(f.events.size(), 1u);
    EXPECT_EQ(f.events[0].kind, Kind::end_of_input);
    EXPECT_EQ(ed.buffer(), "");
}

TEST(LineEditor, CtrlLClearsTheScreenAndRedraws) {
    Rig r;
    r("abc\x02");
    auto f = r("\x0c");
    EXPECT_EQ(f.screen.rfind("\x1b[H\x1b[2J", 0), 0u);
    EXPECT_EQ(r.term.row_index(), 0u);
    EXPECT_EQ(r.term.current(), "> abc");
    EXPECT_EQ(r.term.col(), 4u);
}

TEST(LineEditor, Utf8IsOneColumnPerCodePoint) {
    Rig r;
    r("h\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e!");  // hé€𝄞!
    EXPECT_EQ(r.ed.buffer(), "h\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e!");
    EXPECT_EQ(r.term.col(), 7u);
    r("\x02\x02");
    EXPECT_EQ(r.ed.cursor(), 6u);  // bytes: before the 𝄞
    EXPECT_EQ(r.term.col(), 5u);
    r("\x7f");
    EXPECT_EQ(r.ed.buffer(), "h\xc3\xa9\xf0\x9d\x84\x9e!");
    EXPECT_EQ(r.term.current(), "> h\xc3\xa9\xf0\x9d\x84\x9e!");
    EXPECT_EQ(r.term.col(), 4u);
}

// The same keys fed whole, then cut in two at every offset, then byte by
// byte: the same events, line and cursor.
void expect_split_invariant(const std::string& keys) {
    LineEditor whole("> ");
    std::string screen;
    const auto want = lines_of(whole.feed(keys, screen));
    for (std::size_t cut = 0; cut <= keys.size(); ++cut) {
        LineEditor ed("> ");
        auto got = lines_of(ed.feed(keys.substr(0, cut), screen));
        for (auto& l : lines_of(ed.feed(keys.substr(cut), screen)))
            got.push_back(l);
        EXPECT_EQ(got, want) << cut;
        EXPECT_EQ(ed.buffer(), whole.buffer()) << cut;
        EXPECT_EQ(ed.cursor(), whole.cursor()) << cut;
    }
    LineEditor bytes("> ");
    std::vector<std::string> got;
    for (char c : keys)
        for (auto& l : lines_of(bytes.feed(std::string_view(&c, 1), screen)))
            got.push_back(l);
    EXPECT_EQ(got, want);
    EXPECT_EQ(bytes.buffer(), whole.buffer());
}

TEST(LineEditor, EscapeSequencesAndUtf8SplitAnywhere) {
    expect_split_invariant(
        "ab\x1b[D\x1b[D\xc3\xa9\x1bOC\xe2\x82\xac\x1b[1;5D\xf0\x9d\x84\x9e\x1b[3~\x1b[200~x y"
        "\x1b[201~\r\n\x1b[A\033b\x1b[15~!\r");
    LineEditor ed("> ");
    type(ed, "ab\x1b[D\x1b[D\xc3\xa9\x1bOC\xe2\x82\xac");
    EXPECT_EQ(ed.buffer(),
              "\xc3\xa9"
              "a\xe2\x82\xac"
              "b");
    EXPECT_EQ(ed.cursor(), 6u);
}

TEST(LineEditor, InvalidUtf8AndControlBytesAreIgnored) {
    LineEditor ed("> ");
    type(ed,
         "\xff"
         "a\xc0\xaf"
         "b\xe0\x80\x80"
         "c\xed\xa0\x80"
         "d\xc2\x9b"
         "e\x03\x1a\x00\x1f"
         "f"
         "\xe2\x80\xae"
         "g\xf4\x90\x80\x80"
         "h\xe2\x82"
         "i\x80\xbf"
         "j\xf0\x9f\x98"s);
    EXPECT_EQ(ed.buffer(), "abcdefghij");
    type(ed, "k");  // ends the partial sequence above, which is dropped
    EXPECT_EQ(ed.buffer(), "abcdefghijk");
}

TEST(LineEditor, UnknownSequencesAreSwallowedWithoutOutput) {
    LineEditor ed("> ");
    type(ed, "ab");
    for (const std::string seq :
         {"\x1b[15~", "\x1b[?1;2c", "\x1bOP", "\x1bx", "\x1b[<0;3;4M", "\x1b[200~", "\x1b[6~",
          "\x1b[1;5A"
          "\x1b[B",
          "\x07", "\x03"}) {
        std::string out;
        (void)ed.feed(seq, out);
        EXPECT_EQ(out, "") << testing::PrintToString(seq);
        EXPECT_EQ(ed.buffer(), "ab");
        EXPECT_FALSE(ed.escape_pending());
    }
    std::string out;
    (void)ed.feed("\x1b[" + std::string(10000, '1') + ";", out);
    EXPECT_TRUE(ed.escape_pending());
    (void)ed.feed(std::string(10000, '2') + "~z", out);
    EXPECT_EQ(ed.buffer(), "abz");
    (void)ed.feed("\x1b[12\rc", out);  // a control byte ends a sequence and acts
    EXPECT_EQ(ed.buffer(), "c");
}

TEST(LineEditor, PastedTextIsTyped) {
    LineEditor ed("> ");
    auto f = type(ed, "\x1b[200~add x\ty\nshow\x1b[201~");
    EXPECT_EQ(lines_of(f.events), std::vector<std::string>{"add xy"});
    EXPECT_EQ(ed.buffer(), "show");
}

TEST(LineEditor, LineLengthIsBounded) {
    LineEditor ed("> ", {}, 5);
    auto f = type(ed, "abcdef");
    EXPECT_EQ(ed.buffer(), "abcde");
    EXPECT_NE(f.screen.find('\x07'), std::string::npos);
    type(ed, "\x7f\x7f\x7f\xe2\x82\xac\xc3\xa9");  // € fits (3 bytes), é no more
    EXPECT_EQ(ed.buffer(), "ab\xe2\x82\xac");
}

TEST(LineEditor, UpAndDownWalkTheHistoryKeepingTheTypedLine) {
    LineEditor ed("> ");
    ed.add_history("first");
    ed.add_history("second");
    type(ed, "draft");
    type(ed, "\x1b[A");
    EXPECT_EQ(ed.buffer(), "second");
    EXPECT_EQ(ed.cursor(), 6u);
    type(ed, "\x10");
    EXPECT_EQ(ed.buffer(), "first");
    type(ed, "\x1bOA");  // the oldest: stays
    EXPECT_EQ(ed.buffer(), "first");
    type(ed, "\x1bOB");
    EXPECT_EQ(ed.buffer(), "second");
    type(ed, "\x0e");
    EXPECT_EQ(ed.buffer(), "draft");
    type(ed, "\x1b[B");
    EXPECT_EQ(ed.buffer(), "draft");
    type(ed, "\x1b[A!");
    const auto events = type(ed, "\r").events;
    EXPECT_EQ(lines_of(events), std::vector<std::string>{"second!"});
    EXPECT_EQ(ed.history(), (std::deque<std::string>{"first", "second", "second!"}));
    type(ed, "\x1b[B");  // a new line: nothing newer
    EXPECT_EQ(ed.buffer(), "");
    type(ed, "\x1b[A\r");
    EXPECT_EQ(ed.history().size(), 3u);  // the same as the newest: not added again
}

TEST(LineEditor, HistoryIsBoundedAndClean) {
    LineEditor ed("> ", {}, 8, 3);
    for (const char* l : {"a", "b", "b", "", "   ", "c\x1b[31md", "e\xff", "0123456789"})
        ed.add_history(l);
    EXPECT_EQ(ed.history(), (std::deque<std::string>{"c[31md", "e", "01234567"}));
    LineEditor none("> ", {}, 8, 0);
    none.add_history("x");
    type(none, "y\r\x1b[A");
    EXPECT_TRUE(none.history().empty());
    EXPECT_EQ(none.buffer(), "");
}

TEST(LineEditor, HistoryDropsWhileWalkingIt) {
    LineEditor ed("> ", {}, 100, 2);
    ed.add_history("a");
    ed.add_history("b");
    type(ed, "\x1b[A");   // on "b"
    ed.add_history("c");  // "a" goes
    type(ed, "\x1b[A");
    EXPECT_EQ(ed.buffer(), "b");
    type(ed, "\x1b[B\x1b[B");
    EXPECT_EQ(ed.buffer(), "");
}

LineEditor searching_editor() {
    LineEditor ed("> ");
    for (const char* l : {"add a.mtorrent", "show downloads", "add b.mtorrent", "quit"})
        ed.add_history(l);
    return ed;
}

TEST(LineEditor, ReverseSearchFindsOlderMatchesAndSubmits) {
    LineEditor ed = searching_editor();
    Terminal term(80);
    term.write(type(ed, "x" + kCtrlR + "add").screen);
    EXPECT_TRUE(ed.searching());
    EXPECT_EQ(term.current(), "(reverse-i-search)'add': add b.mtorrent");
    EXPECT_EQ(term.col(), 25u);  // on the match
    term.write(type(ed, kCtrlR).screen);
    EXPECT_EQ(term.current(), "(reverse-i-search)'add': add a.mtorrent");
    term.write(type(ed, kCtrlR).screen);  // no older one
    EXPECT_EQ(term.current(), "(failed reverse-i-search)'add': add a.mtorrent");
    EXPECT_EQ(term.bells(), 1);
    const Fed f = type(ed, "\r");
    term.write(f.screen);
    EXPECT_EQ(lines_of(f.events), std::vector<std::string>{"add a.mtorrent"});
    EXPECT_EQ(term.row(0), "> add a.mtorrent");
    EXPECT_FALSE(ed.searching());
    EXPECT_EQ(ed.history().back(), "add a.mtorrent");
}

TEST(LineEditor, ReverseSearchQueryGrowsAndShrinks) {
    LineEditor ed = searching_editor();
    Terminal term(80);
    term.write(type(ed, kCtrlR + "ad").screen);
    term.write(type(ed, "dx").screen);
    EXPECT_EQ(term.current(), "(failed reverse-i-search)'addx': add b.mtorrent");
    term.write(type(ed, "\x7f").screen);
    EXPECT_EQ(term.current(), "(reverse-i-search)'add': add b.mtorrent");
    term.write(type(ed, "\x7f\x7f\x7f").screen);
    EXPECT_EQ(term.current(), "(reverse-i-search)'':");
    type(ed, "\x7fown");
    EXPECT_TRUE(ed.searching());
    type(ed, "\x1b[C");  // a movement takes the match, then moves
    EXPECT_FALSE(ed.searching());
    EXPECT_EQ(ed.buffer(), "show downloads");
    EXPECT_EQ(ed.cursor(), 7u);  // the query was at 6
    type(ed, "\x1b[B");          // the history walk goes on from the match
    EXPECT_EQ(ed.buffer(), "add b.mtorrent");
}

TEST(LineEditor, ReverseSearchEscapeKeepsTheMatchCtrlGRestores) {
    LineEditor ed = searching_editor();
    type(ed, "draft\x02" + kCtrlR + "show\x1b");
    EXPECT_TRUE(ed.escape_pending());
    EXPECT_TRUE(ed.searching());
    std::string s;
    ed.escape_timeout(s);
    EXPECT_FALSE(ed.searching());
    EXPECT_EQ(ed.buffer(), "show downloads");
    EXPECT_EQ(ed.cursor(), 0u);
    type(ed, "\x1b[B");
    EXPECT_EQ(ed.buffer(), "add b.mtorrent");
    type(ed, "\x1b[B\x1b[B");
    EXPECT_EQ(ed.buffer(), "draft");

    type(ed, kCtrlR + "quit\x07");
    EXPECT_FALSE(ed.searching());
    EXPECT_EQ(ed.buffer(), "draft");
    EXPECT_EQ(ed.cursor(), 5u);
    type(ed, kCtrlR + kCtrlR);  // an empty query: the previous one again
    EXPECT_TRUE(ed.searching());
    type(ed, "\x1b\x05");  // Esc, then ^E acts on the taken match
    EXPECT_EQ(ed.buffer(), "quit");
    EXPECT_EQ(ed.cursor(), 4u);
    type(ed, kCtrlR + "a.m\x0b");  // ^K takes the match, then kills
    EXPECT_EQ(ed.buffer(), "add ");
}

TEST(LineEditor, ReverseSearchWithoutHistoryFails) {
    LineEditor ed("> ");
    const std::string screen = type(ed, kCtrlR + "q").screen;
    EXPECT_NE(screen.find("(failed reverse-i-search)'q': "), std::string::npos);
    EXPECT_NE(screen.find('\x07'), std::string::npos);
    type(ed, "\r");
    EXPECT_EQ(ed.history().size(), 0u);
}

LineEditor::Completion complete_words(std::string_view before) {
    static const std::vector<std::string> words = {"add",
                                                   "add-tracker",
                                                   "quit",
                                                   "show",
                                                   "downloads/",
                                                   "\xc3\xa9t\xc3\xa9",
                                                   "\xc3\xa9t\xc3\xa0"};
    LineEditor::Completion c;
    const auto sp = before.rfind(' ');
    c.word_start = sp == std::string_view::npos ? 0 : sp + 1;
    const std::string_view word = before.substr(c.word_start);
    for (const auto& w : words)
        if (w.rfind(word, 0) == 0) c.candidates.push_back(w);
    for (int i = 0; i < 150; ++i)
        if (const std::string f = "f" + std::to_string(1000 + i); f.rfind(word, 0) == 0)
            c.candidates.push_back(f);
    if (word == "x") c.candidates = {"x\x1b[2Jy", "\x01"};  // control bytes go
    return c;
}

TEST(LineEditor, TabCompletesOneCandidate) {
    Rig r(80, complete_words);
    r("qu\t");
    EXPECT_EQ(r.ed.buffer(), "quit ");
    EXPECT_EQ(r.term.current(), "> quit");
    EXPECT_EQ(r.term.col(), 7u);
    r("do\t");
    EXPECT_EQ(r.ed.buffer(), "quit downloads/");  // no space after a folder
    r("\x15"
      "sh rest\x01\x06\x06\t");
    EXPECT_EQ(r.ed.buffer(), "show  rest");
    EXPECT_EQ(r.ed.cursor(), 5u);
    r("\x05\x15x\t");
    EXPECT_EQ(r.ed.buffer(), "x[2Jy ");
}

TEST(LineEditor, TabExtendsToTheCommonPrefixThenLists) {
    Rig r(80, complete_words);
    auto f = r("a\t");
    EXPECT_EQ(r.ed.buffer(), "add");
    EXPECT_EQ(f.screen.find('\x07'), std::string::npos);
    f = r("\t");  // nothing more to extend, second Tab in a row: the list
    EXPECT_EQ(r.term.row(0), "> add");
    EXPECT_EQ(r.term.row(1), "add          add-tracker");
    EXPECT_EQ(r.term.current(), "> add");
    EXPECT_EQ(r.term.row_index(), 2u);
    EXPECT_EQ(r.ed.buffer(), "add");
    r("\x15\xc3\xa9\t");  // the common prefix stops before a split code point
    EXPECT_EQ(r.ed.buffer(), "\xc3\xa9t");
}

TEST(LineEditor, TabBellsBeforeListing) {
    Rig r(80, complete_words);
    r("add");
    auto f = r("\t");
    EXPECT_EQ(f.screen, "\x07");
    r("\x1b[D\x1b[C");  // another key in between: the count starts again
    f = r("\t");
    EXPECT_EQ(f.screen, "\x07");
    f = r("\t");
    EXPECT_NE(f.screen.find("add-tracker"), std::string::npos);
    f = r("\x15zz\t");
    EXPECT_EQ(r.term.bells(), 3);
    EXPECT_EQ(r.ed.buffer(), "zz");
    LineEditor none("> ");
    EXPECT_EQ(type(none, "a\t").screen.back(), '\x07');
}

TEST(LineEditor, LongListsAreCutAndLaidOutInColumns) {
    Rig r(40, complete_words);
    r("f\t\t");  // "f1", then the list
    EXPECT_EQ(r.term.row(1), "f1000  f1001  f1002  f1003  f1004");
    EXPECT_EQ(r.term.row(20), "f1095  f1096  f1097  f1098  f1099");
    EXPECT_EQ(r.term.row(21), "... and 50 more");
    EXPECT_EQ(r.term.current(), "> f1");
}

TEST(LineEditor, CompletionRespectsTheLineLimit) {
    Rig r(80, complete_words, 4);
    auto f = r("do\t");
    EXPECT_EQ(r.ed.buffer(), "do");
    EXPECT_NE(f.screen.find('\x07'), std::string::npos);
}

// Where the cursor must be, in columns from the left edge, for a prompt of 2.
std::size_t visible_cursor(const Rig& r) {
    std::size_t cps = 0;
    for (std::size_t i = 0; i < r.ed.cursor(); ++i)
        cps += (static_cast<unsigned char>(r.ed.buffer()[i]) & 0xC0) != 0x80;
    return cps;
}

TEST(LineEditor, LongLinesScrollToKeepTheCursorVisible) {
    Rig r(20);  // 19 usable columns: "> " and 17 of text
    const std::string text = "abcdefghijklmnopqrstuvwxyz0123";
    r(text);
    EXPECT_EQ(r.term.current(), "> opqrstuvwxyz0123");
    EXPECT_EQ(r.term.col(), 18u);
    r("\x01");
    EXPECT_EQ(r.term.current(), "> abcdefghijklmnopq");
    EXPECT_EQ(r.term.col(), 2u);
    r("\x05\x1b[D\x1b[D\x1b[D");  // moving left inside the window does not scroll
    EXPECT_EQ(r.term.current(), "> opqrstuvwxyz0123");
    EXPECT_EQ(r.term.col(), 15u);
    r("\x0b");  // the line got shorter: the window shows as much as fits
    EXPECT_EQ(r.term.current(), "> lmnopqrstuvwxyz0");
    EXPECT_EQ(r.term.col(), 18u);
    for (std::size_t i = 0; i < 27; ++i) {
        r("\x1b[D");
        EXPECT_LE(r.term.col(), 18u);
        EXPECT_GE(r.term.col(), 2u);
        const std::string row = r.term.current();
        const std::size_t at = r.ed.cursor();
        EXPECT_EQ(row[r.term.col()], r.ed.buffer()[at]) << i;
    }
    EXPECT_EQ(r.ed.cursor(), 0u);
    EXPECT_EQ(visible_cursor(r), 0u);
}

TEST(LineEditor, NarrowTerminalsAndLongPromptsStaySane) {
    for (int cols : {1, 2, 3, 4, 5}) {
        LineEditor ed("a rather long prompt> ");
        ed.set_columns(cols);
        Terminal term(static_cast<std::size_t>(std::max(cols, 2)));
        std::string s = ed.show();
        type(ed, "h\xc3\xa9llo world\x01\x06\x06\x1b[D\x05");
        term.write(s);
        EXPECT_LT(term.col(), static_cast<std::size_t>(std::max(cols, 2))) << cols;
        EXPECT_EQ(ed.buffer(), "h\xc3\xa9llo world");
    }
    LineEditor ed("> ");
    ed.set_columns(-5);
    EXPECT_EQ(ed.columns(), 1);
    ed.set_columns(1 << 30);
    EXPECT_EQ(ed.columns(), 1024);
}

TEST(LineEditor, HideAndShow) {
    Rig r;
    r("abc\x02");
    EXPECT_EQ(r.ed.hide(), "\r\x1b[K");
    r.term.write(r.ed.hide());
    EXPECT_EQ(r.term.current(), "");
    EXPECT_EQ(r.term.col(), 0u);
    r.term.write("notice\r\n");
    r.term.write(r.ed.show());
    EXPECT_EQ(r.term.row(0), "notice");
    EXPECT_EQ(r.term.current(), "> abc");
    EXPECT_EQ(r.term.col(), 4u);
}

TEST(LineEditor, NothingIsWrittenWhenNothingChanges) {
    LineEditor ed("> ");
    EXPECT_EQ(type(ed, "\x1b[D\x02\x01\x7f\x1b[3~\x0b\x15\x17\x1b[B").screen, "");
    EXPECT_EQ(type(ed, "ab").screen, "\r> a\x1b[K\r> ab\x1b[K");
    EXPECT_EQ(type(ed, "\x1b[C\x05").screen, "");
    EXPECT_EQ(type(ed, "\x1b[D").screen, "\r> ab\x1b[K\r\x1b[3C");
}

// What the user sees after each of many edits: the prompt, the line, the cursor on it.
TEST(LineEditor, TheScreenShowsTheLine) {
    Rig r;
    const char* steps[] = {"hello world",
                           "\x1b[1;5D",
                           "big ",
                           "\x01",
                           "\x1b[3~",
                           "\x05",
                           "\x17",
                           "w\xc3\xb6rld",
                           "\033b\x0b",
                           "\x15",
                           "a\x1b[D\x1b[D\xe2\x82\xac"};
    for (const char* step : steps) {
        r(step);
        std::string want = "> " + std::string(r.ed.buffer());
        while (want.back() == ' ')
            want.pop_back();
        EXPECT_EQ(r.term.current(), want) << step;
        EXPECT_EQ(r.term.col(), 2 + visible_cursor(r)) << step;
    }
    EXPECT_EQ(r.term.current(),
              "> \xe2\x82\xac"
              "a");
}

}  // namespace
}  // namespace mt::client
