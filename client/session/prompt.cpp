#include "client/prompt.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "client/command.h"
#include "client/oneshot.h"
#include "client/session.h"
#include "common/log.h"
#include "common/net/socket.h"
#include "common/text_escape.h"
#include "common/version.h"

namespace mt::client {

using common::cat;

bool looks_like_endpoint(std::string_view s) {
    if (s.find(':') == std::string_view::npos || s.find('/') != std::string_view::npos)
        return false;
    return common::parse_endpoint(s).ok();
}

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

int usage_error(const std::string& why) {
    std::cerr << "client: " << common::escape_text(why) << "\n" << oneshot_usage();
    return 2;
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

int run_interactive(const std::vector<std::string>& args) {
    std::vector<std::string> pos;
    std::string state_dir;
    std::uint64_t rates[2] = {0, 0};  // upload, download, KiB/s
    std::size_t per_ip = 0;           // 0: the default
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--state-dir") {
            if (i + 1 == args.size()) return usage_error("--state-dir needs a folder");
            state_dir = args[++i];
        } else if (args[i] == "--max-peers-per-ip") {
            const std::string v = i + 1 < args.size() ? args[++i] : "";
            char* end = nullptr;
            const unsigned long n = std::strtoul(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || v[0] == '-' || n < 1 || n > 10000)
                return usage_error("invalid value for --max-peers-per-ip: " + v);
            per_ip = n;
        } else if (args[i] == "--max-upload-rate" || args[i] == "--max-download-rate") {
            const std::string& opt = args[i];
            if (i + 1 == args.size()) return usage_error(opt + " needs a value in KiB/s");
            const std::string& v = args[++i];
            char* end = nullptr;
            const unsigned long long kib = std::strtoull(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || v[0] == '-' || kib > (1ull << 30))
                return usage_error("invalid value for " + opt + ": " + v);
            rates[opt == "--max-upload-rate" ? 0 : 1] = kib * 1024;
        } else if (args[i].size() > 1 && args[i][0] == '-') {
            return usage_error("unknown option " + args[i]);
        } else {
            pos.push_back(args[i]);
        }
    }
    if (pos.size() != 4)
        return usage_error("the interactive client takes its address, two trackers and a log file");
    SessionConfig cfg;
    auto self = common::parse_endpoint(pos[0]);
    if (!self) return usage_error("bad address " + pos[0] + ": " + self.error().message);
    cfg.self = *self;
    for (int i = 1; i <= 2; ++i) {
        auto t = common::parse_endpoint(pos[static_cast<std::size_t>(i)]);
        if (!t || t->port == 0)
            return usage_error("bad tracker address " + pos[static_cast<std::size_t>(i)] +
                               " (want ip:port)");
        cfg.trackers.push_back(*t);
    }
    cfg.max_upload_rate = rates[0];
    cfg.max_download_rate = rates[1];
    cfg.max_peers_per_ip = per_ip;
    cfg.state_dir = state_dir.empty()
                        ? "mtorrent-state-" + cfg.self.host + "-" + std::to_string(cfg.self.port)
                        : state_dir;

    // Signals are taken by the prompt loop through a signalfd; blocked before
    // any thread starts, so every thread inherits the mask.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    common::Fd sfd(::signalfd(-1, &set, SFD_CLOEXEC));

    common::Logger log(pos[3], common::LogLevel::info);
    Session session(cfg, log);
    std::vector<std::string> notes;
    if (auto s = session.start(notes); !s) {
        std::cerr << "client: cannot start: " << common::escape_text(s.error().message) << "\n";
        log.error(cat("cannot start: ", s.error().message));
        return 1;
    }
    const bool interactive = ::isatty(STDIN_FILENO);
    std::cerr << "mtorrent client " << common::kVersion << ": serving peers on " << cfg.self.host
              << ":" << session.port() << "; trackers " << cfg.trackers[0].to_string() << ", "
              << cfg.trackers[1].to_string() << "; state in "
              << common::escape_text(session.state_dir()) << (interactive ? "; type help" : "")
              << "\n";
    for (const auto& n : notes)
        std::cerr << "note: " << common::escape_text(n) << "\n";  // names from saved state
    run_prompt(session, STDIN_FILENO, STDOUT_FILENO, sfd.get(), interactive,
               ::isatty(STDOUT_FILENO));
    session.stop();
    return 0;
}

}  // namespace mt::client
