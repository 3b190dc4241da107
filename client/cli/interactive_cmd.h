// The interactive client: `bin/client <my_ip:upload_port> <tracker1_ip:port>
// <tracker2_ip:port> <log_file> [--state-dir DIR] [--max-peers-per-ip N]
// [--max-upload-rate KiB/s] [--max-download-rate KiB/s] [--web ADDR
// [--web-password PW] [--download-dir DIR]]` starts a session
// (client/session/session.h) that serves peers at once, and its prompt
// (client/session/prompt.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mt::client {

// True for the interactive form's first argument: "ip:port".
bool looks_like_endpoint(std::string_view s);

// Runs the interactive client; returns the exit status (0 after a clean
// stop, 1 when it cannot start, 2 for wrong arguments). Throws only what the
// Logger throws for a log file it cannot open (a start-up failure).
int run_interactive(const std::vector<std::string>& args);

// `bin/client daemon <my_ip:port> <tracker1> <tracker2> <log_file> --web
// ADDR [the interactive client's options]`: the same session without a
// prompt, driven through the web interface (client/web/), until SIGTERM or
// SIGINT (then stopped as `quit` stops it; exit 0). Exit 1 when it cannot
// start, 2 for wrong arguments.
int run_daemon(const std::vector<std::string>& args);

}  // namespace mt::client
