#include <gtest/gtest.h>

#include "client/dht/peer_store.h"
#include "client/dht/tokens.h"

namespace mt::client::dht {
namespace {

using common::wire::krpc::Endpoint;

common::InfoHash hash_of(std::uint8_t b) {
    common::InfoHash h;
    h.bytes.fill(b);
    return h;
}

TEST(DhtTokens, BoundToTheAddressAndValidForTwoRotations) {
    Tokens t(Tokens::Secret{1});
    const common::IpAddr a(0x7f000001), b(0x7f000002);
    const std::string tok = t.make(a);
    EXPECT_EQ(tok.size(), 8u);
    EXPECT_TRUE(t.check(tok, a));
    EXPECT_FALSE(t.check(tok, b));
    EXPECT_FALSE(t.check(tok.substr(0, 7), a));
    t.rotate(Tokens::Secret{2});
    EXPECT_TRUE(t.check(tok, a));  // the previous secret still counts
    t.rotate(Tokens::Secret{3});
    EXPECT_FALSE(t.check(tok, a));
}

TEST(DhtPeerStore, AnnouncesAreKeptBoundedAndExpire) {
    PeerStore::Options o;
    o.max_torrents = 2;
    o.max_peers = 3;
    o.ttl_ms = 1000;
    PeerStore s(o);
    const Endpoint p1{common::IpAddr(0x0a000001), 1}, p2{common::IpAddr(0x0a000002), 2};
    s.announce(hash_of(1), p1, false, 0);
    s.announce(hash_of(1), p2, true, 10);
    s.announce(hash_of(1), p1, true, 20);  // the same peer again: refreshed, not added
    EXPECT_EQ(s.peers(), 2u);
    // A full swarm replaces its oldest entry.
    s.announce(hash_of(1), {common::IpAddr(0x0a000003), 3}, false, 30);
    s.announce(hash_of(1), {common::IpAddr(0x0a000004), 4}, false, 40);
    EXPECT_EQ(s.get(hash_of(1), true, 10, 40, 0).size(), 3u);
    // A full store: a newcomer takes only a swarm of one's place.
    s.announce(hash_of(2), p1, false, 50);
    s.announce(hash_of(3), p1, false, 60);  // hash 2 (one peer) gives way
    EXPECT_EQ(s.torrents(), 2u);
    EXPECT_TRUE(s.get(hash_of(2), true, 10, 60, 0).empty());
    s.announce(hash_of(3), p2, false, 61);
    s.announce(hash_of(4), p1, false, 62);  // both swarms hold more than one: refused
    EXPECT_TRUE(s.get(hash_of(4), true, 10, 62, 0).empty());
    // Families are answered apart; stale entries are not answered, then expire.
    EXPECT_TRUE(s.get(hash_of(3), false, 10, 62, 0).empty());
    EXPECT_TRUE(s.get(hash_of(1), true, 10, 2000, 0).empty());
    s.expire(2000);
    EXPECT_EQ(s.torrents(), 0u);
}

}  // namespace
}  // namespace mt::client::dht
