// Fuzz target: the BEP 10 extension handshake and BEP 9 ut_metadata decoders
// must never crash or read out of bounds, must keep their limits, and
// whatever they accept must survive encode -> decode unchanged.
//
// Input: byte 0 picks the decoder (even: extension handshake, odd:
// ut_metadata message) and, for data messages, a metadata size to check the
// piece against; the rest is the payload.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/wire/extension.h"

using namespace mt::common;
using namespace mt::common::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t config = data[0];
    const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);

    if ((config & 1) == 0) {
        auto h = decode_ext_handshake(payload);
        if (!h) return 0;
        if (h->metadata_size && (*h->metadata_size < 1 || *h->metadata_size > kMaxMetadataSize))
            std::abort();
        if (h->port && *h->port == 0) std::abort();
        if (h->client.size() > 64) std::abort();
        std::string out;
        encode(*h, out);
        auto back = decode_ext_handshake(out);
        if (!back || !(*back == *h)) std::abort();
        return 0;
    }

    auto m = decode_metadata_msg(payload);
    if (!m) return 0;
    if (m->piece >= kMaxMetadataPieces) std::abort();
    if (m->type == MetadataMsgType::data) {
        if (m->data.empty() || m->data.size() > kMetadataPieceSize) std::abort();
        if (m->total_size < 1 || m->total_size > kMaxMetadataSize) std::abort();
        // Against a metadata size: the piece must fit exactly when accepted.
        const std::uint32_t sizes[] = {m->total_size, 1u + (config >> 1) * 16384u / 7u};
        for (std::uint32_t s : sizes)
            if (check_metadata_data(*m, s) &&
                (m->total_size != s || m->data.size() != metadata_piece_size(s, m->piece)))
                std::abort();
    } else if (!m->data.empty() || m->total_size != 0) {
        std::abort();
    }
    std::string out;
    encode(*m, out);
    auto back = decode_metadata_msg(out);
    if (!back || !(*back == *m)) std::abort();
    return 0;
}
