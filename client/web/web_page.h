// The web interface's page: HTML, CSS and plain JavaScript of ours, kept in
// the binary and served by web_router.h. Nothing is fetched from elsewhere
// (the Content-Security-Policy forbids it). The script builds every element
// with createElement/textContent, never innerHTML, so a torrent's name is
// always text.
#pragma once

#include <string_view>

namespace mt::client::web {

extern const std::string_view kIndexPage;  // GET / once logged in
extern const std::string_view kLoginPage;  // 401: how to log in
extern const std::string_view kAppJs;
extern const std::string_view kAppCss;

}  // namespace mt::client::web
