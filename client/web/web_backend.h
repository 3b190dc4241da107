// What the web interface's request handlers (web_router.h,
// transmission_rpc.h) need of the session, and what they answer. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/session/command.h"
#include "client/session/rate_history.h"
#include "client/session/reply_format.h"
#include "client/session/transfer_detail.h"
#include "common/wire/http.h"
#include "common/wire/search.h"

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
    // pause, resume, verify, remove (args as the prompt takes them).
    virtual Reply run(CommandKind kind, std::vector<std::string> args) = 0;
    // Where added transfers are downloaded (shown by the Transmission RPC).
    virtual std::string download_dir() const { return {}; }
    // The transfer with this info_hash (40 hex digits) in detail; nullopt:
    // none.
    virtual std::optional<TransferDetail> detail(const std::string& info_hash) {
        (void)info_hash;
        return std::nullopt;
    }
    // The trackers' files whose name holds `text`: success with `hits`, or
    // the failure the prompt's search replies.
    virtual Reply search(const std::string& text, std::vector<common::wire::SearchHit>& hits) {
        (void)text;
        (void)hits;
        return Reply::failure("NOT_SUPPORTED", "no search here");
    }
    // The session log's last `n` lines (escaped), oldest first.
    virtual std::vector<std::string> log_tail(std::size_t n) {
        (void)n;
        return {};
    }
    // The session's total rates, one sample a second, oldest first.
    virtual RateSamples rates() { return {}; }
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
