// JSON for the web interface, pure: transfers as objects, API replies, the
// sync history behind GET /api/sync?rid=N (only what changed since N, like
// qBittorrent's sync/maindata), one transfer in detail, search hits, log
// lines and rate samples. Every string goes through json_str.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "client/session/rate_history.h"
#include "client/session/reply_format.h"
#include "client/session/transfer_detail.h"
#include "common/wire/search.h"

namespace mt::client::web {

// `s` as a JSON string literal, quotes included. Text from a torrent or a
// peer goes through common::escape_text first (so it is valid UTF-8 without
// controls), then ", \ and the bytes below 0x20 are escaped, and <, >, &
// and ' are written as \u003c... so that no reply can be read as markup.
std::string json_str(std::string_view s);

// One transfer:
//   {"id","name","label","state","size","done","progress","down_rate",
//    "up_rate","peers","eta","ratio","uploaded","error"}
// state: downloading, seeding, paused, verifying, metainfo (a lookup), error;
// eta: seconds, -1 when unknown (nothing coming in) or done;
// ratio: uploaded / size (0 for an empty torrent).
std::string transfer_json(const TransferView& v);
// The transfer's key in the sync map: its info_hash, or "lookup:<query>".
std::string transfer_id(const TransferView& v);

// {"ok":true,"value":...,"detail":...} or {"ok":false,"error":CODE,"detail":...}.
std::string reply_json(const Reply& r);
std::string error_json(std::string_view code, std::string_view detail);

// GET /api/torrent:
//   {"transfer":<transfer_json>,"piece_length":N,"piece_count":N,
//    "have":"<hex of the have bitfield, BEP 3 bit order (high bit = piece
//           0); "" when not known>",
//    "files":[{"path","size","done","selected"}...],"files_omitted":N,
//    "peers":[{"address","client","down_rate","up_rate","progress","flags"}...],
//    "peers_omitted":N,
//    "trackers":[{"url","in_use","live","last_announce_ms","last_error",
//                 "failures"}...]}
// progress 0..1 (4 decimals); rates bytes/s; last_announce_ms wall clock
// (0: never); flags as transfer_detail.h's peer_flags.
std::string detail_json(const TransferDetail& d);
// GET /api/search: {"ok":true,"hits":[{"name","size","info_hash","seeders",
// "leechers"}...]} (at most kMaxSearchHits).
constexpr std::size_t kMaxSearchHits = 1000;
std::string search_json(const std::vector<common::wire::SearchHit>& hits);
// GET /api/log: {"lines":[...]}.
std::string log_json(const std::vector<std::string>& lines);
// GET /api/rates: {"interval_ms":N,"samples":[[down,up],...]}.
std::string rates_json(const RateSamples& r);

// The state behind /api/sync and the event streams: each distinct state
// gets the next rid; a client names the rid it has and gets the difference
// to now. One copy of the state is kept, each transfer with the rids at
// which it appeared and last changed, and the transfers removed since (at
// most kMaxGone, with the same rids), so that any rid back to the oldest
// removal still kept is answered with only what changed; an older or
// unknown rid (or 0) gets the full state. (A transfer changed and changed
// back counts as changed.) Not thread-safe (the web server's one thread
// owns it).
class SyncHistory {
  public:
    static constexpr std::size_t kMaxGone = 4096;
    using State = std::map<std::string, std::string>;  // id -> transfer_json

    // The answer to a client at rid `since`.
    struct Diff {
        std::uint64_t rid = 0;  // the rid of the current state
        bool changed = false;   // a full update, or something added, changed or removed
        // {"rid":R,"full_update":bool,"transfers":{id:object,...},"removed":[id,...]}
        // `transfers` has every transfer on a full update, else those added
        // or changed since `since`; `removed` those gone since `since`.
        std::string json;
    };
    // Takes the state now: a new rid when anything differs from the last.
    void update(State now);
    Diff diff(std::uint64_t since) const;
    Diff diff(std::uint64_t since, State now) {
        update(std::move(now));
        return diff(since);
    }
    std::string sync(std::uint64_t since, State now) { return diff(since, std::move(now)).json; }
    std::uint64_t last_rid() const { return rid_; }

  private:
    struct Entry {
        std::string json;
        std::uint64_t added = 0, changed = 0;  // rids
    };
    struct Gone {
        std::string id;
        std::uint64_t added = 0, removed = 0;  // rids
    };
    std::map<std::string, Entry> current_;
    std::deque<Gone> gone_;    // oldest first
    std::uint64_t floor_ = 0;  // a rid below this may have missed a removal no longer kept
    std::uint64_t rid_ = 0;    // of the current state (0: none yet)
};

}  // namespace mt::client::web
