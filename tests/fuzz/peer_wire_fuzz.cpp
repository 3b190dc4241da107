// Fuzz target: the peer wire handshake decoders and MessageDecoder must never
// crash or read out of bounds; the decoder must give the same answer however
// the bytes are chunked; and every message it returns must re-encode to
// exactly the bytes it was decoded from.
//
// Input: byte 0 picks the configuration (piece count known or not, small or
// default limits), byte 1 seeds the chunk sizes, the rest is the stream.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/wire/peer_wire.h"

using namespace mt::common;
using namespace mt::common::wire;

namespace {

struct Outcome {
    std::vector<Message> messages;
    std::vector<std::uint64_t> ends;
    std::optional<Error> error;
};

Outcome run(std::string_view stream, const std::vector<std::size_t>& chunks,
            std::optional<std::uint32_t> pieces, const MessageDecoder::Limits& limits) {
    MessageDecoder d(pieces, limits);
    Outcome out;
    std::size_t pos = 0;
    auto drain = [&] {
        for (;;) {
            MessageDecoder::Step s = d.next();
            if (std::holds_alternative<MessageDecoder::NeedMore>(s)) return true;
            if (auto* e = std::get_if<Error>(&s)) {
                out.error = *e;
                return false;
            }
            out.messages.push_back(std::get<Message>(std::move(s)));
            out.ends.push_back(d.consumed());
        }
    };
    for (std::size_t n : chunks) {
        d.feed(stream.substr(pos, n));
        pos += n;
        if (!drain()) return out;
    }
    d.feed(stream.substr(pos));
    drain();
    return out;
}

bool same(const Outcome& a, const Outcome& b) {
    if (a.messages != b.messages || a.ends != b.ends) return false;
    if (a.error.has_value() != b.error.has_value()) return false;
    return !a.error || (a.error->code == b.error->code && a.error->offset == b.error->offset &&
                        a.error->message == b.error->message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    if (auto h = decode_handshake(in)) {
        std::string out;
        encode(*h, out);
        if (out != in.substr(0, kHandshakeSize)) std::abort();
        auto head = decode_handshake_head(in);
        if (!head || head->info_hash != h->info_hash || head->reserved != h->reserved) std::abort();
    } else if (in.size() >= kHandshakeSize && decode_handshake_head(in)) {
        std::abort();  // the head must fail whenever a complete handshake does
    }

    if (size < 2) return 0;
    const std::uint8_t config = data[0];
    std::uint32_t seed = data[1] * 2654435761u + 1;
    const std::string_view stream = in.substr(2);

    std::optional<std::uint32_t> pieces;
    if (config & 1) pieces = (config >> 2) * 7 + 1;  // 1 .. 442 pieces
    MessageDecoder::Limits limits;
    if (config & 2) {
        limits.max_length = 64;
        limits.max_extended_length = 128;
    }

    std::vector<std::size_t> chunks;
    for (std::size_t left = stream.size(); left > 0;) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t n = std::min<std::size_t>(left, 1 + (seed >> 16) % 17);
        chunks.push_back(n);
        left -= n;
    }

    const Outcome whole = run(stream, {}, pieces, limits);
    if (!same(whole, run(stream, chunks, pieces, limits))) std::abort();

    // Whatever decodes re-encodes to the bytes it came from.
    std::uint64_t start = 0;
    for (std::size_t i = 0; i < whole.messages.size(); ++i) {
        const std::uint64_t end = whole.ends[i];
        if (end <= start || end > stream.size()) std::abort();
        const std::string_view frame = stream.substr(start, end - start);
        const Message& m = whole.messages[i];
        std::string out;
        encode(m, out);
        if (std::holds_alternative<Unknown>(m)) {
            // The payload was skipped: only the header can be compared.
            if (out.size() != frame.size() || out.substr(0, 5) != frame.substr(0, 5)) std::abort();
        } else if (out != frame) {
            std::abort();
        }
        start = end;
    }
    if (whole.error && whole.error->offset != start) std::abort();
    return 0;
}
