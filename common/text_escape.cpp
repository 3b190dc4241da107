#include "common/text_escape.h"

#include <cstdint>

namespace mt::common {

namespace {

void append_hex_bytes(std::string& out, std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char ch : bytes) {
        const auto b = static_cast<unsigned char>(ch);
        out += "\\x";
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
}

bool is_continuation(unsigned char b) {
    return (b & 0xc0) == 0x80;
}

// The length of the well-formed UTF-8 sequence at the start of `s` and its
// code point, or 0 if it is not one (RFC 3629 table, section 4).
std::size_t utf8_sequence(std::string_view s, std::uint32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        n = 2;
        cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        n = 3;
        cp = b0 & 0x0f;
        if (b0 == 0xe0) lo = 0xa0;  // no overlong forms
        if (b0 == 0xed) hi = 0x9f;  // no surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        n = 4;
        cp = b0 & 0x07;
        if (b0 == 0xf0) lo = 0x90;  // no overlong forms
        if (b0 == 0xf4) hi = 0x8f;  // nothing past U+10FFFF
    } else {
        return 0;
    }
    if (s.size() < n) return 0;
    const auto b1 = static_cast<unsigned char>(s[1]);
    if (b1 < lo || b1 > hi) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (!is_continuation(b)) return 0;
        cp = (cp << 6) | (b & 0x3f);
    }
    return n;
}

bool is_hidden_format(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

void append_escaped(std::string& out, std::string_view s) {
    out.reserve(out.size() + s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b >= 0x20 && b < 0x7f) {
            out.push_back(static_cast<char>(b));
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t n = b < 0x80 ? 0 : utf8_sequence(s.substr(i), cp);
        if (n == 0) {
            append_hex_bytes(out, s.substr(i, 1));
            ++i;
        } else if (is_hidden_format(cp)) {
            append_hex_bytes(out, s.substr(i, n));
            i += n;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
}

std::string escape_text(std::string_view s) {
    std::string out;
    append_escaped(out, s);
    return out;
}

}  // namespace mt::common
