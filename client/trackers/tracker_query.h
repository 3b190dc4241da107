// TrackerQuery: the session's requests to the tracker pair besides announces:
// search, fetching a published .mtorrent and publishing one (HTTP, see
// docs/PROTOCOL.md "The tracker"), with the same failover as TrackerClient:
// it stays with the tracker that answers and, on a refused connection, an
// error or a timeout, tries the other one within the same call.
//
// The reply decoders are pure and unit-tested; the class does the I/O through
// an injectable exchange function (tests pass a fake). Thread-safe; no lock is
// held while talking to a tracker.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/trackers/tracker_client.h"
#include "client/trackers/tracker_rotation.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/mutex.h"
#include "common/net/socket.h"
#include "common/publisher_mark.h"
#include "common/result.h"
#include "common/wire/http.h"
#include "common/wire/search.h"

namespace mt::client {

using SearchHit = common::wire::SearchHit;

// POST /publish reply: {info_hash (20 bytes), name} or {failure reason}.
common::Result<common::InfoHash> decode_publish_reply(std::string_view body);

// A publisher's withdraw proof and owner mark (common/publisher_mark.h).
using common::owner_of_proof;
using common::publisher_proof;

class TrackerQuery {
  public:
    using Exchange = std::function<common::Result<common::wire::HttpResponse>(
        const common::Endpoint& tracker, std::string_view request, int timeout_ms)>;

    // `trackers`: the tracker pair in order. `exchange` is http_exchange by
    // default.
    TrackerQuery(std::vector<common::Endpoint> trackers, int timeout_ms, common::Logger& log,
                 Exchange exchange = {});

    // Files whose name contains `text`.
    //
    // Errors of every call: refused when a tracker answered with a failure
    // reason (the other one is not asked: they share their state); when no
    // tracker answered, the last one's transport error code (timeout or
    // io_error, a refused connection included) with every tracker's error in
    // the message ("no tracker answered: tracker 1 (ip:port): ...; tracker 2
    // (ip:port): ...").
    common::Result<std::vector<SearchHit>> search(std::string_view text);
    // The published .mtorrent bytes. Errc::not_found when every tracker that
    // answered has none (both are asked: replication may lag); otherwise the
    // last transport error.
    common::Result<std::string> metainfo(const common::InfoHash& info_hash);
    // Stores a .mtorrent on the trackers (one suffices: they replicate).
    // Returns the info_hash the tracker computed. `owner` (32 bytes, or
    // empty): what the trackers keep to recognise the publisher's withdraw
    // proof (owner_of_proof()).
    common::Result<common::InfoHash> publish(std::string_view mtorrent_bytes,
                                             std::string_view owner = {});
    // Takes a published file back with its publisher's proof (32 bytes).
    // Errc::refused with the tracker's reason (not published, not ours).
    common::Status withdraw(const common::InfoHash& info_hash, std::string_view proof);

    // One entry per tracker, url "http://ip:port".
    std::vector<TrackerStatus> status() const;

  private:
    // Sends `request` to each tracker in turn starting with the current one;
    // `accept` turns an HTTP response into a result. A transport error, or an
    // accept error other than not_found, counts as that tracker failing;
    // not_found moves on without a failover.
    template <class T, class Accept>
    common::Result<T> ask(const std::string& what, const std::string& target_or_request,
                          bool is_full_request, Accept accept);

    std::vector<common::Endpoint> trackers_;
    int timeout_ms_;
    common::Logger& log_;
    Exchange exchange_;
    TrackerRotation rotation_;
};

}  // namespace mt::client
