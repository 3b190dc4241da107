// The DHT engine over a simulated network: datagrams are handed from one
// engine to another in order, with a simulated clock (no sockets, no
// waiting). The real sockets are tested in tests/integration/dht_test.py.
#include "client/dht/engine.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>

namespace mt::client::dht {
namespace {

namespace krpc = common::wire::krpc;

constexpr std::uint32_t kLoopback = 0x7f000001;

struct Net {
    std::vector<std::unique_ptr<Engine>> nodes;
    std::deque<std::pair<Endpoint, Outgoing>> wire;  // (from, datagram)
    std::int64_t now = 1000;
    std::size_t delivered = 0;

    static Endpoint addr(std::size_t i) {
        return {common::IpAddr(kLoopback), static_cast<std::uint16_t>(20000 + i)};
    }

    Engine& add(std::uint64_t seed) {
        Engine::Options o;
        for (auto& b : o.id.bytes)
            b = static_cast<std::uint8_t>(seed * 131 + (&b - o.id.bytes.data()) * 7 + (seed >> 3));
        o.id.bytes[0] = static_cast<std::uint8_t>(seed * 37);
        o.self = addr(nodes.size());
        o.seed = seed;
        nodes.push_back(std::make_unique<Engine>(o));
        return *nodes.back();
    }
    std::size_t index_of(const Endpoint& ep) const { return ep.port - 20000u; }
    void send(std::size_t from, std::vector<Outgoing>& out) {
        for (auto& o : out)
            wire.push_back({addr(from), std::move(o)});
        out.clear();
    }
    // Delivers everything (and what it causes), ticking the clock by 10 ms
    // per round; stops when the wire is quiet or after `max_ms`.
    void run(std::int64_t max_ms = 60000) {
        const std::int64_t end = now + max_ms;
        std::vector<Outgoing> out;
        while (now < end) {
            std::deque<std::pair<Endpoint, Outgoing>> batch;
            batch.swap(wire);
            for (auto& [from, o] : batch) {
                const std::size_t to = index_of(o.to);
                if (to >= nodes.size()) continue;  // nobody there: the query times out
                ++delivered;
                nodes[to]->receive(o.bytes, from, now, out);
                send(to, out);
            }
            now += 10;
            for (std::size_t i = 0; i < nodes.size(); ++i) {
                nodes[i]->tick(now, out);
                send(i, out);
            }
            if (wire.empty() && batch.empty()) {
                bool running = false;
                for (auto& n : nodes)
                    running = running || n->status(now).lookups_running > 0;
                if (!running) return;
            }
        }
    }
};

common::InfoHash hash_of(std::uint8_t b) {
    common::InfoHash h;
    h.bytes.fill(b);
    return h;
}

TEST(DhtEngine, TwoNodesTheLeecherFindsTheSeederThroughItsOwnEntry) {
    Net net;
    Engine& seeder = net.add(1);
    Engine& leecher = net.add(2);
    seeder.add_own(hash_of(0xab), 6881);
    std::vector<Outgoing> out;
    leecher.bootstrap(Net::addr(0), net.now, out);
    net.send(1, out);
    net.run();
    EXPECT_EQ(leecher.table().size(), 1u);
    EXPECT_EQ(seeder.table().size(), 1u);
    const auto id = leecher.get_peers(hash_of(0xab), false, 0, false, net.now, out);
    net.send(1, out);
    net.run();
    auto r = leecher.result(id);
    ASSERT_TRUE(r && r->done);
    ASSERT_EQ(r->peers.size(), 1u);
    EXPECT_EQ(r->peers[0], (Endpoint{common::IpAddr(kLoopback), 6881}));
}

TEST(DhtEngine, AHordeOfTwentyFindsAnAnnouncedPeer) {
    Net net;
    for (std::uint64_t i = 0; i < 20; ++i)
        net.add(100 + i);
    std::vector<Outgoing> out;
    for (std::size_t i = 1; i < 20; ++i) {
        net.nodes[i]->bootstrap(Net::addr(0), net.now, out);
        net.send(i, out);
    }
    net.run();
    for (std::size_t i = 0; i < 20; ++i)
        EXPECT_GE(net.nodes[i]->table().size(), 8u) << "node " << i;
    // Node 5 announces (port 7777); node 17 looks it up.
    const auto a = net.nodes[5]->get_peers(hash_of(0x42), true, 7777, false, net.now, out);
    net.send(5, out);
    net.run();
    auto ar = net.nodes[5]->result(a);
    ASSERT_TRUE(ar && ar->done);
    EXPECT_GE(ar->announced, 3u);
    const auto g = net.nodes[17]->get_peers(hash_of(0x42), false, 0, false, net.now, out);
    net.send(17, out);
    net.run();
    auto gr = net.nodes[17]->result(g);
    ASSERT_TRUE(gr && gr->done);
    ASSERT_EQ(gr->peers.size(), 1u);
    EXPECT_EQ(gr->peers[0], (Endpoint{common::IpAddr(kLoopback), 7777}));
    EXPECT_LE(gr->queried, 20u);
}

// One query to `e` from `from`, its answer decoded.
krpc::Message ask(Engine& e, const krpc::Message& q, const Endpoint& from, std::int64_t now) {
    std::vector<Outgoing> out;
    e.receive(krpc::encode(q), from, now, out);
    EXPECT_EQ(out.size(), 1u);
    if (out.empty()) return {};
    EXPECT_LE(out[0].bytes.size(), krpc::kSendBudget);
    return krpc::decode(out[0].bytes).value();
}

TEST(DhtEngine, AnswersCarryTheQueriersAddressAndRefuseBadTokensAndUnknownMethods) {
    Net net;
    Engine& e = net.add(7);
    const Endpoint from{common::IpAddr(0x7f000002), 5555};
    krpc::Message q;
    q.kind = krpc::Kind::query;
    q.transaction = "t1";
    q.method = krpc::Method::get_peers;
    q.id.bytes.fill(9);
    q.info_hash = hash_of(1);
    auto r = ask(e, q, from, 1000);
    EXPECT_EQ(r.kind, krpc::Kind::response);
    ASSERT_TRUE(r.ip);
    EXPECT_EQ(*r.ip, from);
    ASSERT_TRUE(r.has_token);
    // announce_peer with another address's token: 203.
    krpc::Message ann = q;
    ann.method = krpc::Method::announce_peer;
    ann.port = 6000;
    ann.token = r.token;
    auto bad = ask(e, ann, Endpoint{common::IpAddr(0x7f000003), 5555}, 1000);
    EXPECT_EQ(bad.kind, krpc::Kind::error);
    EXPECT_EQ(bad.error_code, krpc::kProtocolError);
    auto good = ask(e, ann, from, 1000);
    EXPECT_EQ(good.kind, krpc::Kind::response);
    EXPECT_EQ(e.status(1000).stored_peers, 1u);
    krpc::Message unknown = q;
    unknown.method = krpc::Method::unknown;
    unknown.method_name = "vote";
    auto u = ask(e, unknown, from, 1000);
    EXPECT_EQ(u.error_code, krpc::kMethodUnknown);
    // Its own lookup counts what was announced to it, even with nobody to ask.
    std::vector<Outgoing> out;
    const auto id = e.get_peers(hash_of(1), false, 0, false, 1000, out);
    auto res = e.result(id);  // (still asking the querier it heard from)
    ASSERT_TRUE(res);
    ASSERT_EQ(res->peers.size(), 1u);
    EXPECT_EQ(res->peers[0], (Endpoint{from.ip, 6000}));
}

// `e` bootstraps from `voter`, which answers that it sees us at `claimed`.
void answer_with_ip(Engine& e, const Endpoint& voter, const common::IpAddr& claimed,
                    std::uint8_t id_byte, std::int64_t now) {
    std::vector<Outgoing> out;
    e.bootstrap(voter, now, out);
    ASSERT_EQ(out.size(), 1u);
    const auto q = krpc::decode(out[0].bytes).value();
    krpc::Message r;
    r.kind = krpc::Kind::response;
    r.transaction = q.transaction;
    r.id.bytes.fill(id_byte);
    r.ip = Endpoint{claimed, 6881};
    out.clear();
    e.receive(krpc::encode(r), voter, now, out);
}

TEST(DhtEngine, OurAddressIsVotedAndAPublicOneBringsABep42Id) {
    Engine e(Engine::Options{});
    const auto ours = *common::IpAddr::parse("198.51.100.77");
    const auto liar = *common::IpAddr::parse("192.0.2.66");
    const NodeId before = e.id();
    ASSERT_FALSE(krpc::bep42_valid(before, ours));
    // Two networks agree: the address is ours, but two are not enough for a new id.
    answer_with_ip(e, {*common::IpAddr::parse("203.0.113.1"), 1001}, ours, 0x11, 1000);
    answer_with_ip(e, {*common::IpAddr::parse("203.0.113.2"), 1002}, ours, 0x12, 1000);  // same /24
    answer_with_ip(e, {*common::IpAddr::parse("198.18.0.1"), 1003}, ours, 0x13, 1000);
    ASSERT_TRUE(e.status(1000).external);
    EXPECT_EQ(e.status(1000).external->ip, ours);
    EXPECT_EQ(e.id(), before);
    // One liar does not move it.
    answer_with_ip(e, {*common::IpAddr::parse("198.19.0.1"), 1004}, liar, 0x14, 1000);
    EXPECT_EQ(e.status(1000).external->ip, ours);
    // A third network agrees: a BEP 42 id for it, and the table kept.
    answer_with_ip(e, {*common::IpAddr::parse("100.0.0.1"), 1005}, ours, 0x15, 1000);
    EXPECT_NE(e.id(), before);
    EXPECT_TRUE(krpc::bep42_valid(e.id(), ours));
    EXPECT_EQ(e.status(1000).id, e.id());
    EXPECT_EQ(e.table().self(), e.id());
    EXPECT_EQ(e.table().size(), 5u);
    // And once it is valid, more votes change nothing.
    const NodeId settled = e.id();
    answer_with_ip(e, {*common::IpAddr::parse("100.1.0.1"), 1006}, ours, 0x16, 1000);
    EXPECT_EQ(e.id(), settled);
}

TEST(DhtEngine, LocalAddressesKeepTheirIdAndClaimsAreBounded) {
    Engine e(Engine::Options{});
    const NodeId before = e.id();
    for (std::uint8_t i = 1; i <= 5; ++i)
        answer_with_ip(e,
                       {common::IpAddr(0xc6120000u + (static_cast<std::uint32_t>(i) << 8)), 2000},
                       *common::IpAddr::parse("192.168.1.20"), i, 1000);
    EXPECT_EQ(e.status(1000).external->ip, *common::IpAddr::parse("192.168.1.20"));
    EXPECT_EQ(e.id(), before);  // BEP 42: local addresses are exempt
    // A stream of different claims from as many voters: at most kMaxClaims kept,
    // and the settled one is never the one dropped.
    for (std::uint32_t i = 0; i < 100; ++i)
        answer_with_ip(e, {common::IpAddr(0xcb007100u + i), 3000}, common::IpAddr(0xc6330000u + i),
                       static_cast<std::uint8_t>(0x40 + i), 1000);
    EXPECT_EQ(e.status(1000).external->ip, *common::IpAddr::parse("192.168.1.20"));
}

TEST(DhtEngine, AFloodFromOneSourceIsCutOff) {
    Engine::Options o;
    o.max_queries = 50;
    Engine e(o);
    krpc::Message q;
    q.kind = krpc::Kind::query;
    q.transaction = "aa";
    q.method = krpc::Method::ping;
    const std::string bytes = krpc::encode(q);
    std::vector<Outgoing> out;
    const Endpoint attacker{common::IpAddr(0xc6336401), 1234};
    for (int i = 0; i < 500; ++i)
        e.receive(bytes, Endpoint{attacker.ip, static_cast<std::uint16_t>(1000 + i)}, 1000, out);
    EXPECT_EQ(out.size(), 50u);  // a public address: every port counts together
    out.clear();
    e.receive(bytes, Endpoint{common::IpAddr(0xc6336402), 1}, 1000, out);
    EXPECT_EQ(out.size(), 1u);  // another address is served
    out.clear();
    e.receive(bytes, attacker, 12000, out);  // the next window
    EXPECT_EQ(out.size(), 1u);
    for (int i = 0; i < 100; ++i)
        e.receive(std::string("d1:t2:aa1:y1:q1:q4:pingei"), attacker, 12000, out);
    EXPECT_GE(e.status(12000).dropped, 450u);
}

TEST(DhtEngine, AnAnswerFromAnotherAddressDoesNotCloseTheQuery) {
    Net net;
    Engine& a = net.add(1);
    net.add(2);
    std::vector<Outgoing> out;
    a.bootstrap(Net::addr(1), net.now, out);
    ASSERT_EQ(out.size(), 1u);
    auto q = krpc::decode(out[0].bytes).value();
    krpc::Message forged;
    forged.kind = krpc::Kind::response;
    forged.transaction = q.transaction;
    forged.id.bytes.fill(0x66);
    std::vector<Outgoing> ignored;
    a.receive(krpc::encode(forged), Endpoint{common::IpAddr(kLoopback), 9}, net.now, ignored);
    EXPECT_EQ(a.table().size(), 0u);
    net.send(0, out);
    net.run();
    EXPECT_EQ(a.table().size(), 1u);  // the real answer still counts
}

TEST(DhtEngine, SilentNodesTimeOutAndLookupsStillEnd) {
    Net net;
    Engine& a = net.add(1);
    std::vector<Outgoing> out;
    // Nodes that do not exist (ports with no engine) in the table.
    for (std::uint16_t p = 0; p < 8; ++p) {
        NodeId id;
        id.bytes.fill(static_cast<std::uint8_t>(0x80 + p));
        krpc::Message q;
        q.kind = krpc::Kind::query;
        q.transaction = "zz";
        q.method = krpc::Method::ping;
        q.id = id;
        a.receive(krpc::encode(q),
                  Endpoint{common::IpAddr(kLoopback), static_cast<std::uint16_t>(30000 + p)},
                  net.now, out);
    }
    out.clear();
    EXPECT_EQ(a.table().size(), 8u);
    const auto id = a.get_peers(hash_of(3), true, 1, false, net.now, out);
    net.send(0, out);
    net.run();
    auto r = a.result(id);
    ASSERT_TRUE(r && r->done);
    EXPECT_TRUE(r->peers.empty());
    EXPECT_EQ(r->announced, 0u);
    EXPECT_EQ(r->answered, 0u);
}

}  // namespace
}  // namespace mt::client::dht
