// Strong 20-byte identifiers: InfoHash and PeerId cannot be mixed up.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "common/hex.h"

namespace mt::common {

template <class Tag>
struct Id20 {
    std::array<std::uint8_t, 20> bytes{};

    static Id20 from_bytes(std::string_view raw) {  // raw.size() must be 20
        Id20 id;
        std::memcpy(id.bytes.data(), raw.data(), raw.size() < 20 ? raw.size() : 20);
        return id;
    }
    std::string_view view() const {
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }
    std::string hex() const { return to_hex(view()); }

    friend bool operator==(const Id20& a, const Id20& b) { return a.bytes == b.bytes; }
    friend bool operator!=(const Id20& a, const Id20& b) { return a.bytes != b.bytes; }
    friend bool operator<(const Id20& a, const Id20& b) { return a.bytes < b.bytes; }
};

struct InfoHashTag {};
struct PeerIdTag {};
using InfoHash = Id20<InfoHashTag>;
using PeerId = Id20<PeerIdTag>;

// 40 hex digits (either case): how a person types an info_hash.
inline bool looks_like_info_hash(std::string_view s) {
    if (s.size() != 40) return false;
    for (char c : s) {
        const bool digit = c >= '0' && c <= '9';
        const bool lower = c >= 'a' && c <= 'f';
        const bool upper = c >= 'A' && c <= 'F';
        if (!digit && !lower && !upper) return false;
    }
    return true;
}

}  // namespace mt::common

template <class Tag>
struct std::hash<mt::common::Id20<Tag>> {
    std::size_t operator()(const mt::common::Id20<Tag>& id) const noexcept {
        // All 20 bytes, mixed so that every bit reaches the low ones (tables
        // index by them): info hashes are uniform, but peer ids share a
        // client prefix ("-MT0100-") in their first 8 bytes.
        std::uint64_t a, b;
        std::uint32_t c;
        std::memcpy(&a, id.bytes.data(), 8);
        std::memcpy(&b, id.bytes.data() + 8, 8);
        std::memcpy(&c, id.bytes.data() + 16, 4);
        std::uint64_t h = (a ^ 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
        h = (h ^ (h >> 31) ^ b) * 0x94d049bb133111ebull;
        h = (h ^ (h >> 29) ^ c) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 32;
        return static_cast<std::size_t>(h);
    }
};
