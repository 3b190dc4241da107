// Fuzz target: the HTTP request parser, parse_query and parse_announce_query
// must never crash or read out of bounds, and the parser must give the same
// answer whether the input arrives in one feed or split in two.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/wire/http.h"
#include "common/wire/tracker_http.h"

using namespace mt::common::wire;

namespace {
// Paths of every request, then the error status (or -1 for NeedMore).
std::vector<std::string> run(std::string_view a, std::string_view b) {
    HttpRequestParser::Limits limits;
    limits.max_body_bytes = 1024;
    HttpRequestParser p(limits);
    std::vector<std::string> out;
    for (std::string_view chunk : {a, b}) {
        p.feed(chunk);
        for (;;) {
            HttpRequestStep s = p.next();
            if (std::holds_alternative<NeedMore>(s)) break;
            if (auto* e = std::get_if<HttpError>(&s)) {
                out.push_back("error " + std::to_string(e->status));
                return out;
            }
            const HttpRequest& r = std::get<HttpRequest>(s);
            out.push_back(r.method + " " + r.path + " " + r.body);
            auto q = parse_query(r.query);
            if (q) {
                (void)parse_announce_query(*q, true);
                (void)parse_scrape_query(*q, 74);
            }
        }
    }
    out.push_back("need more");
    return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto whole = run(in, {});
    if (run(in.substr(0, size / 2), in.substr(size / 2)) != whole) std::abort();

    auto q = parse_query(in);
    if (!q) {
        if (q.error().has_offset() && q.error().offset >= size) std::abort();
        return 0;
    }
    auto req = parse_announce_query(*q, true);
    if (req) {
        // What we accept, we can write back and read again unchanged.
        auto again = parse_query(build_announce_query(*req).substr(1));
        if (!again) std::abort();
        auto back = parse_announce_query(*again, true);
        if (!back || !(*back == *req)) std::abort();
    }
    return 0;
}
