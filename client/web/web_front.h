// The web interface as the command line starts it: the token, the checks
// on where it may listen, the router over the session and the server.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "client/session/session.h"
#include "client/web/session_backend.h"
#include "client/web/web_router.h"
#include "client/web/web_server.h"
#include "common/log.h"
#include "common/net/socket.h"

namespace mt::client::web {

struct WebOptions {
    std::string listen;        // --web host:port ("" : no web interface)
    std::string password;      // --web-password
    std::string download_dir;  // --download-dir (default: the current folder)
};

// Why the web interface may not listen at `where`: anything but a loopback
// address (127.0.0.0/8, ::1, "localhost") needs a password. nullopt: fine.
std::optional<std::string> bind_problem(const common::Endpoint& where, bool has_password);

class WebFront {
  public:
    WebFront(Session& session, common::Logger& log) : session_(session), log_(log) {}
    ~WebFront() { stop(); }
    WebFront(const WebFront&) = delete;
    WebFront& operator=(const WebFront&) = delete;

    // Loads or makes <state>/web.token, binds, starts serving. Returns the
    // URL to open (with the token). Errors (a message for the person): a bad
    // address, a non-loopback one without a password, an untrusted token
    // file, a port that cannot be bound.
    common::Result<std::string> start(const WebOptions& options);
    void stop();

  private:
    Session& session_;
    common::Logger& log_;
    std::unique_ptr<SessionBackend> backend_;
    std::unique_ptr<WebRouter> router_;
    std::unique_ptr<WebServer> server_;
};

}  // namespace mt::client::web
