#include "client/cli/interactive_cmd.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "client/cli/usage.h"
#include "client/session/prompt.h"
#include "client/session/session.h"
#include "common/log.h"
#include "common/net/fd.h"
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
