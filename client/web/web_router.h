// The web interface's request handling, pure: an HTTP request in (already
// framed by common/wire/http.h), a response out. The security checks of
// web_auth.h come first, in this order, for every request:
//   403  Host not ours (DNS rebinding)            -> {"error":"BAD_HOST"}
//   403  an Origin other than the page's own      -> BAD_ORIGIN
//   429  this address failed to log in too often  -> TOO_MANY_FAILURES
//   401  /api/* or the page without a credential  -> UNAUTHORIZED (a wrong one
//        counts as a failure)
//   403  a POST without X-MTorrent-CSRF: 1        -> CSRF_HEADER_MISSING
// Routes:
//   GET  /?token=T       right token: 303 to / with the cookie set
//   GET  /               the page (web_page.h); /app.js, /app.css (no auth:
//                        nothing secret in them)
//   GET  /api/sync?rid=N web_json.h's SyncHistory
//   POST /api/add        body: .mtorrent bytes, a magnet or info_hash, or
//                        an absolute path to share (told apart by content)
//   POST /api/pause|resume|verify|remove   form or query: id=<info_hash>
//                        [&delete_data=1]
// Every response carries Content-Security-Policy (default-src 'self'),
// X-Content-Type-Options: nosniff, X-Frame-Options: DENY,
// Referrer-Policy: no-referrer and Cache-Control: no-store. Errors are JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/session/command.h"
#include "client/session/reply_format.h"
#include "client/web/web_auth.h"
#include "client/web/web_json.h"
#include "common/wire/http.h"

namespace mt::client::web {

// What the router needs of the session (client/web/session_backend.h for
// the real one; tests script a fake).
class WebBackend {
  public:
    virtual ~WebBackend() = default;
    virtual std::vector<TransferView> views() = 0;
    // Starts downloading the metainfo in `bytes` (already checked to parse).
    virtual Reply add_metainfo(const std::string& bytes) = 0;
    // `get <magnet or info_hash>` into the download folder.
    virtual Reply add_source(const std::string& magnet_or_hash) = 0;
    // `share <path>`, the .mtorrent kept in the state folder.
    virtual Reply share(const std::string& path) = 0;
    // pause, resume, remove (args as the prompt takes them).
    virtual Reply run(CommandKind kind, std::vector<std::string> args) = 0;
};

enum class AddKind { metainfo, source, path, invalid };
// What a POST /api/add body is: bencode ('d'...) a metainfo, "magnet:" or
// 40 hex digits a source, "/..." a path; anything else invalid.
AddKind classify_add(std::string_view body);

struct WebResponse {
    int status = 200;
    std::string content_type;
    std::string body;
    common::wire::HttpHeaders headers;
};

class WebRouter {
  public:
    WebRouter(WebSecurity sec, WebBackend& backend) : sec_(std::move(sec)), backend_(backend) {}

    // `peer`: the client's address (for the login throttle).
    WebResponse handle(const common::wire::HttpRequest& req, const std::string& peer,
                       std::int64_t now_ms);
    const WebSecurity& security() const { return sec_; }

  private:
    WebResponse route(const common::wire::HttpRequest& req, const std::string& peer,
                      std::int64_t now_ms);
    WebResponse api(const common::wire::HttpRequest& req);
    WebResponse page_login(const std::string& token, const std::string& peer, std::int64_t now_ms);
    WebResponse add(const std::string& body);

    WebSecurity sec_;
    WebBackend& backend_;
    LoginThrottle throttle_;
    SyncHistory history_;
};

}  // namespace mt::client::web
