#include "client/trackers/tracker_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

namespace mt::client {
namespace {

struct FakeTrackers {
    std::map<std::string, bool> up;  // host -> answering
    std::vector<std::string> calls;
    TrackerClient::Transport transport() {
        return [this](const common::TrackerUrl& u, const common::AnnounceRequest&,
                      int) -> common::Result<common::AnnounceResponse> {
            calls.push_back(u.host);
            if (!up[u.host]) return common::make_error(common::Errc::refused, u.host + " refused");
            common::AnnounceResponse r;
            r.interval = 10;
            r.peers.push_back(
                {0x7f000001, static_cast<std::uint16_t>(u.host == "a" ? 1 : 2), std::nullopt});
            return r;
        };
    }
};

TEST(TrackerClient, StaysWithTheLiveOneAndFailsOverAtOnce) {
    common::Logger log = common::Logger::null();
    FakeTrackers f;
    f.up = {{"a", true}, {"b", true}};
    TrackerClient c({"http://a:1/announce", "udp://b:2"}, 2000, log, f.transport());
    ASSERT_TRUE(c.announce({}).ok());
    ASSERT_TRUE(c.announce({}).ok());
    EXPECT_EQ(f.calls, (std::vector<std::string>{"a", "a"}));
    f.up["a"] = false;  // tracker 1 dies: the same call succeeds through b
    auto r = c.announce({});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->peers.at(0).port, 2);
    EXPECT_EQ(f.calls.size(), 4u);
    auto st = c.status();
    EXPECT_FALSE(st[0].live);
    EXPECT_TRUE(st[1].in_use);
    EXPECT_EQ(st[0].failures, 1u);
    EXPECT_GT(st[0].last_attempt_ms, 0);  // failures count as attempts
    EXPECT_GE(st[1].last_attempt_ms, st[0].last_attempt_ms);
    EXPECT_GT(st[1].last_ok_ms, 0);
    f.up["a"] = true;  // a is back, but b still answers: stay with b
    ASSERT_TRUE(c.announce({}).ok());
    EXPECT_EQ(f.calls.back(), "b");
}

TEST(TrackerClient, AllDownReportsTheLastError) {
    common::Logger log = common::Logger::null();
    FakeTrackers f;
    TrackerClient c({"http://a:1/announce", "http://b:2/announce"}, 2000, log, f.transport());
    auto r = c.announce({});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("b refused"), std::string::npos);
}

TEST(TrackerClient, BadUrlsAreLeftOut) {
    common::Logger log = common::Logger::null();
    FakeTrackers f;
    f.up = {{"b", true}};
    TrackerClient c({"ftp://x/announce", "http://b:2/announce"}, 2000, log, f.transport());
    EXPECT_EQ(c.size(), 1u);
    EXPECT_TRUE(c.announce({}).ok());
    TrackerClient none({}, 2000, log, f.transport());
    EXPECT_EQ(none.announce({}).error().code, common::Errc::not_found);
}

}  // namespace
}  // namespace mt::client

namespace mt::client {
namespace {

// Tracker a hangs (answers nothing until the 2 s timeout): after the 100 ms
// hedge, b is asked too and its answer is returned at once; a's attempt ends
// in the background, and b stays in use.
TEST(TrackerClient, HungTrackerIsHedgedNotWaitedOut) {
    common::Logger log = common::Logger::null();
    std::atomic<int> calls_a{0}, calls_b{0};
    TrackerClient::Transport t = [&](const common::TrackerUrl& u, const common::AnnounceRequest&,
                                     int timeout_ms) -> common::Result<common::AnnounceResponse> {
        if (u.host == "a") {
            ++calls_a;
            std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));  // hung tracker
            return common::make_error(common::Errc::timeout, "a timed out");
        }
        ++calls_b;
        common::AnnounceResponse r;
        r.interval = 10;
        return r;
    };
    TrackerClient c({"http://a:1/announce", "http://b:2/announce"}, 1000, log, t, 100);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.announce({});
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    ASSERT_TRUE(r.ok());
    EXPECT_LT(ms, 600);  // the hedge (100 ms), not the timeout (1000 ms)
    EXPECT_EQ(calls_a.load(), 1);
    EXPECT_EQ(calls_b.load(), 1);
    EXPECT_TRUE(c.status()[1].in_use);
    // Next time b is asked first, and answers: a is not tried.
    ASSERT_TRUE(c.announce({}).ok());
    EXPECT_EQ(calls_a.load(), 1);
    EXPECT_EQ(calls_b.load(), 2);
}

// A slow tracker that does answer, alone: no hedge possible, its answer is
// waited for.
TEST(TrackerClient, SlowSingleTrackerIsWaitedFor) {
    common::Logger log = common::Logger::null();
    TrackerClient::Transport t = [](const common::TrackerUrl&, const common::AnnounceRequest&,
                                    int) -> common::Result<common::AnnounceResponse> {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return common::AnnounceResponse{};
    };
    TrackerClient c({"http://a:1/announce"}, 1000, log, t, 100);
    EXPECT_TRUE(c.announce({}).ok());
}

}  // namespace
}  // namespace mt::client
