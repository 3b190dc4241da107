// IpAddr: an IPv4 or IPv6 address as one 16-byte value (BEP 7).
//
// IPv4 is held as its IPv4-mapped IPv6 form (::ffff:a.b.c.d, RFC 4291
// 2.5.5.2), so an address that reaches a dual-stack socket as ::ffff:a.b.c.d
// and one that reaches an IPv4 socket as a.b.c.d are the same value: one
// peer, one key, one quota. Pure: no sockets (inet_pton/inet_ntop only).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace mt::common {

class IpAddr {
  public:
    using Bytes = std::array<std::uint8_t, 16>;

    IpAddr() : IpAddr(0u) {}  // 0.0.0.0
    // An IPv4 address in host order (0x7f000001 = 127.0.0.1). Implicit: an
    // IPv4 address is an address.
    IpAddr(std::uint32_t v4_host_order);  // NOLINT(google-explicit-constructor)
    // 16 network-order bytes; a mapped IPv4 address (::ffff:a.b.c.d) is IPv4.
    static IpAddr from_v6_bytes(const std::uint8_t* b16);
    // 4 network-order bytes.
    static IpAddr from_v4_bytes(const std::uint8_t* b4);
    // Dotted IPv4 ("1.2.3.4") or IPv6 text ("2001:db8::1", "::ffff:1.2.3.4");
    // nullopt for anything else (no brackets, zones or names).
    static std::optional<IpAddr> parse(std::string_view text);

    bool is_v4() const;
    std::uint32_t v4() const;  // host order; meaningful only when is_v4()
    const Bytes& bytes() const { return b_; }
    // The 4 (IPv4) or 16 (IPv6) network-order bytes a compact peer list carries.
    std::string_view wire_bytes() const;

    bool is_loopback() const;     // 127.0.0.0/8 or ::1
    bool is_unspecified() const;  // 0.0.0.0 or ::
    // RFC 1918, 100.64/10, 169.254/16, fc00::/7, fe80::/10 and loopback.
    bool is_local() const;
    // What limits per source key by: the address itself for IPv4, its /64
    // for IPv6 (one host commonly owns a whole /64). A value with the rest
    // of the bits zeroed.
    IpAddr quota_key() const;

    // "1.2.3.4" or RFC 5952 IPv6 text ("2001:db8::1").
    std::string to_string() const;
    // As in an address with a port: "1.2.3.4" or "[2001:db8::1]".
    std::string to_url_host() const;

    std::uint64_t high() const;  // bytes 0..7, big-endian
    std::uint64_t low() const;   // bytes 8..15

    friend bool operator==(const IpAddr& a, const IpAddr& b) { return a.b_ == b.b_; }
    friend bool operator!=(const IpAddr& a, const IpAddr& b) { return !(a == b); }
    friend bool operator<(const IpAddr& a, const IpAddr& b) { return a.b_ < b.b_; }

  private:
    Bytes b_{};
};

// A well-mixed hash (murmur3's finalizer over both halves).
std::size_t hash_ip(const IpAddr& a);

struct IpAddrHash {
    std::size_t operator()(const IpAddr& a) const { return hash_ip(a); }
};

}  // namespace mt::common
