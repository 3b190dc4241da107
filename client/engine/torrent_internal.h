// What the parts of Torrent (torrent.cpp, torrent_peers.cpp,
// torrent_pieces.cpp) share: address helpers and the engine's limits.
// Internal to client/engine: nothing outside includes it.
#pragma once

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace mt::client::detail {

inline std::string ip_text(std::uint32_t ip, std::uint16_t port) {
    in_addr a{htonl(ip)};
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port);
}

// The IP address of "ip:port" (the whole string if it has no port).
inline std::string ip_of(const std::string& address) {
    const auto colon = address.rfind(':');
    return colon == std::string::npos ? address : address.substr(0, colon);
}

inline constexpr int kMaxStrikes = 2;               // strikes before an IP address is banned
inline constexpr std::size_t kMaxQueuedWrites = 8;  // verified pieces waiting for the writer
inline constexpr std::size_t kMaxSpareBuffers = 16;
// An unchoked peer that has requested nothing for this long loses its
// priority for a slot (see Choker).
inline constexpr std::int64_t kIdleUnchokeMs = 5000;

}  // namespace mt::client::detail
