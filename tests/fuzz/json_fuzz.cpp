// Fuzz target: the bounded JSON reader (common/json_value.h) must never
// crash or recurse past its depth limit, and an accepted text written back
// with to_json must read back to the same value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/json_value.h"

using namespace mt::common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    JsonLimits limits;
    limits.max_depth = 16;
    limits.max_values = 4096;
    auto v = parse_json(in, limits);
    if (!v) return 0;
    auto again = parse_json(to_json(*v), limits);
    if (!again || !(*again == *v)) std::abort();
    return 0;
}
