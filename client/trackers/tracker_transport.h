// One request to one tracker, over HTTP or UDP, within a deadline.
//
// These are the socket edge of the tracker client: the codecs live in
// common/wire (tracker_http.h, udp_tracker.h, http.h). Every function returns
// within about `timeout_ms` whatever the tracker does (refuses, stays silent,
// trickles bytes), with an Error saying what happened and with which tracker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/tracker_url.h"
#include "common/wire/announce.h"
#include "common/wire/http.h"

namespace mt::client {

// Sends a whole HTTP request and reads the whole response (Connection: close).
common::Result<common::wire::HttpResponse> http_exchange(const std::string& host,
                                                         std::uint16_t port,
                                                         std::string_view request, int timeout_ms,
                                                         std::size_t max_body = 4u << 20);

common::Result<common::AnnounceResponse> http_announce(const common::TrackerUrl& url,
                                                       const common::AnnounceRequest& req,
                                                       int timeout_ms);

// BEP 15: connect (fresh connection id each time; cheap on loopback and
// robust across tracker restarts) then announce, one datagram each way, no
// retransmission inside the deadline.
common::Result<common::AnnounceResponse> udp_announce(const common::TrackerUrl& url,
                                                      const common::AnnounceRequest& req,
                                                      int timeout_ms);

// Either of the above, as the URL's scheme says.
common::Result<common::AnnounceResponse> announce_once(const common::TrackerUrl& url,
                                                       const common::AnnounceRequest& req,
                                                       int timeout_ms);

}  // namespace mt::client
