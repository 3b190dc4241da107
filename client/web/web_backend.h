// What the web interface's request handlers (web_router.h,
// transmission_rpc.h) need of the session, and what they answer. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/session/command.h"
#include "client/session/reply_format.h"
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
    // Where added transfers are downloaded (shown by the Transmission RPC).
    virtual std::string download_dir() const { return {}; }
};

struct WebResponse {
    int status = 200;
    std::string content_type;
    std::string body;
    common::wire::HttpHeaders headers;
    // An event stream (GET /api/events, web_events.h): the server writes the
    // head without Content-Length, then `body` (the first event), keeps the
    // connection and asks WebRouter::stream_update for more from stream_rid.
    bool stream = false;
    std::uint64_t stream_rid = 0;
};

}  // namespace mt::client::web
