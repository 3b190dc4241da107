// What the engine shows of a torrent and its peers: plain values, copied out
// under the torrent's lock, for the session and the command line to format.
// Pure (no threads, no sockets), so formatting code needs nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/ids.h"

namespace mt::client {

struct TorrentStats {
    std::uint64_t total = 0;
    std::uint64_t verified_bytes = 0;
    std::uint64_t downloaded = 0;  // payload bytes received (incl. bad and duplicate)
    std::uint64_t uploaded = 0;
    double down_rate = 0;  // bytes/s over the last few seconds
    double up_rate = 0;
    std::size_t peers = 0;
    std::size_t pieces = 0;
    std::size_t have = 0;
    std::size_t banned = 0;
    std::uint64_t bad_pieces = 0;
    std::uint64_t wasted = 0;  // payload bytes of blocks we never requested (not stored)
    bool complete = false;
    std::string error;  // a fatal error (disk full...): the download stopped
};

// One connected peer.
struct PeerView {
    std::string address;  // "ip:port"
    common::PeerId id;
    double down_rate = 0;  // bytes/s, rolling ~20 s (the choker's view)
    double up_rate = 0;
    std::uint64_t downloaded = 0;  // payload bytes from / to this peer
    std::uint64_t uploaded = 0;
    bool interested = false;  // the peer wants pieces from us
};

}  // namespace mt::client
