// BEP 11 peer exchange (ut_pex): the payload of an `extended` message whose
// id the receiver gave ut_pex in its BEP 10 handshake. Pure: no sockets.
//
// A bencoded dictionary:
//   added      compact IPv4 peers (6 bytes each)   added.f   one flag byte each
//   added6     compact IPv6 peers (18 bytes each)  added6.f  one flag byte each
//   dropped    compact IPv4 peers                  dropped6  compact IPv6 peers
// Flags: 0x01 prefers encryption, 0x02 seed, 0x04 uTP, 0x08 holepunch,
// 0x10 reachable (outgoing connection). A missing `.f` means no flags; a
// `.f` of the wrong length is ignored (aria2 sends a bare `de` when it has
// nothing: accepted).
//
// Limits: decode() refuses a payload over kMaxPexPayload bytes, nesting
// beyond 2, a peer list that is not whole entries or holds more than
// kMaxPexList entries; peers with port 0 are dropped. The sender's BEP 11
// promise (at most 50 added and 50 dropped per message, one message a minute)
// is enforced by the connection, not here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_addr.h"
#include "common/result.h"

namespace mt::common::wire {

inline constexpr std::string_view kUtPex = "ut_pex";
inline constexpr std::uint8_t kUtPexId = 1;  // the id we assign to ut_pex
inline constexpr std::size_t kMaxPexPayload = 16 * 1024;
inline constexpr std::size_t kMaxPexList = 500;
inline constexpr std::size_t kPexPerMessage = 50;  // BEP 11

enum PexFlag : std::uint8_t {
    kPexEncryption = 0x01,
    kPexSeed = 0x02,
    kPexUtp = 0x04,
    kPexHolepunch = 0x08,
    kPexReachable = 0x10,
};

struct PexPeer {
    IpAddr ip;
    std::uint16_t port = 0;
    std::uint8_t flags = 0;
    friend bool operator==(const PexPeer&, const PexPeer&) = default;
};

struct PexMessage {
    std::vector<PexPeer> added;    // both families, flags kept
    std::vector<PexPeer> dropped;  // flags 0
    friend bool operator==(const PexMessage&, const PexMessage&) = default;
};

void encode(const PexMessage& m, std::string& out);
Result<PexMessage> decode_pex(std::string_view payload);

}  // namespace mt::common::wire
