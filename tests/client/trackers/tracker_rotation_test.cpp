#include "client/trackers/tracker_rotation.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

TEST(TrackerRotation, FirstIsCurrentStatusPerAttempt) {
    common::Logger log = common::Logger::null();
    TrackerRotation r({"http://a:1/announce", "http://b:2/announce"}, log);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r.current(), 0u);
    auto s = r.status();
    ASSERT_EQ(s.size(), 2u);
    EXPECT_TRUE(s[0].in_use);
    EXPECT_FALSE(s[1].in_use);

    r.failed(0, 100, "refused");
    r.failed(0, 200, "timed out");
    s = r.status();
    EXPECT_FALSE(s[0].live);
    EXPECT_EQ(s[0].failures, 2u);
    EXPECT_EQ(s[0].last_error, "timed out");
    EXPECT_EQ(s[0].last_attempt_ms, 200);
    EXPECT_EQ(r.current(), 0u);  // a failure alone switches nothing

    r.succeeded(1, 300);
    EXPECT_EQ(r.current(), 0u);  // an answer nobody used: status only
    s = r.status();
    EXPECT_TRUE(s[1].live);
    EXPECT_EQ(s[1].last_ok_ms, 300);

    r.make_current(1, "failed");
    EXPECT_EQ(r.current(), 1u);
    s = r.status();
    EXPECT_FALSE(s[0].in_use);
    EXPECT_TRUE(s[1].in_use);

    r.succeeded(0, 400);
    s = r.status();
    EXPECT_TRUE(s[0].live);
    EXPECT_TRUE(s[0].last_error.empty());
    EXPECT_EQ(s[0].failures, 2u);  // kept: a count, not a state
}

TEST(TrackerRotation, EmptyTier) {
    common::Logger log = common::Logger::null();
    TrackerRotation r({}, log);
    EXPECT_EQ(r.size(), 0u);
    EXPECT_TRUE(r.status().empty());
}

}  // namespace
}  // namespace mt::client
