#include "client/dht/tokens.h"

#include <openssl/crypto.h>

#include "common/sha1.h"

namespace mt::client::dht {

std::string Tokens::derive(const Secret& s, const common::IpAddr& ip) {
    std::string in(reinterpret_cast<const char*>(s.data()), s.size());
    in += ip.wire_bytes();
    const auto d = common::Sha1::digest(in);
    return std::string(reinterpret_cast<const char*>(d.data()), 8);
}

std::string Tokens::make(const common::IpAddr& ip) const {
    return derive(current_, ip);
}

bool Tokens::check(std::string_view token, const common::IpAddr& ip) const {
    if (token.size() != 8) return false;
    for (const Secret* s : {&current_, &previous_}) {
        const std::string want = derive(*s, ip);
        if (CRYPTO_memcmp(want.data(), token.data(), 8) == 0) return true;
    }
    return false;
}

}  // namespace mt::client::dht
