// TorrentOptions: how one torrent runs (paths, slots, pipeline, limits,
// clock). Plain values, shared by Torrent and what its connections see of it
// (TorrentLink).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/dht/dht_node.h"
#include "client/engine/initial_seeder.h"
#include "client/engine/rate_limiter.h"
#include "client/engine/storage.h"
#include "common/ids.h"
#include "common/metainfo.h"
#include "common/net/socket.h"
#include "common/result.h"

namespace mt::client {

struct TorrentOptions {
    // The file, or for a folder torrent its folder (`<destination>/<name>`).
    std::string data_path;
    std::string resume_path;  // verified pieces; empty: none (seeding a complete file)
    std::uint16_t listen_port = 0;
    // The families our listener takes connections over: the trackers are
    // announced to over each of them (common::listen_families).
    common::Families listen_families;
    common::PeerId peer_id;
    std::size_t max_peers = 60;
    // Connections from or to one IP address. 8: a few clients behind one
    // NAT still get in, while one host can take at most 8 of the 60 slots
    // (eviction takes its extra slots back whenever a less crowded address
    // knocks). Loopback tests that run many peers on 127.0.0.1 raise it.
    std::size_t max_peers_per_ip = 8;
    std::size_t pipeline_blocks = 96;  // requests in flight per peer (96 x 16 KiB = 1.5 MiB)
    int tracker_timeout_ms = 2000;
    // Hash what the storage holds to find the pieces we have; the resume
    // state is not read (it is rewritten from what the hashing found).
    bool verify_existing = false;
    bool assume_complete = false;  // the caller has verified the whole file (seeding)
    // A torrent that starts complete shows each peer a few pieces at a time
    // so that it uploads every piece once before any twice (InitialSeeder,
    // BEP 16 super-seeding). False: every peer sees everything at once.
    bool initial_seeding = true;
    std::uint64_t initial_seeding_window = InitialSeeder::kWindowBytes;
    // A folder torrent: which of its files to download (by index in the
    // metainfo; empty: all). Only the pieces that hold bytes of selected
    // files are fetched; the bytes of other files in those pieces go to
    // parts_path, never into the folder. Torrent::select_files() changes it.
    std::vector<bool> selected_files;
    std::string parts_path;
    // The session's DHT node (null: none; it outlives the torrent). A torrent
    // that is not private counts itself among the DHT's peers of its
    // info_hash, announces there and takes the peers a lookup finds.
    dht::DhtNode* dht = nullptr;
    // Peer exchange (BEP 11, ut_pex) with peers that speak it; never for a
    // private torrent.
    bool pex = true;
    // Rate limits (null: none); one limiter may be shared by several torrents.
    std::shared_ptr<RateLimiter> upload_limit;
    std::shared_ptr<RateLimiter> download_limit;
    // The engine's clock (monotonic ms) for peer deadlines, evictions and
    // choking; null: common::mono_ms. Tests move it by hand (TorrentLink::now_ms).
    std::function<std::int64_t()> clock;
    // Opens the torrent's storage; null: a DiskStore at data_path (created,
    // or with assume_complete opened read-only). verify_existing hashes what
    // the storage holds.
    std::function<common::Result<std::unique_ptr<Storage>>(const common::Metainfo&)> open_storage;
};

}  // namespace mt::client
