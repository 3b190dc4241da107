#include "client/session/prompt.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "client/session/command.h"
#include "client/session/completion.h"
#include "client/session/line_editor.h"
#include "client/session/session.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/net/socket.h"
#include "common/text_escape.h"
#include "common/version.h"

namespace mt::client {

using common::cat;

void LineSplitter::feed(std::string_view bytes) {
    if (taken_ == ready_.size()) {
        ready_.clear();
        taken_ = 0;
    }
    while (!bytes.empty()) {
        const auto nl = bytes.find('\n');
        const std::string_view chunk = bytes.substr(0, nl);
        if (!skipping_) {
            partial_.append(chunk.substr(0, max_ + 1 - std::min(partial_.size(), max_ + 1)));
            if (partial_.size() > max_) {
                partial_.resize(max_);
                ready_.push_back({std::move(partial_), true});
                partial_.clear();
                skipping_ = true;
            }
        }
        if (nl == std::string_view::npos) break;
        if (!skipping_) {
            if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
            ready_.push_back({std::move(partial_), false});
        }
        partial_.clear();
        skipping_ = false;
        bytes.remove_prefix(nl + 1);
    }
}

std::optional<LineSplitter::Line> LineSplitter::next() {
    if (taken_ == ready_.size()) return std::nullopt;
    return std::move(ready_[taken_++]);
}

std::optional<LineSplitter::Line> LineSplitter::finish() {
    if (skipping_ || partial_.empty()) return std::nullopt;
    Line l{std::move(partial_), false};
    partial_.clear();
    if (!l.text.empty() && l.text.back() == '\r') l.text.pop_back();
    return l;
}

namespace {

constexpr const char* kPrompt = "mtorrent> ";
constexpr std::size_t kHistoryLines = 1000;

void write_out(int fd, std::string_view s) {
    (void)common::write_all(fd, s, 5000);  // a closed pipe (EPIPE) is not our problem
}

// The terminal in raw mode while the prompt runs: no echo, no line
// discipline, so the line editor sees every key. Signals stay on (Ctrl-C
// ends the session as on a pipe) but Ctrl-Z does not suspend (the shell
// would get a terminal in raw mode); output processing stays, so "\n" is a
// new line. Restored when destroyed.
class RawTerminal {
  public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (::tcgetattr(fd, &saved_) != 0) return;
        termios raw = saved_;
        raw.c_iflag &= ~static_cast<tcflag_t>(ICRNL | IXON | INLCR | IGNCR | ISTRIP);
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | IEXTEN);
        raw.c_cc[VSUSP] = _POSIX_VDISABLE;
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        ok_ = ::tcsetattr(fd, TCSAFLUSH, &raw) == 0;
    }
    ~RawTerminal() {
        if (ok_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;
    bool ok() const { return ok_; }

  private:
    int fd_;
    termios saved_{};
    bool ok_ = false;
};

int terminal_columns(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

// `text` cut to `cols` columns (one per code point; it is escaped text).
std::string fit(const std::string& text, int cols) {
    std::size_t points = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
        if (points++ == static_cast<std::size_t>(cols)) return text.substr(0, i);
    }
    return text;
}

// The reply to one line of input (a parse error, or what the session did).
Reply answer(Session& session, const LineSplitter::Line& line, bool bars, bool* blank) {
    *blank = false;
    if (line.too_long) return Reply::failure("INVALID_ARGUMENTS", "the line is longer than 64 KiB");
    const ParsedCommand p = parse_command(line.text);
    if (p.ok() && p.command.kind == CommandKind::empty) {
        *blank = true;
        return {};
    }
    session.log().info(cat("command: ", line.text));  // the Logger escapes
    return p.ok() ? session.execute(p.command, bars) : Reply::failure(p.error.code, p.error.detail);
}

void log_reply(common::Logger& log, const Reply& r) {
    const std::string text = r.render();
    log.log(r.ok ? common::LogLevel::info : common::LogLevel::warn,
            cat("reply: ", text.substr(0, text.find('\n'))));
}

// Ends the session the way `quit` does, saying why.
void quit_for(Session& session, int out_fd, const std::string& why, bool person) {
    Command quit;
    quit.kind = CommandKind::quit;
    Reply r = session.execute(quit, false);
    r.detail += " (" + why + ")";
    write_out(out_fd, person ? r.render_for_person() : r.render());
}

// ---- Pipe (or a terminal on one side only): one reply per line ---------------------

void run_lines(Session& session, int in_fd, int out_fd, int signal_fd, bool interactive,
               bool bars) {
    common::Logger& log = session.log();
    LineSplitter lines;
    bool done = false;
    std::string why = "end of input";
    auto handle = [&](const LineSplitter::Line& line) {
        bool blank;
        const Reply r = answer(session, line, bars, &blank);
        if (blank) return;
        log_reply(log, r);
        write_out(out_fd, r.render());
        if (r.quit) {
            done = true;
            why = "quit";
        }
    };
    if (interactive) write_out(out_fd, kPrompt);
    char buf[65536];
    while (!done) {
        pollfd fds[2] = {{in_fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
        const int n = ::poll(fds, signal_fd >= 0 ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            why = cat("poll failed: ", std::strerror(errno));
            break;
        }
        if (signal_fd >= 0 && (fds[1].revents & POLLIN)) {
            signalfd_siginfo si{};
            if (::read(signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                why = cat("signal ", ::strsignal(static_cast<int>(si.ssi_signo)));
                if (interactive) write_out(out_fd, "\n");
                break;
            }
        }
        if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t got = ::read(in_fd, buf, sizeof buf);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) {
            if (auto last = lines.finish()) handle(*last);
            if (interactive && !done) write_out(out_fd, "\n");
            break;
        }
        lines.feed(std::string_view(buf, static_cast<std::size_t>(got)));
        while (!done) {
            auto l = lines.next();
            if (!l) break;
            handle(*l);
        }
        if (interactive && !done) write_out(out_fd, kPrompt);
    }
    if (!done) quit_for(session, out_fd, why, false);
    log.info(cat("leaving the prompt: ", why));
}

// ---- A terminal on both sides: the line editor --------------------------------------

class TerminalPrompt {
  public:
    TerminalPrompt(Session& session, int in_fd, int out_fd, int signal_fd)
        : session_(session),
          in_(in_fd),
          out_(out_fd),
          sig_(signal_fd),
          history_path_(session.state_dir() + "/prompt.history"),
          editor_(kPrompt, [this](std::string_view before) { return complete(before); }) {}

    void run() {
        load_history();
        editor_.set_columns(terminal_columns(out_));
        write_out(out_, editor_.show());
        char buf[4096];
        while (!done_) {
            pollfd fds[2] = {{in_, POLLIN, 0}, {sig_, POLLIN, 0}};
            const int n = ::poll(fds, sig_ >= 0 ? 2 : 1, editor_.escape_pending() ? 50 : 250);
            if (n < 0 && errno != EINTR) {
                finish(cat("poll failed: ", std::strerror(errno)));
                break;
            }
            if (n > 0 && sig_ >= 0 && (fds[1].revents & POLLIN) && took_signal()) break;
            if (n <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                idle();
                continue;
            }
            const ssize_t got = ::read(in_, buf, sizeof buf);
            if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (got <= 0) {
                finish("end of input");
                break;
            }
            typed(std::string_view(buf, static_cast<std::size_t>(got)));
        }
        save_history();
        session_.log().info(cat("leaving the prompt: ", why_));
    }

  private:
    LineEditor::Completion complete(std::string_view before) {
        CompletionSource src;
        src.names = session_.transfer_names();
        src.list_dir = [](const std::string& dir) { return list_directory(dir); };
        return complete_line(before, src);
    }

    bool took_signal() {
        signalfd_siginfo si{};
        if (::read(sig_, &si, sizeof si) != static_cast<ssize_t>(sizeof si)) return false;
        write_out(out_, "\r\n");
        finish(cat("signal ", ::strsignal(static_cast<int>(si.ssi_signo))));
        return true;
    }

    // Nothing typed for a while: a lone Esc, and what happened meanwhile.
    void idle() {
        std::string screen;
        if (editor_.escape_pending()) editor_.escape_timeout(screen);
        const std::vector<std::string> notices = session_.take_notices();
        if (!notices.empty()) {
            screen += editor_.hide();
            for (const auto& n : notices)
                screen += "* " + common::escape_text(n) + "\r\n";
            screen += editor_.show();
        }
        if (!screen.empty()) write_out(out_, screen);
    }

    void typed(std::string_view bytes) {
        editor_.set_columns(terminal_columns(out_));
        std::string screen;
        const auto events = editor_.feed(bytes, screen);
        write_out(out_, screen);
        for (const auto& e : events) {
            if (e.kind == LineEditor::Event::Kind::end_of_input) {
                finish("end of input");
                return;
            }
            line(e.text);
            if (done_) return;
        }
        if (!events.empty()) write_out(out_, editor_.show());
    }

    void line(const std::string& text) {
        bool blank;
        const ParsedCommand p = parse_command(text);
        Reply r;
        if (p.ok() && p.command.kind == CommandKind::show_downloads && !p.command.args.empty()) {
            session_.log().info(cat("command: ", text));
            r = watch_view(p.command);
            if (done_) return;
        } else {
            r = answer(session_, LineSplitter::Line{text, false}, true, &blank);
            if (blank) return;
        }
        log_reply(session_.log(), r);
        write_out(out_, r.render_for_person());
        if (r.quit) {
            done_ = true;
            why_ = "quit";
        }
    }

    // show downloads --watch: the list redrawn every second on the
    // alternate screen until a key is pressed; then the last one as a reply.
    Reply watch_view(const Command& show) {
        write_out(out_, "\x1b[?1049h\x1b[?25l");
        Reply r;
        while (true) {
            r = session_.execute(show, true);
            const int cols = terminal_columns(out_);
            std::string screen = "\x1b[H\x1b[2J";
            const std::string heading = r.render_for_person();
            screen +=
                fit(cat("mtorrent ", session_.state_dir(), "  ",
                        heading.substr(0, heading.find('\n')), "  (any key: back to the prompt)"),
                    cols) +
                "\r\n\r\n";
            for (const auto& l : r.lines)
                screen += fit("  " + common::escape_text(l), cols) + "\r\n";
            write_out(out_, screen);
            pollfd fds[2] = {{in_, POLLIN, 0}, {sig_, POLLIN, 0}};
            const int n = ::poll(fds, sig_ >= 0 ? 2 : 1, 1000);
            if (n > 0 && sig_ >= 0 && (fds[1].revents & POLLIN)) {
                write_out(out_, "\x1b[?25h\x1b[?1049l");
                took_signal();
                return r;
            }
            if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                char buf[256];
                (void)::read(in_, buf, sizeof buf);  // the key that ends it
                break;
            }
        }
        write_out(out_, "\x1b[?25h\x1b[?1049l");
        return r;
    }

    void finish(const std::string& why) {
        done_ = true;
        why_ = why;
        quit_for(session_, out_, why, true);
    }

    void load_history() {
        auto bytes = common::read_file(history_path_, 4u << 20);
        if (!bytes) return;
        std::string_view all = *bytes;
        while (!all.empty()) {
            const auto nl = all.find('\n');
            editor_.add_history(std::string(all.substr(0, nl)));
            if (nl == std::string_view::npos) break;
            all.remove_prefix(nl + 1);
        }
    }

    // The last kHistoryLines lines, mode 0600 (they may name private files).
    void save_history() {
        std::string out;
        const auto& h = editor_.history();
        for (std::size_t i = h.size() > kHistoryLines ? h.size() - kHistoryLines : 0; i < h.size();
             ++i)
            out += h[i] + "\n";
        if (auto s = common::write_file_atomic_new(history_path_, out, /*overwrite=*/true,
                                                   /*durable=*/false, 0600);
            !s)
            session_.log().warn(cat("cannot save the prompt history: ", s.error().message));
    }

    Session& session_;
    int in_, out_, sig_;
    std::string history_path_;
    LineEditor editor_;
    bool done_ = false;
    std::string why_ = "end of input";
};

}  // namespace

void run_prompt(Session& session, int in_fd, int out_fd, int signal_fd, bool interactive,
                bool bars) {
    if (interactive && bars) {
        const RawTerminal raw(in_fd);
        if (raw.ok()) {
            TerminalPrompt(session, in_fd, out_fd, signal_fd).run();
            return;
        }
    }
    run_lines(session, in_fd, out_fd, signal_fd, interactive, bars);
}

}  // namespace mt::client
