// Server-Sent Events for GET /api/events (WHATWG HTML, "Server-sent
// events"), pure: the framing and one stream's schedule. The server
// (web_server.h) owns the sockets; the router (web_router.h) computes each
// update (WebRouter::stream_update).
//
// The response, as written on the socket:
//   HTTP/1.1 200 OK\r\n
//   Content-Type: text/event-stream\r\n
//   Connection: close\r\n          no Content-Length: the stream is the body,
//   <the router's headers>\r\n     until either side closes
//   \r\n
//   event: sync\n                  when anything changed: `data` is what
//   data: <one line of JSON>\n     GET /api/sync?rid=<the stream's rid>
//   \n                             answers (web_json.h, SyncHistory)
//   : keep-alive\n                 a comment after kKeepAliveMs with nothing
//   \n                             sent, so that proxies and the browser see
//                                  a live connection
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/wire/http.h"

namespace mt::client::web {

// The status line and headers of a stream (no Content-Length, Connection:
// close), then the blank line.
std::string sse_head(int status, std::string_view content_type,
                     const common::wire::HttpHeaders& headers);

// One event: "event: <name>\n", one "data: " line per line of `data` (split
// at CR LF, CR or LF, so that no byte of `data` can end the event early),
// then a blank line. `name` must hold no CR or LF.
std::string sse_event(std::string_view name, std::string_view data);

// A comment line (": <text>\n\n"); EventSource ignores it. CR and LF in
// `text` become spaces.
std::string sse_comment(std::string_view text);

// What one stream gets at an update: the rid it is at afterwards, and the
// sync JSON ("" when nothing changed since the rid it had).
struct StreamUpdate {
    std::uint64_t rid = 0;
    std::string json;
};

// One open stream's schedule and position in the sync history. The server
// asks next_ms(), and at that time gets the update for rid() from the router
// and hands it to tick().
class EventStream {
  public:
    static constexpr std::int64_t kUpdateMs = 1000;
    static constexpr std::int64_t kKeepAliveMs = 15'000;

    // `rid`: where the first event (sent with the head) left the stream.
    EventStream(std::uint64_t rid, std::int64_t now_ms, std::int64_t update_ms = kUpdateMs)
        : rid_(rid), update_ms_(update_ms), next_ms_(now_ms + update_ms), last_sent_ms_(now_ms) {}

    std::uint64_t rid() const { return rid_; }
    // When the next update is due.
    std::int64_t next_ms() const { return next_ms_; }
    // At or after next_ms(): the bytes to send for `u` (the update since
    // rid()): a "sync" event if it holds a change, else a keep-alive comment
    // if nothing was sent for kKeepAliveMs, else "". Schedules the next.
    std::string tick(const StreamUpdate& u, std::int64_t now_ms);

  private:
    std::uint64_t rid_;
    std::int64_t update_ms_;
    std::int64_t next_ms_;
    std::int64_t last_sent_ms_;
};

}  // namespace mt::client::web
