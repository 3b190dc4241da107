#include "client/web/web_events.h"

#include <gtest/gtest.h>

namespace mt::client::web {
namespace {

TEST(Sse, EventFraming) {
    EXPECT_EQ(sse_event("sync", "{\"rid\":1}"), "event: sync\ndata: {\"rid\":1}\n\n");
    EXPECT_EQ(sse_event("sync", ""), "event: sync\ndata: \n\n");
    // A line break in the data cannot end the event early: one data line each.
    EXPECT_EQ(sse_event("x", "a\nb\r\nc\rd"), "event: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    EXPECT_EQ(sse_event("x", "a\n\nb"), "event: x\ndata: a\ndata: \ndata: b\n\n");
    EXPECT_EQ(sse_event("x", "a\n"), "event: x\ndata: a\ndata: \n\n");
    EXPECT_EQ(sse_comment("keep-alive"), ": keep-alive\n\n");
    EXPECT_EQ(sse_comment("a\nb\rc"), ": a b c\n\n");
}

TEST(Sse, HeadHasNoLength) {
    const std::string h = sse_head(200, "text/event-stream", {{"Cache-Control", "no-store"}});
    EXPECT_EQ(h,
              "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
              "Cache-Control: no-store\r\n\r\n");
}

TEST(EventStream, SendsChangesOncePerIntervalAndKeepAlivesInSilence) {
    EventStream s(5, 1000);
    EXPECT_EQ(s.rid(), 5u);
    EXPECT_EQ(s.next_ms(), 2000);
    EXPECT_EQ(s.tick(StreamUpdate{6, "{\"rid\":6}"}, 2000), "event: sync\ndata: {\"rid\":6}\n\n");
    EXPECT_EQ(s.rid(), 6u);
    EXPECT_EQ(s.next_ms(), 3000);
    // Nothing changed: nothing sent until kKeepAliveMs of silence.
    std::int64_t now = 3000;
    for (; now < 2000 + EventStream::kKeepAliveMs; now += 1000)
        EXPECT_EQ(s.tick(StreamUpdate{6, ""}, now), "") << now;
    EXPECT_EQ(s.tick(StreamUpdate{6, ""}, now), ": keep-alive\n\n");
    EXPECT_EQ(s.tick(StreamUpdate{6, ""}, now + 1000), "");
    // The rid follows the history even when the difference was empty.
    EXPECT_EQ(s.tick(StreamUpdate{9, ""}, now + 2000), "");
    EXPECT_EQ(s.rid(), 9u);
    // A late tick schedules from when it ran.
    s.tick(StreamUpdate{9, ""}, now + 10'000);
    EXPECT_EQ(s.next_ms(), now + 11'000);
}

TEST(EventStream, OwnInterval) {
    EventStream s(0, 0, 50);
    EXPECT_EQ(s.next_ms(), 50);
    EXPECT_EQ(s.tick(StreamUpdate{1, "{}"}, 50), "event: sync\ndata: {}\n\n");
    EXPECT_EQ(s.next_ms(), 100);
}

}  // namespace
}  // namespace mt::client::web
