// The one escaping function for text that came from outside (a file, a peer,
// a tracker, a command line) on its way to a terminal or a log.
//
// Kept as is: printable ASCII (0x20-0x7e) and well-formed UTF-8 (RFC 3629:
// shortest form, no surrogates, at most U+10FFFF) other than the code points
// below. Written as \xNN (two lowercase hex digits per byte):
//   - C0 controls 0x00-0x1f, including ESC, CR, LF and TAB, and DEL 0x7f;
//   - C1 controls U+0080-U+009F (their two UTF-8 bytes, e.g. \xc2\x9b): some
//     terminals take U+009B as CSI;
//   - U+2028 and U+2029 (line and paragraph separators) and the bidirectional
//     overrides and isolates U+202A-U+202E and U+2066-U+2069, which make a
//     name look like another (their three bytes);
//   - every byte that does not start or continue a well-formed sequence
//     (invalid UTF-8, one \xNN per byte).
// The output is therefore one line that cannot move the cursor, set a window
// title, clear the screen or forge a log line. It is not meant to be parsed
// back: a literal backslash is kept.
#pragma once

#include <string>
#include <string_view>

namespace mt::common {

std::string escape_text(std::string_view s);
void append_escaped(std::string& out, std::string_view s);

}  // namespace mt::common
