// Fetching a torrent's info dictionary from peers (BEP 9 over BEP 10), for
// magnet links and info hashes the trackers hold no .mtorrent for.
//
// fetch_metadata() is a blocking call that returns within its timeout (plus
// at most about 250 ms to close what is open). It connects to the peers in
// the order given, at most `max_parallel` at once; a further peer is started
// when one fails, or every `stagger_ms` while none has succeeded, so a good
// first peer is usually the only one contacted. With each peer it does:
//   1. TCP connect, 68-byte handshake with the BEP 10 bit; the peer must
//      answer with the same info_hash and the BEP 10 bit;
//   2. extension handshakes: ours offers ut_metadata; the peer's must offer
//      ut_metadata and give a metadata_size (1..8 MiB);
//   3. requests every 16 KiB metadata piece (a few outstanding at a time) and
//      checks each answer against the size (check_metadata_data);
//   4. SHA-1 of the assembled bytes must equal info_hash.
// A peer that fails any step is closed and counted in the report; one that
// sends metadata with another hash, or malformed ut_metadata messages, is
// logged at warn level as bad. Other peer messages (bitfield, have, ...) are
// ignored; a peer's own ut_metadata requests are rejected.
//
// Threads: one per connection in progress, all joined before the call
// returns. The Logger must be thread-safe (common::Logger is).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/log.h"
#include "common/net/socket.h"
#include "common/result.h"
#include "common/wire/announce.h"

namespace mt::client {

struct MetadataFetchOptions {
    std::size_t max_parallel = 4;   // connections at once
    int stagger_ms = 1000;          // start another peer this often while none succeeded
    int connect_timeout_ms = 3000;  // per TCP connect
    int idle_timeout_ms = 10000;    // a peer silent this long (handshake or pieces) fails
    std::uint16_t listen_port = 0;  // sent as "p" in our extension handshake (0: not sent)
    const std::atomic<bool>* cancel = nullptr;  // set to true: return Errc::closed soon
};

// What happened with each peer, for messages and tests.
struct MetadataFetchReport {
    std::string source;                 // "ip:port" of the peer that delivered; empty if none
    std::size_t tried = 0;              // peers contacted
    std::vector<std::string> bad;       // "ip:port": wrong metadata or malformed ut_metadata
    std::vector<std::string> failures;  // "ip:port: reason", one per peer that failed
};

// Returns the info dictionary's bytes, whose SHA-1 is info_hash.
// Errors:
//   not_found  - `peers` is empty, or every peer failed before the deadline
//                (the message sums up why: "3 peers tried: 1 sent bad
//                metadata, 2 unreachable ...")
//   timeout    - timeout_ms passed first (the message sums up as above)
//   closed     - options.cancel was set
// `report`, if given, is filled in every case.
common::Result<std::string> fetch_metadata(const common::InfoHash& info_hash,
                                           const std::vector<common::PeerAddress>& peers,
                                           const common::PeerId& peer_id, int timeout_ms,
                                           common::Logger& log,
                                           const MetadataFetchOptions& options = {},
                                           MetadataFetchReport* report = nullptr);

// The whole job for a magnet link or an info_hash no tracker holds a
// .mtorrent for: announce to the trackers (one tier, failover; as a leecher
// with left=1, since the size is unknown), ask the peers they name (the
// `direct` ones first) with fetch_metadata(), never ask again a peer that
// sent bad metadata, announce again for more peers while time is left (once
// a second at most), and announce `stopped` at the end. When the first
// answering announce names no peer at all (and there are no direct ones), it
// gives up at once.
struct SwarmMetadataRequest {
    common::InfoHash info_hash;
    std::vector<std::string> trackers;        // announce URLs (may be empty)
    std::vector<common::PeerAddress> direct;  // peers to try first
    common::PeerId peer_id;
    std::uint16_t listen_port = 0;     // told to the trackers and the peers
    common::Families listen_families;  // announced over (common::listen_families)
    int timeout_ms = 30000;
    int tracker_timeout_ms = 2000;
    const std::atomic<bool>* cancel = nullptr;  // set to true: give up soon
};
struct SwarmMetadataResult {
    std::string info;              // the info dictionary's bytes
    std::string source;            // "ip:port" it came from
    std::vector<std::string> bad;  // "ip:port" that sent bad metadata
};
// Errors: not_found / timeout with a message saying what went wrong ("no
// metadata for <hash> within N s: the trackers know no peer for it; rejected
// bad metadata from ..."), closed when cancelled.
common::Result<SwarmMetadataResult> fetch_metadata_from_swarm(const SwarmMetadataRequest& req,
                                                              common::Logger& log);

// "1.2.3.4:5678" for an address from a tracker (IPv4, host order).
std::string peer_address_string(const common::PeerAddress& p);

}  // namespace mt::client
