#include "common/text_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace mt::common {
namespace {

using namespace std::string_literals;

struct Golden {
    std::string in;
    std::string want;
};

TEST(TextEscape, GoldenVectors) {
    const Golden cases[] = {
        {"", ""},
        {"plain name.bin", "plain name.bin"},
        {"tab\there", "tab\\x09here"},
        {"line\nbreak\r", "line\\x0abreak\\x0d"},
        {"\x1b]0;owned\x07", "\\x1b]0;owned\\x07"},  // window title (OSC ... BEL)
        {"\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"},        // clear screen, cursor home
        {"nul\0byte"s, "nul\\x00byte"},
        {"del\x7f", "del\\x7f"},
        {"back\\slash", "back\\slash"},  // kept: not meant to be parsed back
        // Printable UTF-8 is kept: 2, 3 and 4 byte forms.
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"},
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
        {"\xc2\xa0nbsp", "\xc2\xa0nbsp"},  // U+00A0, the first code point after C1
        // C1 controls U+0080-U+009F (U+009B is CSI on some terminals).
        {"\xc2\x9b"
         "2J",
         "\\xc2\\x9b2J"},
        {"\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f"},
        // Line separators and bidi overrides.
        {"a\xe2\x80\xa8"
         "b",
         "a\\xe2\\x80\\xa8b"},
        {"evil\xe2\x80\xaetxt.exe", "evil\\xe2\\x80\\xaetxt.exe"},
        {"\xe2\x81\xa6x\xe2\x81\xa9", "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9"},
        {"\xe2\x80\xa7ok", "\xe2\x80\xa7ok"},  // U+2027 is printable
        // Invalid UTF-8: one \xNN per byte that is not part of a good sequence.
        {"\xff", "\\xff"},
        {"\xc3", "\\xc3"},                             // truncated
        {"\xc3(", "\\xc3("},                           // bad continuation
        {"\xc0\xaf", "\\xc0\\xaf"},                    // overlong '/'
        {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},           // overlong
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},           // surrogate U+D800
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},  // past U+10FFFF
        {"\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80"},
        {"\x80lone", "\\x80lone"},
        {"\xe6\x97"
         "x",
         "\\xe6\\x97x"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(escape_text(c.in), c.want) << "input of " << c.in.size() << " bytes";
}

// Whatever comes in, no byte of the output is a control byte or DEL, and no
// C1 control survives as UTF-8.
TEST(TextEscape, NoControlByteSurvivesAnyInput) {
    std::string all;
    for (int b = 0; b < 256; ++b)
        all.push_back(static_cast<char>(b));
    std::uint32_t x = 12345;
    for (int round = 0; round < 2000; ++round) {
        std::string in = round == 0 ? all : std::string();
        for (int i = 0; round > 0 && i < 64; ++i) {
            x = x * 1103515245 + 12345;
            in.push_back(static_cast<char>((x >> 16) & 0xff));
        }
        const std::string out = escape_text(in);
        for (std::size_t i = 0; i < out.size(); ++i) {
            const auto b = static_cast<unsigned char>(out[i]);
            ASSERT_FALSE(b < 0x20 || b == 0x7f) << "round " << round << " byte " << i;
            if (b == 0xc2 && i + 1 < out.size()) {
                const auto n = static_cast<unsigned char>(out[i + 1]);
                ASSERT_FALSE(n >= 0x80 && n <= 0x9f) << "C1 control in round " << round;
            }
        }
    }
}

TEST(TextEscape, AppendKeepsWhatIsThere) {
    std::string out = "name: ";
    append_escaped(out, "a\x1b");
    EXPECT_EQ(out, "name: a\\x1b");
}

}  // namespace
}  // namespace mt::common
