#include "tracker/connection_ids.h"

#include "common/byte_io.h"
#include "common/hmac_sha256.h"

namespace mt::tracker {

const std::string& ConnectionIds::key_for(std::int64_t epoch) {
    const int slot = static_cast<int>(epoch & 1);
    if (cached_epoch_[slot] != epoch) {
        std::string label = "mtorrent-udp-connid";
        common::append_u64(label, static_cast<std::uint64_t>(epoch));
        const auto k = common::HmacSha256::mac(secret_, label);
        cached_key_[slot].assign(reinterpret_cast<const char*>(k.data()), k.size());
        cached_epoch_[slot] = epoch;
    }
    return cached_key_[slot];
}

std::uint64_t ConnectionIds::mac(std::int64_t epoch, std::uint32_t ip, std::uint16_t port) {
    std::string key;
    {
        std::lock_guard<std::mutex> lock(mu_);
        key = key_for(epoch);
    }
    char msg[6];
    common::store_u32(msg, ip);
    common::store_u16(msg + 4, port);
    const auto d = common::HmacSha256::mac(key, std::string_view(msg, 6));
    return common::read_u64(d.data());
}

std::uint64_t ConnectionIds::issue(std::uint32_t ip, std::uint16_t port, std::int64_t now_s) {
    return mac(now_s / 60, ip, port);
}

bool ConnectionIds::valid(std::uint64_t id, std::uint32_t ip, std::uint16_t port,
                          std::int64_t now_s) {
    const std::int64_t e = now_s / 60;
    return id == mac(e, ip, port) || id == mac(e - 1, ip, port);
}

}  // namespace mt::tracker
