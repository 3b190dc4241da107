#include "tracker/replicator.h"

#include "common/clock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace mt::tracker {

using common::wall_ms;
namespace {

bool eventually(const std::function<bool()>& pred, int timeout_ms = 10000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

// One tracker without its HTTP/UDP front ends: store, change log, replicator,
// and an acceptor that hands every connection to the replicator.
struct Node {
    struct Fwd : Sequencer {
        ChangeLog* cl = nullptr;
        std::uint64_t sequence(Change& c) override { return cl->sequence(c); }
    };
    common::Logger log = common::Logger::null();
    std::string base;
    Fwd fwd;
    std::unique_ptr<SwarmStore> store;
    std::unique_ptr<ChangeLog> changelog;
    std::unique_ptr<Replicator> replicator;
    common::Fd listener;
    std::thread acceptor;
    std::atomic<bool> stop{false};

    Node(std::uint8_t id, std::string base_path, common::Fd listen_fd, std::uint16_t other_port,
         std::string secret, std::size_t max_outbox = 1'000'000)
        : base(std::move(base_path)), listener(std::move(listen_fd)) {
        JournalContents loaded;
        auto j = Journal::open(base, log, &loaded);
        EXPECT_TRUE(j.ok());
        store = std::make_unique<SwarmStore>(id, StoreLimits{}, fwd);
        ChangeLog::Options o;
        o.max_outbox = max_outbox;
        changelog = std::make_unique<ChangeLog>(id, std::move(j).value(), store.get(), log, o);
        fwd.cl = changelog.get();
        changelog->load(loaded, wall_ms());
        changelog->start();
        ReplicatorOptions ro;
        ro.self = id;
        ro.peer = {"127.0.0.1", other_port};
        ro.secret = std::move(secret);
        ro.backoff_max_ms = 200;
        replicator = std::make_unique<Replicator>(ro, *store, *changelog, log, wall_ms);
        replicator->start();
        acceptor = std::thread([this] {
            while (!stop) {
                auto c = common::accept_with_timeout(listener.get(), 50);
                if (c) replicator->accept(std::move(c).value(), "", "test");
            }
        });
    }
    ~Node() {
        stop = true;
        acceptor.join();
        replicator->stop();
        changelog->stop();
    }
    std::uint64_t announce(int torrent, int peer, AnnounceEvent ev = AnnounceEvent::none) {
        AnnounceInput in;
        in.info_hash.bytes[0] = static_cast<std::uint8_t>(torrent);
        in.peer_id.bytes[0] = static_cast<std::uint8_t>(peer);
        in.peer_id.bytes[1] = static_cast<std::uint8_t>(peer >> 8);
        in.ip = 0x7f000001;
        in.port = static_cast<std::uint16_t>(10000 + peer);
        in.left = 1;
        in.event = ev;
        const auto t = store->announce(in, wall_ms()).ticket;
        if (t) changelog->wait_durable(t);
        return t;
    }
};

struct Pair : ::testing::Test {
    std::string dir = ::testing::TempDir() + "mt_repl_" + std::to_string(::getpid()) + "_";
    common::Fd l1, l2;
    std::uint16_t p1 = 0, p2 = 0;
    void SetUp() override {
        for (const char* s : {"1", "2"}) {
            std::remove((dir + s).c_str());
            std::remove((dir + s + ".journal").c_str());
        }
        l1 = common::tcp_listen({"127.0.0.1", 0}).value();
        l2 = common::tcp_listen({"127.0.0.1", 0}).value();
        p1 = common::local_port(l1.get()).value();
        p2 = common::local_port(l2.get()).value();
    }
    void TearDown() override {
        for (const char* s : {"1", "2"}) {
            std::remove((dir + s).c_str());
            std::remove((dir + s + ".journal").c_str());
        }
    }
    common::Fd relisten(std::uint16_t port) {
        return common::tcp_listen({"127.0.0.1", port}).value();
    }
};

TEST_F(Pair, ChangesFlowBothWaysAndAreAcknowledged) {
    Node a(1, dir + "1", std::move(l1), p2, "secret");
    Node b(2, dir + "2", std::move(l2), p1, "secret");
    for (int i = 0; i < 200; ++i)
        (i % 2 ? a : b).announce(i % 7, i);
    ASSERT_TRUE(eventually([&] { return a.store->digest_hex() == b.store->digest_hex(); }));
    EXPECT_EQ(a.store->counts().peers, 200u);
    ASSERT_TRUE(eventually([&] {
        return a.replicator->status().acked_seq == 100 && b.replicator->status().acked_seq == 100;
    }));
    EXPECT_EQ(a.changelog->stats().outbox, 0u);
}

TEST_F(Pair, ACatchesUpAfterBeingDown) {
    std::string digest;
    {
        Node b(2, dir + "2", std::move(l2), p1, "secret");
        {
            Node a(1, dir + "1", std::move(l1), p2, "secret");
            a.announce(1, 1);
            ASSERT_TRUE(eventually([&] { return b.store->counts().peers == 1; }));
        }
        // a is down: b goes on alone.
        for (int i = 2; i < 300; ++i)
            b.announce(i % 5, i);
        b.announce(1, 1, AnnounceEvent::stopped);
        Node a(1, dir + "1", relisten(p1), p2, "secret");
        ASSERT_TRUE(eventually([&] { return a.store->digest_hex() == b.store->digest_hex(); }));
        EXPECT_EQ(a.store->counts().peers, 298u);
        EXPECT_EQ(b.replicator->status().snapshots_sent, 0u) << "the outbox was enough";
    }
}

TEST_F(Pair, SnapshotWhenTheOutboxDoesNotReachBack) {
    Node b(2, dir + "2", std::move(l2), p1, "secret", /*max_outbox=*/10);
    for (int i = 0; i < 100; ++i)
        b.announce(i % 5, i);
    Node a(1, dir + "1", std::move(l1), p2, "secret");
    ASSERT_TRUE(eventually([&] { return a.store->digest_hex() == b.store->digest_hex(); }));
    EXPECT_GE(b.replicator->status().snapshots_sent, 1u);
    EXPECT_TRUE(eventually([&] { return a.replicator->status().snapshots_received >= 1; }));
    // And it keeps streaming afterwards.
    b.announce(9, 999);
    ASSERT_TRUE(eventually([&] { return a.store->counts().peers == 101u; }));
}

TEST_F(Pair, WrongSecretIsRefused) {
    Node a(1, dir + "1", std::move(l1), p2, "secret one");
    Node b(2, dir + "2", std::move(l2), p1, "secret two");
    a.announce(1, 1);
    ASSERT_TRUE(eventually(
        [&] { return a.replicator->status().refused > 0 && b.replicator->status().refused > 0; }));
    EXPECT_EQ(b.store->counts().peers, 0u);
    EXPECT_FALSE(a.replicator->status().outgoing_connected);
}

}  // namespace
}  // namespace mt::tracker
