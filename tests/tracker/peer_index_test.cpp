#include "tracker/peer_index.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace mt::tracker {
namespace {

struct Entry {
    Endpoint ep;
    Endpoint endpoint() const { return ep; }
};

// Peer n: most share one address (127.0.0.1) and differ in the port; every
// 64th is on another address, so both halves of the key vary.
Endpoint client_id(std::uint64_t n) {
    return make_endpoint(0x7f000001u + static_cast<std::uint32_t>(n / 64) * 0x100u,
                         static_cast<std::uint16_t>(1024 + n));
}
std::uint64_t number_of(Endpoint e) {
    return e.port - 1024u;
}

// The array and its index kept in step the way a swarm does: append, and
// remove by moving the last entry into the hole.
struct Swarm {
    std::vector<Entry> peers;
    PeerIndex index{peers, 0};

    void add(Endpoint id) {
        peers.push_back({id});
        index.insert(id, static_cast<std::uint32_t>(peers.size() - 1), peers);
    }
    void remove(Endpoint id) {
        const std::uint32_t pos = index.find(id, peers);
        ASSERT_NE(pos, PeerIndex::kNotFound);
        const auto last = static_cast<std::uint32_t>(peers.size() - 1);
        index.erase(id, pos, peers);
        if (pos != last) {
            peers[pos] = peers[last];
            index.move(peers[pos].ep, last, pos);
        }
        peers.pop_back();
    }
    void check_all_found() const {
        ASSERT_EQ(index.size(), peers.size());
        for (std::uint32_t i = 0; i < peers.size(); ++i)
            ASSERT_EQ(index.find(peers[i].ep, peers), i) << "entry " << i;
    }
};

TEST(PeerIndex, EmptyFindsNothing) {
    std::vector<Entry> none;
    PeerIndex index(none, 0);
    EXPECT_EQ(index.find(client_id(1), none), PeerIndex::kNotFound);
    EXPECT_EQ(index.size(), 0u);
    EXPECT_EQ(index.slots(), 0u);
}

TEST(PeerIndex, BuildsFromAnArray) {
    std::vector<Entry> peers;
    for (int i = 0; i < 40; ++i)
        peers.push_back({client_id(static_cast<std::uint64_t>(i))});
    PeerIndex index(peers, 40);
    for (std::uint32_t i = 0; i < 40; ++i)
        EXPECT_EQ(index.find(peers[i].ep, peers), i);
    EXPECT_EQ(index.find(client_id(40), peers), PeerIndex::kNotFound);
    EXPECT_GE(index.slots(), 80u);  // at most half full
}

// Random adds and removes against a std::unordered_map, through growth and
// shrinking of the table; after each step every entry is found at its place
// and removed ids are not found.
TEST(PeerIndex, MatchesAMapUnderChurn) {
    std::mt19937 rng(7);
    Swarm s;
    std::unordered_map<std::uint64_t, bool> live;
    std::vector<std::uint64_t> gone;
    for (int step = 0; step < 20000; ++step) {
        // Phases that grow to about 1500 entries, then shrink to a few.
        const bool growing = (step / 2500) % 2 == 0;
        const std::uint64_t n = rng() % 3000;
        if ((rng() % 10 < 8) == growing && !live.count(n)) {
            s.add(client_id(n));
            live[n] = true;
        } else if (!s.peers.empty()) {
            const auto victim = s.peers[rng() % s.peers.size()].ep;
            ASSERT_NO_FATAL_FAILURE(s.remove(victim));
            const std::uint64_t v = number_of(victim);
            live.erase(v);
            gone.push_back(v);
        }
        if (step % 97 == 0 || s.peers.size() < 40) {
            ASSERT_NO_FATAL_FAILURE(s.check_all_found());
            for (std::size_t i = gone.size() > 20 ? gone.size() - 20 : 0; i < gone.size(); ++i)
                if (!live.count(gone[i])) {
                    ASSERT_EQ(s.index.find(client_id(gone[i]), s.peers), PeerIndex::kNotFound);
                }
            ASSERT_LE(s.index.size() * 2, s.index.slots());
        }
    }
    ASSERT_NO_FATAL_FAILURE(s.check_all_found());
}

TEST(PeerIndex, ShrinksWithTheSwarm) {
    Swarm s;
    for (std::uint64_t i = 0; i < 4096; ++i)
        s.add(client_id(i));
    EXPECT_GE(s.index.slots(), 8192u);
    while (s.peers.size() > 10)
        s.remove(s.peers.front().ep);
    ASSERT_NO_FATAL_FAILURE(s.check_all_found());
    EXPECT_LE(s.index.slots(), 128u);
}

// The key index leaves out key 0 and holds several entries of one key.
TEST(PeerIndex, KeyIndexSkipsZeroAndKeepsDuplicates) {
    struct Keyed {
        std::uint32_t key;
    };
    std::vector<Keyed> peers = {{0}, {7}, {7}, {0}, {9}};
    KeyIndex index(peers, 5);
    EXPECT_EQ(index.size(), 3u);
    EXPECT_EQ(index.find(0, peers), KeyIndex::kNotFound);
    EXPECT_EQ(index.find(9, peers), 4u);
    const std::uint32_t first = index.find(7, peers);
    ASSERT_TRUE(first == 1u || first == 2u);
    index.erase(7, first, peers);  // the other 7 is still found
    EXPECT_EQ(index.find(7, peers), first == 1u ? 2u : 1u);
    index.erase(0, 0, peers);  // not indexed: nothing happens
    EXPECT_EQ(index.size(), 2u);
}

// Endpoints that differ only in the low bits of the port, on one address,
// still spread over the table.
TEST(PeerIndex, HashSpreadsPortsOfOneAddress) {
    std::set<std::uint64_t> buckets;
    for (std::uint64_t i = 0; i < 1024; ++i)
        buckets.insert(
            hash_endpoint(make_endpoint(0x7f000001u, static_cast<std::uint16_t>(6881 + i))) & 1023);
    EXPECT_GT(buckets.size(), 550u);  // 1024 random throws fill about 647
}

}  // namespace
}  // namespace mt::tracker
