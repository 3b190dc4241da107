// DHT nodes on real UDP sockets on 127.0.0.1 (the engine's logic is tested
// over a simulated network in engine_test.cpp).
#include "client/dht/dht_node.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "common/clock.h"

namespace mt::client::dht {
namespace {

common::InfoHash hash_of(std::uint8_t b) {
    common::InfoHash h;
    h.bytes.fill(b);
    return h;
}

bool wait_for(const std::function<bool()>& cond, int ms) {
    const std::int64_t end = common::mono_ms() + ms;
    while (common::mono_ms() < end) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cond();
}

std::unique_ptr<DhtNode> start(std::vector<common::Endpoint> boot = {}, std::string state = "") {
    DhtNode::Options o;
    o.bootstrap = std::move(boot);
    o.state_file = std::move(state);
    auto n = DhtNode::start(o);
    EXPECT_TRUE(n) << n.error().message;
    return n ? std::move(*n) : nullptr;
}

TEST(DhtNodeSockets, TwoNodesOnLoopbackTheLeecherFindsTheSeeder) {
    auto seeder = start();
    ASSERT_TRUE(seeder);
    seeder->add_own(hash_of(7), 6881);
    auto leecher = start({{"127.0.0.1", seeder->port()}});
    ASSERT_TRUE(leecher);
    ASSERT_TRUE(wait_for([&] { return leecher->status().nodes >= 1; }, 5000));
    const auto r = leecher->get_peers(hash_of(7), false, 0, 10000);
    EXPECT_TRUE(r.done);
    ASSERT_EQ(r.peers.size(), 1u);
    EXPECT_EQ(r.peers[0].port, 6881);
    EXPECT_TRUE(r.peers[0].ip.is_loopback());
}

TEST(DhtNodeSockets, AHordeOfTwentyOnLoopbackFindsAnAnnouncedPeer) {
    std::vector<std::unique_ptr<DhtNode>> horde;
    horde.push_back(start());
    ASSERT_TRUE(horde[0]);
    for (int i = 1; i < 20; ++i) {
        horde.push_back(start({{"127.0.0.1", horde[0]->port()}}));
        ASSERT_TRUE(horde.back());
    }
    ASSERT_TRUE(wait_for(
        [&] {
            for (auto& n : horde)
                if (n->status().nodes < 8) return false;
            return true;
        },
        10000));
    const auto a = horde[4]->get_peers(hash_of(9), true, 7777, 15000);
    EXPECT_TRUE(a.done);
    EXPECT_GE(a.announced, 3u);
    ASSERT_TRUE(wait_for(
        [&] {
            std::size_t stored = 0;
            for (auto& n : horde)
                stored += n->status().stored_peers;
            return stored >= a.announced;
        },
        5000));
    const auto g = horde[15]->get_peers(hash_of(9), false, 0, 15000);
    EXPECT_TRUE(g.done);
    ASSERT_EQ(g.peers.size(), 1u);
    EXPECT_EQ(g.peers[0].port, 7777);
}

TEST(DhtNodeSockets, TheTableIsSavedAndBootstrapsTheNextStart) {
    char dir[] = "/tmp/mt-dht-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::string state = std::string(dir) + "/dht.dat";
    auto other = start();
    ASSERT_TRUE(other);
    other->add_own(hash_of(3), 5000);
    {
        auto first = start({{"127.0.0.1", other->port()}}, state);
        ASSERT_TRUE(wait_for([&] { return first->status().nodes >= 1; }, 5000));
        first->stop();
    }
    auto second = start({}, state);  // no bootstrap node: only the saved table
    ASSERT_TRUE(second);
    ASSERT_TRUE(wait_for([&] { return second->status().nodes >= 1; }, 5000));
    EXPECT_EQ(second->get_peers(hash_of(3), false, 0, 10000).peers.size(), 1u);
    std::remove(state.c_str());
    ::rmdir(dir);
}

}  // namespace
}  // namespace mt::client::dht
