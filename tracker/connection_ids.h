// BEP 15 connection ids that need no state and that both trackers accept.
//
// id = SipHash-2-4(K_e, ip | port), where the epoch key K_e = the first 16
// bytes of HMAC-SHA256(secret, "mtorrent-udp-connid" | e) and e = unix_seconds / 60.
// SipHash rather than HMAC per packet: every UDP announce checks an id, and an
// HMAC through OpenSSL's EVP_MAC cost about 27,000 instructions (3/4 of the
// tracker's user time per UDP announce); SipHash is a PRF made for such short
// inputs and costs about 100.
// An id is accepted in its own epoch and the next, so it lives 60 to 120 s
// (clients use one for a minute, BEP 15). Both trackers derive the same keys
// from the shared secret, so a client failing over keeps its id. Without the
// secret an id cannot be forged or predicted for another address.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "common/ip_addr.h"
#include "common/mutex.h"
#include "common/siphash.h"

namespace mt::tracker {

class ConnectionIds {
  public:
    explicit ConnectionIds(std::string secret) : secret_(std::move(secret)) {}

    std::uint64_t issue(const common::IpAddr& ip, std::uint16_t port, std::int64_t now_s);
    bool valid(std::uint64_t id, const common::IpAddr& ip, std::uint16_t port, std::int64_t now_s);

  private:
    std::uint64_t mac(std::int64_t epoch, const common::IpAddr& ip, std::uint16_t port);
    common::SipKey key_for(std::int64_t epoch);

    std::string secret_;
    common::Mutex mu_;
    std::int64_t cached_epoch_[2] GUARDED_BY(mu_) = {-1, -1};
    common::SipKey cached_key_[2] GUARDED_BY(mu_){};
};

}  // namespace mt::tracker
