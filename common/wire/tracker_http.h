// HTTP tracker messages (BEP 3 announce, BEP 23 compact peers, BEP 48 scrape):
// query strings to AnnounceRequest and back, bencoded replies to structs and back.
//
// Announce query keys (values %-escaped; info_hash and peer_id are raw bytes):
//   key         required  accepted values
//   info_hash   yes       exactly 20 bytes after decoding
//   peer_id     yes       exactly 20 bytes after decoding
//   port        yes       decimal 1..65535
//   uploaded    yes       decimal 0..2^63-1, digits only (no sign, no spaces)
//   downloaded  yes       as uploaded
//   left        yes       as uploaded
//   event       no        started | completed | stopped | empty (= none)
//   numwant     no        decimal; negative -> -1 (default); above kMaxNumwant -> kMaxNumwant
//   key         no        1..kMaxKeyBytes bytes, opaque (BEP 7): 8 hex digits (optionally
//                         "0x"-prefixed) or decimal keep their value (low 32 bits), anything
//                         else (transmission's [a-z0-9]{8}, aria2c's raw bytes) is hashed
//   compact     no        0 | 1 (default 1)
//   no_peer_id  no        any value but "0" sets it
//   ip          no        dotted IPv4 or IPv6 text; ignored unless trust_ip
// Unknown keys are ignored; a known key given twice is an error.
//
// Announce reply (bencoded dict, keys sorted):
//   failure reason   string   present alone when the announce failed
//   warning message  string   optional
//   interval         int      seconds between announces (required)
//   min interval     int      optional
//   complete         int      seeders
//   incomplete       int      leechers
//   peers            string   compact: N x 6 bytes
//                             | offset | size | field                 |
//                             |   0    |  4   | IPv4, big-endian      |
//                             |   4    |  2   | port, big-endian      |
//                    list     or [{ip: dotted or IPv6 string, peer id: 20 bytes, port: int}]
//   peers6           string   compact IPv6 peers (BEP 7): N x 18 bytes
//                             | offset | size | field                 |
//                             |   0    |  16  | IPv6, network order   |
//                             |  16    |  2   | port, big-endian      |
// The compact form carries IPv4 peers in `peers` and IPv6 peers in `peers6`
// (present only when there is one); the list form carries both in `peers`.
//
// Scrape reply: {files: {<20-byte info_hash>: {complete, downloaded, incomplete}}}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/wire/announce.h"
#include "common/wire/http.h"

namespace mt::common::wire {

inline constexpr std::int32_t kMaxNumwant = 200;
inline constexpr std::size_t kMaxKeyBytes = 64;  // the announce "key" parameter

// Errc::invalid_argument with a sentence naming the key ("missing info_hash",
// "info_hash must be 20 bytes, got 19", "left is not a non-negative integer",
// "event must be started, completed, stopped or empty, got 'paused'").
Result<AnnounceRequest> parse_announce_query(const QueryParams& params, bool trust_ip);

// "?info_hash=...&peer_id=...&port=...&uploaded=...&downloaded=...&left=...
//  &compact=0|1&key=XXXXXXXX[&numwant=N][&event=...][&no_peer_id=1][&ip=a.b.c.d or IPv6]"
// to append to the announce path; parse_announce_query(parse_query(q), true)
// gives back the same request.
std::string build_announce_query(const AnnounceRequest& req);

// The reply body. With failure_reason set, only "failure reason" is written.
// compact: peers as a 6-byte-per-peer string (peer ids dropped); otherwise a
// list of dicts, with "peer id" for peers that have one unless no_peer_id.
// "min interval" and "warning message" are written only when set.
std::string encode_announce_response(const AnnounceResponse& resp, bool compact, bool no_peer_id);

// Accepts both peer forms and a bare {failure reason} (returned as a response
// whose failure_reason is set). Errc::parse_error for bad bencode, a missing
// interval, a compact `peers` whose length is not a multiple of 6 or
// `peers6` not of 18, an ip that is not dotted IPv4 or IPv6 text, a port outside 1..65535, a peer
// id not 20 bytes, counts that are negative or above 2^32-1; Errc::limit_exceeded for more than
// max_peers peers in all.
Result<AnnounceResponse> decode_announce_response(std::string_view body, std::size_t max_peers);

// Every info_hash value (each exactly 20 bytes), in order. Errc::invalid_argument
// for none at all or a wrong length; Errc::limit_exceeded above max_hashes.
Result<std::vector<InfoHash>> parse_scrape_query(const QueryParams& params, std::size_t max_hashes);

// "?info_hash=...&info_hash=..." to append to the scrape path.
std::string build_scrape_query(const std::vector<InfoHash>& hashes);

std::string encode_scrape_response(const std::vector<ScrapeEntry>& entries);

// Entries in info_hash order. Errc::refused carrying the tracker's text for a
// {failure reason} reply; Errc::parse_error for a missing "files" dict, a key
// not 20 bytes, a missing or out-of-range count; limit_exceeded above
// max_entries.
Result<std::vector<ScrapeEntry>> decode_scrape_response(std::string_view body,
                                                        std::size_t max_entries);

// d14:failure reason<len>:<reason>e
std::string encode_failure(std::string_view reason);

// Strict dotted-quad IPv4 ("10.0.0.1"; no leading zeros, each part 0..255) to
// a host-order address; Errc::parse_error otherwise.
Result<std::uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(std::uint32_t ip);
// Strict dotted-quad IPv4 or IPv6 text (a mapped IPv4 address is IPv4).
Result<IpAddr> parse_ip(std::string_view text);

}  // namespace mt::common::wire
