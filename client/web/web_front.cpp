#include "client/web/web_front.h"

#include "client/session/path_util.h"
#include "client/web/web_token.h"
#include "common/hex.h"
#include "common/random.h"

namespace mt::client::web {

using common::Errc;
using common::make_error;

std::optional<std::string> bind_problem(const common::Endpoint& where, bool has_password) {
    if (has_password) return std::nullopt;
    const auto ip = common::IpAddr::parse(where.host);
    if ((ip && ip->is_loopback()) || where.host == "localhost") return std::nullopt;
    return "the web interface listens on " + where.to_string() +
           ", which is not a loopback address: anyone who can reach it could try the token; "
           "give --web-password PW too (at least 12 characters), or listen on 127.0.0.1";
}

common::Result<std::string> WebFront::start(const WebOptions& o) {
    auto where = common::parse_endpoint(o.listen);
    if (!where)
        return make_error(Errc::invalid_argument,
                          "--web " + o.listen + ": " + where.error().message +
                              " (give an address and port, e.g. 127.0.0.1:8080)");
    if (auto why = bind_problem(*where, !o.password.empty()))
        return make_error(Errc::invalid_argument, *why);
    if (!o.password.empty() && o.password.size() < 12)
        return make_error(Errc::invalid_argument, "--web-password needs at least 12 characters");
    auto token = load_or_create_token(session_.state_dir() + "/web.token");
    if (!token) return token.error();
    server_ = std::make_unique<WebServer>(log_);
    auto port = server_->listen(*where);
    if (!port)
        return make_error(port.error().code, "cannot listen for the web interface on " +
                                                 where->to_string() + ": " + port.error().message);
    const std::string dir = absolute_path(o.download_dir.empty() ? "." : o.download_dir);
    if (auto s = make_dirs(dir, 0755); !s) return s.error();
    backend_ = std::make_unique<SessionBackend>(session_, dir);
    // Per run: a client that held an old one learns the new one from a 409.
    const std::string rpc_session_id = common::to_hex(common::random_bytes(24));
    router_ = std::make_unique<WebRouter>(
        WebSecurity{*token, o.password, where->host, *port, rpc_session_id}, *backend_);
    if (auto s = server_->start(*router_); !s) return s.error();
    const bool v6 = where->host.find(':') != std::string::npos;
    const std::string host = v6 ? "[" + where->host + "]" : where->host;
    const std::string shown = where->host == "0.0.0.0" || where->host == "::" ? "127.0.0.1" : host;
    return "http://" + shown + ":" + std::to_string(*port) + "/?token=" + *token;
}

void WebFront::stop() {
    if (server_) server_->stop();
}

}  // namespace mt::client::web
