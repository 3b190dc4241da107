// The line editor of the interactive prompt (client/session/prompt.cpp). Pure:
// bytes typed go in, finished lines and the bytes to write to the terminal
// come out; no descriptor, termios, clock or global. The caller puts the
// terminal in raw mode, reads, calls feed() and writes what it returns.
//
// Keys, as xterm, VT100 and the Linux console send them:
//   printable ASCII, UTF-8      inserted at the cursor
//   Enter (CR, LF; CRLF once)   ends the line: a `line` event
//   Left/Right, ^B/^F           one code point; ^Left/^Right, Alt-b/Alt-f: one word
//   Home/End, ^A/^E             start/end of the line
//   Backspace (DEL, ^H)         deletes before the cursor; Delete, ^D: under it
//   ^D on an empty line         `end_of_input` event
//   ^U / ^K / ^W, Alt-Backspace deletes to the start / to the end / the word before
//   Up/Down, ^P/^N              walk the history; the line being typed is kept as
//                               its newest entry, so Down past the end gives it back
//   ^R                          reverse incremental search (see below)
//   Tab                         completion through the Completer (see below)
//   ^L                          clears the screen and redraws
// Words are separated by spaces. Other control bytes (^C is the caller's
// signal), invalid UTF-8, what common::escape_text would escape (C1 controls,
// line separators, bidirectional overrides), bracketed-paste markers and
// unknown escape sequences (CSI and SS3 up to their final byte, ESC + one key
// as Alt+key) are consumed and ignored; a pending escape sequence is held in
// at most 32 bytes. So the buffer, every line and the history hold only text
// that escape_text leaves as is, at most max_line bytes.
//
// ^R search: the prompt becomes `(reverse-i-search)'query': match`. Typing
// extends the query, Backspace shortens it, ^R finds the next older match
// (with an empty query: the previous search's query again); a query without
// match turns the prompt into `(failed reverse-i-search)` and rings the bell.
// Enter submits the match; ^G restores the line as it was before ^R; Esc or
// Alt+key takes the match into the line for editing, the cursor on the query;
// any other editing key (a movement, Tab, ^K...) does the same, then acts.
//
// Tab: one candidate replaces the word being typed and adds a space (not
// after a '/'); several extend it to their longest common prefix; when
// nothing could be extended the bell rings, and a second Tab in a row lists
// them (sorted, the first 100, then "... and N more") below the line; no
// candidate: the bell.
//
// Drawing: one terminal row, one column per code point. A change redraws the
// row ("\r", prompt, visible text, "\x1b[K", cursor placement); a key that
// changes nothing writes nothing. A line wider than the terminal scrolls
// horizontally to keep the cursor visible (as linenoise's single-line mode);
// the last column is never written. A prompt too wide for the terminal is cut
// so that at least one column is left for the text.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mt::client {

class LineEditor {
  public:
    struct Completion {
        std::size_t word_start = 0;           // byte offset of the word in before_cursor
        std::vector<std::string> candidates;  // full words that may replace it
    };
    // Given the line up to the cursor: where the word being typed starts and
    // the candidates for it. Candidates are filtered like typed text (what
    // may not be typed is dropped); a word_start past the cursor counts as the
    // cursor.
    using Completer = std::function<Completion(std::string_view before_cursor)>;

    struct Event {
        enum class Kind { line, end_of_input };
        Kind kind = Kind::line;
        std::string text;  // line: the line without its newline; end_of_input: empty
    };

    // `prompt` is shown before the line (control bytes dropped). A line holds
    // at most max_line bytes (more input rings the bell); the history keeps
    // the newest max_history lines. Nothing is drawn: write show() first.
    explicit LineEditor(std::string prompt, Completer completer = {},
                        std::size_t max_line = 64 * 1024, std::size_t max_history = 1000);

    // Feeds typed bytes; escape sequences and UTF-8 may be split anywhere, the
    // partial state is kept until the next call. Appends to `screen` the bytes
    // to write to the terminal; returns the finished events in order. After a
    // `line` event (screen got "\r\n") or `end_of_input` (the same) the prompt
    // is not drawn again until a key changes it: write show() when ready.
    [[nodiscard]] std::vector<Event> feed(std::string_view bytes, std::string& screen);

    // True when the input ends in part of an escape sequence (a lone ESC may
    // be the Esc key or the start of an arrow key).
    bool escape_pending() const { return esc_ != Esc::none; }
    // The caller's read found nothing for a while (~50 ms) with
    // escape_pending(): a lone ESC counts as the Esc key, a partial sequence
    // is dropped. Appends the bytes to write to `screen`.
    void escape_timeout(std::string& screen);

    // The bytes that erase the prompt row (to print a notice); write show()
    // after the notice and before feeding more.
    std::string hide() const { return "\r\x1b[K"; }
    // The bytes that draw the prompt, the line and the cursor on the current row.
    std::string show() const { return render(); }

    // The terminal width, clamped to [1, 1024] (default 80). Takes effect at
    // the next redraw.
    void set_columns(int cols);
    int columns() const { return cols_; }

    // Appends a line to the history (as loaded from a file), filtered like
    // typed text and cut to max_line; not added when blank or equal to the
    // newest entry. The oldest entry goes past max_history.
    void add_history(std::string line);
    const std::deque<std::string>& history() const { return history_; }

    // The line being edited (during ^R: the line from before the search).
    std::string_view buffer() const { return buf_; }
    // The cursor as a byte offset into buffer(), always at a code point start.
    std::size_t cursor() const { return pos_; }
    // Whether a ^R search is in progress.
    bool searching() const { return searching_; }

  private:
    enum class Key {
        insert,
        enter,
        left,
        right,
        word_left,
        word_right,
        home,
        end,
        up,
        down,
        backspace,
        del,
        ctrl_d,
        kill_start,
        kill_end,
        kill_word,
        clear,
        search,
        cancel,
        tab,
        escape,
        alt
    };
    enum class Esc { none, esc, csi, ss3, skip };  // skip: an over-long CSI, dropped to its end
    struct Out {
        std::string& screen;
        std::vector<Event>& events;
    };

    void byte(unsigned char b, Out& out);
    void control(unsigned char b, Out& out);
    void escape_byte(unsigned char b, Out& out);
    void sequence_end(unsigned char final, Out& out);
    void key(Key k, std::string_view text, Out& out);
    void edit_key(Key k, std::string_view text, Out& out);
    std::optional<std::size_t> moved(Key k) const;
    void clear_screen(Out& out);
    void search_key(Key k, std::string_view text, Out& out);
    void search_from(std::optional<std::size_t> newest, Out& out);
    void accept_search();
    void end_search();
    void insert(std::string_view text, Out& out);
    void erase(std::size_t from, std::size_t to);
    void move_history(bool older);
    void enter(Out& out);
    void complete(Out& out);
    void list(const std::vector<std::string>& candidates, Out& out);
    bool replace_word(std::size_t start, const std::string& with);
    std::size_t match_cursor() const;
    void refresh(Out& out);
    struct Widths {
        std::size_t prompt, text;  // columns
    };
    Widths widths(std::string_view prefix) const;
    std::string draw(std::string_view prefix, std::string_view line, std::size_t at,
                     std::size_t hint) const;
    std::string render() const;

    std::string prompt_;
    Completer completer_;
    std::size_t max_line_;
    std::size_t max_history_;
    int cols_ = 80;

    std::string buf_;
    std::size_t pos_ = 0;     // bytes
    std::size_t scroll_ = 0;  // byte offset of the first visible code point
    std::string drawn_;       // what the row shows, as render() (cleared to force a redraw)

    std::deque<std::string> history_;
    std::size_t hist_pos_ = 0;  // == history_.size(): the line being typed
    std::string typed_;         // the line being typed while walking the history

    bool searching_ = false;
    bool search_failed_ = false;
    std::string query_;
    std::string last_query_;
    std::optional<std::size_t> match_;  // index into history_

    bool last_tab_ = false;  // the previous key was Tab (a second one lists)

    Esc esc_ = Esc::none;
    std::string seq_;           // parameters of the pending CSI or SS3
    std::string utf8_;          // a partial UTF-8 sequence
    std::size_t utf8_len_ = 0;  // its full length
    bool after_cr_ = false;     // an LF right after CR is the same Enter
};

}  // namespace mt::client
