// The tracker's GET /search reply, bencoded (the JSON form for browsers is
// written by the tracker alone):
//   {files: [{info_hash: 20 bytes, leechers: int, name: string, seeders: int,
//             size: int}, ...]}
// or {failure reason: string}. Counts and sizes are never negative. The
// tracker encodes, the client decodes: one codec, tested by a round trip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace mt::common::wire {

struct SearchHit {
    InfoHash info_hash;
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t seeders = 0;
    std::uint64_t leechers = 0;
};

std::string encode_search_reply(const std::vector<SearchHit>& hits);

// Errc::refused with the tracker's text for a failure reason; parse_error for
// anything malformed (the whole reply is refused, not just the bad entry).
Result<std::vector<SearchHit>> decode_search_reply(std::string_view body);

}  // namespace mt::common::wire
