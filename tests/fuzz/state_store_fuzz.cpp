// Fuzz target: the interactive client's session.state decoder and the
// download resume file decoder (client/session/state_store.h, client/engine/disk_store.h)
// must never crash on a damaged or hostile file, and an accepted state must
// re-encode to a file that decodes to the same state.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "client/engine/disk_store.h"
#include "client/session/state_store.h"

using namespace mt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto s = client::decode_state(in)) {
        auto back = client::decode_state(client::encode_state(*s));
        if (!back || !(*back == *s)) std::abort();
    }
    // The resume file: the first byte picks the piece count the caller expects.
    const std::size_t pieces = size > 0 ? data[0] : 0;
    const auto ih = common::InfoHash::from_bytes(std::string(20, 'h'));
    if (auto r = client::decode_resume(in, ih, pieces)) {
        if (r->verified.size() != pieces) std::abort();
    }
    return 0;
}
