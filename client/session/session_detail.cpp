// Session: what the web interface reads besides the transfer list: one
// transfer in detail, and the session's rates over the last minutes.
#include <algorithm>

#include "client/engine/file_layout.h"
#include "client/session/session.h"

namespace mt::client {

std::optional<TransferDetail> Session::transfer_detail(const std::string& name) {
    check_transfers();  // a download finished just now is shown under its name
    std::shared_ptr<Transfer> t;
    std::vector<bool> selected;
    common::Bitfield frozen_have;
    bool stopped = false;
    {
        common::MutexLock lock(mu_);
        const auto hits = find_locked(name);
        if (hits.size() != 1) return std::nullopt;
        t = hits[0];
        selected = t->saved.selected;
        // Paused or being verified: what it had when it stopped, or what
        // the state or verify found (nothing known while verify hashes).
        stopped = t->saved.paused || t->verifying;
        frozen_have = t->frozen_have;
    }
    TransferDetail d;
    d.view = view_of(*t);
    const common::Metainfo& meta = t->torrent->meta();
    d.piece_length = meta.piece_length;
    d.piece_count = meta.piece_count();
    d.have = stopped ? frozen_have : t->torrent->have_bitfield();
    if (d.have.size() != d.piece_count) d.have = common::Bitfield();
    // The layout the Torrent uses (a folder it started), else the same made
    // from the metainfo (a single file, or a folder it has not opened yet).
    std::optional<FileLayout> made;
    const FileLayout* layout = t->torrent->layout();
    if (!layout)
        if (auto l = make_file_layout(meta)) {
            made = std::move(l).value();
            layout = &*made;
        }
    if (layout)
        d.files = file_progress(*layout, d.have, meta.piece_length, selected,
                                TransferDetail::kMaxFiles, &d.files_omitted);
    d.peers = t->torrent->peer_views();
    std::sort(d.peers.begin(), d.peers.end(),
              [](const PeerView& a, const PeerView& b) { return a.address < b.address; });
    if (d.peers.size() > TransferDetail::kMaxPeers) {
        d.peers_omitted = d.peers.size() - TransferDetail::kMaxPeers;
        d.peers.resize(TransferDetail::kMaxPeers);
    }
    d.trackers = merge_tracker_status(meta.trackers(), {t->torrent->trackers()}, 1);
    return d;
}

RateSamples Session::rate_samples() const {
    RateSamples r;
    r.interval_ms = config_.watch_interval_ms;
    common::MutexLock lock(mu_);
    r.samples = rates_.samples();
    return r;
}

void Session::sample_rates() {
    std::vector<std::shared_ptr<Transfer>> ts;
    {
        common::MutexLock lock(mu_);
        ts = transfers_;
    }
    double down = 0, up = 0;
    for (const auto& t : ts) {  // each Torrent's lock, never ours
        const TorrentStats s = t->torrent->stats();
        down += s.down_rate;
        up += s.up_rate;
    }
    common::MutexLock lock(mu_);
    rates_.add(static_cast<std::uint64_t>(down), static_cast<std::uint64_t>(up));
}

}  // namespace mt::client
