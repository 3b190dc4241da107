// The web interface's page: HTML, CSS (web_page.cpp) and plain JavaScript
// of ours (web_page_js.cpp), kept in the binary and served by web_router.h.
// Nothing is fetched from elsewhere and nothing is inline (the
// Content-Security-Policy forbids both). The script builds every element
// with createElement/textContent, never innerHTML, so a torrent's name, a
// file's path, a peer's client or a tracker's error is always text.
//
// What the script asks of the router: GET /api/events (falling back to
// /api/sync once a second while the stream fails), /api/torrent?id= (the
// detail view, every 2 s while open), /api/rates and /api/log?n=100 (every
// 5 s), /api/search?q=; POST /api/add, pause, resume, verify, remove
// (with X-MTorrent-CSRF: 1).
#pragma once

#include <string_view>

namespace mt::client::web {

extern const std::string_view kIndexPage;  // GET / once logged in
extern const std::string_view kLoginPage;  // 401: how to log in
extern const std::string_view kAppJs;
extern const std::string_view kAppCss;

}  // namespace mt::client::web
