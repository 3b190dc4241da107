// KRPC: the messages of the Mainline DHT (BEP 5), with BEP 32's IPv6 node
// lists and BEP 42's `ip`. Pure: no sockets.
//
// A message is one bencoded dictionary in one UDP datagram:
//   key  value
//   t    transaction id (bytes; we send 2, accept 1..kMaxTransactionId)
//   y    "q" query | "r" response | "e" error
//   q    query: the method ("ping", "find_node", "get_peers", "announce_peer")
//   a    query: the arguments {id, target | info_hash, port, token, implied_port, want}
//   r    response: {id, nodes, nodes6, values, token}
//   e    error: [code, message] (201 generic, 202 server, 203 protocol, 204 method unknown)
//   ip   the address the sender saw us at (BEP 42; compact, 6 or 18 bytes)
//   v    the sender's client version (kept, at most 16 bytes)
//   ro   1: the sender is read-only (BEP 43): do not add it to a routing table
//
// Compact forms: a node is 26 bytes (id 20, IPv4 4, port 2) in `nodes` and 38
// (id 20, IPv6 16, port 2) in `nodes6`; a peer in `values` is a string of 6
// (IPv4) or 18 (IPv6) bytes. Ports are big-endian.
//
// decode() is lenient about what real nodes send (dict keys in any order,
// unknown keys ignored, a query with an unknown method kept so that it can be
// answered with error 204) and strict about sizes: a datagram over
// kMaxDatagram, nesting deeper than 4, more than 600 values, a transaction id
// over kMaxTransactionId, an id that is not 20 bytes, a `nodes` string that is
// not a whole number of entries, more than kMaxNodes nodes or kMaxValues
// values, a token over kMaxToken bytes: each is an error, nothing allocated
// past the bound. Ports of 0 in nodes or values are dropped (nobody listens
// there).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/ip_addr.h"
#include "common/result.h"

namespace mt::common::wire::krpc {

struct NodeIdTag {};
using NodeId = Id20<NodeIdTag>;

inline constexpr std::size_t kMaxDatagram = 1500;  // what we accept; we send at most 1,024
inline constexpr std::size_t kSendBudget = 1024;
inline constexpr std::size_t kMaxTransactionId = 16;
inline constexpr std::size_t kMaxToken = 64;
inline constexpr std::size_t kMaxNodes = 32;  // per family in one reply
inline constexpr std::size_t kMaxValues = 200;

enum class Kind : std::uint8_t { query, response, error };
enum class Method : std::uint8_t { ping, find_node, get_peers, announce_peer, unknown };

enum ErrorCode : int {
    kGenericError = 201,
    kServerError = 202,
    kProtocolError = 203,
    kMethodUnknown = 204,
};

struct Endpoint {
    IpAddr ip;
    std::uint16_t port = 0;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct NodeInfo {
    NodeId id;
    Endpoint ep;
    friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

struct Message {
    Kind kind = Kind::query;
    std::string transaction;     // `t`
    std::string version;         // `v`, at most 16 bytes kept
    bool read_only = false;      // `ro`
    std::optional<Endpoint> ip;  // `ip`: how the sender sees us

    // Queries.
    Method method = Method::ping;
    std::string method_name;  // as sent (cut to 32 bytes), for an unknown method
    NodeId id;                // a.id or r.id
    NodeId target;            // find_node
    InfoHash info_hash;       // get_peers, announce_peer
    std::uint16_t port = 0;   // announce_peer
    bool implied_port = false;
    std::string token;     // announce_peer (query) or get_peers (response)
    bool want_v4 = false;  // BEP 32 `want`: neither set = the querier's own family
    bool want_v6 = false;

    // Responses.
    std::vector<NodeInfo> nodes;   // from `nodes` and `nodes6`
    std::vector<Endpoint> values;  // get_peers: peers
    bool has_token = false;        // a get_peers response carried `token`

    // Errors.
    int error_code = 0;
    std::string error_message;  // cut to 128 bytes
};

// The name of a method on the wire ("" for unknown).
std::string_view method_name(Method m);

// Appends the datagram. Encodes exactly the fields that belong to the kind
// and method (a query's `a.id` and a response's `r.id` are `id`); `nodes`
// are split by family into `nodes` and `nodes6`; `values` go as 6- or
// 18-byte strings. Does not enforce kSendBudget: callers size their lists
// (fit_values) and check the result.
void encode(const Message& m, std::string& out);
std::string encode(const Message& m);

// Errors: limit_exceeded (over a bound above), parse_error (not a dict, a
// missing or mistyped required key: `t`, `y`, `q` and `a` for queries, `r`
// for responses, `e` for errors, `id`, `target`, `info_hash`, `port` and
// `token` where the method needs them). An unknown method decodes with
// Method::unknown and its arguments unread except `id` when present.
Result<Message> decode(std::string_view datagram);

// Compact forms, for `values`, `nodes` and the persistent node list.
void append_compact(std::string& out, const Endpoint& ep);           // 6 or 18 bytes
void append_compact(std::string& out, const NodeInfo& n);            // 26 or 38 bytes
std::optional<Endpoint> parse_compact_endpoint(std::string_view b);  // 6 or 18 bytes

// How many of `values` (in order) fit in a response whose other parts take
// `used` bytes, within kSendBudget.
std::size_t fit_values(const std::vector<Endpoint>& values, std::size_t used);

// BEP 42: a node id for `ip` with the random byte `r` (its low 3 bits pick
// the variant): the first 21 bits from crc32c of the masked address, byte 19
// = r; the rest from `rest` (17 bytes used, random in practice).
NodeId bep42_node_id(const IpAddr& ip, std::uint8_t r, const NodeId& rest);
// True when `id` is one bep42_node_id could make for `ip`, or `ip` is local
// (loopback, private, link-local: exempt, as in libtorrent).
bool bep42_valid(const NodeId& id, const IpAddr& ip);

}  // namespace mt::common::wire::krpc
