#include "common/wire/url.h"

namespace mt::common::wire {

namespace {

constexpr std::size_t npos = std::string_view::npos;

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Result<std::string> url_decode(std::string_view in, PlusMode plus) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            const int hi = i + 1 < in.size() ? hex_digit(in[i + 1]) : -1;
            const int lo = i + 2 < in.size() ? hex_digit(in[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return make_error(Errc::parse_error,
                                  "bad %-escape at offset " + std::to_string(i) +
                                      " (expected two hex digits after '%')",
                                  i);
            out.push_back(static_cast<char>((hi << 4) | lo));
            i += 2;
        } else if (c == '+' && plus == PlusMode::space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string url_encode(std::string_view in) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    out.reserve(in.size() * 3);
    for (char c : in) {
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            const auto u = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(digits[u >> 4]);
            out.push_back(digits[u & 15]);
        }
    }
    return out;
}

Result<QueryParams> parse_query(std::string_view query, std::size_t max_params) {
    QueryParams out;
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t amp = query.find('&', start);
        if (amp == npos) amp = query.size();
        const std::string_view part = query.substr(start, amp - start);
        if (!part.empty()) {
            if (out.size() >= max_params)
                return make_error(
                    Errc::limit_exceeded,
                    "query has more than " + std::to_string(max_params) + " parameters");
            const std::size_t eq = part.find('=');
            auto key = url_decode(part.substr(0, eq), PlusMode::space);
            if (!key)
                return make_error(
                    Errc::parse_error,
                    "query: bad %-escape at offset " + std::to_string(start + key.error().offset),
                    start + key.error().offset);
            std::string value;
            if (eq != npos) {
                auto v = url_decode(part.substr(eq + 1), PlusMode::space);
                if (!v) {
                    const std::size_t at = start + eq + 1 + v.error().offset;
                    return make_error(Errc::parse_error,
                                      "query: bad %-escape in value of '" + *key + "' at offset " +
                                          std::to_string(at),
                                      at);
                }
                value = std::move(*v);
            }
            out.emplace_back(std::move(*key), std::move(value));
        }
        start = amp + 1;
    }
    return out;
}

}  // namespace mt::common::wire
