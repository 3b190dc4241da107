#include "common/tracker_url.h"

#include <algorithm>
#include <charconv>

#include "common/ip_addr.h"

namespace mt::common {

std::string TrackerUrl::scrape_path() const {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return {};
    if (path.compare(slash + 1, 8, "announce") != 0) return {};
    return path.substr(0, slash + 1) + "scrape" + path.substr(slash + 9);
}

Result<TrackerUrl> parse_tracker_url(std::string_view url) {
    auto bad = [&](const std::string& why) {
        return make_error(Errc::invalid_argument, "tracker URL '" + std::string(url) + "' " + why);
    };
    TrackerUrl out;
    std::string_view rest;
    if (url.substr(0, 7) == "http://") {
        out.scheme = TrackerUrl::Scheme::http;
        rest = url.substr(7);
    } else if (url.substr(0, 6) == "udp://") {
        out.scheme = TrackerUrl::Scheme::udp;
        rest = url.substr(6);
    } else {
        return bad("is not http://host:port/announce or udp://host:port");
    }
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    out.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
    for (char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return bad("contains a space or control character");
    // "[2001:db8::1]:6969": the host is the address inside the brackets.
    std::string_view bracketed;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return bad("has a '[' without its ']'");
        bracketed = authority.substr(1, close - 1);
        if (bracketed.find(':') == std::string_view::npos || !IpAddr::parse(bracketed))
            return bad("has '[" + std::string(bracketed) + "]', which is not an IPv6 address");
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() != ':') return bad("has junk after ']'");
    } else if (std::count(authority.begin(), authority.end(), ':') > 1) {
        return bad("has an IPv6 address without brackets (write http://[::1]:6969/announce)");
    }
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
        if (out.scheme == TrackerUrl::Scheme::udp) return bad("has no port");
        out.host = std::string(authority);
        out.port = 80;
    } else {
        out.host = std::string(authority.substr(0, colon));
        const auto port_text = authority.substr(colon + 1);
        unsigned port = 0;
        auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 ||
            port > 65535)
            return bad("has an invalid port");
        out.port = static_cast<std::uint16_t>(port);
    }
    if (!bracketed.empty()) out.host = std::string(bracketed);
    if (out.host.empty()) return bad("has no host");
    if (out.scheme == TrackerUrl::Scheme::http && out.path.empty()) out.path = "/";
    return out;
}

}  // namespace mt::common
