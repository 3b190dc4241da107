// Fuzz target: the tracker's replication and persistence decoders — change
// records, link messages, state snapshots — must never crash, and what they
// accept must re-encode to the same bytes (old peer records: to a fixed point).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tracker/change.h"
#include "tracker/change_log.h"
#include "tracker/repl_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mt::tracker;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    // The old peer records (kinds 1 and 2, keyed by peer id) are read into
    // today's form, so they re-encode to other bytes: those must then be a
    // fixed point that decodes to the same change.
    if (auto c = decode_change(in); c.ok()) {
        const std::string again = encode_change(*c);
        const bool old_record = in[0] == 1 || in[0] == 2;
        if (!old_record && again != in) std::abort();
        auto back = decode_change(again);
        if (!back.ok() || !(*back == *c)) std::abort();
    }
    if (auto m = repl::decode_message(in); m.ok()) {
        if (std::holds_alternative<repl::Changes>(*m) ||
            std::holds_alternative<repl::Touches>(*m) || std::holds_alternative<repl::Hello>(*m) ||
            std::holds_alternative<repl::Ack>(*m)) {
            const std::string again = repl::encode_message(*m);
            if (again != in) {
                // Only a batch holding old peer records may change its bytes.
                if (!std::holds_alternative<repl::Changes>(*m)) std::abort();
                auto back = repl::decode_message(again);
                if (!back.ok() || repl::encode_message(*back) != again) std::abort();
            }
        }
    }
    (void)decode_state_snapshot(in);
    // Garbage fed to a frame decoder is refused, never trusted.
    repl::FrameCipher cipher(repl::Keys{std::string(32, 'k'), std::string(32, 'k')});
    cipher.feed(in);
    for (int i = 0; i < 4; ++i)
        if (std::holds_alternative<std::string>(cipher.next())) std::abort();
    return 0;
}
