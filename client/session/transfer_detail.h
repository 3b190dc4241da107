// TransferDetail: everything known of one transfer, for a page that shows it
// (GET /api/torrent): its line of show downloads, its pieces, its files with
// their progress, its peers and its trackers. Gathered by
// Session::transfer_detail from what the `files`, `peers` and `status`
// commands read; the helpers here are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/engine/file_layout.h"
#include "client/engine/views.h"
#include "client/session/reply_format.h"
#include "common/bitfield.h"
#include "common/metainfo.h"

namespace mt::client {

// One file of a transfer (pad files are never listed).
struct FileProgress {
    std::size_t index = 0;  // in the metainfo (what select/deselect take)
    std::string path;       // inside the torrent: "dir/a.txt"; a single file: its name
    std::uint64_t size = 0;
    std::uint64_t done = 0;  // verified bytes: the file's share of the pieces we have
    bool selected = true;
};

struct TransferDetail {
    static constexpr std::size_t kMaxFiles = 10'000;
    static constexpr std::size_t kMaxPeers = 200;

    TransferView view;  // as show downloads has it
    std::uint64_t piece_length = 0;
    std::size_t piece_count = 0;
    // The pieces we have, in BEP 3 bit order; size 0 when not known (a
    // paused transfer whose resume state was not readable).
    common::Bitfield have;
    std::vector<FileProgress> files;  // at most kMaxFiles, in metainfo order
    std::size_t files_omitted = 0;    // listed files left off past kMaxFiles
    std::vector<PeerView> peers;      // at most kMaxPeers, by address
    std::size_t peers_omitted = 0;
    std::vector<TrackerLine> trackers;  // the transfer's own, as status merges them
};

// The files of `layout` (pads skipped) with what `have` holds of each
// (have of size 0: nothing known, done 0), `selected` as the torrent keeps it
// (empty: all), at most `max` of them (`omitted` counts the rest).
std::vector<FileProgress> file_progress(const FileLayout& layout, const common::Bitfield& have,
                                        std::uint64_t piece_length,
                                        const std::vector<bool>& selected, std::size_t max,
                                        std::size_t* omitted = nullptr);

// What show downloads says of a transfer that is not running (paused): the
// pieces `have` marks, the whole torrent's size; `complete` as the state says.
TorrentStats stats_of_pieces(const common::Metainfo& meta, const common::Bitfield& have,
                             bool complete);

// A peer's state as letters, in this order, each only when it holds:
//   D  it sent us payload lately (down_rate > 0)
//   U  we sent it payload lately (up_rate > 0)
//   i  it is interested in our pieces
//   c  we choke it (it gets nothing from us)
//   I  it connected to us (incoming)
//   S  it has every piece
std::string peer_flags(const PeerView& p);

}  // namespace mt::client
