// A small bounded JSON reader (RFC 8259) for requests from outside: the
// Transmission RPC's bodies. Pure: no I/O.
//
// parse_json accepts exactly one value with optional whitespace around it
// and refuses (Errc::parse_error, the message naming the byte offset):
//   - anything past the limits: input longer than max_bytes, nesting deeper
//     than max_depth, more than max_values values in all;
//   - bad syntax: a trailing comma, single quotes, comments, leading zeros,
//     NaN/Infinity, raw control bytes (< 0x20) in a string, a bad escape, a
//     lone or mismatched UTF-16 surrogate in \u escapes, a number too large
//     for a double (1e400), trailing bytes after the value.
// Bytes >= 0x80 in strings are kept as they are (not checked as UTF-8):
// whoever shows a string escapes it (common/text_escape.h).
// Object members keep their order; duplicate keys are kept, find() returns
// the first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mt::common {

struct JsonMember;

struct JsonValue {
    enum class Type { null, boolean, number, string, array, object };
    Type type = Type::null;
    bool boolean = false;
    double number = 0;
    bool integral = false;     // a number written without fraction or exponent
    std::int64_t integer = 0;  // its value when integral (and in range)
    std::string string;
    std::vector<JsonValue> items;     // an array's
    std::vector<JsonMember> members;  // an object's, in order

    bool is(Type t) const { return type == t; }
    // The first member named `key` of an object; nullptr if none or not an object.
    const JsonValue* find(std::string_view key) const;
    bool operator==(const JsonValue& other) const;
};

struct JsonMember {
    std::string key;
    JsonValue value;
};

struct JsonLimits {
    std::size_t max_bytes = 4 * 1024 * 1024;
    std::size_t max_depth = 32;
    std::size_t max_values = 100'000;
};

Result<JsonValue> parse_json(std::string_view text, const JsonLimits& limits = {});

// Compact JSON for `v` (strings with ", \ and controls escaped, other bytes
// as they are; integral numbers as integers, others with 17 digits), so that
// parse_json(to_json(v)) == v.
std::string to_json(const JsonValue& v);

}  // namespace mt::common
