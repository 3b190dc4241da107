// Fuzz target: magnet links and bare info hashes (common/magnet.h) must never
// crash, and an accepted link written back with to_magnet_uri must parse to
// the same link.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/magnet.h"

using namespace mt::common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto ih = parse_info_hash(in)) {
        auto again = parse_info_hash(ih->hex());
        if (!again || !(*again == *ih)) std::abort();
    }
    if (auto m = parse_magnet_or_hash(in)) {
        auto back = parse_magnet(to_magnet_uri(*m));
        if (!back || !(*back == *m)) std::abort();
    }
    return 0;
}
