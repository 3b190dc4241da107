// Fuzz target: the UDP tracker decoders must never crash or read out of
// bounds, and whatever they accept must re-encode to bytes that decode to the
// same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/wire/udp_tracker.h"

using namespace mt::common::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto req = decode_udp_request(in)) {
        auto back = decode_udp_request(encode_udp_request(*req));
        if (!back || !(*back == *req)) std::abort();
    }
    for (const bool v6 : {false, true}) {  // BEP 15 over IPv4 and over IPv6
        if (auto resp = decode_udp_response(in, 2000, v6)) {
            auto back = decode_udp_response(encode_udp_response(*resp), 2000, v6);
            if (!back || !(*back == *resp)) std::abort();
        }
    }
    return 0;
}
