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
#include "client/web/web_front.h"
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

namespace {

// What the interactive client and the daemon are started with.
struct Setup {
    SessionConfig cfg;
    std::string log_file;
    std::vector<std::string> earlier;  // other default state folders here
    web::WebOptions web;
};

// Parses the arguments both forms share; 0, or the exit code of a usage error.
int parse_setup(const std::vector<std::string>& args, const char* what, Setup& out) {
    std::string state_dir;
    std::uint64_t rates[2] = {0, 0};  // upload, download, KiB/s
    std::size_t per_ip = 0;           // 0: the default
    bool no_dht = false;
    bool no_pex = false;
    std::vector<std::string> dht_nodes;
    common::Options o;
    o.text("--state-dir", &state_dir)
        .flag("--no-dht", &no_dht)
        .flag("--no-pex", &no_pex)
        .list("--dht-bootstrap", &dht_nodes)
        .number("--max-peers-per-ip", &per_ip, 1, 10000)
        .number("--max-upload-rate", &rates[0], 0, 1ull << 30)
        .number("--max-download-rate", &rates[1], 0, 1ull << 30)
        .text("--web", &out.web.listen)
        .text("--web-password", &out.web.password)
        .text("--download-dir", &out.web.download_dir);
    auto parsed = o.parse(args);
    if (!parsed) return usage_error(parsed.error().message);
    const std::vector<std::string>& pos = *parsed;
    if (pos.size() != 4)
        return usage_error(cat(what, " takes its address, two trackers and a log file"));
    SessionConfig& cfg = out.cfg;
    auto self = common::parse_endpoint_arg(pos[0], "address", true);
    if (!self) return usage_error(self.error().message);
    cfg.self = *self;
    for (std::size_t i = 1; i <= 2; ++i) {
        auto t = common::parse_endpoint_arg(pos[i], "tracker address");
        if (!t) return usage_error(t.error().message);
        cfg.trackers.push_back(*t);
    }
    cfg.max_upload_rate = rates[0] * 1024;
    cfg.max_download_rate = rates[1] * 1024;
    cfg.max_peers_per_ip = per_ip;
    cfg.dht = !no_dht;
    cfg.pex = !no_pex;
    for (const auto& n : dht_nodes) {
        auto ep = common::parse_endpoint_arg(n, "DHT bootstrap node");
        if (!ep) return usage_error(ep.error().message);
        cfg.dht_bootstrap.push_back(*ep);
    }
    cfg.state_dir = state_dir.empty()
                        ? "mtorrent-state-" + cfg.self.host + "-" + std::to_string(cfg.self.port)
                        : state_dir;
    struct stat st {};
    if (state_dir.empty() && ::stat(cfg.state_dir.c_str(), &st) != 0)
        out.earlier = other_default_state_dirs(cfg.state_dir);
    out.log_file = pos[3];
    return 0;
}

void print_start(const Setup& setup, const Session& session, bool interactive,
                 const std::vector<std::string>& notes) {
    const SessionConfig& cfg = setup.cfg;
    std::cerr << "mtorrent client " << common::kVersion << ": serving peers on " << cfg.self.host
              << ":" << session.port() << "; trackers " << cfg.trackers[0].to_string() << ", "
              << cfg.trackers[1].to_string() << "; state in "
              << common::escape_text(session.state_dir()) << (interactive ? "; type help" : "")
              << "\n";
    for (const auto& n : notes)
        std::cerr << "note: " << common::escape_text(n) << "\n";  // names from saved state
    if (!setup.earlier.empty()) {
        std::string list;
        for (const auto& e : setup.earlier)
            list += (list.empty() ? "" : ", ") + e;
        std::cerr << "note: a new, empty state folder for this address; earlier state is in "
                  << common::escape_text(list) << " (--state-dir DIR continues one)\n";
    }
}

// Starts the session and (with --web) the web interface; 0, or the exit code.
int start_all(const Setup& setup, Session& session, web::WebFront& front, common::Logger& log,
              bool interactive) {
    std::vector<std::string> notes;
    if (auto s = session.start(notes); !s) {
        std::cerr << "client: cannot start: " << common::escape_text(s.error().message) << "\n";
        log.error(cat("cannot start: ", s.error().message));
        return 1;
    }
    print_start(setup, session, interactive, notes);
    if (setup.web.listen.empty()) return 0;
    auto url = front.start(setup.web);
    if (!url) {
        std::cerr << "client: cannot start the web interface: "
                  << common::escape_text(url.error().message) << "\n";
        log.error(cat("cannot start the web interface: ", url.error().message));
        session.stop();
        return 1;
    }
    std::cerr << "web interface: open " << *url << "\n";
    log.info(cat("web interface: open ", *url));
    return 0;
}

}  // namespace

int run_interactive(const std::vector<std::string>& args) {
    Setup setup;
    if (int rc = parse_setup(args, "the interactive client", setup); rc != 0) return rc;
    // Signals are taken by the prompt loop through a signalfd; blocked before
    // any thread starts, so every thread inherits the mask.
    const common::StopSignals signals(true);
    common::Fd sfd = signals.make_fd();

    common::Logger log(setup.log_file, common::LogLevel::info);
    Session session(setup.cfg, log);
    web::WebFront front(session, log);
    const bool interactive = ::isatty(STDIN_FILENO);
    if (int rc = start_all(setup, session, front, log, interactive); rc != 0) return rc;
    run_prompt(session, STDIN_FILENO, STDOUT_FILENO, sfd.get(), interactive,
               ::isatty(STDOUT_FILENO));
    front.stop();
    session.stop();
    return 0;
}

int run_daemon(const std::vector<std::string>& args) {
    Setup setup;
    if (int rc = parse_setup(args, "client daemon", setup); rc != 0) return rc;
    if (setup.web.listen.empty())
        return usage_error(
            "client daemon needs --web 127.0.0.1:PORT (its only way to take commands)");
    const common::StopSignals signals(true);
    common::Logger log(setup.log_file, common::LogLevel::info);
    Session session(setup.cfg, log);
    web::WebFront front(session, log);
    if (int rc = start_all(setup, session, front, log, false); rc != 0) return rc;
    int sig = 0;
    while ((sig = signals.wait(1000)) == 0) {
        for (const auto& n : session.take_notices())  // already in the log
            (void)n;
    }
    log.info(cat("signal ", sig, ": stopping"));
    std::cerr << "client daemon: stopping (signal " << sig << ")\n";
    front.stop();
    session.stop();
    return 0;
}

}  // namespace mt::client
