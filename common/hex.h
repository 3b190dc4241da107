// Hex encoding (lower case) and strict decoding.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace mt::common {

std::string to_hex(std::string_view bytes);
template <class Container>
std::string to_hex(const Container& c) {
    return to_hex(std::string_view(reinterpret_cast<const char*>(c.data()), c.size()));
}

// Accepts upper and lower case; fails on odd length or a non-hex character.
Result<std::string> from_hex(std::string_view hex);

}  // namespace mt::common
