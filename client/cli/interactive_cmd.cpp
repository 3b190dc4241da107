#include "client/cli/interactive_cmd.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "client/cli/usage.h"
#include "client/session/prompt.h"
#include "client/session/session.h"
#include "common/log.h"
#include "common/net/fd.h"
#include "common/net/socket.h"
#include "common/options.h"
#include "common/stop_signals.h"
#include "common/text_escape.h"
#include "common/version.h"

namespace mt::client {

using common::cat;

namespace {

// The default state folders (mtorrent-state-<ip>-<port>) in the current
// folder other than `mine`: a restart on another port starts empty, and
// says where the earlier state is.
std::vector<std::string> other_default_state_dirs(const std::string& mine) {
    std::vector<std::string> out;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir("."), &::closedir);
    if (!d) return out;
    while (const dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        if (name.rfind("mtorrent-state-", 0) != 0 || name == mine) continue;
        struct stat st {};
        if (::lstat(name.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(name);
        if (out.size() >= 8) break;
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

bool looks_like_endpoint(std::string_view s) {
    if (s.find(':') == std::string_view::npos || s.find('/') != std::string_view::npos)
        return false;
    return common::parse_endpoint(s).ok();
}

int run_interactive(const std::vector<std::string>& args) {
    std::string state_dir;
    std::uint64_t rates[2] = {0, 0};  // upload, download, KiB/s
    std::size_t per_ip = 0;           // 0: the default
    bool no_dht = false;
    std::vector<std::string> dht_nodes;
    common::Options o;
    o.text("--state-dir", &state_dir)
        .flag("--no-dht", &no_dht)
        .list("--dht-bootstrap", &dht_nodes)
        .number("--max-peers-per-ip", &per_ip, 1, 10000)
        .number("--max-upload-rate", &rates[0], 0, 1ull << 30)
        .number("--max-download-rate", &rates[1], 0, 1ull << 30);
    auto parsed = o.parse(args);
    if (!parsed) return usage_error(parsed.error().message);
    const std::vector<std::string>& pos = *parsed;
    if (pos.size() != 4)
        return usage_error("the interactive client takes its address, two trackers and a log file");
    SessionConfig cfg;
    auto self = common::parse_endpoint_arg(pos[0], "address", true);
    if (!self) return usage_error(self.error().message);
    cfg.self = *self;
    for (std::size_t i = 1; i <= 2; ++i) {
        auto t = common::parse_endpoint_arg(pos[i], "tracker address");
        if (!t) return usage_error(t.error().message);
        cfg.trackers.push_back(*t);
    }
    rates[0] *= 1024;
    rates[1] *= 1024;
    cfg.max_upload_rate = rates[0];
    cfg.max_download_rate = rates[1];
    cfg.max_peers_per_ip = per_ip;
    cfg.dht = !no_dht;
    for (const auto& n : dht_nodes) {
        auto ep = common::parse_endpoint_arg(n, "DHT bootstrap node");
        if (!ep) return usage_error(ep.error().message);
        cfg.dht_bootstrap.push_back(*ep);
    }
    cfg.state_dir = state_dir.empty()
                        ? "mtorrent-state-" + cfg.self.host + "-" + std::to_string(cfg.self.port)
                        : state_dir;
    std::vector<std::string> earlier;
    struct stat st {};
    if (state_dir.empty() && ::stat(cfg.state_dir.c_str(), &st) != 0)
        earlier = other_default_state_dirs(cfg.state_dir);

    // Signals are taken by the prompt loop through a signalfd; blocked before
    // any thread starts, so every thread inherits the mask.
    const common::StopSignals signals(true);
    common::Fd sfd = signals.make_fd();

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
    if (!earlier.empty()) {
        std::string list;
        for (const auto& e : earlier)
            list += (list.empty() ? "" : ", ") + e;
        std::cerr << "note: a new, empty state folder for this address; earlier state is in "
                  << common::escape_text(list) << " (--state-dir DIR continues one)\n";
    }
    run_prompt(session, STDIN_FILENO, STDOUT_FILENO, sfd.get(), interactive,
               ::isatty(STDOUT_FILENO));
    session.stop();
    return 0;
}

}  // namespace mt::client
