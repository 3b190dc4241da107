#include "tracker/change_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace mt::tracker {
namespace {

struct Dir {
    std::string base;
    explicit Dir(const char* tag) {
        base = ::testing::TempDir() + "mt_cl_" + tag + "_" + std::to_string(::getpid());
        cleanup();
    }
    ~Dir() { cleanup(); }
    void cleanup() {
        std::remove(base.c_str());
        std::remove((base + ".journal").c_str());
        std::remove((base + ".journal.prev").c_str());
    }
};

common::InfoHash hash(int i) {
    common::InfoHash h;
    h.bytes[0] = static_cast<std::uint8_t>(i);
    h.bytes[19] = static_cast<std::uint8_t>(i);
    return h;
}

AnnounceInput ann(int t, int p, std::uint64_t left, AnnounceEvent ev = AnnounceEvent::none) {
    AnnounceInput in;
    in.info_hash = hash(t);
    in.peer_id.bytes[0] = static_cast<std::uint8_t>(p);
    in.ip = 0x7f000001;
    in.port = static_cast<std::uint16_t>(20000 + p);
    in.left = left;
    in.event = ev;
    return in;
}

// A tracker's persistent core: store + change log over a journal.
struct Core {
    common::Logger log = common::Logger::null();
    std::unique_ptr<SwarmStore> store;
    std::unique_ptr<ChangeLog> changelog;

    Core(const std::string& base, std::uint8_t self, ChangeLog::Options opt = {}) {
        JournalContents loaded;
        auto j = Journal::open(base, log, &loaded);
        EXPECT_TRUE(j.ok()) << j.error().message;
        struct Fwd : Sequencer {
            ChangeLog* cl = nullptr;
            std::uint64_t sequence(Change& c) override { return cl->sequence(c); }
        };
        fwd = std::make_unique<Fwd>();
        store = std::make_unique<SwarmStore>(self, StoreLimits{}, *fwd);
        changelog = std::make_unique<ChangeLog>(self, std::move(j).value(), store.get(), log, opt);
        static_cast<Fwd*>(fwd.get())->cl = changelog.get();
        changelog->load(loaded, 1000);
        changelog->start();
    }
    ~Core() { changelog->stop(); }
    std::unique_ptr<Sequencer> fwd;
};

TEST(ChangeLog, ChangesAreDurableAndSurviveARestart) {
    Dir dir("restart");
    std::string digest;
    {
        Core core(dir.base, 1);
        for (int p = 0; p < 100; ++p) {
            auto r = core.store->announce(ann(p % 10, p, p % 2 ? 0 : 5), 1000 + p);
            ASSERT_TRUE(r.changed);
            core.changelog->wait_durable(r.ticket);
        }
        core.store->announce(ann(3, 3, 0, AnnounceEvent::stopped), 2000);
        core.changelog->wait_durable(
            core.store->publish(hash(50), "meta-bytes", "x.iso", 10, 2000).ticket);
        EXPECT_EQ(core.changelog->clock().seq[1], 102u);
        digest = core.store->digest_hex();
    }
    Core again(dir.base, 1);
    EXPECT_EQ(again.store->digest_hex(), digest);
    EXPECT_EQ(again.changelog->clock().seq[1], 102u);
    // New changes continue the numbering.
    again.changelog->wait_durable(again.store->announce(ann(1, 200, 5), 3000).ticket);
    EXPECT_EQ(again.changelog->clock().seq[1], 103u);
}

TEST(ChangeLog, CompactionKeepsEverything) {
    Dir dir("compact");
    ChangeLog::Options opt;
    opt.compact_bytes = 4096;  // compact often
    std::string digest;
    {
        Core core(dir.base, 2, opt);
        for (int p = 0; p < 500; ++p) {
            const auto r =
                core.store->announce(ann(p % 13, p % 200, p % 3 ? 0 : 5,
                                         p % 7 ? AnnounceEvent::none : AnnounceEvent::stopped),
                                     1000 + p);
            core.changelog->wait_durable(r.ticket);
        }
        // In the background: wait for one to have finished.
        for (int i = 0; i < 500 && core.changelog->stats().compactions == 0; ++i)
            ::usleep(10000);
        EXPECT_GT(core.changelog->stats().compactions, 0u);
        digest = core.store->digest_hex();
    }
    Core again(dir.base, 2);
    EXPECT_EQ(again.store->digest_hex(), digest);
}

// A snapshot written in parts is the payload, byte for byte (past 4 MB it
// takes several parts).
TEST(ChangeLog, SnapshotPartsAreThePayload) {
    Dir dir("parts");
    Core core(dir.base, 1);
    for (int t = 0; t < 300; ++t) {
        Change c;
        c.kind = Change::Kind::peer_put;
        c.origin = 2;
        c.info_hash = hash(t);
        c.info_hash.bytes[1] = static_cast<std::uint8_t>(t >> 8);
        for (int p = 0; p < 300; ++p) {
            c.seq = static_cast<std::uint64_t>(t * 300 + p + 1);
            c.time_ms = 1000;
            c.ip = static_cast<std::uint32_t>(0x0a000000 + p);
            c.port = 6881;
            core.store->apply(c, 1000);
        }
    }
    const auto parts = core.changelog->snapshot_parts();
    EXPECT_GT(parts.size(), 2u);
    std::string joined;
    for (const auto& p : parts)
        joined += p;
    EXPECT_EQ(joined, core.changelog->snapshot_payload());
    auto back = decode_state_snapshot(joined);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->second.size(), 90000u);
}

// Group commit: changes that come within the delay share one sync; without
// a delay a lone change is synced at once.
TEST(ChangeLog, CommitDelayGathersChangesIntoOneSync) {
    Dir dir("delay");
    ChangeLog::Options opt;
    opt.commit_delay_us = 200000;  // 200 ms: the 20 changes below come well within it
    Core core(dir.base, 1, opt);
    std::uint64_t last = 0;
    for (int p = 0; p < 20; ++p)
        last = core.store->announce(ann(1, p, 5, AnnounceEvent::started), 1000 + p).ticket;
    core.changelog->wait_durable(last);
    EXPECT_EQ(core.changelog->stats().syncs, 1u);

    Dir dir0("nodelay");
    Core at_once(dir0.base, 1);
    for (int p = 0; p < 5; ++p)
        at_once.changelog->wait_durable(
            at_once.store->announce(ann(1, p, 5, AnnounceEvent::started), 1000 + p).ticket);
    EXPECT_EQ(at_once.changelog->stats().syncs, 5u);
}

TEST(ChangeLog, OutboxServesTheTailUntilAcked) {
    Dir dir("outbox");
    ChangeLog::Options opt;
    opt.max_outbox = 5;
    Core core(dir.base, 1, opt);
    std::uint64_t ticket = 0;
    for (int p = 0; p < 4; ++p)
        ticket = core.store->announce(ann(1, p, 5), 1000 + p).ticket;
    core.changelog->wait_durable(ticket);
    std::vector<Change> out;
    ASSERT_TRUE(core.changelog->own_changes_after(1, 10, out));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out.front().seq, 2u);
    core.changelog->acked(2);
    out.clear();
    EXPECT_FALSE(core.changelog->own_changes_after(1, 10, out))
        << "seq 2 is trimmed: needs a snapshot";
    EXPECT_TRUE(core.changelog->own_changes_after(2, 10, out));
    // Past max_outbox the oldest are dropped.
    for (int p = 10; p < 20; ++p)
        ticket = core.store->announce(ann(1, p, 5), 2000 + p).ticket;
    core.changelog->wait_durable(ticket);
    out.clear();
    EXPECT_FALSE(core.changelog->own_changes_after(4, 100, out));
    EXPECT_EQ(core.changelog->stats().outbox, 5u);
}

TEST(ChangeLog, RemoteChangesAreJournaledButNotForwarded) {
    Dir dir("remote");
    Core core(dir.base, 1);
    Change c;
    c.kind = Change::Kind::peer_put;
    c.origin = 2;
    c.seq = 7;
    c.time_ms = 5000;
    c.info_hash = hash(1);
    c.port = 1;
    core.store->apply(c, 5000);
    core.changelog->wait_durable(core.changelog->enqueue_remote(c));
    EXPECT_EQ(core.changelog->clock().seq[2], 7u);
    EXPECT_EQ(core.changelog->stats().outbox, 0u);
}

TEST(StateSnapshot, RoundTripAndRejects) {
    Clock c;
    c.seq[1] = 5;
    c.seq[2] = 9;
    Change ch;
    ch.kind = Change::Kind::metainfo_remove;
    ch.origin = 2;
    ch.seq = 3;
    const std::string payload = encode_state_snapshot(c, {encode_change(ch)});
    auto back = decode_state_snapshot(payload);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->first.seq[2], 9u);
    EXPECT_EQ(back->second.at(0), ch);
    EXPECT_FALSE(decode_state_snapshot(payload.substr(0, payload.size() - 1)).ok());
    EXPECT_FALSE(decode_state_snapshot("XXXX").ok());
}

}  // namespace
}  // namespace mt::tracker
