// A membership change: the unit the trackers journal and replicate.
//
// Every change carries its origin tracker (1 or 2), that origin's sequence
// number (1, 2, 3, ... without gaps) and the origin's wall-clock time in
// milliseconds. The time orders conflicting writes to the same key
// (last writer wins, ties broken by origin), so both trackers converge
// whatever order changes arrive in; the (origin, seq) pair makes applying a
// change twice harmless.
//
// Encoding (big-endian):
//
//   offset size field
//   0      1    kind (5 peer_put, 6 peer_remove, 3 metainfo_put, 4 metainfo_remove;
//                1 and 2 are the old peer records, read but no longer written)
//   1      1    origin (1 or 2)
//   2      8    seq
//   10     8    time_ms (signed, Unix epoch)
//   18     20   info_hash
//   38     ...  per kind:
//     peer_put:        ip(4) port(2) key(4) left(8) uploaded(8) downloaded(8)  = 34
//     peer_remove:     ip(4) port(2)                                           = 6
//     metainfo_put:    length(4) metainfo bytes (at most kMaxMetainfoBytes)
//     metainfo_remove: nothing
//     7 (metainfo_put with an owner): owner(32) length(4) metainfo bytes
//     8 (peer_put of an IPv6 peer):    ip(16) port(2) key(4) left(8) uploaded(8)
//                                      downloaded(8)                       = 46
//     9 (peer_remove of an IPv6 peer): ip(16) port(2)                      = 18
//     1 (old peer_put):    peer_id(20) ip(4) port(2) left(8) uploaded(8) downloaded(8)
//     2 (old peer_remove): peer_id(20)
// Nothing may follow the kind's fields.
//
// A publisher may own what it publishes: `owner` is derived from a proof
// only it knows (owner_of_proof(): HMAC-SHA256 keyed by the proof; the
// client derives one proof per info_hash from a secret in its state
// folder), and POST /withdraw with that proof removes the metainfo.
// In memory it is a metainfo_put with `owner` set; on the wire and in the
// journal, kind 7 (a tracker that predates it refuses the record, so both
// trackers of a pair are upgraded together). IPv6 peers (BEP 7) likewise:
// in memory a peer_put / peer_remove whose ip is IPv6, on the wire kinds 8
// and 9; IPv4 peers keep kinds 5 and 6 and their 4-byte address.
//
// A peer is keyed by its endpoint (ip, port) within its torrent: the address
// is the one the announce came from, so a host can write only its own keys.
// `key` is the BEP 7 key the peer announced (0: none), which lets it move its
// entry to a new address (SwarmStore::announce); it is never sent to peers.
// The old records were keyed by peer id: an old peer_put is read as a put of
// its endpoint with no key; an old peer_remove names no endpoint and is read
// as a tombstone of 0.0.0.0:0, which no announce can hold (port 0 is refused)
// and which expires like any tombstone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/ip_addr.h"
#include "common/publisher_mark.h"
#include "common/result.h"

namespace mt::tracker {

constexpr std::size_t kMaxMetainfoBytes = 4u << 20;  // what /publish accepts
constexpr std::size_t kOwnerBytes = 32;              // SHA-256

// Orders writes to one key: later time wins; ties go to the higher origin,
// then the higher sequence number (two changes of one origin in one ms).
struct Version {
    std::int64_t time_ms = 0;
    std::uint8_t origin = 0;
    std::uint64_t seq = 0;

    friend bool operator<(const Version& a, const Version& b) {
        if (a.time_ms != b.time_ms) return a.time_ms < b.time_ms;
        if (a.origin != b.origin) return a.origin < b.origin;
        return a.seq < b.seq;
    }
    friend bool operator==(const Version& a, const Version& b) {
        return a.time_ms == b.time_ms && a.origin == b.origin && a.seq == b.seq;
    }
};

struct Change {
    enum class Kind : std::uint8_t {
        metainfo_put = 3,
        metainfo_remove = 4,
        peer_put = 5,
        peer_remove = 6,
    };

    Kind kind = Kind::peer_put;
    std::uint8_t origin = 0;
    std::uint64_t seq = 0;
    std::int64_t time_ms = 0;
    common::InfoHash info_hash;
    // peer_put / peer_remove: the key
    common::IpAddr ip;  // IPv4 or IPv6
    std::uint16_t port = 0;
    // peer_put
    std::uint32_t key = 0;  // BEP 7, 0 = none
    std::uint64_t left = 0;
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    // metainfo_put: the bencoded .mtorrent, and owner_of_proof() of its
    // publisher's withdraw proof (32 bytes; empty: nobody may withdraw it)
    std::string metainfo;
    std::string owner;

    Version version() const { return {time_ms, origin, seq}; }
    friend bool operator==(const Change& a, const Change& b);
};

// What a metainfo_put stores for a withdraw proof (common/publisher_mark.h).
using common::owner_of_proof;

void encode_change(const Change& c, std::string& out);
std::string encode_change(const Change& c);

// Errc::parse_error naming the problem: short input, unknown kind, origin not
// 1 or 2, seq 0, a metainfo over kMaxMetainfoBytes, trailing bytes.
common::Result<Change> decode_change(std::string_view data);

const char* change_kind_name(Change::Kind k);

}  // namespace mt::tracker
