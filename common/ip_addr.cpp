#include "common/ip_addr.h"

#include <arpa/inet.h>

namespace mt::common {

namespace {
constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::uint64_t load_be64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v = (v << 8) | p[i];
    return v;
}

std::uint64_t fmix64(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}
}  // namespace

IpAddr::IpAddr(std::uint32_t v4_host_order) {
    std::memcpy(b_.data(), kMappedPrefix, sizeof kMappedPrefix);
    b_[12] = static_cast<std::uint8_t>(v4_host_order >> 24);
    b_[13] = static_cast<std::uint8_t>(v4_host_order >> 16);
    b_[14] = static_cast<std::uint8_t>(v4_host_order >> 8);
    b_[15] = static_cast<std::uint8_t>(v4_host_order);
}

IpAddr IpAddr::from_v6_bytes(const std::uint8_t* b16) {
    IpAddr a;
    std::memcpy(a.b_.data(), b16, 16);
    return a;
}

IpAddr IpAddr::from_v4_bytes(const std::uint8_t* b4) {
    return IpAddr((std::uint32_t{b4[0]} << 24) | (std::uint32_t{b4[1]} << 16) |
                  (std::uint32_t{b4[2]} << 8) | b4[3]);
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
    char buf[46] = {};
    std::memcpy(buf, text.data(), text.size());
    std::uint8_t raw[16] = {};
    if (text.find(':') == std::string_view::npos) {
        if (::inet_pton(AF_INET, buf, raw) != 1) return std::nullopt;
        return from_v4_bytes(raw);
    }
    if (::inet_pton(AF_INET6, buf, raw) != 1) return std::nullopt;
    return from_v6_bytes(raw);
}

bool IpAddr::is_v4() const {
    return std::memcmp(b_.data(), kMappedPrefix, sizeof kMappedPrefix) == 0;
}

std::uint32_t IpAddr::v4() const {
    return (std::uint32_t{b_[12]} << 24) | (std::uint32_t{b_[13]} << 16) |
           (std::uint32_t{b_[14]} << 8) | b_[15];
}

std::string_view IpAddr::wire_bytes() const {
    const auto* p = reinterpret_cast<const char*>(b_.data());
    return is_v4() ? std::string_view(p + 12, 4) : std::string_view(p, 16);
}

bool IpAddr::is_loopback() const {
    if (is_v4()) return b_[12] == 127;
    static constexpr Bytes kOne = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return b_ == kOne;
}

bool IpAddr::is_unspecified() const {
    if (is_v4()) return v4() == 0;
    return b_ == Bytes{};
}

bool IpAddr::is_local() const {
    if (is_loopback()) return true;
    if (is_v4()) {
        const std::uint32_t a = v4();
        return (a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8 ||
               (a >> 22) == (0x6440 >> 6) || (a >> 16) == 0xa9fe;
    }
    return (b_[0] & 0xfe) == 0xfc || (b_[0] == 0xfe && (b_[1] & 0xc0) == 0x80);
}

IpAddr IpAddr::quota_key() const {
    if (is_v4()) return *this;
    IpAddr k = *this;
    std::memset(k.b_.data() + 8, 0, 8);
    return k;
}

std::string IpAddr::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4())
        ::inet_ntop(AF_INET, b_.data() + 12, buf, sizeof buf);
    else
        ::inet_ntop(AF_INET6, b_.data(), buf, sizeof buf);
    return buf;
}

std::string IpAddr::to_url_host() const {
    return is_v4() ? to_string() : "[" + to_string() + "]";
}

std::uint64_t IpAddr::high() const {
    return load_be64(b_.data());
}

std::uint64_t IpAddr::low() const {
    return load_be64(b_.data() + 8);
}

std::size_t hash_ip(const IpAddr& a) {
    return static_cast<std::size_t>(fmix64(a.low() ^ fmix64(a.high())));
}

}  // namespace mt::common
