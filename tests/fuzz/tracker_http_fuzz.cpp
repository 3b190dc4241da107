// Fuzz target: the HTTP tracker's query and reply codecs (common/wire/tracker_http.h).
// The input is read both as a raw query string (what a tracker parses) and as
// a bencoded reply (what a client parses). Nothing may crash or read out of
// bounds, and what is accepted must survive an encode/decode round trip.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/wire/tracker_http.h"
#include "common/wire/url.h"

using namespace mt::common::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    if (auto q = parse_query(in)) {
        for (bool trust_ip : {false, true}) {
            auto req = parse_announce_query(*q, trust_ip);
            if (!req) continue;
            auto again = parse_query(build_announce_query(*req).substr(1));
            if (!again) std::abort();
            auto back = parse_announce_query(*again, true);
            if (!back || !(*back == *req)) std::abort();
        }
        if (auto hashes = parse_scrape_query(*q, 74)) {
            if (hashes->empty() || hashes->size() > 74) std::abort();
            auto again = parse_query(build_scrape_query(*hashes).substr(1));
            if (!again) std::abort();
            auto back = parse_scrape_query(*again, 74);
            if (!back || *back != *hashes) std::abort();
        }
    }

    if (auto resp = decode_announce_response(in, 200)) {
        if (resp->peers.size() > 200) std::abort();
        if (resp->failure_reason.empty()) {
            // The list form keeps peer ids; it must give the same response back.
            auto back =
                decode_announce_response(encode_announce_response(*resp, false, false), 200);
            if (!back || !(*back == *resp)) std::abort();
        }
    }
    if (auto entries = decode_scrape_response(in, 100)) {
        if (entries->size() > 100) std::abort();
        auto back = decode_scrape_response(encode_scrape_response(*entries), 100);
        if (!back || *back != *entries) std::abort();
    }
    if (auto ip = parse_ipv4(in)) {
        if (format_ipv4(*ip) != in) std::abort();  // strict dotted quad: one spelling
    }
    if (auto ip = mt::common::IpAddr::parse(in)) {  // IPv6 text too: canonical round trip
        auto back = mt::common::IpAddr::parse(ip->to_string());
        if (!back || *back != *ip) std::abort();
        if (ip->is_v4() != (ip->wire_bytes().size() == 4)) std::abort();
    }
    return 0;
}
