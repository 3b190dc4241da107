// Fuzz target: the tracker's replication and persistence decoders — change
// records, link messages, state snapshots — must never crash, and what they
// accept must re-encode to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tracker/change.h"
#include "tracker/change_log.h"
#include "tracker/repl_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mt::tracker;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto c = decode_change(in); c.ok() && encode_change(*c) != in) std::abort();
    if (auto m = repl::decode_message(in); m.ok()) {
        if (std::holds_alternative<repl::Changes>(*m) ||
            std::holds_alternative<repl::Touches>(*m) || std::holds_alternative<repl::Hello>(*m) ||
            std::holds_alternative<repl::Ack>(*m)) {
            if (repl::encode_message(*m) != in) std::abort();
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
