// What the pair serves for a published .mtorrent: the publisher's info
// dictionary (byte for byte, so the info_hash is unchanged) announced to the
// pair's own trackers, so that no publisher can send the file's downloaders
// to a tracker of their choosing.
//
// Kept from the published top-level dictionary: `info`, `comment`,
// `created by`, `creation date`, and `announce` / `announce-list` when every
// URL in them names one of the pair's two trackers (http or udp, any path).
// Otherwise both are replaced: announce = pair_urls[0], announce-list = one
// tier [pair_urls[0], pair_urls[1]]. Every other key (url-list, httpseeds,
// nodes, ...: other ways to send a client elsewhere) is dropped. A
// .mtorrent that mtorrent itself wrote for the pair comes back unchanged.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/net/socket.h"
#include "common/result.h"

namespace mt::tracker {

struct PairTrackers {
    std::array<common::Endpoint, 2> endpoints;  // tracker 1, tracker 2
    // "http://<tracker 1>/announce", "http://<tracker 2>/announce"
    std::array<std::string, 2> urls() const;
};

// Errc::parse_error when `published` is not a bencoded dictionary (it has
// been validated by parse_metainfo before, so only a caller's bug gets here).
common::Result<std::string> pair_metainfo(std::string_view published, const PairTrackers& pair);

}  // namespace mt::tracker
