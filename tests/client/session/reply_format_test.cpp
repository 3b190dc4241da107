#include "client/session/reply_format.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

TEST(Reply, RendersTheFirstTokenAndIndentedLines) {
    EXPECT_EQ(Reply::success("a.mtorrent", "seeding").render(), "SUCCESS:a.mtorrent seeding\n");
    EXPECT_EQ(Reply::failure("FILE_NOT_FOUND").render(), "FAILURE:FILE_NOT_FOUND\n");
    auto l = Reply::list({"one", "two"}, "things");
    EXPECT_EQ(l.render(), "SUCCESS:2 things\n  one\n  two\n");
    EXPECT_EQ(Reply::list({}, "things").render(), "SUCCESS:0 things\n");
    // Nothing shown can carry a newline or an escape sequence.
    auto evil = Reply::success("x\ny", "\x1b[2J\r");
    evil.lines = {"a\nb"};
    // (The value, now holding a backslash, is quoted for the tokenizer.)
    EXPECT_EQ(evil.render(), "SUCCESS:\"x\\\\x0ay\" \\x1b[2J\\x0d\n  a\\x0ab\n");
}

TEST(Reply, ValuesWithBlanksAreQuotedForTheTokenizer) {
    EXPECT_EQ(Reply::success("sp ace.mtorrent", "ok").render(), "SUCCESS:\"sp ace.mtorrent\" ok\n");
    EXPECT_EQ(quote_token("a\"b\\c d"), "\"a\\\"b\\\\c d\"");
    EXPECT_EQ(quote_token("plain"), "plain");
}

TEST(Reply, ForAPersonWithoutTokensOrQuotes) {
    EXPECT_EQ(Reply::success("a b.mtorrent", "seeding a b").render_for_person(),
              "a b.mtorrent: seeding a b\n");
    EXPECT_EQ(Reply::success("quit").render_for_person(), "quit\n");
    EXPECT_EQ(Reply::failure("NOT_FOUND", "no transfer named x").render_for_person(),
              "error: no transfer named x (NOT_FOUND)\n");
    EXPECT_EQ(Reply::failure("IO_ERROR").render_for_person(), "error: IO_ERROR\n");
    EXPECT_EQ(Reply::list({"one", "two"}, "transfer", "transfers", "").render_for_person(),
              "2 transfers\n  one\n  two\n");
    EXPECT_EQ(Reply::list({}, "transfer", "transfers", "").render_for_person(), "0 transfers\n");
    // Escaped as the pipe format is.
    EXPECT_EQ(Reply::success("x", "a\x1b[2Jb").render_for_person(), "x: a\\x1b[2Jb\n");
}

TEST(ProgressBar, Cells) {
    EXPECT_EQ(progress_bar(0, 10), "[..........]");
    EXPECT_EQ(progress_bar(0.5, 10), "[#####.....]");
    EXPECT_EQ(progress_bar(1, 10), "[##########]");
    EXPECT_EQ(progress_bar(2, 4), "[####]");
    EXPECT_EQ(progress_bar(-1, 4), "[....]");
    EXPECT_EQ(progress_bar(0.999, 4), "[###.]");
}

TEST(FormatTransfer, DownloadingSeedingAndLookups) {
    TransferView v;
    v.state = 'D';
    v.label = "big.mtorrent";
    v.stats.total = 1000;
    v.stats.verified_bytes = 250;
    v.stats.down_rate = 75;
    v.stats.peers = 3;
    const std::string plain = format_transfer(v, false);
    EXPECT_EQ(plain.rfind("[D] big.mtorrent   25.0%  down 75 B/s  up 0 B/s  3 peers  ETA 10s", 0),
              0u)
        << plain;
    EXPECT_EQ(plain.find('#'), std::string::npos);
    const std::string bar = format_transfer(v, true);
    EXPECT_NE(bar.find("[#####...............]  25.0%"), std::string::npos) << bar;
    v.state = 'S';
    v.stats.verified_bytes = 1000;
    v.stats.complete = true;
    EXPECT_NE(format_transfer(v, false).find("100.0%"), std::string::npos);
    EXPECT_NE(format_transfer(v, false).find("ETA done"), std::string::npos);
    v.stats.uploaded = 2500;  // 2.5 times the size sent
    EXPECT_NE(format_transfer(v, false).find("sent 2.44 KiB (ratio 2.50)"), std::string::npos)
        << format_transfer(v, false);
    TransferView m;
    m.state = 'M';
    m.label = "name.iso";
    m.note = "finding";
    EXPECT_EQ(format_transfer(m, true), "[M] name.iso  finding");
    // A transfer that failed says why.
    v.state = '!';
    v.stats.error = "x.bin changed on disk since it was verified";
    EXPECT_NE(format_transfer(v, false).find("error: x.bin changed on disk"), std::string::npos)
        << format_transfer(v, false);
}

TEST(FormatSearchHit, NameSizeHashSeeders) {
    common::wire::SearchHit h;
    h.name = "a.bin";
    h.size = 2048;
    h.info_hash = common::InfoHash::from_bytes(std::string(20, '\x01'));
    h.seeders = 2;
    EXPECT_EQ(format_search_hit(h),
              "a.bin  2.00 KiB  0101010101010101010101010101010101010101  2 seeders, 0 leechers");
}

TrackerStatus ts(const char* url, bool live, bool in_use, std::int64_t ok_ms,
                 std::uint64_t failures, std::int64_t attempt_ms, const char* error = "") {
    TrackerStatus s;
    s.url = url;
    s.live = live;
    s.in_use = in_use;
    s.last_ok_ms = ok_ms;
    s.failures = failures;
    s.last_attempt_ms = attempt_ms;
    s.last_error = error;
    return s;
}

TEST(TrackerStatus, MergesSourcesByTracker) {
    const auto a1 = ts("http://127.0.0.1:1/announce", true, true, 1000, 0, 1000);
    const auto a2 = ts("http://127.0.0.1:2/announce", false, false, 0, 1, 900, "refused");
    // A second torrent: tracker 1 failed later, it moved to tracker 2.
    const auto b1 = ts("http://127.0.0.1:1/announce", false, false, 500, 2, 2000, "timeout");
    const auto b2 = ts("http://127.0.0.1:2/announce", true, true, 2000, 0, 2000);
    const auto q1 = ts("http://127.0.0.1:1", true, true, 3000, 0, 3000);  // a search, later
    const auto other = ts("udp://10.0.0.1:80", false, true, 0, 3, 10, "x");
    const auto m =
        merge_tracker_status({"http://127.0.0.1:1/announce", "http://127.0.0.1:2/announce"},
                             {{a1, a2}, {b1, b2, other}, {q1}}, 2);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].url, "http://127.0.0.1:1");
    EXPECT_TRUE(m[0].live);  // the latest attempt (the search) succeeded
    EXPECT_EQ(m[0].failures, 2u);
    EXPECT_EQ(m[0].last_announce_ms, 1000);  // searches are not announces
    EXPECT_TRUE(m[0].in_use);                // it answered last
    EXPECT_EQ(m[1].url, "http://127.0.0.1:2");
    EXPECT_TRUE(m[1].live);
    EXPECT_FALSE(m[1].in_use) << "one tracker in use at a time";
    EXPECT_EQ(m[1].last_announce_ms, 2000);
    EXPECT_EQ(m[2].url, "udp://10.0.0.1:80");
    EXPECT_FALSE(m[2].live);
    EXPECT_FALSE(m[2].in_use);
    const std::string line = format_tracker_line(0, m[0], 5000);
    EXPECT_EQ(line.rfind("tracker 1  http://127.0.0.1:1  live  in use  last answer 2s ago  "
                         "last announce 4s ago  failures 2",
                         0),
              0u)
        << line;
    // A tracker that is down is never the one in use, even if a torrent's
    // client still points at it.
    const auto d1 = ts("http://127.0.0.1:1/announce", false, true, 1000, 1, 4000, "refused");
    const auto d2 = ts("http://127.0.0.1:2/announce", true, true, 3500, 0, 3500);
    const auto m2 = merge_tracker_status(
        {"http://127.0.0.1:1/announce", "http://127.0.0.1:2/announce"}, {{d1}, {d2}}, 2);
    EXPECT_FALSE(m2[0].in_use);
    EXPECT_TRUE(m2[1].in_use);
    EXPECT_NE(format_tracker_line(0, m2[0], 5000).find("DOWN  last answer 4s ago"),
              std::string::npos)
        << format_tracker_line(0, m2[0], 5000);
    TrackerLine never;
    never.url = "http://x:1";
    EXPECT_NE(format_tracker_line(1, never, 0).find("not contacted yet"), std::string::npos);
    EXPECT_NE(format_tracker_line(1, never, 0).find("last announce never"), std::string::npos);
}

TEST(FormatPeer, PrintableId) {
    PeerView p;
    p.address = "127.0.0.1:5000";
    p.id = common::PeerId::from_bytes("-MT0100-abc\ndefghij\x01");
    p.downloaded = 1024;
    p.interested = true;
    const std::string s = format_peer(p);
    EXPECT_EQ(s.rfind("127.0.0.1:5000  -MT0100-abc.defghij.  down 0 B/s", 0), 0u) << s;
    EXPECT_NE(s.find("received 1.00 KiB"), std::string::npos);
    EXPECT_NE(s.find("interested"), std::string::npos);
}

}  // namespace
}  // namespace mt::client
