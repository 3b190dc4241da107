// What the engine shows of a torrent and its peers: plain values, copied out
// under the torrent's lock, for the session and the command line to format.
// Pure (no threads, no sockets), so formatting code needs nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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
    std::string error;          // a fatal error (disk full...): the download stopped
    bool data_changed = false;  // the error is that the data changed on disk (seen when serving)
};

// Why a connection ended: counted by the torrent and logged once.
enum class DropReason {
    none,                // still running
    stopping,            // we closed it (shutdown, eviction, ban, fatal error)
    handshake_failed,    // no, bad or foreign handshake; or ourselves
    not_attached,        // duplicate peer id, or the torrent is stopping
    peer_closed,         // EOF or a reset from the peer
    io_error,            // a socket error on our side
    protocol_error,      // the decoder refused a frame; bad bitfield/have/metadata
    bad_requests,        // too many invalid requests
    unrequested_blocks,  // too many blocks we never asked for
    output_not_drained,  // its output stayed over the watermark past the deadline
    write_stalled,       // it took nothing we sent for kWriteTimeoutMs
    idle,                // silent for kIdleTimeoutMs
    banned,              // it sent pieces that failed the hash check
    kCount,
};
const char* to_string(DropReason r);

// "connections ended: 3 closed by the peer, 1 silent" (reasons that
// happened, most frequent first); "" when none did. `counts` is indexed by
// DropReason, as Torrent::drop_counts() gives it.
std::string format_drop_counts(const std::vector<std::uint64_t>& counts);

// One connected peer.
struct PeerView {
    std::string address;  // "ip:port"
    common::PeerId id;
    double down_rate = 0;  // bytes/s, rolling ~20 s (the choker's view)
    double up_rate = 0;
    std::uint64_t downloaded = 0;  // payload bytes from / to this peer
    std::uint64_t uploaded = 0;
    bool interested = false;  // the peer wants pieces from us
    // Its program: the "v" of its BEP 10 handshake, else what its peer id
    // tells (client_from_peer_id); "" when neither says. The peer's bytes:
    // escape them before they are shown.
    std::string client;
    double progress = 0;    // the fraction of the pieces it has, 0..1
    bool incoming = false;  // it connected to us
    bool choked = true;     // we choke it: it gets no uploads from us
};

// "libtorrent 2.0.8" for "-LT2080-...": the program of an Azureus-style
// peer id (a few known two-letter codes by name, others as the code), the
// first three version characters joined by dots and a fourth if it is not
// '0'; "" for any other style.
std::string client_from_peer_id(const common::PeerId& id);

}  // namespace mt::client
