// Fuzz target: %-decoding, query strings (common/wire/url.h) and tracker URLs
// (common/tracker_url.h) must never crash or read out of bounds; url_encode
// must invert url_decode, and a bad-escape error must point inside the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/tracker_url.h"
#include "common/wire/url.h"

using namespace mt::common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    for (auto mode : {wire::PlusMode::literal, wire::PlusMode::space}) {
        auto d = wire::url_decode(in, mode);
        if (!d) {
            if (d.error().has_offset() && d.error().offset >= size) std::abort();
            continue;
        }
        if (d->size() > size) std::abort();
    }
    // Any bytes survive encode then decode.
    auto round = wire::url_decode(wire::url_encode(in));
    if (!round || *round != in) std::abort();

    auto q = wire::parse_query(in, 16);
    if (q && q->size() > 16) std::abort();
    if (!q && q.error().has_offset() && q.error().offset >= size) std::abort();

    if (auto u = parse_tracker_url(in)) {
        if (u->scheme == TrackerUrl::Scheme::udp && u->port == 0) std::abort();
        (void)u->scrape_path();
    }
    return 0;
}
