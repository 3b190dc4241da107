// `magnet <magnet-URI | info_hash> <out.mtorrent>`: fetches a torrent's info
// dictionary from peers (BEP 9, client/trackers/metadata_fetch.h) and writes
// the .mtorrent. Exit code 0 success, 1 failure, 2 wrong arguments.
#pragma once

#include <string>
#include <vector>

namespace mt::client {

int run_magnet(const std::vector<std::string>& args);

}  // namespace mt::client
