#include "client/tracker_client.h"

#include <gtest/gtest.h>

#include <map>

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
