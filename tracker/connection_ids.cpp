#include "tracker/connection_ids.h"

#include <algorithm>
#include <cstring>

#include "common/byte_io.h"
#include "common/hmac_sha256.h"
#include "common/siphash.h"

namespace mt::tracker {

common::SipKey ConnectionIds::key_for(std::int64_t epoch) {
    common::MutexLock lock(mu_);
    const int slot = static_cast<int>(epoch & 1);
    if (cached_epoch_[slot] != epoch) {
        std::string label = "mtorrent-udp-connid";
        common::append_u64(label, static_cast<std::uint64_t>(epoch));
        const auto k = common::HmacSha256::mac(secret_, label);
        std::copy_n(k.begin(), cached_key_[slot].size(), cached_key_[slot].begin());
        cached_epoch_[slot] = epoch;
    }
    return cached_key_[slot];
}

std::uint64_t ConnectionIds::mac(std::int64_t epoch, const common::IpAddr& ip, std::uint16_t port) {
    char msg[18];
    std::memcpy(msg, ip.bytes().data(), 16);
    common::store_u16(msg + 16, port);
    return common::siphash24(key_for(epoch), std::string_view(msg, sizeof msg));
}

std::uint64_t ConnectionIds::issue(const common::IpAddr& ip, std::uint16_t port,
                                   std::int64_t now_s) {
    return mac(now_s / 60, ip, port);
}

bool ConnectionIds::valid(std::uint64_t id, const common::IpAddr& ip, std::uint16_t port,
                          std::int64_t now_s) {
    const std::int64_t e = now_s / 60;
    return id == mac(e, ip, port) || id == mac(e - 1, ip, port);
}

}  // namespace mt::tracker
