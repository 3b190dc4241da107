// What the parts of Torrent (torrent.cpp, torrent_peers.cpp,
// torrent_pieces.cpp) and its connections share: address helpers and the engine's limits.
// Internal to client/engine: nothing outside includes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/ip_addr.h"

namespace mt::client::detail {

// "1.2.3.4:5678" or "[2001:db8::1]:5678", as common::to_string(SockAddr)
// spells an accepted peer: one spelling per endpoint.
inline std::string ip_text(const common::IpAddr& ip, std::uint16_t port) {
    return ip.to_url_host() + ":" + std::to_string(port);
}

// The IP address of "ip:port" or "[ipv6]:port" (brackets kept; the whole
// string if it has no port).
inline std::string ip_of(const std::string& address) {
    const auto colon = address.rfind(':');
    return colon == std::string::npos ? address : address.substr(0, colon);
}

// The address of "ip:port" or "[ipv6]:port" as an IpAddr (nullopt if it
// does not parse).
inline std::optional<common::IpAddr> ip_addr_of(const std::string& address) {
    std::string ip = ip_of(address);
    if (ip.size() > 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    return common::IpAddr::parse(ip);
}

inline constexpr int kMaxStrikes = 2;               // strikes before an IP address is banned
inline constexpr std::size_t kMaxQueuedWrites = 8;  // verified pieces waiting for the writer
inline constexpr std::size_t kMaxSpareBuffers = 16;
// An unchoked peer that has requested nothing for this long loses its
// priority for a slot (see Choker).
inline constexpr std::int64_t kIdleUnchokeMs = 5000;
// Initial seeding: a peer not interested in the pieces it was shown for this
// long is shown everything instead (Torrent::check_idle_offers_locked).
inline constexpr std::int64_t kIdleOffersMs = 3000;

}  // namespace mt::client::detail
