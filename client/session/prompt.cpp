#include "client/session/prompt.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "client/session/command.h"
#include "client/session/session.h"
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

void write_out(int fd, std::string_view s) {
    (void)common::write_all(fd, s, 5000);  // a closed pipe (EPIPE) is not our problem
}

}  // namespace

void run_prompt(Session& session, int in_fd, int out_fd, int signal_fd, bool interactive,
                bool bars) {
    common::Logger& log = session.log();
    LineSplitter lines;
    bool done = false;
    std::string why = "end of input";
    auto handle = [&](const LineSplitter::Line& line) {
        Reply r;
        if (line.too_long) {
            r = Reply::failure("INVALID_ARGUMENTS", "the line is longer than 64 KiB");
        } else {
            const ParsedCommand p = parse_command(line.text);
            if (p.ok() && p.command.kind == CommandKind::empty) return;
            log.info(cat("command: ", line.text));  // the Logger escapes
            r = p.ok() ? session.execute(p.command, bars)
                       : Reply::failure(p.error.code, p.error.detail);
        }
        const std::string text = r.render();
        log.log(r.ok ? common::LogLevel::info : common::LogLevel::warn,
                cat("reply: ", text.substr(0, text.find('\n'))));
        write_out(out_fd, text);
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
    if (!done) {
        // End of input or a signal: the same as quit, said the same way.
        Command quit;
        quit.kind = CommandKind::quit;
        Reply r = session.execute(quit, false);
        r.detail += " (" + why + ")";
        write_out(out_fd, r.render());
    }
    log.info(cat("leaving the prompt: ", why));
}

}  // namespace mt::client
