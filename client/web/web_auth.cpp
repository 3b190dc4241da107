#include "client/web/web_auth.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cmath>

namespace mt::client::web {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool same_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string cookie_name(const WebSecurity& sec) {
    return "mtorrent_" + std::to_string(sec.port);
}

bool host_allowed(std::string_view host_header, const WebSecurity& sec) {
    const std::string h = lower(trim(host_header));
    const std::string port = ":" + std::to_string(sec.port);
    const std::string bound =
        sec.host.find(':') != std::string::npos ? "[" + sec.host + "]" : sec.host;
    for (const std::string& name :
         {lower(bound), std::string("localhost"), std::string("127.0.0.1"), std::string("[::1]")})
        if (h == name + port) return true;
    return false;
}

bool origin_allowed(std::string_view origin, std::string_view host_header) {
    return lower(trim(origin)) == "http://" + lower(trim(host_header));
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const std::size_t semi = header.find(';');
        std::string_view part = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
        const std::size_t eq = part.find('=');
        if (eq != std::string_view::npos && trim(part.substr(0, eq)) == name)
            return std::string(trim(part.substr(eq + 1)));
    }
    return std::nullopt;
}

std::optional<std::string> base64_decode(std::string_view in) {
    if (in.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(in.size() / 4 * 3);
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    for (std::size_t i = 0; i < in.size(); i += 4) {
        const bool last = i + 4 == in.size();
        const int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=') : 0;
        std::uint32_t v = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const int d = j >= 4u - static_cast<unsigned>(pad) ? 0 : value(in[i + j]);
            if (d < 0) return std::nullopt;
            v = v << 6 | static_cast<std::uint32_t>(d);
        }
        out.push_back(static_cast<char>(v >> 16));
        if (pad < 2) out.push_back(static_cast<char>(v >> 8 & 0xff));
        if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
    }
    return out;
}

std::optional<std::string> presented_credential(const common::wire::HttpRequest& req,
                                                const WebSecurity& sec) {
    if (const std::string* auth = req.find("authorization")) {
        const std::string_view a = trim(*auth);
        if (starts_with_ci(a, "bearer ")) return std::string(trim(a.substr(7)));
        if (starts_with_ci(a, "basic ")) {
            auto plain = base64_decode(trim(a.substr(6)));
            if (!plain) return std::string();
            const std::size_t colon = plain->find(':');
            if (colon == std::string::npos || plain->substr(0, colon) != "mtorrent")
                return std::string();
            return plain->substr(colon + 1);
        }
        return std::string();  // some other scheme: a failed attempt
    }
    if (const std::string* cookie = req.find("cookie"))
        if (auto v = cookie_value(*cookie, cookie_name(sec))) return v;
    return std::nullopt;
}

bool credential_ok(std::string_view credential, const WebSecurity& sec) {
    return same_secret(credential, sec.token) ||
           (!sec.password.empty() && same_secret(credential, sec.password));
}

double LoginThrottle::score(const std::string& addr, std::int64_t now_ms) const {
    const auto it = entries_.find(addr);
    if (it == entries_.end()) return 0;
    const double age = static_cast<double>(std::max<std::int64_t>(0, now_ms - it->second.at_ms));
    return it->second.score * std::exp2(-age / static_cast<double>(kHalfLifeMs));
}

bool LoginThrottle::allowed(const std::string& addr, std::int64_t now_ms) {
    return score(addr, now_ms) < kLimit;
}

void LoginThrottle::failed(const std::string& addr, std::int64_t now_ms) {
    const double s = score(addr, now_ms) + 1;
    if (entries_.size() >= kMaxAddresses && !entries_.count(addr)) {
        auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
            return a.second.at_ms < b.second.at_ms;
        });
        entries_.erase(oldest);
    }
    entries_[addr] = Entry{s, now_ms};
}

}  // namespace mt::client::web
