// Fuzz target: both ends of the replication handshake fed hostile bytes in
// hostile chunks. Neither may crash, hold more than the handshake's own
// bytes before it decides, or finish without the mac of the shared secret.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tracker/repl_session.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mt::tracker::repl;
    using State = HandshakeStep::State;
    if (size < 1) return 0;
    // The first byte picks the chunk length; the rest is the stream.
    const std::size_t chunk = 1 + data[0] % 64;
    const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    const Nonce nonce{};

    ResponderHandshake r("fuzz secret", 2, nonce);
    InitiatorHandshake s("fuzz secret", 1, nonce);
    std::size_t replies = 0;
    for (std::size_t i = 0; i < in.size(); i += chunk) {
        const auto piece = in.substr(i, chunk);
        const auto rs = r.feed(piece);
        replies += rs.out.size();
        // R answers hello1 once (49 bytes) and nothing else.
        if (replies != 0 && replies != kHello2Bytes) std::abort();
        // Finishing needs S's mac over R's fresh nonce: not in a random stream
        // unless it carries a valid hello1 and the mac, which the fuzzer
        // cannot forge.
        if (rs.state == State::done) std::abort();
        const auto ss = s.feed(piece);
        if (ss.state == State::done) std::abort();
    }
    if (!r.take_leftover().empty() || !s.take_leftover().empty()) std::abort();
    return 0;
}
