// Tokens for announce_peer (BEP 5): a get_peers answer hands the querier a
// token bound to its address; an announce_peer must bring it back from the
// same address within two rotations of the secret (5 to 10 minutes). Pure:
// the secrets come from the caller (random bytes), and so does the time to
// rotate. One owner (the node's thread).
//
// token = the first 8 bytes of SHA-1(secret || the querier's address bytes).
// The port is not bound (libtorrent does the same; aria2 binds it too, so it
// announces from the socket it looked up from).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ip_addr.h"

namespace mt::client::dht {

class Tokens {
  public:
    using Secret = std::array<std::uint8_t, 16>;
    static constexpr std::int64_t kRotateMs = 5 * 60 * 1000;

    explicit Tokens(const Secret& first) : current_(first), previous_(first) {}

    // The previous secret is dropped, the current one becomes previous.
    void rotate(const Secret& fresh) {
        previous_ = current_;
        current_ = fresh;
    }
    std::string make(const common::IpAddr& ip) const;
    bool check(std::string_view token, const common::IpAddr& ip) const;

  private:
    static std::string derive(const Secret& s, const common::IpAddr& ip);
    Secret current_;
    Secret previous_;
};

}  // namespace mt::client::dht
