// The tracker's page from plain figures: escaping, the graph, the list's cap,
// the partner's state and the headers.
#include "tracker/status_page.h"

#include <gtest/gtest.h>

#include <string>

namespace mt::tracker {
namespace {

common::wire::SearchHit hit(const std::string& name, int i = 1) {
    common::wire::SearchHit h;
    h.info_hash.bytes[0] = static_cast<std::uint8_t>(i);
    h.info_hash.bytes[1] = static_cast<std::uint8_t>(i >> 8);
    h.name = name;
    h.size = 1000;
    h.seeders = 3;
    h.leechers = 4;
    return h;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

TEST(StatusPage, PublishedNamesAreEscaped) {
    PageFigures f;
    f.files.files = {hit("<script>alert(1)</script>\"'&")};
    const std::string page = render_status_page(f);
    EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"), std::string::npos)
        << page;
    EXPECT_EQ(page.find("<script"), std::string::npos) << "no script element at all";
    EXPECT_EQ(page.find("alert(1)</script>"), std::string::npos);
}

TEST(StatusPage, QueryIsEscapedInTheFormAndTheSummary) {
    PageFigures f;
    f.files.query = "\"><script>x</script>";
    const std::string page = render_status_page(f);
    EXPECT_NE(page.find("value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""), std::string::npos)
        << page;
    EXPECT_EQ(page.find("<script"), std::string::npos);
    EXPECT_NE(page.find("No published file matches"), std::string::npos);
}

TEST(StatusPage, ControlAndBidiCharactersAreShownEscaped) {
    PageFigures f;
    f.files.files = {hit("a\x1b[2Jb\xe2\x80\xaeZ")};  // ESC and U+202E (right-to-left override)
    const std::string page = render_status_page(f);
    EXPECT_NE(page.find("a\\x1b[2Jb\\xe2\\x80\\xaeZ"), std::string::npos);
    EXPECT_EQ(page.find('\x1b'), std::string::npos);
}

TEST(StatusPage, GraphDrawsGivenRates) {
    AnnounceRates r;
    r.bucket_s = 10;
    r.http = {0, 2, 4};
    r.udp = {1, 0, 0};
    const std::string svg = announce_graph_svg(r);
    // Scaled to 4/s: 0 at the bottom (y 130), 4 at the top (y 10), x from 50 to 590.
    EXPECT_NE(svg.find("<polyline class=\"http\" points=\"50.0,130.0 320.0,70.0 590.0,10.0\"/>"),
              std::string::npos)
        << svg;
    EXPECT_NE(svg.find("<polyline class=\"udp\" points=\"50.0,100.0 320.0,130.0 590.0,130.0\"/>"),
              std::string::npos)
        << svg;
    EXPECT_NE(svg.find(">4.0/s<"), std::string::npos) << svg;
    EXPECT_NE(svg.find(">-30s<"), std::string::npos) << svg;
}

TEST(StatusPage, GraphOfNothingIsFlatAtTheBottom) {
    AnnounceRates r;
    r.http = {0, 0};
    r.udp = {0, 0};
    const std::string svg = announce_graph_svg(r);
    EXPECT_NE(svg.find("points=\"50.0,130.0 590.0,130.0\""), std::string::npos) << svg;
    EXPECT_NE(svg.find(">1.0/s<"), std::string::npos) << "the scale is at least 1/s";
}

TEST(StatusPage, FileListIsCappedAndSaysSo) {
    PageFigures f;
    f.files.query = "file";
    for (int i = 0; i < 150; ++i)
        f.files.files.push_back(hit("file" + std::to_string(i), i));
    const std::string page = render_status_page(f);
    EXPECT_EQ(occurrences(page, "<td class=name>"), kMaxFiles);
    EXPECT_NE(page.find("First 100 (more match"), std::string::npos);
    f.files.files.resize(3);
    const std::string few = render_status_page(f);
    EXPECT_EQ(occurrences(few, "<td class=name>"), 3u);
    EXPECT_EQ(few.find("more match"), std::string::npos);
}

TEST(StatusPage, WithoutSearchSaysHowManyOfAllAreShown) {
    PageFigures f;
    f.swarms.published = 250;
    for (int i = 0; i < 100; ++i)
        f.files.files.push_back(hit("f" + std::to_string(i), i));
    const std::string page = render_status_page(f);
    EXPECT_NE(page.find("Showing 100 of 250 published files; search"), std::string::npos);
}

TEST(StatusPage, FileRowsCarryCountsAndALinkToTheMetainfo) {
    PageFigures f;
    f.files.files = {hit("movie.mkv", 7)};
    const std::string page = render_status_page(f);
    EXPECT_NE(page.find("<td class=n>3</td><td class=n>4</td>"), std::string::npos) << page;
    EXPECT_NE(page.find("/metainfo?info_hash=0700000000000000000000000000000000000000"),
              std::string::npos);
}

TEST(StatusPage, PartnerState) {
    PairHealth p;
    EXPECT_EQ(partner_state(p), "no replication");
    p.known = true;
    EXPECT_EQ(partner_state(p), "down");
    p.link_out = true;
    EXPECT_EQ(partner_state(p), "half up");
    p.link_in = true;
    EXPECT_EQ(partner_state(p), "up");
    PageFigures f;
    f.pair = p;
    f.pair.lag = 3;
    f.pair.last_catch_up_ago_s = 65;
    f.pair.last_catch_up_changes = 12;
    const std::string page = render_status_page(f);
    EXPECT_NE(page.find("<span id=partner-state class=up>up</span>"), std::string::npos);
    EXPECT_NE(page.find("3 changes not yet acknowledged"), std::string::npos);
    EXPECT_NE(page.find("1m05s ago (sent the 12 changes it missed)"), std::string::npos) << page;
}

TEST(StatusPage, LimitsInPlainWords) {
    PageFigures f;
    f.limits.max_connections = 4096;
    f.limits.max_connections_per_ip = 64;
    f.limits.peer_timeout_s = 2700;
    const std::string page = render_status_page(f);
    EXPECT_NE(page.find("at most 4096 TCP connections at once, 64 from one address"),
              std::string::npos);
    EXPECT_NE(page.find("a peer silent for 45m00s is dropped"), std::string::npos);
}

TEST(StatusPage, HeadersForbidScriptsFramesAndSniffing) {
    const auto& h = status_page_headers();
    auto value = [&](const std::string& name) {
        for (const auto& [k, v] : h)
            if (k == name) return v;
        return std::string();
    };
    EXPECT_NE(value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
    EXPECT_EQ(value("Content-Security-Policy").find("script-src"), std::string::npos);
    EXPECT_EQ(value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(value("X-Frame-Options"), "DENY");
}

}  // namespace
}  // namespace mt::tracker
