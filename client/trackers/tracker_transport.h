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

#include "common/net/socket.h"
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
// The same to one address of the tracker's (url.host stays the Host header).
common::Result<common::AnnounceResponse> http_announce(const common::SockAddr& to,
                                                       const common::TrackerUrl& url,
                                                       const common::AnnounceRequest& req,
                                                       int timeout_ms);

// BEP 15: connect (fresh connection id each time; cheap on loopback and
// robust across tracker restarts) then announce, one datagram each way, no
// retransmission inside the deadline.
common::Result<common::AnnounceResponse> udp_announce(const common::TrackerUrl& url,
                                                      const common::AnnounceRequest& req,
                                                      int timeout_ms);
common::Result<common::AnnounceResponse> udp_announce(const common::SockAddr& to,
                                                      const common::TrackerUrl& url,
                                                      const common::AnnounceRequest& req,
                                                      int timeout_ms);

// Either of the above, as the URL's scheme says, over each address family
// the tracker's name has and `families` allows (BEP 7: a client listening on
// both families announces over each, so the tracker can hand out both of its
// addresses). The families are asked at once; once one has answered, a
// family still silent gets kFamilyGraceMs more, then is given up.
common::Result<common::AnnounceResponse> announce_once(const common::TrackerUrl& url,
                                                       const common::AnnounceRequest& req,
                                                       int timeout_ms,
                                                       common::Families families = {});
inline constexpr int kFamilyGraceMs = 200;

// What announce_once does with several addresses: announces to each at once,
// each on its own thread (the caller's CancelScope still ends them all), and
// merges the answers.
common::Result<common::AnnounceResponse> announce_to_each(
    const std::vector<common::SockAddr>& addrs, const common::TrackerUrl& url,
    const common::AnnounceRequest& req, int timeout_ms);

// One answer from the answers of the families: the first success, with the
// other successes' peers it lacks and the smallest counts' maxima (the same
// tracker counted the same swarm); the first failure when none succeeded.
common::Result<common::AnnounceResponse> merge_family_answers(
    std::vector<common::Result<common::AnnounceResponse>> answers);

}  // namespace mt::client
