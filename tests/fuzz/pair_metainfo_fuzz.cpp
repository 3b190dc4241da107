// Fuzz target: whatever .mtorrent the tracker accepts for publishing, what it
// serves (tracker/pair_metainfo.h) parses, has the same info_hash and
// announces only to the pair.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/metainfo.h"
#include "common/tracker_url.h"
#include "tracker/pair_metainfo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mt;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    auto m = common::parse_metainfo(in);
    if (!m.ok()) return 0;
    tracker::PairTrackers pair;
    pair.endpoints = {common::Endpoint{"127.0.0.1", 6881}, common::Endpoint{"127.0.0.1", 6882}};
    auto served = tracker::pair_metainfo(in, pair);
    if (!served.ok()) std::abort();
    auto again = common::parse_metainfo(*served);
    if (!again.ok() || again->info_hash != m->info_hash) std::abort();
    auto names_pair = [](const std::string& url) {
        auto u = common::parse_tracker_url(url);
        return u.ok() && u->host == "127.0.0.1" && (u->port == 6881 || u->port == 6882);
    };
    if (!again->announce.empty() && !names_pair(again->announce)) std::abort();
    for (const auto& tier : again->announce_list)
        for (const auto& url : tier)
            if (!names_pair(url)) std::abort();
    // Serving what was served changes nothing.
    auto twice = tracker::pair_metainfo(*served, pair);
    if (!twice.ok() || *twice != *served) std::abort();
    return 0;
}
