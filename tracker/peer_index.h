// PeerIndex: endpoint (IP address and port, the key of a peer entry) ->
// position in a swarm's array of peers, for swarms too big to scan; KeyIndex
// the same for the BEP 7 key an entry recorded (0 = none, not indexed). A
// torrent keeps its IPv4 and IPv6 peers apart, each family with its own
// indexes, so a key moves an entry within its family only.
//
// Open addressing with linear probing: a slot holds position + 1 (0 = empty)
// and the ids stay in the caller's array, so the index costs 8 to 16 bytes per
// peer (a power-of-two table, between a quarter and half full; it shrinks as
// the swarm does) where a std::unordered_map node costs 48 plus its bucket.
// Removal shifts the rest of the probe run back instead of leaving a
// tombstone, so lookups do not slow down under churn.
//
// Every call that reads fields takes the array (`peers[i].endpoint()`,
// `peers[i].key`) and the caller keeps the two in step: insert() after
// appending an entry, erase() while the entry is still in the array, move()
// when an entry changes place. Positions are below kNotFound.
//
// Fields are mixed (a 64-bit finalizer) before use: many peers of a swarm
// share an address, or ports that differ in their low bits only.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "common/ip_addr.h"

namespace mt::tracker {

// A peer's address (IPv4 or IPv6) and port: the key of its entry.
struct Endpoint {
    common::IpAddr ip;
    std::uint16_t port = 0;

    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

inline Endpoint make_endpoint(const common::IpAddr& ip, std::uint16_t port) {
    return {ip, port};
}

// murmur3's fmix64: every input bit moves about half the output bits.
inline std::size_t hash_endpoint(std::uint64_t e) {
    e ^= e >> 33;
    e *= 0xff51afd7ed558ccdULL;
    e ^= e >> 33;
    e *= 0xc4ceb9fe1a85ec53ULL;
    e ^= e >> 33;
    return static_cast<std::size_t>(e);
}

inline std::size_t hash_endpoint(const Endpoint& e) {
    return hash_endpoint(e.ip.low() ^ (std::uint64_t{e.port} << 48) ^ hash_endpoint(e.ip.high()));
}

struct EndpointHash {
    std::size_t operator()(const Endpoint& e) const { return hash_endpoint(e); }
};

// What an index is keyed by: the endpoint (unique in a swarm), or the BEP 7
// key (0 = none: not indexed; two entries may share one).
struct ByEndpoint {
    using Key = Endpoint;
    static constexpr bool kSkipZero = false;
    template <class Entry>
    static Endpoint of(const Entry& e) {
        return e.endpoint();
    }
};
struct ByKey {
    using Key = std::uint64_t;
    static constexpr bool kSkipZero = true;
    template <class Entry>
    static std::uint64_t of(const Entry& e) {
        return e.key;
    }
};

template <class Field>
class BasicPeerIndex {
  public:
    using Key = typename Field::Key;
    static constexpr std::uint32_t kNotFound = 0xffffffffu;

    // Builds the index of peers[0, n).
    template <class Peers>
    BasicPeerIndex(const Peers& peers, std::uint32_t n) {
        for (std::uint32_t pos = 0; pos < n; ++pos)
            insert(Field::of(peers[pos]), pos, peers);
    }

    // Position of an entry with `id` (the first found if several), or kNotFound.
    template <class Peers>
    std::uint32_t find(const Key& id, const Peers& peers) const {
        const std::size_t i = find_slot(id, peers);
        return i == kNoSlot ? kNotFound : slots_[i] - 1;
    }

    // The entry at `pos`, whose field is `id`, was appended or changed its field.
    template <class Peers>
    void insert(const Key& id, std::uint32_t pos, const Peers& peers) {
        if (skipped(id)) return;
        if ((size_ + 1) * 2 > slots_.size())
            rehash(slots_.empty() ? kMinSlots : slots_.size() * 2, peers);
        place(id, pos);
        ++size_;
    }

    // Forgets the entry at `pos`, whose field is `id` (and which is still in `peers`).
    template <class Peers>
    void erase(const Key& id, std::uint32_t pos, const Peers& peers) {
        if (skipped(id)) return;
        std::size_t hole = slot_of(id, pos);
        // Backward shift: pull later entries of the run into the hole unless
        // that would put one before its home slot.
        for (std::size_t j = (hole + 1) & mask();; j = (j + 1) & mask()) {
            const std::uint32_t s = slots_[j];
            if (s == 0) break;
            const std::size_t home = hash_endpoint(Field::of(peers[s - 1])) & mask();
            if (((j - home) & mask()) >= ((j - hole) & mask())) {
                slots_[hole] = s;
                hole = j;
            }
        }
        slots_[hole] = 0;
        --size_;
        if (slots_.size() > kMinSlots && size_ * 8 < slots_.size())
            rehash(slots_.size() / 2, peers);
        else if (size_ == 0)
            std::vector<std::uint32_t>().swap(slots_);
    }

    // The entry with `id` moved from position `from` to `to`.
    void move(const Key& id, std::uint32_t from, std::uint32_t to) {
        if (skipped(id)) return;
        slots_[slot_of(id, from)] = to + 1;
    }

    std::size_t size() const { return size_; }
    std::size_t slots() const { return slots_.size(); }

  private:
    static constexpr std::size_t kMinSlots = 16;
    static constexpr std::size_t kNoSlot = ~std::size_t{0};

    static bool skipped(const Key& id) {
        if constexpr (Field::kSkipZero)
            return id == 0;
        else
            return false;
    }
    std::size_t mask() const { return slots_.size() - 1; }

    template <class Peers>
    std::size_t find_slot(const Key& id, const Peers& peers) const {
        if (slots_.empty() || skipped(id)) return kNoSlot;
        for (std::size_t i = hash_endpoint(id) & mask();; i = (i + 1) & mask()) {
            const std::uint32_t s = slots_[i];
            if (s == 0) return kNoSlot;  // a table at most half full always has an empty slot
            if (Field::of(peers[s - 1]) == id) return i;
        }
    }

    // The slot holding position `pos` of `id`.
    std::size_t slot_of(const Key& id, std::uint32_t pos) const {
        std::size_t i = hash_endpoint(id) & mask();
        while (slots_[i] != pos + 1)
            i = (i + 1) & mask();
        return i;
    }

    void place(const Key& id, std::uint32_t pos) {
        std::size_t i = hash_endpoint(id) & mask();
        while (slots_[i] != 0)
            i = (i + 1) & mask();
        slots_[i] = pos + 1;
    }

    template <class Peers>
    void rehash(std::size_t n, const Peers& peers) {
        std::vector<std::uint32_t> old(n, 0);
        old.swap(slots_);
        for (const std::uint32_t s : old)
            if (s != 0) place(Field::of(peers[s - 1]), s - 1);
    }

    std::vector<std::uint32_t> slots_;
    std::size_t size_ = 0;
};

// Endpoint -> position: every entry, one per endpoint.
using PeerIndex = BasicPeerIndex<ByEndpoint>;
// BEP 7 key -> position: entries with a key only.
using KeyIndex = BasicPeerIndex<ByKey>;

}  // namespace mt::tracker
