// Fuzz target: escape_text must never crash or read out of bounds, and its
// output must be valid UTF-8 with no C0 control, DEL or C1 control, and the
// same for any input (escaping what is escaped changes nothing).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/text_escape.h"

namespace {

// The length of the well-formed UTF-8 sequence at s[i], or 0 (an independent
// check, written the long way round).
std::size_t sequence(const std::string& s, std::size_t i, std::uint32_t& cp) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    cp = n == 1 ? b : n == 2 ? (b & 0x1f) : n == 3 ? (b & 0x0f) : (b & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (c & 0x3f);
    }
    static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const std::string out = mt::common::escape_text(in);
    for (std::size_t i = 0; i < out.size();) {
        std::uint32_t cp = 0;
        const std::size_t n = sequence(out, i, cp);
        if (n == 0) std::abort();                        // not UTF-8
        if (cp < 0x20 || cp == 0x7f) std::abort();       // C0 or DEL
        if (cp >= 0x80 && cp <= 0x9f) std::abort();      // C1
        if (cp == 0x2028 || cp == 0x2029) std::abort();  // line separators
        i += n;
    }
    if (mt::common::escape_text(out) != out) std::abort();
    // Printable ASCII input comes back as is.
    bool plain = true;
    for (char c : in)
        plain = plain && c >= 0x20 && c < 0x7f;
    if (plain && out != in) std::abort();
    return 0;
}
