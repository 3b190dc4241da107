#include "client/engine/piece_picker.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <tuple>

namespace mt::client {

PiecePicker::PiecePicker(std::size_t num_pieces, std::uint64_t piece_length,
                         std::uint64_t total_length, PickerConfig config)
    : config_(config),
      piece_length_(piece_length),
      total_length_(total_length),
      have_(num_pieces, false),
      want_(num_pieces, true),
      needed_(num_pieces),
      needed_bytes_(total_length),
      wanted_bytes_(total_length),
      bytes_left_(total_length),
      availability_(num_pieces, 0),
      rng_(config.seed) {
    if (piece_length == 0 || total_length == 0 || piece_length > (std::uint64_t{1} << 31) ||
        num_pieces > std::numeric_limits<PieceIndex>::max() ||
        num_pieces != (total_length + piece_length - 1) / piece_length) {
        throw std::invalid_argument("piece picker: piece count does not match the lengths");
    }
    if (config_.max_requests_per_block == 0) config_.max_requests_per_block = 1;
}

std::uint32_t PiecePicker::piece_size(PieceIndex piece) const {
    if (piece + std::size_t{1} == have_.size()) {
        return static_cast<std::uint32_t>(total_length_ - piece * piece_length_);
    }
    return static_cast<std::uint32_t>(piece_length_);
}

std::uint32_t PiecePicker::blocks_in_piece(PieceIndex piece) const {
    return (piece_size(piece) + kBlockSize - 1) / kBlockSize;
}

bool PiecePicker::valid_block(const Block& b) const {
    if (b.piece >= have_.size() || b.offset % kBlockSize != 0) return false;
    const std::uint32_t size = piece_size(b.piece);
    if (b.offset >= size) return false;
    return b.length == std::min(kBlockSize, size - b.offset);
}

// ---- Our pieces -------------------------------------------------------------

void PiecePicker::set_have(PieceIndex piece) {
    if (piece >= have_.size() || have_[piece]) return;
    const bool was_needed = needed(piece);
    have_[piece] = true;
    ++have_count_;
    single_source_.erase(piece);
    bytes_left_ -= piece_size(piece);
    if (was_needed) {
        --needed_;
        needed_bytes_ -= piece_size(piece);
        for (auto& [key, p] : peers_) {
            if (!p.seed && p.has[piece]) --p.wanted;
        }
    }
    auto it = partial_.find(piece);
    if (it == partial_.end()) return;
    for (const BlockState& s : it->second.blocks) {
        for (PeerKey r : s.requested_by) {
            if (auto pit = peers_.find(r); pit != peers_.end()) --pit->second.outstanding;
        }
    }
    partial_.erase(it);
}

void PiecePicker::mark_have(PieceIndex piece) {
    set_have(piece);
}

void PiecePicker::piece_verified(PieceIndex piece) {
    set_have(piece);
}

std::vector<PeerKey> PiecePicker::piece_failed(PieceIndex piece) {
    std::vector<PeerKey> contributors;
    auto it = partial_.find(piece);
    if (it == partial_.end()) return contributors;
    for (const BlockState& s : it->second.blocks) {
        if (s.received) contributors.push_back(s.received_from);
        for (PeerKey r : s.requested_by) {
            if (auto pit = peers_.find(r); pit != peers_.end()) --pit->second.outstanding;
        }
    }
    partial_.erase(it);
    std::sort(contributors.begin(), contributors.end());
    contributors.erase(std::unique(contributors.begin(), contributors.end()), contributors.end());
    if (contributors.size() > 1) single_source_.insert(piece);
    return contributors;
}

void PiecePicker::set_wanted(const std::vector<bool>& wanted) {
    if (wanted.size() != have_.size()) return;
    want_ = wanted;
    needed_ = 0;
    needed_bytes_ = 0;
    wanted_bytes_ = 0;
    for (std::size_t i = 0; i < have_.size(); ++i) {
        if (want_[i]) wanted_bytes_ += piece_size(static_cast<PieceIndex>(i));
        if (!needed(i)) continue;
        ++needed_;
        needed_bytes_ += piece_size(static_cast<PieceIndex>(i));
    }
    recount_peer_wants();
}

void PiecePicker::recount_peer_wants() {
    for (auto& [key, p] : peers_) {
        if (p.seed) continue;
        p.wanted = 0;
        for (std::size_t i = 0; i < p.has.size(); ++i)
            if (p.has[i] && needed(i)) ++p.wanted;
    }
}

// ---- Availability -----------------------------------------------------------

PiecePicker::Peer& PiecePicker::peer_state(PeerKey peer) {
    auto [it, inserted] = peers_.try_emplace(peer);
    if (inserted) it->second.has.assign(have_.size(), false);
    return it->second;
}

void PiecePicker::forget_availability(Peer& p) {
    if (p.seed) {
        --seeds_;
        p.seed = false;
    } else {
        for (std::size_t i = 0; i < p.has.size(); ++i) {
            if (p.has[i]) --availability_[i];
        }
    }
    p.has.assign(have_.size(), false);
    p.has_count = 0;
    p.wanted = 0;
}

// A peer that turns out to have everything is counted as a seed from then on,
// so that later availability changes stay O(1) for it.
void PiecePicker::promote_if_seed(Peer& p) {
    if (p.seed || p.has_count != have_.size()) return;
    for (auto& a : availability_)
        --a;
    p.has.clear();
    p.has.shrink_to_fit();
    p.has_count = 0;
    p.wanted = 0;
    p.seed = true;
    ++seeds_;
}

bool PiecePicker::peer_has(PeerKey peer, PieceIndex piece) {
    if (piece >= have_.size()) return false;
    Peer& p = peer_state(peer);
    if (p.seed || p.has[piece]) return true;
    p.has[piece] = true;
    ++p.has_count;
    ++availability_[piece];
    if (needed(piece)) ++p.wanted;
    promote_if_seed(p);
    return true;
}

bool PiecePicker::peer_bitfield(PeerKey peer, const std::vector<bool>& bits) {
    if (bits.size() != have_.size()) return false;
    Peer& p = peer_state(peer);
    forget_availability(p);
    for (std::size_t i = 0; i < bits.size(); ++i) {
        if (!bits[i]) continue;
        p.has[i] = true;
        ++p.has_count;
        ++availability_[i];
        if (needed(i)) ++p.wanted;
    }
    promote_if_seed(p);
    return true;
}

void PiecePicker::peer_has_all(PeerKey peer) {
    Peer& p = peer_state(peer);
    if (p.seed) return;
    forget_availability(p);
    p.has.clear();
    p.has.shrink_to_fit();
    p.seed = true;
    ++seeds_;
}

bool PiecePicker::may_take(PeerKey peer, PieceIndex piece, Partial& part) const {
    return single_source_.count(piece) == 0 || !part.owner || *part.owner == peer;
}

void PiecePicker::drop_ownership(PeerKey peer) {
    for (auto& [piece, part] : partial_)
        if (part.owner == peer) part.owner.reset();
}

void PiecePicker::peer_gone(PeerKey peer) {
    auto it = peers_.find(peer);
    if (it == peers_.end()) return;
    (void)requests_timed_out(peer);
    drop_ownership(peer);
    forget_availability(it->second);
    peers_.erase(it);
}

// ---- Requests ---------------------------------------------------------------

bool PiecePicker::release(PeerKey peer, PieceIndex piece, std::uint32_t block_index) {
    auto it = partial_.find(piece);
    if (it == partial_.end()) return false;
    Partial& part = it->second;
    BlockState& s = part.blocks[block_index];
    auto r = std::find(s.requested_by.begin(), s.requested_by.end(), peer);
    if (r == s.requested_by.end()) return false;
    s.requested_by.erase(r);
    if (auto pit = peers_.find(peer); pit != peers_.end()) --pit->second.outstanding;
    if (s.requested_by.empty() && !s.received) --part.requested;
    if (part.requested == 0 && part.received == 0) partial_.erase(it);
    return true;
}

void PiecePicker::take(PeerKey peer, Peer& p, PieceIndex piece, Partial& part, std::uint32_t i,
                       std::vector<Block>& out) {
    BlockState& s = part.blocks[i];
    if (s.requested_by.empty()) ++part.requested;
    s.requested_by.push_back(peer);
    ++p.outstanding;
    if (!part.owner && single_source_.count(piece)) part.owner = peer;
    const std::uint32_t offset = i * kBlockSize;
    out.push_back(Block{piece, offset, std::min(kBlockSize, piece_size(piece) - offset)});
}

// Random among the peer's unstarted missing pieces while we have fewer than
// random_first_pieces, else the rarest of them. One pass from a random
// starting point, keeping the first piece of least availability: ties go to
// whichever comes first after the start (one random number per choice, not
// one per tied piece: this runs under the torrent's lock).
bool PiecePicker::choose_new_piece(const Peer& p, PieceIndex& out) {
    const bool random_first = have_count_ < config_.random_first_pieces;
    const std::size_t n = have_.size();
    if (n == 0) return false;
    const std::size_t start = std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    std::uint32_t best = std::numeric_limits<std::uint32_t>::max();
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = start + k < n ? start + k : start + k - n;
        const auto piece = static_cast<PieceIndex>(i);
        if (!needed(i) || !peer_has_piece(p, piece) || partial_.count(piece) != 0) continue;
        const std::uint32_t a = random_first ? 0 : availability_[i];
        if (a < best) {
            best = a;
            out = piece;
            if (a == 0 && random_first) break;  // any will do
        }
    }
    return best != std::numeric_limits<std::uint32_t>::max();
}

void PiecePicker::pick_endgame(PeerKey peer, Peer& p, std::size_t max_blocks,
                               std::vector<Block>& out) {
    // (requesters, piece, block): the least duplicated blocks go first; the
    // shuffle spreads peers in endgame over different blocks.
    std::vector<std::tuple<std::size_t, PieceIndex, std::uint32_t>> candidates;
    for (auto& [piece, part] : partial_) {
        if (!peer_has_piece(p, piece) || !may_take(peer, piece, part)) continue;
        for (std::uint32_t i = 0; i < part.blocks.size(); ++i) {
            const BlockState& s = part.blocks[i];
            if (s.received || s.requested_by.size() >= config_.max_requests_per_block) continue;
            if (std::find(s.requested_by.begin(), s.requested_by.end(), peer) !=
                s.requested_by.end()) {
                continue;
            }
            candidates.emplace_back(s.requested_by.size(), piece, i);
        }
    }
    std::shuffle(candidates.begin(), candidates.end(), rng_);
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    for (const auto& [count, piece, i] : candidates) {
        if (out.size() >= max_blocks) break;
        take(peer, p, piece, partial_.at(piece), i, out);
    }
}

std::vector<Block> PiecePicker::pick(PeerKey peer, std::size_t max_blocks) {
    std::vector<Block> out;
    auto pit = peers_.find(peer);
    if (pit == peers_.end() || max_blocks == 0) return out;
    Peer& p = pit->second;
    if (!is_interesting(peer)) return out;

    // 1. Strict priority: free blocks of started pieces, the pieces with the
    //    fewest free blocks first (they are the closest to being downloaded).
    std::vector<std::pair<std::size_t, PieceIndex>> started;
    for (auto& [piece, part] : partial_) {
        if (part.free() != 0 && peer_has_piece(p, piece) && may_take(peer, piece, part))
            started.emplace_back(part.free(), piece);
    }
    std::sort(started.begin(), started.end());
    for (const auto& [nfree, piece] : started) {
        Partial& part = partial_.at(piece);
        for (std::uint32_t i = 0; i < part.blocks.size() && out.size() < max_blocks; ++i) {
            const BlockState& s = part.blocks[i];
            if (!s.received && s.requested_by.empty()) take(peer, p, piece, part, i, out);
        }
        if (out.size() >= max_blocks) return out;
    }
    // 2. New pieces: random first, then rarest first.
    PieceIndex piece = 0;
    while (out.size() < max_blocks && choose_new_piece(p, piece)) {
        Partial& part = partial_[piece];
        part.blocks.resize(blocks_in_piece(piece));
        for (std::uint32_t i = 0; i < part.blocks.size() && out.size() < max_blocks; ++i) {
            take(peer, p, piece, part, i, out);
        }
    }
    // 3. Endgame: duplicate requests once nothing is left unrequested.
    if (out.size() < max_blocks && in_endgame()) pick_endgame(peer, p, max_blocks, out);
    return out;
}

std::vector<PeerKey> PiecePicker::block_received(PeerKey peer, const Block& block) {
    std::vector<PeerKey> others;
    if (!valid_block(block)) return others;
    const std::uint32_t i = block.offset / kBlockSize;
    if (have_[block.piece]) return others;
    Partial& part = partial_[block.piece];
    if (part.blocks.empty()) part.blocks.resize(blocks_in_piece(block.piece));
    BlockState& s = part.blocks[i];
    if (s.received) {
        release(peer, block.piece, i);
        return others;
    }
    for (PeerKey r : s.requested_by) {
        if (auto rit = peers_.find(r); rit != peers_.end()) --rit->second.outstanding;
        if (r != peer) others.push_back(r);
    }
    if (!s.requested_by.empty()) --part.requested;
    s.requested_by.clear();
    s.received = true;
    s.received_from = peer;
    ++part.received;
    return others;
}

void PiecePicker::request_failed(PeerKey peer, const Block& block) {
    if (!valid_block(block)) return;
    release(peer, block.piece, block.offset / kBlockSize);
}

std::vector<Block> PiecePicker::requests_timed_out(PeerKey peer) {
    std::vector<Block> released;
    drop_ownership(peer);  // a slow owner of a single-source piece hands it on
    auto pit = peers_.find(peer);
    if (pit == peers_.end() || pit->second.outstanding == 0) return released;
    for (auto it = partial_.begin(); it != partial_.end();) {
        const PieceIndex piece = it->first;
        const std::uint32_t count = static_cast<std::uint32_t>(it->second.blocks.size());
        bool erased = false;
        for (std::uint32_t i = 0; i < count; ++i) {
            const auto& by = it->second.blocks[i].requested_by;
            if (std::find(by.begin(), by.end(), peer) == by.end()) continue;
            const std::uint32_t offset = i * kBlockSize;
            released.push_back(
                Block{piece, offset, std::min(kBlockSize, piece_size(piece) - offset)});
            release(peer, piece, i);  // erases *it when that was its last request
            if (partial_.count(piece) == 0) {
                erased = true;
                break;
            }
        }
        it = erased ? partial_.upper_bound(piece) : std::next(it);
    }
    return released;
}

// ---- Queries ----------------------------------------------------------------

std::vector<PieceIndex> PiecePicker::missing_pieces() const {
    std::vector<PieceIndex> out;
    out.reserve(have_.size() - have_count_);
    for (std::size_t i = 0; i < have_.size(); ++i) {
        if (!have_[i]) out.push_back(static_cast<PieceIndex>(i));
    }
    return out;
}

std::size_t PiecePicker::availability(PieceIndex piece) const {
    return piece < availability_.size() ? availability_[piece] + seeds_ : 0;
}

bool PiecePicker::is_interesting(PeerKey peer) const {
    auto it = peers_.find(peer);
    if (it == peers_.end()) return false;
    return it->second.seed ? needed_ > 0 : it->second.wanted > 0;
}

bool PiecePicker::in_endgame() const {
    // Every needed piece is started and none has a free block. (Started
    // pieces that were deselected since count too: they are finished.)
    if (needed_ == 0 || partial_.size() < needed_) return false;
    std::size_t started_needed = 0;
    for (const auto& [piece, part] : partial_) {
        if (part.free() != 0) return false;
        if (needed(piece)) ++started_needed;
    }
    return started_needed == needed_;
}

bool PiecePicker::piece_downloaded(PieceIndex piece) const {
    auto it = partial_.find(piece);
    return it != partial_.end() && it->second.received == it->second.blocks.size();
}

std::size_t PiecePicker::outstanding(PeerKey peer) const {
    auto it = peers_.find(peer);
    return it == peers_.end() ? 0 : it->second.outstanding;
}

std::size_t PiecePicker::peer_piece_count(PeerKey peer) const {
    auto it = peers_.find(peer);
    if (it == peers_.end()) return 0;
    return it->second.seed ? num_pieces() : it->second.has_count;
}

}  // namespace mt::client
