#include "common/hex.h"

namespace mt::common {

std::string to_hex(std::string_view bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(digits[u >> 4]);
        out.push_back(digits[u & 15]);
    }
    return out;
}

namespace {
int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

Result<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0)
        return make_error(Errc::parse_error, "hex: odd number of digits", hex.size());
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = nibble(hex[i]);
        const int lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return make_error(Errc::parse_error,
                              "hex: invalid digit at offset " + std::to_string(hi < 0 ? i : i + 1),
                              hi < 0 ? i : i + 1);
        out.push_back(static_cast<char>((hi << 4) | lo));
    }
    return out;
}

}  // namespace mt::common
