#include "common/magnet.h"

#include <algorithm>
#include <optional>

#include "common/hex.h"
#include "common/wire/url.h"

namespace mt::common {

namespace {

constexpr std::string_view kScheme = "magnet:?";
constexpr std::string_view kBtih = "urn:btih:";
constexpr std::string_view kBtmh = "urn:btmh:";

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

Error bad(const std::string& why) {
    return make_error(Errc::invalid_argument, "magnet: " + why);
}

// RFC 4648 base32, 32 characters -> 20 bytes; nullopt on a bad character.
std::optional<InfoHash> from_base32(std::string_view s) {
    InfoHash h;
    std::uint64_t acc = 0;
    int bits = 0;
    std::size_t out = 0;
    for (char c : s) {
        int v;
        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a';
        } else if (c >= '2' && c <= '7') {
            v = c - '2' + 26;
        } else {
            return std::nullopt;
        }
        acc = (acc << 5) | static_cast<std::uint64_t>(v);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            h.bytes[out++] = static_cast<std::uint8_t>(acc >> bits);
        }
    }
    return h;
}

void add_unique(std::vector<std::string>& list, std::string v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(std::move(v));
}

}  // namespace

Result<InfoHash> parse_info_hash(std::string_view text) {
    if (text.size() == 40) {
        auto raw = from_hex(text);
        if (raw) return InfoHash::from_bytes(*raw);
    } else if (text.size() == 32) {
        if (auto h = from_base32(text)) return *h;
    }
    return make_error(Errc::invalid_argument,
                      "info hash '" + std::string(text.substr(0, 80)) +
                          "' is neither 40 hex digits nor 32 base32 characters");
}

Result<MagnetLink> parse_magnet(std::string_view uri) {
    if (!starts_with_nocase(uri, kScheme))
        return bad("'" + std::string(uri.substr(0, 40)) + "' does not start with magnet:?");
    auto params = wire::parse_query(uri.substr(kScheme.size()));
    if (!params) {
        Error e = params.error();
        e.message = "magnet: " + e.message;
        return e;
    }
    MagnetLink m;
    bool have_hash = false, have_v2 = false;
    for (auto& [key, value] : *params) {
        if (key == "xt") {
            if (starts_with_nocase(value, kBtih)) {
                auto h = parse_info_hash(std::string_view(value).substr(kBtih.size()));
                if (!h) return bad("xt: " + h.error().message);
                if (have_hash && *h != m.info_hash) return bad("two different urn:btih in xt");
                m.info_hash = *h;
                have_hash = true;
            } else if (starts_with_nocase(value, kBtmh)) {
                have_v2 = true;
            }
        } else if (key == "dn") {
            m.name = std::move(value);
        } else if (key == "tr") {
            if (value.empty()) return bad("empty tr (tracker URL)");
            add_unique(m.trackers, std::move(value));
        } else if (key == "x.pe") {
            if (value.empty()) return bad("empty x.pe (peer address)");
            add_unique(m.peers, std::move(value));
        }
    }
    if (!have_hash) {
        if (have_v2)
            return make_error(Errc::unsupported,
                              "magnet: only a BitTorrent v2 hash (urn:btmh:); mtorrent needs a v1 "
                              "xt=urn:btih:");
        return bad("no xt=urn:btih:<info hash> parameter");
    }
    return m;
}

Result<MagnetLink> parse_magnet_or_hash(std::string_view text) {
    if (starts_with_nocase(text, "magnet:")) return parse_magnet(text);
    auto h = parse_info_hash(text);
    if (!h) return h.error();
    MagnetLink m;
    m.info_hash = *h;
    return m;
}

std::string to_magnet_uri(const MagnetLink& m) {
    std::string out = "magnet:?xt=urn:btih:" + m.info_hash.hex();
    if (!m.name.empty()) out += "&dn=" + wire::url_encode(m.name);
    for (const auto& t : m.trackers)
        out += "&tr=" + wire::url_encode(t);
    for (const auto& p : m.peers)
        out += "&x.pe=" + wire::url_encode(p);
    return out;
}

}  // namespace mt::common
