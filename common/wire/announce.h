// Announce and scrape messages as plain structs, shared by the HTTP tracker
// codec (tracker_http.h, BEP 3/23/48) and the UDP tracker codec
// (udp_tracker.h, BEP 15). Only the encodings differ.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/ip_addr.h"

namespace mt::common {

// Numbered as on the UDP wire (BEP 15): 0 none, 1 completed, 2 started, 3 stopped.
enum class AnnounceEvent : std::uint32_t { none = 0, completed = 1, started = 2, stopped = 3 };

struct AnnounceRequest {
    InfoHash info_hash;
    PeerId peer_id;
    std::uint16_t port = 0;
    std::uint64_t uploaded = 0;  // the codecs reject values above 2^63-1
    std::uint64_t downloaded = 0;
    std::uint64_t left = 0;
    AnnounceEvent event = AnnounceEvent::none;
    std::int32_t numwant = -1;  // -1: the tracker's default
    std::uint32_t key = 0;
    bool compact = true;
    bool no_peer_id = false;
    std::optional<IpAddr> ip;  // only from a trusted ip= / UDP ip field

    friend bool operator==(const AnnounceRequest&, const AnnounceRequest&) = default;
};

struct PeerAddress {
    IpAddr ip;  // IPv4 or IPv6 (BEP 7)
    std::uint16_t port = 0;
    std::optional<PeerId> peer_id;  // only in the non-compact HTTP form

    friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

struct AnnounceResponse {
    std::string failure_reason;  // non-empty: the announce failed, nothing else is meaningful
    std::string warning_message;
    std::uint32_t interval = 0;      // seconds
    std::uint32_t min_interval = 0;  // seconds; 0 = not given
    std::uint32_t complete = 0;      // seeders
    std::uint32_t incomplete = 0;    // leechers
    std::vector<PeerAddress> peers;  // both families; each encoding carries what it can

    friend bool operator==(const AnnounceResponse&, const AnnounceResponse&) = default;
};

struct ScrapeEntry {
    InfoHash info_hash;
    std::uint32_t complete = 0;    // seeders
    std::uint32_t downloaded = 0;  // completed downloads ever
    std::uint32_t incomplete = 0;  // leechers

    friend bool operator==(const ScrapeEntry&, const ScrapeEntry&) = default;
};

}  // namespace mt::common
