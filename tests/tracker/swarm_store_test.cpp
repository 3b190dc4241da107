#include "tracker/swarm_store.h"

#include <gtest/gtest.h>

#include "common/metainfo.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace mt::tracker {
namespace {

using common::InfoHash;
using common::PeerId;

struct RecordingSequencer : Sequencer {
    std::uint64_t next = 0;
    std::vector<Change> log;
    std::uint64_t sequence(Change& c) override {
        c.seq = ++next;
        log.push_back(c);
        return next;
    }
};

InfoHash hash(int i) {
    InfoHash h;
    h.bytes[0] = static_cast<std::uint8_t>(i);
    h.bytes[19] = static_cast<std::uint8_t>(i * 7);
    return h;
}
PeerId peer(int i) {
    PeerId p;
    p.bytes[0] = static_cast<std::uint8_t>(i);
    p.bytes[1] = static_cast<std::uint8_t>(i >> 8);
    return p;
}

AnnounceInput ann(int torrent, int p, std::uint64_t left, AnnounceEvent ev = AnnounceEvent::none) {
    AnnounceInput in;
    in.info_hash = hash(torrent);
    in.peer_id = peer(p);
    in.ip = 0x7f000001;
    in.port = static_cast<std::uint16_t>(10000 + p);
    in.left = left;
    in.event = ev;
    return in;
}

// A real .mtorrent (apply() takes the name from the bytes); `salt` makes
// different files of one name.
std::string real_meta(const std::string& name, char salt = 'x') {
    return common::encode_metainfo(common::make_single_file_metainfo(
        name, 1000, 1024, std::string(20, salt), {"http://127.0.0.1:1/announce"}, 1, "test"));
}

class Store : public ::testing::Test {
  protected:
    RecordingSequencer seq;
    SwarmStore store{1, StoreLimits{}, seq};
};

// BEP 7: IPv6 peers live beside IPv4 ones (one key per endpoint, the same
// port on both families is two peers); a reply holds the families the
// transport can carry; a snapshot round-trips them; the digest sees them.
TEST_F(Store, Ipv6PeersBesideIpv4) {
    const common::IpAddr v6 = *common::IpAddr::parse("2001:db8::1");
    auto a = ann(1, 1, 100, AnnounceEvent::started);
    store.announce(a, 1000);
    auto b = ann(1, 1, 100, AnnounceEvent::started);
    b.ip = v6;  // same port, other family
    auto rb = store.announce(b, 1001);
    ASSERT_EQ(rb.peers.size(), 1u);
    EXPECT_TRUE(rb.peers[0].ip.is_v4());
    EXPECT_EQ(store.counts().peers, 2u);
    auto c = ann(1, 3, 100, AnnounceEvent::started);
    auto all = store.announce(c, 1002);
    EXPECT_EQ(all.peers.size(), 2u);
    c.event = AnnounceEvent::none;
    c.want_v6 = false;  // UDP over IPv4
    auto only4 = store.announce(c, 1003);
    ASSERT_EQ(only4.peers.size(), 1u);
    EXPECT_TRUE(only4.peers[0].ip.is_v4());
    c.want_v4 = false;
    c.want_v6 = true;  // UDP over IPv6
    auto only6 = store.announce(c, 1004);
    ASSERT_EQ(only6.peers.size(), 1u);
    EXPECT_EQ(only6.peers[0].ip, v6);
    // Its stop removes it alone, as a replicated peer_remove of its endpoint.
    b.event = AnnounceEvent::stopped;
    store.announce(b, 1005);
    EXPECT_EQ(store.counts().peers, 2u);
    ASSERT_FALSE(seq.log.empty());
    EXPECT_EQ(seq.log.back().kind, Change::Kind::peer_remove);
    EXPECT_EQ(seq.log.back().ip, v6);
    // Everything the dump gives applies to an empty store as the same state.
    RecordingSequencer seq2;
    SwarmStore copy{2, StoreLimits{}, seq2};
    store.dump([&](const Change& ch) { copy.apply(ch, 2000); });
    EXPECT_EQ(copy.digest_hex(), store.digest_hex());
    store.announce(b, 1006);  // back (a stop of a gone peer changes nothing)
    auto b2 = b;
    b2.event = AnnounceEvent::started;
    store.announce(b2, 1007);
    EXPECT_NE(copy.digest_hex(), store.digest_hex());
}

TEST_F(Store, AnnounceAddsPeersAndNeverReturnsTheAsker) {
    auto r1 = store.announce(ann(1, 1, 100, AnnounceEvent::started), 1000);
    EXPECT_TRUE(r1.changed);
    EXPECT_TRUE(r1.peers.empty());
    EXPECT_EQ(r1.incomplete, 1u);
    auto r2 = store.announce(ann(1, 2, 0, AnnounceEvent::started), 1001);
    ASSERT_EQ(r2.peers.size(), 1u);
    EXPECT_EQ(r2.peers[0].ip, 0x7f000001u);
    EXPECT_EQ(r2.peers[0].port, 10001);
    EXPECT_EQ(r2.complete, 1u);
    EXPECT_EQ(r2.incomplete, 1u);
    ASSERT_EQ(seq.log.size(), 2u);
    EXPECT_EQ(seq.log[1].kind, Change::Kind::peer_put);
    EXPECT_EQ(seq.log[1].origin, 1);
    EXPECT_EQ(seq.log[1].seq, 2u);
}

TEST_F(Store, SameAddressWithNewPeerIdIsNotReturned) {
    store.announce(ann(1, 1, 100), 1000);
    auto in = ann(1, 2, 100);
    in.port = 10001;  // same ip:port as peer 1, e.g. a restarted client
    EXPECT_TRUE(store.announce(in, 1001).peers.empty());
}

// Finding 8 of issue 12: peers are keyed by endpoint, so another address
// cannot stop or move a peer by sending its peer id.
TEST_F(Store, AnotherAddressCannotStopOrMoveAPeer) {
    auto victim = ann(1, 1, 100, AnnounceEvent::started);
    victim.key = 0xabcd;
    store.announce(victim, 1000);
    auto attacker = ann(1, 1, 100, AnnounceEvent::stopped);  // the victim's peer id and port
    attacker.ip = 0x7f000002;
    store.announce(attacker, 1001);
    attacker.key = 0xabce;  // a wrong key
    store.announce(attacker, 1002);
    attacker.event = AnnounceEvent::started;
    attacker.port = 20000;
    const auto r = store.announce(attacker, 1003);
    EXPECT_FALSE(r.moved);
    ASSERT_EQ(r.peers.size(), 1u);  // the victim, where it was
    EXPECT_EQ(r.peers[0].ip, 0x7f000001u);
    EXPECT_EQ(r.peers[0].port, 10001);
    EXPECT_EQ(store.counts().peers, 2u);
}

// BEP 7: the holder of an entry's key may move it to a new address.
TEST_F(Store, TheKeyMovesItsEntryToANewAddress) {
    auto in = ann(1, 1, 100, AnnounceEvent::started);
    in.key = 0xabcd;
    store.announce(in, 1000);
    store.announce(ann(1, 2, 100, AnnounceEvent::started), 1001);
    in.ip = 0x7f000002;
    in.event = AnnounceEvent::none;
    const std::size_t before = seq.log.size();
    const auto r = store.announce(in, 1002);
    EXPECT_TRUE(r.moved);
    EXPECT_TRUE(r.changed);
    EXPECT_EQ(store.counts().peers, 2u);
    ASSERT_EQ(seq.log.size(), before + 2);
    EXPECT_EQ(seq.log[before].kind, Change::Kind::peer_remove);
    EXPECT_EQ(seq.log[before].ip, 0x7f000001u);
    EXPECT_EQ(seq.log[before + 1].kind, Change::Kind::peer_put);
    EXPECT_EQ(seq.log[before + 1].ip, 0x7f000002u);
    EXPECT_EQ(seq.log[before + 1].key, 0xabcdu);
    EXPECT_EQ(r.ticket, seq.log[before + 1].seq);
    // Peer 2 now sees it at the new address only.
    const auto r2 = store.announce(ann(1, 2, 100), 1003);
    ASSERT_EQ(r2.peers.size(), 1u);
    EXPECT_EQ(r2.peers[0].ip, 0x7f000002u);
    // A stop from yet another address with the key removes it.
    in.ip = 0x7f000003;
    in.event = AnnounceEvent::stopped;
    store.announce(in, 1004);
    EXPECT_EQ(store.counts().peers, 1u);
    // The other tracker, fed the changes, agrees.
    RecordingSequencer s2;
    SwarmStore other(2, StoreLimits{}, s2);
    for (const auto& c : seq.log)
        other.apply(c, 2000);
    EXPECT_EQ(other.digest_hex(), store.digest_hex());
}

// BEP 7: a peer that listens on both families announces over each with one
// key. Its IPv6 entry and its IPv4 entry are two ways to reach it, not a
// move: the key moves an entry within its own family only, in small swarms
// (a scan) and big ones (the KeyIndex).
TEST_F(Store, TheKeyMovesAnEntryWithinItsFamilyOnly) {
    const auto v6 = [](const char* text) { return *common::IpAddr::parse(text); };
    for (const int n : {1, 200}) {
        const int t = 50 + n;
        for (int p = 2; p <= n; ++p)
            store.announce(ann(t, p, 100, AnnounceEvent::started), 1000);
        auto in = ann(t, 1, 0, AnnounceEvent::started);
        in.key = 0x5eed;
        EXPECT_FALSE(store.announce(in, 1001).moved);
        auto in6 = in;
        in6.ip = v6("2001:db8::1");
        EXPECT_FALSE(store.announce(in6, 1002).moved) << n;
        in6.event = AnnounceEvent::none;
        EXPECT_FALSE(store.announce(in6, 1003).moved) << n;
        in.event = AnnounceEvent::none;
        EXPECT_FALSE(store.announce(in, 1004).moved) << n;
        EXPECT_EQ(store.scrape(hash(t)).complete, 2u) << n;
        // Within a family the key still moves its entry.
        in6.ip = v6("2001:db8::2");
        EXPECT_TRUE(store.announce(in6, 1005).moved) << n;
        in.ip = 0x7f000002;
        EXPECT_TRUE(store.announce(in, 1006).moved) << n;
        EXPECT_EQ(store.scrape(hash(t)).complete, 2u) << n;
        if (n == 1) {  // a reply holds a sample of a big swarm
            auto asker = ann(t, 999, 100);
            asker.want_v6 = true;
            const auto r = store.announce(asker, 1007);
            std::set<std::string> seen;
            for (const auto& pa : r.peers)
                if (pa.port == 10001) seen.insert(pa.ip.to_string());
            EXPECT_EQ(seen, (std::set<std::string>{"127.0.0.2", "2001:db8::2"}));
        }
        // A stop over IPv6 takes the IPv6 entry only.
        in6.ip = v6("2001:db8::3");
        in6.event = AnnounceEvent::stopped;
        store.announce(in6, 1008);
        EXPECT_EQ(store.scrape(hash(t)).complete, 1u) << n;
    }
}

// Moves by key in small swarms (a scan) and big ones (the KeyIndex), with
// keys changed, entries moved around the array by removals, and the swarm
// shrinking back below the index.
TEST_F(Store, KeysFindTheirEntryOnBothSidesOfTheIndex) {
    for (const int n : {10, 200}) {
        const int t = n;  // a torrent per size
        auto in_of = [&](int p) {
            auto in = ann(t, p, 100, AnnounceEvent::started);
            in.key = static_cast<std::uint32_t>(5000 + p);
            return in;
        };
        for (int p = 0; p < n; ++p)
            store.announce(in_of(p), 1000 + p);
        std::int64_t now = 10000;
        // Every third peer moves to 127.0.0.2 with its key.
        for (int p = 0; p < n; p += 3) {
            auto in = in_of(p);
            in.ip = 0x7f000002;
            in.event = AnnounceEvent::none;
            ASSERT_TRUE(store.announce(in, ++now).moved) << n << " peer " << p;
        }
        // Every sixth (none of them moved) takes a new key at its own endpoint:
        // the old one no longer moves it.
        for (int p = 1; p < n; p += 6) {
            auto in = in_of(p);
            in.key = static_cast<std::uint32_t>(90000 + p);
            in.event = AnnounceEvent::none;
            store.announce(in, ++now);
            auto thief = in_of(p);
            thief.ip = 0x7f000003;
            EXPECT_FALSE(store.announce(thief, ++now).moved) << n << " peer " << p;
            thief.key = in.key;
            thief.ip = 0x7f000004;
            EXPECT_TRUE(store.announce(thief, ++now).moved) << n << " peer " << p;
        }
        // The thieves without the key made entries of their own: stop them, then
        // stop most peers through their keys from yet another address.
        for (int p = 1; p < n; p += 6) {
            auto thief = in_of(p);
            thief.ip = 0x7f000003;
            thief.key = 0;
            thief.event = AnnounceEvent::stopped;
            store.announce(thief, ++now);
        }
        EXPECT_EQ(store.scrape(hash(t)).incomplete, static_cast<std::uint32_t>(n));
        auto key_of = [](int p) {
            return static_cast<std::uint32_t>((p % 6 == 1 ? 90000 : 5000) + p);
        };
        for (int p = 0; p < n - 4; ++p) {
            auto in = in_of(p);
            in.key = key_of(p);
            in.ip = 0x7f000009;
            in.event = AnnounceEvent::stopped;
            store.announce(in, ++now);
        }
        EXPECT_EQ(store.scrape(hash(t)).incomplete, 4u) << n;
        // The last four still move.
        for (int p = n - 4; p < n; ++p) {
            auto in = in_of(p);
            in.key = key_of(p);
            in.ip = 0x7f00000a;
            EXPECT_TRUE(store.announce(in, ++now).moved) << n << " peer " << p;
        }
        EXPECT_EQ(store.scrape(hash(t)).incomplete, 4u) << n;
    }
}

// A new key from the same endpoint is a change (the partner must learn it).
TEST_F(Store, ANewKeyIsNotARefresh) {
    auto in = ann(1, 1, 100, AnnounceEvent::started);
    in.key = 1;
    store.announce(in, 1000);
    in.event = AnnounceEvent::none;
    EXPECT_TRUE(store.announce(in, 1001).refreshed);
    in.key = 2;
    const auto r = store.announce(in, 1002);
    EXPECT_FALSE(r.refreshed);
    EXPECT_TRUE(r.changed);
    EXPECT_EQ(seq.log.back().key, 2u);
}

TEST_F(Store, RefreshIsNotAChange) {
    store.announce(ann(1, 1, 100, AnnounceEvent::started), 1000);
    auto r = store.announce(ann(1, 1, 50), 2000);
    EXPECT_FALSE(r.changed);
    EXPECT_TRUE(r.refreshed);
    EXPECT_EQ(seq.log.size(), 1u);
    // Becoming a seeder is a change.
    auto done = store.announce(ann(1, 1, 0, AnnounceEvent::completed), 3000);
    EXPECT_TRUE(done.changed);
    EXPECT_EQ(done.complete, 1u);
    EXPECT_EQ(store.scrape(hash(1)).downloaded, 1u);
}

TEST_F(Store, StoppedRemovesAndLeavesATombstone) {
    store.announce(ann(1, 1, 100), 1000);
    auto r = store.announce(ann(1, 1, 100, AnnounceEvent::stopped), 2000);
    EXPECT_TRUE(r.changed);
    EXPECT_EQ(seq.log.back().kind, Change::Kind::peer_remove);
    EXPECT_EQ(store.counts().peers, 0u);
    EXPECT_EQ(store.counts().tombstones, 1u);
    // An older put arriving late (from the other tracker) does not resurrect it.
    Change late = seq.log.front();
    late.origin = 2;
    EXPECT_FALSE(store.apply(late, 2500));
    EXPECT_EQ(store.counts().peers, 0u);
    // Stopping an unknown peer still leaves a tombstone (see below).
    EXPECT_TRUE(store.announce(ann(2, 9, 0, AnnounceEvent::stopped), 2000).changed);
    EXPECT_EQ(seq.log.back().kind, Change::Kind::peer_remove);
    EXPECT_EQ(store.counts().tombstones, 2u);
    EXPECT_EQ(store.counts().peers, 0u);
}

// Tracker 2 was down while a peer started at tracker 1; then tracker 1 was
// down while the peer stopped at tracker 2, which had never heard of it. The
// acknowledged stop must win once the two meet again.
TEST_F(Store, StopOfAPeerOnlyTheOtherTrackerKnowsWins) {
    RecordingSequencer s1, s2;
    SwarmStore a(1, StoreLimits{}, s1), b(2, StoreLimits{}, s2);
    ASSERT_TRUE(a.announce(ann(1, 1, 10, AnnounceEvent::started), 1000).changed);
    const auto r = b.announce(ann(1, 1, 10, AnnounceEvent::stopped), 2000);
    EXPECT_TRUE(r.changed);
    EXPECT_NE(r.ticket, 0u);
    for (const auto& c : s1.log)
        b.apply(c, 3000);
    for (const auto& c : s2.log)
        a.apply(c, 3000);
    EXPECT_EQ(a.counts().peers, 0u);
    EXPECT_EQ(b.counts().peers, 0u);
    EXPECT_EQ(a.digest_hex(), b.digest_hex());
}

// A peer stopped at tracker 1 (the remove not yet replicated: tracker 1 went
// down) and then started again at tracker 2, which still held it from before.
// The acknowledged start is newer than the remove and must survive it.
TEST_F(Store, StartAfterAnUnseenStopIsNotARefresh) {
    RecordingSequencer s1, s2;
    SwarmStore a(1, StoreLimits{}, s1), b(2, StoreLimits{}, s2);
    a.announce(ann(1, 1, 10, AnnounceEvent::started), 1000);
    b.apply(s1.log.back(), 1000);
    a.announce(ann(1, 1, 10, AnnounceEvent::stopped), 2000);
    const auto r = b.announce(ann(1, 1, 10, AnnounceEvent::started), 3000);
    EXPECT_TRUE(r.changed);
    EXPECT_FALSE(r.refreshed);
    for (const auto& c : s1.log)
        b.apply(c, 4000);
    for (const auto& c : s2.log)
        a.apply(c, 4000);
    EXPECT_EQ(a.counts().peers, 1u);
    EXPECT_EQ(b.counts().peers, 1u);
    EXPECT_EQ(a.digest_hex(), b.digest_hex());
}

TEST_F(Store, NumwantAndSeederGetsOnlyLeechers) {
    for (int p = 1; p <= 30; ++p)
        store.announce(ann(1, p, p % 2 ? 0 : 10), 1000);
    auto in = ann(1, 100, 10);
    in.numwant = 7;
    EXPECT_EQ(store.announce(in, 1001).peers.size(), 7u);
    auto seed = ann(1, 101, 0);
    seed.numwant = 100;
    auto r = store.announce(seed, 1002);
    EXPECT_EQ(r.peers.size(), 16u);  // the 15 even leechers + peer 100
}

TEST_F(Store, ExpiryRemovesStalePeersAsChanges) {
    store.announce(ann(1, 1, 10), 1000);
    store.announce(ann(1, 2, 10), 5000);
    EXPECT_EQ(store.expire(6500, 3000, 100000), 1u);
    EXPECT_EQ(store.counts().peers, 1u);
    EXPECT_EQ(seq.log.back().kind, Change::Kind::peer_remove);
    // A touch keeps a peer alive.
    store.touch({hash(1), 0x7f000001, 10002, 9000, 10});
    EXPECT_EQ(store.expire(11000, 3000, 100000), 0u);
    // Tombstones are forgotten after their TTL, and empty torrents with them.
    EXPECT_EQ(store.expire(20000, 3000, 1000), 1u);
    store.expire(30000, 3000, 1000);
    EXPECT_EQ(store.counts().tombstones, 0u);
    EXPECT_EQ(store.counts().torrents, 0u);
}

TEST_F(Store, LimitsRefuseWithAReason) {
    RecordingSequencer s2;
    StoreLimits limits;
    limits.max_peers = 2;
    limits.max_torrents = 2;
    SwarmStore small(1, limits, s2);
    EXPECT_TRUE(small.announce(ann(1, 1, 1), 1).refused.empty());
    EXPECT_TRUE(small.announce(ann(1, 2, 1), 1).refused.empty());
    EXPECT_NE(small.announce(ann(1, 3, 1), 1).refused.find("peer limit"), std::string::npos);
    // A known peer may still refresh.
    EXPECT_TRUE(small.announce(ann(1, 2, 1), 2).refused.empty());
    EXPECT_EQ(small.counts().peers, 2u);
}

TEST_F(Store, PublishSearchAndWithdraw) {
    EXPECT_TRUE(store.publish(hash(5), "bytes-of-ubuntu", "Ubuntu-24.04.iso", 123, 1000).stored);
    EXPECT_TRUE(store.publish(hash(6), "bytes-of-debian", "debian.iso", 456, 1000).stored);
    store.announce(ann(5, 1, 0), 1000);
    auto hits = store.search("UBUNTU", 10);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].name, "Ubuntu-24.04.iso");
    EXPECT_EQ(hits[0].size, 123u);
    EXPECT_EQ(hits[0].seeders, 1u);
    EXPECT_EQ(store.search(".iso", 10).size(), 2u);
    EXPECT_EQ(store.search(".iso", 1).size(), 1u);
    EXPECT_EQ(*store.metainfo(hash(6)), "bytes-of-debian");
    store.withdraw(hash(6), 2000);
    EXPECT_FALSE(store.metainfo(hash(6)).has_value());
    EXPECT_EQ(seq.log.back().kind, Change::Kind::metainfo_remove);
}

// Only the owner mark given at publish takes a file back; the mark travels
// with the change (journal, replication, snapshot).
TEST_F(Store, WithdrawOwnedNeedsTheOwner) {
    const std::string owner(32, 'o');
    EXPECT_TRUE(store.publish(hash(5), "bytes", "two.dat", 5, 1000, owner).stored);
    EXPECT_TRUE(store.publish(hash(6), "other", "three.dat", 5, 1000).stored);  // no owner
    EXPECT_EQ(seq.log.back().owner, "");
    EXPECT_EQ(seq.log[seq.log.size() - 2].owner, owner);
    EXPECT_EQ(store.withdraw_owned(hash(5), std::string(32, 'x'), 2000).status,
              WithdrawResult::Status::not_owner);
    EXPECT_EQ(store.withdraw_owned(hash(6), std::string(32, 'x'), 2000).status,
              WithdrawResult::Status::not_owner)
        << "a file published without an owner cannot be withdrawn";
    EXPECT_EQ(store.withdraw_owned(hash(7), owner, 2000).status,
              WithdrawResult::Status::not_published);
    RecordingSequencer s2;
    SwarmStore replica(2, StoreLimits{}, s2);
    store.dump([&](const Change& c) { replica.apply(c, 2000); });
    EXPECT_EQ(replica.digest_hex(), store.digest_hex());
    auto w = store.withdraw_owned(hash(5), owner, 3000);
    EXPECT_EQ(w.status, WithdrawResult::Status::withdrawn);
    EXPECT_NE(w.ticket, 0u);
    EXPECT_FALSE(store.metainfo(hash(5)).has_value());
    EXPECT_TRUE(store.search("two.dat", 10).empty());
    // The replica holds the owner too: its own withdraw works the same.
    EXPECT_EQ(replica.withdraw_owned(hash(5), owner, 3000).status,
              WithdrawResult::Status::withdrawn);
}

// The property replication rests on: two stores that apply the same changes
// in different orders, with duplicates, end in the same state.
TEST_F(Store, ConvergesWhateverTheOrder) {
    RecordingSequencer s1, s2;
    SwarmStore a(1, StoreLimits{}, s1), b(2, StoreLimits{}, s2);
    std::mt19937 rng(42);
    for (int i = 0; i < 2000; ++i) {
        SwarmStore& target = rng() % 2 ? a : b;
        const int t = static_cast<int>(rng() % 5), p = static_cast<int>(rng() % 40);
        const auto ev = rng() % 4 == 0 ? AnnounceEvent::stopped : AnnounceEvent::none;
        target.announce(ann(t, p, rng() % 3 == 0 ? 0 : 10, ev),
                        1000 + i / 3);  // same-ms collisions
    }
    // Deliver each side's changes to the other, shuffled and duplicated.
    auto deliver = [&](std::vector<Change> changes, SwarmStore& to) {
        const auto copy = changes;
        changes.insert(changes.end(), copy.begin(), copy.end());
        std::shuffle(changes.begin(), changes.end(), rng);
        for (const auto& c : changes)
            to.apply(c, 5000);
    };
    deliver(s1.log, b);
    deliver(s2.log, a);
    EXPECT_EQ(a.digest_hex(), b.digest_hex());
    EXPECT_EQ(a.counts().peers, b.counts().peers);
    EXPECT_GT(a.counts().peers, 0u);
}

TEST_F(Store, DumpRebuildsTheSameState) {
    for (int p = 0; p < 50; ++p)
        store.announce(ann(p % 7, p, p % 3 ? 10 : 0), 1000 + p);
    store.announce(ann(1, 1, 0, AnnounceEvent::stopped), 2000);
    store.publish(hash(3), "meta", "x", 1, 2000);
    RecordingSequencer s2;
    SwarmStore copy(2, StoreLimits{}, s2);
    std::size_t n = 0;
    store.dump([&](const Change& c) {
        ++n;
        copy.apply(c, 3000);
    });
    EXPECT_GT(n, 50u);
    EXPECT_EQ(copy.digest_hex(), store.digest_hex());
    EXPECT_EQ(copy.counts().tombstones, store.counts().tombstones);
    EXPECT_TRUE(s2.log.empty()) << "applying is never re-sequenced";
}

// Swarms are searched by a scan while small and through an index past a few
// dozen peers (dropped again when they shrink): random announces on one swarm
// that grows and shrinks across that boundary many times, checked after each
// against a model of who is in it.
TEST_F(Store, SwarmGrowingAndShrinkingAcrossTheIndexKeepsEveryPeer) {
    std::mt19937 rng(3);
    std::map<int, std::uint64_t> live;  // peer -> left
    std::set<int> tombstones;
    std::int64_t now = 1000;
    for (int step = 0; step < 6000; ++step) {
        const bool growing = (step / 400) % 2 == 0;  // up to about 90 peers, down to a few
        const int p = static_cast<int>(rng() % 100);
        const bool stop = rng() % 10 < (growing ? 1u : 8u);
        const std::uint64_t left = rng() % 4 == 0 ? 0 : 1 + rng() % 50;
        AnnounceEvent ev = stop ? AnnounceEvent::stopped : AnnounceEvent::none;
        if (!stop && rng() % 5 == 0) ev = AnnounceEvent::started;
        const auto r = store.announce(ann(1, p, left, ev), ++now);
        const auto held = live.find(p);
        if (stop) {
            ASSERT_TRUE(r.changed);
            if (held != live.end()) live.erase(held);
            tombstones.insert(p);
        } else {
            const bool refresh = held != live.end() && ev == AnnounceEvent::none &&
                                 (held->second == 0) == (left == 0);
            ASSERT_EQ(r.refreshed, refresh) << "step " << step << " peer " << p;
            ASSERT_EQ(r.changed, !refresh);
            live[p] = left;
            tombstones.erase(p);
            // Every other peer (only leechers for a seeder) up to numwant 50.
            std::size_t others = 0;
            for (const auto& [q, l] : live)
                if (q != p && (left != 0 || l != 0)) ++others;
            ASSERT_EQ(r.peers.size(), std::min<std::size_t>(others, 50));
            for (const auto& e : r.peers) {
                ASSERT_NE(e.port, 10000 + p);
                ASSERT_EQ(live.count(e.port - 10000), 1u);
            }
        }
        std::uint32_t seeders = 0;
        for (const auto& [q, l] : live)
            seeders += l == 0;
        const auto sc = store.scrape(hash(1));
        ASSERT_EQ(sc.complete, seeders) << "step " << step;
        ASSERT_EQ(sc.incomplete, live.size() - seeders);
        ASSERT_EQ(store.counts().tombstones, tombstones.size());
        if (step % 500 == 499) {
            // The same peers announced afresh into another store: same digest.
            RecordingSequencer s2;
            SwarmStore fresh(2, StoreLimits{}, s2);
            for (const auto& [q, l] : live)
                fresh.announce(ann(1, q, l, AnnounceEvent::started), now);
            ASSERT_EQ(fresh.digest_hex(), store.digest_hex()) << "step " << step;
        }
    }
}

// Replicated puts and removes find the entry they replace, whether the swarm
// is scanned or indexed, and an older change never overwrites a newer one.
TEST_F(Store, ApplyFindsPeersOnBothSidesOfTheIndex) {
    for (int p = 0; p < 100; ++p)
        store.announce(ann(1, p, 10, AnnounceEvent::started), 1000);
    auto put = [&](int p, std::uint64_t left, std::int64_t time) {
        Change c = seq.log[static_cast<std::size_t>(p)];
        c.origin = 2;
        c.time_ms = time;
        c.left = left;
        return c;
    };
    for (int p = 0; p < 100; ++p) {
        EXPECT_FALSE(store.apply(put(p, 0, 500), 3000)) << p;  // older than what is held
        EXPECT_TRUE(store.apply(put(p, p % 2 ? 0 : 10, 2000), 3000)) << p;
    }
    EXPECT_EQ(store.counts().peers, 100u);
    EXPECT_EQ(store.scrape(hash(1)).complete, 50u);
    // Remove down to 5 peers in an order that moves entries around.
    for (int p = 99; p >= 5; p -= 2) {
        Change rm = put(p, 0, 2500);
        rm.kind = Change::Kind::peer_remove;
        EXPECT_TRUE(store.apply(rm, 3000));
        EXPECT_FALSE(store.apply(put(p, 10, 2400), 3000)) << "a tombstone outranks it";
    }
    for (int p = 4; p < 99; p += 2) {
        Change rm = put(p, 0, 2500);
        rm.kind = Change::Kind::peer_remove;
        EXPECT_TRUE(store.apply(rm, 3000));
    }
    EXPECT_EQ(store.counts().peers, 4u);
    EXPECT_EQ(store.counts().tombstones, 96u);
    for (int p = 0; p < 4; ++p)
        EXPECT_TRUE(store.announce(ann(1, p, p % 2 ? 0 : 10), 4000).refreshed) << p;
    // Back up past the index again: the tombstoned peers return.
    for (int p = 4; p < 100; ++p)
        EXPECT_TRUE(store.announce(ann(1, p, 10, AnnounceEvent::started), 5000).changed);
    EXPECT_EQ(store.counts().peers, 100u);
    EXPECT_EQ(store.counts().tombstones, 0u);
}

// A torrent keeps its IPv6 peers apart (with their own index once there are
// many): a big swarm of each family, refreshed, half of the IPv6 peers
// stopped, then rebuilt from a dump.
TEST_F(Store, BigSwarmsOfBothFamilies) {
    auto v6 = [](int p) { return *common::IpAddr::parse("2001:db8::" + std::to_string(p)); };
    for (int p = 0; p < 100; ++p) {
        store.announce(ann(1, p, p % 2 ? 0 : 10, AnnounceEvent::started), 1000);
        auto in = ann(1, p, p % 2 ? 0 : 10, AnnounceEvent::started);
        in.ip = v6(p);
        in.key = static_cast<std::uint32_t>(700 + p);
        store.announce(in, 1000);
    }
    EXPECT_EQ(store.scrape(hash(1)).complete, 100u);
    EXPECT_EQ(store.scrape(hash(1)).incomplete, 100u);
    for (int p = 0; p < 100; ++p) {
        auto in = ann(1, p, p % 2 ? 0 : 10);
        in.ip = v6(p);
        in.key = static_cast<std::uint32_t>(700 + p);
        EXPECT_TRUE(store.announce(in, 2000).refreshed) << p;
        EXPECT_TRUE(store.announce(ann(1, p, p % 2 ? 0 : 10), 2000).refreshed) << p;
    }
    for (int p = 0; p < 100; p += 2) {
        auto in = ann(1, p, 10, AnnounceEvent::stopped);
        in.ip = v6(p);
        store.announce(in, 3000);
    }
    EXPECT_EQ(store.counts().peers, 150u);
    EXPECT_EQ(store.scrape(hash(1)).incomplete, 50u);  // the IPv4 leechers
    // An IPv6 peer moves by its key within IPv6.
    auto moved = ann(1, 1, 0);
    moved.ip = v6(1000);
    moved.key = 701;
    EXPECT_TRUE(store.announce(moved, 3500).moved);
    EXPECT_EQ(store.counts().peers, 150u);
    RecordingSequencer s2;
    SwarmStore copy(2, StoreLimits{}, s2);
    store.dump([&](const Change& c) { copy.apply(c, 4000); });
    EXPECT_EQ(copy.digest_hex(), store.digest_hex());
    EXPECT_EQ(copy.counts().peers, 150u);
    EXPECT_EQ(copy.counts().tombstones, store.counts().tombstones);
}

// Last seen is kept in whole seconds, rounded up: a peer expires up to a
// second late, never early.
TEST_F(Store, ExpiryIsNeverEarly) {
    store.announce(ann(1, 1, 10), 1999);
    EXPECT_EQ(store.expire(5000, 3000, 100000), 0u);  // 3001 ms since: late is allowed
    EXPECT_EQ(store.expire(5001, 3000, 100000), 1u);
    store.announce(ann(1, 2, 10), 2000);
    EXPECT_EQ(store.expire(5000, 3000, 100000), 0u);  // exactly the timeout: kept
    EXPECT_EQ(store.expire(5001, 3000, 100000), 1u);
}

TEST_F(Store, ExpiryOfHalfABigSwarm) {
    for (int p = 0; p < 100; ++p)
        store.announce(ann(1, p, 10, AnnounceEvent::started), p % 2 ? 5000 : 1000);
    EXPECT_EQ(store.expire(6500, 3000, 100000), 50u);
    EXPECT_EQ(store.counts().peers, 50u);
    EXPECT_EQ(store.counts().tombstones, 50u);
    for (int p = 0; p < 100; ++p) {
        const auto r = store.announce(ann(1, p, 10), 7000);
        EXPECT_EQ(r.refreshed, p % 2 == 1) << p;
    }
    EXPECT_EQ(store.counts().peers, 100u);
    EXPECT_EQ(store.counts().tombstones, 0u);
}

// Issue 12 finding 6: a later publish of an info_hash changes nothing.
TEST_F(Store, PublishFirstWriterWins) {
    auto first = store.publish(hash(5), "honest-bytes", "report.pdf", 10, 1000);
    EXPECT_TRUE(first.stored);
    EXPECT_NE(first.ticket, 0u);
    auto again = store.publish(hash(5), "attacker-bytes", "report.pdf", 10, 2000);
    EXPECT_FALSE(again.stored);
    EXPECT_EQ(again.ticket, 0u);
    EXPECT_EQ(*store.metainfo(hash(5)), "honest-bytes");
    EXPECT_EQ(std::count_if(seq.log.begin(), seq.log.end(),
                            [](const Change& c) { return c.kind == Change::Kind::metainfo_put; }),
              1);
    // After a withdraw the info_hash may be published again.
    store.withdraw(hash(5), 3000);
    EXPECT_TRUE(store.publish(hash(5), "new-bytes", "report.pdf", 10, 4000).stored);
    EXPECT_EQ(*store.metainfo(hash(5)), "new-bytes");
}

// Two publishes of one info_hash racing on the two trackers: each tracker
// keeps its own first, and replication (last writer wins) ends both on the
// same bytes whatever the order.
TEST_F(Store, RacingPublishesConverge) {
    for (int order = 0; order < 2; ++order) {
        RecordingSequencer s1, s2;
        SwarmStore a(1, StoreLimits{}, s1), b(2, StoreLimits{}, s2);
        a.publish(hash(7), real_meta("x.iso", 'a'), "x.iso", 1, 1000);
        b.publish(hash(7), real_meta("x.iso", 'b'), "x.iso", 1, 1000 + order);
        for (const auto& c : s1.log)
            b.apply(c, 5000);
        for (const auto& c : s2.log)
            a.apply(c, 5000);
        EXPECT_EQ(a.digest_hex(), b.digest_hex());
        EXPECT_EQ(*a.metainfo(hash(7)), *b.metainfo(hash(7)));
        EXPECT_EQ(a.search("x.iso", 10).size(), 1u);
    }
}

// Issue 12 finding 7: published files without a live peer expire, as a
// sequenced (replicated) withdraw; one with a peer stays.
TEST_F(Store, MetainfoWithoutPeersExpires) {
    RecordingSequencer s1;
    StoreLimits limits;
    limits.metainfo_ttl_ms = 5000;
    SwarmStore st(1, limits, s1);
    st.publish(hash(1), "lonely", "lonely.iso", 1, 1000);
    st.publish(hash(2), "seeded", "seeded.iso", 1, 1000);
    st.announce(ann(2, 1, 0), 1000);
    st.expire(4000, 1'000'000, 1'000'000);
    EXPECT_TRUE(st.metainfo(hash(1)).has_value());
    st.announce(ann(2, 1, 0), 6500);
    st.expire(7000, 1'000'000, 1'000'000);
    EXPECT_FALSE(st.metainfo(hash(1)).has_value());
    EXPECT_TRUE(st.metainfo(hash(2)).has_value());
    EXPECT_TRUE(st.search("lonely", 10).empty());
    EXPECT_EQ(s1.log.back().kind, Change::Kind::metainfo_remove);
    EXPECT_EQ(s1.log.back().info_hash, hash(1));
    EXPECT_EQ(st.counts().metainfos_expired, 1u);
    // The other tracker follows the expiry.
    RecordingSequencer s2;
    SwarmStore other(2, StoreLimits{}, s2);
    for (const auto& c : s1.log)
        other.apply(c, 8000);
    EXPECT_EQ(other.digest_hex(), st.digest_hex());
}

// A full store evicts the least recently announced torrent (replicated as
// removes) instead of refusing every new torrent.
TEST_F(Store, FullStoreEvictsTheLeastRecentlyAnnounced) {
    RecordingSequencer s1;
    StoreLimits limits;
    limits.max_torrents = 3;
    SwarmStore st(1, limits, s1);
    st.announce(ann(1, 1, 0), 1000);
    st.announce(ann(2, 2, 0), 2000);
    st.announce(ann(3, 3, 0), 3000);
    st.publish(hash(1), "meta-1", "one.iso", 1, 3000);
    st.announce(ann(1, 1, 0), 4000);  // torrent 2 is now the oldest
    auto r = st.announce(ann(4, 4, 0), 5000);
    EXPECT_TRUE(r.refused.empty()) << r.refused;
    EXPECT_TRUE(r.created);
    EXPECT_EQ(st.counts().torrents, 3u);
    EXPECT_EQ(st.counts().evicted, 1u);
    EXPECT_EQ(st.scrape(hash(2)).complete, 0u);
    EXPECT_EQ(st.scrape(hash(1)).complete, 1u);
    EXPECT_TRUE(st.metainfo(hash(1)).has_value());
    // A publish makes room the same way.
    EXPECT_TRUE(st.publish(hash(9), "meta-9", "nine.iso", 1, 6000).stored);
    EXPECT_EQ(st.counts().torrents, 3u);
    // The other tracker, given the same changes, holds the same live state.
    RecordingSequencer s2;
    SwarmStore other(2, StoreLimits{}, s2);
    for (const auto& c : s1.log)
        other.apply(c, 7000);
    EXPECT_EQ(other.digest_hex(), st.digest_hex());
}

TEST_F(Store, AnnounceMayBeDeniedATorrentOfItsOwn) {
    auto in = ann(1, 1, 0);
    in.may_create = false;
    auto r = store.announce(in, 1000);
    EXPECT_FALSE(r.refused.empty());
    EXPECT_EQ(store.counts().torrents, 0u);
    EXPECT_TRUE(store.announce(ann(1, 2, 0), 1000).created);
    // A torrent that exists takes the announce.
    r = store.announce(in, 1000);
    EXPECT_TRUE(r.refused.empty());
    EXPECT_FALSE(r.created);
}

// Search goes through the index: exact names first, and replicated publishes
// and withdraws keep it current.
TEST_F(Store, SearchIndexFollowsReplication) {
    RecordingSequencer s1;
    SwarmStore a(1, StoreLimits{}, s1);
    a.publish(hash(1), real_meta("report.pdf"), "report.pdf", 1, 1000);
    a.publish(hash(2), real_meta("a-report.pdf-copy"), "a-report.pdf-copy", 1, 1000);
    a.publish(hash(3), real_meta("report.pdf.bak"), "report.pdf.bak", 1, 1000);
    a.withdraw(hash(3), 2000);
    for (const auto& c : s1.log)
        store.apply(c, 3000);
    auto hits = store.search("REPORT.pdf", 10);
    ASSERT_EQ(hits.size(), 2u);
    EXPECT_EQ(hits[0].info_hash, hash(1));
    EXPECT_EQ(hits[1].info_hash, hash(2));
}

}  // namespace
}  // namespace mt::tracker
