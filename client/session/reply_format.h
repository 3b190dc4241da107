// What the prompt prints: replies and the lines of list replies. Pure.
//
// A reply is one line `SUCCESS:<value> <detail>` or `FAILURE:<REASON>
// <detail>` (a value with blanks comes quoted, see quote_token); a list reply's value is the number
// N of lines that follow, each indented by two spaces, so a script can read exactly one reply per
// command. Everything shown (file names come from trackers and peers) is escaped by
// common::escape_text (control bytes, C1 controls and invalid UTF-8 as \xNN), so nothing
// printed can steer a terminal or break a reply in two.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/engine/views.h"
#include "client/trackers/tracker_status.h"
#include "common/wire/search.h"

namespace mt::client {

struct Reply {
    bool ok = true;
    std::string value;  // SUCCESS:<value> or FAILURE:<value> (the reason code)
    std::string detail;
    std::vector<std::string> lines;
    bool quit = false;     // the session is over after this reply
    bool is_list = false;  // made by list(): value is the count of lines

    static Reply success(std::string value, std::string detail = {}) {
        return Reply{true, std::move(value), std::move(detail), {}, false, false};
    }
    static Reply failure(std::string code, std::string detail = {}) {
        return Reply{false, std::move(code), std::move(detail), {}, false, false};
    }
    // SUCCESS:<lines.size()> <what>, then the lines.
    static Reply list(std::vector<std::string> lines, const std::string& what);
    // The same with the noun agreeing: `one` for one line, else `many`
    // ("1 transfer", "2 transfers"), then `rest`.
    static Reply list(std::vector<std::string> lines, const std::string& one,
                      const std::string& many, const std::string& rest);

    // The text to print, newline-terminated: the documented format, for
    // scripts (a pipe).
    std::string render() const;
    // The same for a person at a terminal: no SUCCESS:/FAILURE: tokens and
    // no quoting; `value: detail`, a list's count and noun as its heading
    // (`2 transfers`), a failure as `error: detail (CODE)`. Escaped alike.
    std::string render_for_person() const;
};

// The value as one token for client/session/command.h's tokenize(): as is, or in
// double quotes (with \" and \\) when it has blanks, quotes or backslashes.
std::string quote_token(std::string_view s);

// "[#########...........]" `width` cells wide, fraction clamped to [0, 1].
std::string progress_bar(double fraction, int width);

// "45.0%  down 1.2 MiB/s  up 0 B/s  3 peers  ETA 12s" (ETA "done" when complete).
std::string progress_text(const TorrentStats& s);

// One transfer for `show downloads`.
struct TransferView {
    char state = 'D';  // D downloading, S seeding, P paused, M finding metainfo, ! failed
    std::string label;
    TorrentStats stats;
    std::string note;       // [M]: what is being looked up; [!] of a lookup: FAILURE:<CODE> detail
                            // (a failed transfer has no note: its stats.error is shown)
    std::string info_hash;  // 40 hex digits; empty for a lookup
    std::string name;       // the metainfo's name (a lookup: its query)
};
std::string format_transfer(const TransferView& t, bool bar);

// "name  size  info_hash  N seeders, M leechers"
std::string format_search_hit(const common::wire::SearchHit& h);

// A tracker as `status` shows it, merged from every torrent's TrackerClient
// and the session's TrackerQuery.
struct TrackerLine {
    std::string url;  // scheme://host:port
    bool live = false;
    bool tried = false;  // any attempt at all
    bool in_use = false;
    std::int64_t last_announce_ms = 0;  // wall clock of the last good announce (0: never)
    std::int64_t last_ok_ms = 0;        // of the last answer to anything (0: never)
    std::int64_t last_attempt_ms = 0;   // of the last attempt (0: never)
    std::uint64_t failures = 0;
    std::string last_error;
};
// `sources`: each TrackerClient's (and the TrackerQuery's) status list;
// `announce_sources` of them are announce clients (the rest only count for
// live, failures and in use). The configured URLs come first, in order; other
// trackers (from other people's .mtorrents) follow. Per tracker: live as the
// most recent attempt saw it, failures summed, last announce the latest. At
// most one is in use: the live one that answered last (several sources may
// each have their own, and a tracker that is down is never the one in use).
std::vector<TrackerLine> merge_tracker_status(
    const std::vector<std::string>& configured,
    const std::vector<std::vector<TrackerStatus>>& sources, std::size_t announce_sources);
std::string format_tracker_line(std::size_t index, const TrackerLine& t, std::int64_t now_ms);
// "scheme://host:port" of a tracker URL; the URL itself if it does not parse.
std::string tracker_key(const std::string& url);

std::string format_peer(const PeerView& p);

}  // namespace mt::client
