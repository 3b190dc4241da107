// A subset of Transmission's RPC (rpc-version 17) at /transmission/rpc, so
// that `transmission-remote` can list, add, start, stop and remove our
// transfers, and verify them. Pure: requests in (already past web_auth.h's Host, Origin and
// credential checks in web_router.cpp), responses out, the session behind
// WebBackend.
//
// Handshake (the CSRF protection of this endpoint: a cross-site form cannot
// set a custom header): a request without X-Transmission-Session-Id: <the
// id given at construction> gets 409 with that header; the client retries
// with it. Every response carries the header. Only POST (405 otherwise).
//
// Body: {"method":M,"arguments":{...},"tag":N} (JSON, common/json_value.h,
// bounded) -> 200 {"result":"success" or an error text,"arguments":{...},
// "tag":N (when the request had an integer tag)}. Bad JSON, or a body that
// is not an object naming a method: 400 with {"result":"<why>"}.
// Methods:
//   session-get     rpc-version 17, rpc-version-minimum 14, version,
//                   download-dir
//   session-stats   counts and rates over the current transfers;
//                   current-stats = cumulative-stats = their sums (no
//                   history is kept)
//   torrent-get     fields (rpc_fields.h; default: what `-l` asks), ids
//                   -> {"torrents":[...]} (+ "removed":[ids] for
//                   "recently-active")
//   torrent-add     metainfo (base64 of a .mtorrent) or filename (a magnet
//                   link or info_hash) -> torrent-added | torrent-duplicate
//                   {id,name,hashString}; other filenames are refused
//   torrent-start, torrent-start-now, torrent-stop   (resume, pause)
//   torrent-remove  delete-local-data (default false: the data is kept,
//                   remove --keep; true: remove --delete-data, which deletes
//                   a download's data, finished or not, and is refused with
//                   NOT_OUR_DATA for a share or adopted data: nothing is
//                   removed then)
//   torrent-verify  verify (in the background; status 2, checking, meanwhile)
// ids: absent (every transfer), an integer, a 40-hex info_hash, an array of
// those, or "recently-active" (transfers not paused, plus the ids removed in
// the last kRecentMs). Unknown ids are ignored, as Transmission does.
// Transfer ids are small integers given in order of first sight and kept
// for this run (a transfer removed and added again gets its old id back).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/web/web_backend.h"
#include "common/json_value.h"
#include "common/wire/http.h"

namespace mt::client::web {

class TransmissionRpc {
  public:
    static constexpr const char* kSessionHeader = "X-Transmission-Session-Id";
    static constexpr std::int64_t kRecentMs = 60'000;
    static constexpr std::size_t kMaxRemoved = 256;  // remembered for recently-active
    static constexpr std::size_t kMaxIds = 100'000;  // then those of transfers gone are forgotten

    TransmissionRpc(std::string session_id, WebBackend& backend)
        : session_id_(std::move(session_id)), backend_(backend) {}

    // "/transmission/rpc" (with or without the trailing slash
    // transmission-remote sends).
    static bool is_rpc_path(std::string_view path);

    WebResponse handle(const common::wire::HttpRequest& req, std::int64_t now_ms);

    const std::string& session_id() const { return session_id_; }

  private:
    struct Item {
        int id;
        TransferView view;
    };
    // The transfers with their ids (assigning new ones); notes removals.
    std::vector<Item> items(std::int64_t now_ms);
    // The ones `ids` selects (nullptr: all).
    std::vector<Item> select(const common::JsonValue* ids, std::int64_t now_ms);
    int id_for(const std::string& key);

    std::string dispatch(const std::string& method, const common::JsonValue& args,
                         std::int64_t now_ms, std::string& result);
    std::string session_get() const;
    std::string session_stats(std::int64_t now_ms);
    std::string torrent_get(const common::JsonValue& args, std::int64_t now_ms);
    std::string torrent_add(const common::JsonValue& args, std::int64_t now_ms,
                            std::string& result);
    // {"torrent-duplicate":{...}} if the transfer `hash` is there already.
    std::optional<std::string> duplicate_of(const std::string& hash, std::int64_t now_ms);
    std::string run_each(CommandKind kind, const common::JsonValue& args, std::int64_t now_ms);

    std::string session_id_;
    WebBackend& backend_;
    std::map<std::string, int> ids_;  // transfer key (rpc_key) -> id
    int next_id_ = 1;
    std::vector<int> present_;                          // ids seen in the last listing
    std::deque<std::pair<int, std::int64_t>> removed_;  // id, when it was seen gone
};

// The key a transfer's id is kept under: its info_hash, or for a lookup its
// query when that is an info_hash (so the id survives the metainfo
// arriving), else "lookup:<label>".
std::string rpc_key(const TransferView& v);

}  // namespace mt::client::web
