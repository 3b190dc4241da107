// Fuzz target: the KRPC (BEP 5 DHT) decoder must never crash or read out of
// bounds, must keep its limits, and what it accepts must encode to bytes
// that decode and encode again to the same bytes.
//
// Input: the datagram.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/wire/krpc.h"

using namespace mt::common::wire::krpc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view datagram(reinterpret_cast<const char*>(data), size);
    auto m = decode(datagram);
    if (!m) return 0;
    if (m->transaction.empty() || m->transaction.size() > kMaxTransactionId) std::abort();
    if (m->token.size() > kMaxToken || m->values.size() > kMaxValues) std::abort();
    if (m->nodes.size() > 2 * kMaxNodes || m->version.size() > 16) std::abort();
    for (const auto& n : m->nodes)
        if (n.ep.port == 0) std::abort();
    for (const auto& v : m->values)
        if (v.port == 0) std::abort();
    const std::string once = encode(*m);
    auto back = decode(once);
    if (!back) std::abort();
    if (encode(*back) != once) std::abort();
    return 0;
}
