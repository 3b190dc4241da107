// URL escaping (RFC 3986) and query-string parsing for HTTP tracker requests.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace mt::common::wire {

enum class PlusMode { literal, space };  // '+' in a path is literal, in a query a space

// Strict %-decoding. Errc::parse_error, with the offset of the '%', when a '%'
// is not followed by two hex digits ("bad %-escape at offset 3").
Result<std::string> url_decode(std::string_view in, PlusMode plus = PlusMode::literal);

// Escapes every byte except the unreserved set [A-Za-z0-9-._~] as %XX (upper
// case); safe for raw 20-byte info_hash / peer_id values.
std::string url_encode(std::string_view in);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits a raw query ("a=1&b=%20&c") on '&' and the first '=' of each part;
// decodes keys and values ('+' = space). Repeated keys are kept in order,
// empty parts ("a=1&&b=2") are skipped, a part without '=' has an empty
// value. Errors: parse_error for a bad escape (offset within `query`),
// limit_exceeded for more than max_params parameters.
Result<QueryParams> parse_query(std::string_view query, std::size_t max_params = 256);

}  // namespace mt::common::wire
