// The web interface's request handling, pure: an HTTP request in (already
// framed by common/wire/http.h), a response out. The security checks of
// web_auth.h come first, in this order, for every request:
//   403  Host not ours (DNS rebinding)            -> {"error":"BAD_HOST"}
//   403  an Origin other than the page's own      -> BAD_ORIGIN
//   429  this address failed to log in too often  -> TOO_MANY_FAILURES
//   401  /api/* or the page without a credential  -> UNAUTHORIZED (a wrong one
//        counts as a failure)
//   403  a POST without X-MTorrent-CSRF: 1        -> CSRF_HEADER_MISSING
//        (except /transmission/rpc, whose CSRF protection is its
//        X-Transmission-Session-Id handshake: transmission_rpc.h)
// Routes:
//   GET  /?token=T       right token: 303 to / with the cookie set
//   GET  /               the page (web_page.h); /app.js, /app.css (no auth:
//                        nothing secret in them)
//   GET  /api/sync?rid=N web_json.h's SyncHistory
//   GET  /api/events[?rid=N]  the same as a stream of Server-Sent Events
//                        (web_events.h): a response marked `stream`, its
//                        body the first event; then the server asks
//                        stream_update() once a second. 503
//                        TOO_MANY_STREAMS when the server has no room
//   GET  /api/torrent?id=<40 hex>  one transfer in detail (web_json.h's
//                        detail_json); 400 INVALID_ARGUMENTS for a malformed
//                        id, 404 NOT_FOUND for an unknown one
//   GET  /api/search?q=T the trackers' files named with T (search_json), or
//                        {"ok":false,...} as `search` fails; 400 without q
//   GET  /api/log?n=N    the session log's last N lines (1..500, default
//                        100, more is 500), oldest first (log_json), the
//                        token and password shown as [hidden]; 400 for an N
//                        that is not a number
//   GET  /api/rates      the session's total rates, one sample a second for
//                        the last 10 minutes (rates_json)
//   POST /api/add        body: .mtorrent bytes, a magnet or info_hash, or
//                        an absolute path to share (told apart by content)
//   POST /api/pause|resume|verify|remove   form or query: id=<info_hash>
//                        (remove: the data stays unless delete_data=1, which
//                        is remove --delete-data)
//   POST /transmission/rpc[/]  the Transmission RPC subset (transmission_rpc.h)
// Every response carries Content-Security-Policy (default-src 'self'),
// X-Content-Type-Options: nosniff, X-Frame-Options: DENY,
// Referrer-Policy: no-referrer and Cache-Control: no-store. Errors are JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/web/transmission_rpc.h"
#include "client/web/web_auth.h"
#include "client/web/web_backend.h"
#include "client/web/web_events.h"
#include "client/web/web_json.h"
#include "common/wire/http.h"

namespace mt::client::web {

enum class AddKind { metainfo, source, path, invalid };
// What a POST /api/add body is: bencode ('d'...) a metainfo, "magnet:" or
// 40 hex digits a source, "/..." a path; anything else invalid.
AddKind classify_add(std::string_view body);

class WebRouter {
  public:
    WebRouter(WebSecurity sec, WebBackend& backend)
        : sec_(std::move(sec)), backend_(backend), rpc_(sec_.rpc_session_id, backend) {}

    // `peer`: the client's address (for the login throttle);
    // `stream_room`: whether the server takes another event stream.
    WebResponse handle(const common::wire::HttpRequest& req, const std::string& peer,
                       std::int64_t now_ms, bool stream_room = true);
    // An open event stream's next update: the difference since `since`
    // (json "" when nothing changed) and the rid it brings the stream to.
    // The state is gathered anew when it is older than kStreamStateMs.
    StreamUpdate stream_update(std::uint64_t since, std::int64_t now_ms);
    static constexpr std::int64_t kStreamStateMs = 500;
    const WebSecurity& security() const { return sec_; }

  private:
    WebResponse route(const common::wire::HttpRequest& req, const std::string& peer,
                      std::int64_t now_ms, bool stream_room);
    WebResponse events(const common::wire::HttpRequest& req, bool stream_room);
    SyncHistory::State current_state();
    WebResponse api(const common::wire::HttpRequest& req);
    WebResponse api_get(const common::wire::HttpRequest& req);
    WebResponse api_post(const common::wire::HttpRequest& req);
    WebResponse detail(const std::string& id);
    WebResponse page_login(const std::string& token, const std::string& peer, std::int64_t now_ms);
    WebResponse add(const std::string& body);

    WebSecurity sec_;
    WebBackend& backend_;
    LoginThrottle throttle_;
    SyncHistory history_;
    std::int64_t state_ms_ = -1;  // when the streams' state was last gathered (stream_update)
    TransmissionRpc rpc_;
};

}  // namespace mt::client::web
