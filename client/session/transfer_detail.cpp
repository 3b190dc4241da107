#include "client/session/transfer_detail.h"

#include <algorithm>

namespace mt::client {

std::vector<FileProgress> file_progress(const FileLayout& layout, const common::Bitfield& have,
                                        std::uint64_t piece_length,
                                        const std::vector<bool>& selected, std::size_t max,
                                        std::size_t* omitted) {
    std::vector<FileProgress> out;
    std::size_t left_off = 0;
    for (std::size_t i = 0; i < layout.files.size(); ++i) {
        const LayoutFile& f = layout.files[i];
        if (f.padding) continue;
        if (out.size() >= max) {
            ++left_off;
            continue;
        }
        FileProgress p;
        p.index = i;
        p.path = f.path.substr(f.path.find('/') + 1);  // below the top (a single file: all of it)
        p.size = f.length;
        p.selected = selected.empty() || (i < selected.size() && selected[i]);
        // Verified bytes: the file's share of each piece we have.
        if (f.length > 0 && piece_length > 0 && have.size() > 0)
            for (std::uint64_t k = f.offset / piece_length;
                 k <= (f.offset + f.length - 1) / piece_length && k < have.size(); ++k)
                if (have.get(k))
                    p.done += std::min(f.offset + f.length, (k + 1) * piece_length) -
                              std::max(f.offset, k * piece_length);
        out.push_back(std::move(p));
    }
    if (omitted) *omitted = left_off;
    return out;
}

TorrentStats stats_of_pieces(const common::Metainfo& meta, const common::Bitfield& have,
                             bool complete) {
    TorrentStats s;
    s.total = meta.length;
    s.pieces = meta.piece_count();
    for (std::size_t i = 0; i < have.size() && i < s.pieces; ++i)
        if (have.get(i)) {
            ++s.have;
            s.verified_bytes += meta.piece_size(static_cast<std::uint32_t>(i));
        }
    s.complete = complete;
    return s;
}

std::string peer_flags(const PeerView& p) {
    std::string f;
    if (p.down_rate > 0) f += 'D';
    if (p.up_rate > 0) f += 'U';
    if (p.interested) f += 'i';
    if (p.choked) f += 'c';
    if (p.incoming) f += 'I';
    if (p.progress >= 1.0) f += 'S';
    return f;
}

}  // namespace mt::client
