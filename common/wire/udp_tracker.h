// UDP tracker packets (BEP 15), both directions, for the tracker and the client.
// All integers big-endian.
//
// connect request, 16 bytes            connect response, 16 bytes
//   0  u64 protocol id 0x41727101980     0  u32 action = 0
//   8  u32 action = 0                    4  u32 transaction id
//  12  u32 transaction id                8  u64 connection id
//
// announce request, 98 bytes (+ BEP 41 options, ignored)
//   0  u64 connection id        56  u64 downloaded
//   8  u32 action = 1           64  u64 left
//  12  u32 transaction id       72  u64 uploaded
//  16  20B info_hash            80  u32 event (0 none, 1 completed, 2 started, 3 stopped)
//  36  20B peer_id              84  u32 ip (0 = the sender's address)
//                               88  u32 key
//                               92  i32 num_want (-1 = default)
//                               96  u16 port
//
// announce response, 20 + 6N bytes    scrape request, 16 + 20N bytes (1 <= N <= 74)
//   0  u32 action = 1                    0  u64 connection id
//   4  u32 transaction id                8  u32 action = 2
//   8  u32 interval                     12  u32 transaction id
//  12  u32 leechers                     16  N x 20B info_hash
//  16  u32 seeders
//  20  N x (u32 IPv4, u16 port)
//      over IPv6: 20 + 18N bytes, N x (16B IPv6, u16 port) (BEP 15)
//
// scrape response, 8 + 12N bytes       error response, 8 + M bytes
//   0  u32 action = 2                    0  u32 action = 3
//   4  u32 transaction id                4  u32 transaction id
//   8  N x (u32 seeders,                 8  M bytes of message text
//           u32 completed, u32 leechers)
//
// Decoders check the length for the action before reading anything else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/wire/announce.h"

namespace mt::common::wire {

inline constexpr std::uint64_t kUdpProtocolId = 0x41727101980ULL;
inline constexpr std::size_t kUdpConnectSize = 16;
inline constexpr std::size_t kUdpAnnounceRequestSize = 98;
inline constexpr std::size_t kUdpAnnounceResponseHeader = 20;
inline constexpr std::size_t kUdpScrapeRequestHeader = 16;
inline constexpr std::size_t kUdpScrapeResponseHeader = 8;
// BEP 15: "up to about 74 torrents can be scraped at once" (16 + 74 x 20 =
// 1496 bytes); the reply for 74 is 8 + 74 x 12 = 896 bytes.
inline constexpr std::size_t kUdpMaxScrapeHashes = 74;
inline constexpr std::size_t kUdpMaxErrorMessage = 1024;

enum class UdpAction : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

struct UdpConnectRequest {
    std::uint32_t transaction_id = 0;
    friend bool operator==(const UdpConnectRequest&, const UdpConnectRequest&) = default;
};

struct UdpConnectResponse {
    std::uint32_t transaction_id = 0;
    std::uint64_t connection_id = 0;
    friend bool operator==(const UdpConnectResponse&, const UdpConnectResponse&) = default;
};

// On the wire there is no compact / no_peer_id: decode sets compact = true,
// no_peer_id = false; ip 0 decodes to nullopt and nullopt encodes as 0.
struct UdpAnnounceRequest {
    std::uint64_t connection_id = 0;
    std::uint32_t transaction_id = 0;
    AnnounceRequest request;
    friend bool operator==(const UdpAnnounceRequest&, const UdpAnnounceRequest&) = default;
};

// Only interval, incomplete (leechers), complete (seeders) and the peers'
// ip/port travel; failure_reason, warning_message, min_interval and peer ids
// are not encoded (send a UdpErrorResponse for a failure). The transport's
// family decides the entries: over IPv4 only IPv4 peers (6 bytes each) are
// encoded, over IPv6 only IPv6 peers (18 bytes); the others are skipped.
struct UdpAnnounceResponse {
    std::uint32_t transaction_id = 0;
    AnnounceResponse response;
    bool ipv6 = false;  // sent over IPv6
    friend bool operator==(const UdpAnnounceResponse&, const UdpAnnounceResponse&) = default;
};

struct UdpScrapeRequest {
    std::uint64_t connection_id = 0;
    std::uint32_t transaction_id = 0;
    std::vector<InfoHash> info_hashes;  // 1..kUdpMaxScrapeHashes
    friend bool operator==(const UdpScrapeRequest&, const UdpScrapeRequest&) = default;
};

// The info_hash is not on the wire: entries are in request order, and decode
// leaves info_hash zero for the client to fill from its request.
struct UdpScrapeResponse {
    std::uint32_t transaction_id = 0;
    std::vector<ScrapeEntry> entries;
    friend bool operator==(const UdpScrapeResponse&, const UdpScrapeResponse&) = default;
};

struct UdpErrorResponse {
    std::uint32_t transaction_id = 0;
    std::string message;
    friend bool operator==(const UdpErrorResponse&, const UdpErrorResponse&) = default;
};

using UdpRequest = std::variant<UdpConnectRequest, UdpAnnounceRequest, UdpScrapeRequest>;
using UdpResponse =
    std::variant<UdpConnectResponse, UdpAnnounceResponse, UdpScrapeResponse, UdpErrorResponse>;

// Appends one packet. Preconditions (asserted): a scrape request has
// 1..kUdpMaxScrapeHashes hashes; counters fit the announce fields. The caller
// keeps an announce response's peers within its datagram budget; an error
// message is cut to kUdpMaxErrorMessage bytes.
void encode(const UdpConnectRequest& m, std::string& out);
void encode(const UdpConnectResponse& m, std::string& out);
void encode(const UdpAnnounceRequest& m, std::string& out);
void encode(const UdpAnnounceResponse& m, std::string& out);
void encode(const UdpScrapeRequest& m, std::string& out);
void encode(const UdpScrapeResponse& m, std::string& out);
void encode(const UdpErrorResponse& m, std::string& out);
std::string encode_udp_request(const UdpRequest& m);
std::string encode_udp_response(const UdpResponse& m);

// A datagram received by the tracker. Errc::parse_error (offset = where the
// problem is) for: fewer than 16 bytes; a connect request that is not exactly
// 16 bytes or lacks the protocol id; an announce under 98 bytes, with an event
// above 3, a port of 0 or a counter above 2^63-1; a scrape whose hash list is
// empty or not a multiple of 20 bytes. Errc::limit_exceeded for more than
// kUdpMaxScrapeHashes hashes; Errc::unsupported for an unknown action.
// The connection id is not checked here: that is the tracker's job.
Result<UdpRequest> decode_udp_request(std::string_view datagram);

// A datagram received by the client. Errc::parse_error for: fewer than 8
// bytes; a connect response not exactly 16 bytes; an announce response under
// 20 bytes or with a peer list not a multiple of 6 (18 when `ipv6`: the
// datagram came over IPv6); a scrape response whose
// body is not a multiple of 12. Errc::limit_exceeded for more than max_peers
// peers or kUdpMaxScrapeHashes scrape entries (or an error text above
// kUdpMaxErrorMessage); Errc::unsupported for an unknown action.
Result<UdpResponse> decode_udp_response(std::string_view datagram, std::size_t max_peers = 2000,
                                        bool ipv6 = false);

}  // namespace mt::common::wire
