// Minimal JSON writing for status pages: string escaping only (RFC 8259).
#pragma once

#include <string>
#include <string_view>

namespace mt::common {

// Returns `s` as a JSON string literal, quotes included. Bytes that are not
// printable ASCII are written as \u00XX, so the output is always valid JSON.
std::string json_string(std::string_view s);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(std::string_view s);

}  // namespace mt::common
