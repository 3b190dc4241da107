#include "common/tracker_url.h"

#include <gtest/gtest.h>

namespace mt::common {
namespace {

TEST(TrackerUrl, Http) {
    auto u = parse_tracker_url("http://127.0.0.1:6969/announce");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->scheme, TrackerUrl::Scheme::http);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, 6969);
    EXPECT_EQ(u->path, "/announce");
    EXPECT_EQ(u->scrape_path(), "/scrape");
    EXPECT_EQ(parse_tracker_url("http://tracker.example/x/announce.php")->scrape_path(),
              "/x/scrape.php");
    EXPECT_EQ(parse_tracker_url("http://tracker.example/")->port, 80);
    EXPECT_EQ(parse_tracker_url("http://tracker.example/foo")->scrape_path(), "");
}

TEST(TrackerUrl, Udp) {
    auto u = parse_tracker_url("udp://10.0.0.1:6970");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->scheme, TrackerUrl::Scheme::udp);
    EXPECT_EQ(u->port, 6970);
    EXPECT_TRUE(parse_tracker_url("udp://h:1/announce").ok());
}

TEST(TrackerUrl, Rejects) {
    for (const char* bad : {"ftp://h:1/announce", "udp://h", "http://:80/announce", "http://h:0/a",
                            "http://h:70000/a", "http://h:12x/a", "udp://h:1/a b", "", "h:1"}) {
        auto u = parse_tracker_url(bad);
        ASSERT_FALSE(u.ok()) << bad;
        EXPECT_EQ(u.error().code, Errc::invalid_argument);
        EXPECT_NE(u.error().message.find(bad), std::string::npos);
    }
}

TEST(TrackerUrl, Ipv6InBrackets) {
    auto u = parse_tracker_url("http://[::1]:6969/announce");
    ASSERT_TRUE(u.ok()) << u.error().message;
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, 6969);
    EXPECT_EQ(u->path, "/announce");
    auto d = parse_tracker_url("udp://[2001:db8::1]:80");
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->host, "2001:db8::1");
    EXPECT_EQ(d->port, 80);
    auto defport = parse_tracker_url("http://[::1]/announce");
    ASSERT_TRUE(defport.ok());
    EXPECT_EQ(defport->port, 80);
    EXPECT_FALSE(parse_tracker_url("http://::1:6969/announce").ok());
    EXPECT_FALSE(parse_tracker_url("http://[::1:6969/announce").ok());
    EXPECT_FALSE(parse_tracker_url("http://[::1]x:6969/announce").ok());
    EXPECT_FALSE(parse_tracker_url("http://[nothost]:6969/announce").ok());
    EXPECT_FALSE(parse_tracker_url("http://[]:6969/announce").ok());
}

}  // namespace
}  // namespace mt::common
