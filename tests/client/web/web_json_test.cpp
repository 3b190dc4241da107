#include "client/web/web_json.h"

#include <gtest/gtest.h>

namespace mt::client::web {
namespace {

TransferView view(std::string ih, std::string name, std::uint64_t done) {
    TransferView v;
    v.state = 'D';
    v.info_hash = std::move(ih);
    v.label = v.name = std::move(name);
    v.stats.total = 1000;
    v.stats.verified_bytes = done;
    v.stats.down_rate = 100;
    v.stats.uploaded = 500;
    v.stats.peers = 2;
    return v;
}

TEST(WebJson, HostileNamesAreEscaped) {
    EXPECT_EQ(json_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_str("<script>alert(1)</script>"),
              "\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"");
    // Controls are escaped by escape_text first, then the backslash by JSON.
    EXPECT_EQ(json_str("a\nb"), "\"a\\\\x0ab\"");
    EXPECT_EQ(json_str("\xff"), "\"\\\\xff\"");             // invalid UTF-8
    EXPECT_EQ(json_str("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // valid UTF-8 kept
    EXPECT_EQ(json_str("&'"), "\"\\u0026\\u0027\"");
}

TEST(WebJson, TransferFields) {
    const std::string j = transfer_json(view(std::string(40, 'a'), "<b>x</b>", 250));
    EXPECT_NE(j.find("\"id\":\"" + std::string(40, 'a') + "\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"name\":\"\\u003cb\\u003ex\\u003c/b\\u003e\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"state\":\"downloading\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"progress\":0.2500"), std::string::npos) << j;
    EXPECT_NE(j.find("\"eta\":8"), std::string::npos) << j;  // 750 B at 100 B/s
    EXPECT_NE(j.find("\"ratio\":0.500"), std::string::npos) << j;
    EXPECT_NE(j.find("\"peers\":2"), std::string::npos) << j;
    EXPECT_EQ(j.find('<'), std::string::npos);
    TransferView lookup;
    lookup.state = 'M';
    lookup.label = "some name";
    EXPECT_EQ(transfer_id(lookup), "lookup:some name");
    EXPECT_NE(transfer_json(lookup).find("\"state\":\"metainfo\""), std::string::npos);
}

TEST(WebJson, Replies) {
    EXPECT_EQ(reply_json(Reply::success("a", "b")),
              "{\"ok\":true,\"value\":\"a\",\"detail\":\"b\"}");
    EXPECT_EQ(reply_json(Reply::failure("NOT_FOUND", "x")),
              "{\"ok\":false,\"error\":\"NOT_FOUND\",\"detail\":\"x\"}");
}

TEST(SyncHistory, FullThenOnlyChanges) {
    SyncHistory h;
    SyncHistory::State s1{{"a", "{1}"}, {"b", "{2}"}};
    EXPECT_EQ(
        h.sync(0, s1),
        "{\"rid\":1,\"full_update\":true,\"transfers\":{\"a\":{1},\"b\":{2}},\"removed\":[]}");
    // Nothing changed: the same rid, nothing sent.
    EXPECT_EQ(h.sync(1, s1), "{\"rid\":1,\"full_update\":false,\"transfers\":{},\"removed\":[]}");
    SyncHistory::State s2{{"a", "{1b}"}, {"c", "{3}"}};
    EXPECT_EQ(h.sync(1, s2),
              "{\"rid\":2,\"full_update\":false,\"transfers\":{\"a\":{1b},"
              "\"c\":{3}},\"removed\":[\"b\"]}");
    // An unknown rid (or 0): everything.
    EXPECT_EQ(
        h.sync(77, s2),
        "{\"rid\":2,\"full_update\":true,\"transfers\":{\"a\":{1b},\"c\":{3}},\"removed\":[]}");
    // Still answers from an older rid it remembers.
    EXPECT_EQ(h.sync(1, s2),
              "{\"rid\":2,\"full_update\":false,\"transfers\":{\"a\":{1b},"
              "\"c\":{3}},\"removed\":[\"b\"]}");
}

TEST(SyncHistory, DiffSaysWhetherAnythingChanged) {
    SyncHistory h;
    SyncHistory::Diff d = h.diff(0, {});
    EXPECT_TRUE(d.changed);  // a full update, even of nothing
    EXPECT_EQ(d.rid, 1u);
    d = h.diff(1, {});
    EXPECT_FALSE(d.changed);
    EXPECT_EQ(d.json, "{\"rid\":1,\"full_update\":false,\"transfers\":{},\"removed\":[]}");
    d = h.diff(1, {{"a", "{1}"}});
    EXPECT_TRUE(d.changed);
    EXPECT_EQ(d.rid, 2u);
    d = h.diff(2, {});
    EXPECT_TRUE(d.changed);  // only a removal
    EXPECT_EQ(d.json, "{\"rid\":3,\"full_update\":false,\"transfers\":{},\"removed\":[\"a\"]}");
    // Back and forth: a new rid, but nothing different from where 1 was.
    d = h.diff(1, {});
    EXPECT_FALSE(d.changed);
    EXPECT_EQ(d.rid, 3u);
}

TEST(SyncHistory, AnyRidIsAnsweredWithOnlyWhatChanged) {
    SyncHistory h;
    SyncHistory::State s;
    for (int i = 0; i < 1000; ++i)
        s["t" + std::to_string(i)] = "{" + std::to_string(i) + "}";
    h.update(s);
    for (int r = 0; r < 100; ++r) {  // one transfer changes a hundred times
        s["t7"] = "{x" + std::to_string(r) + "}";
        h.update(s);
    }
    EXPECT_EQ(h.last_rid(), 101u);
    EXPECT_EQ(h.diff(1).json,
              "{\"rid\":101,\"full_update\":false,\"transfers\":{\"t7\":{x99}},\"removed\":[]}");
    // Removed and added back: sent as it is now, not as removed.
    s.erase("t3");
    h.update(s);
    s["t3"] = "{back}";
    h.update(s);
    EXPECT_EQ(h.diff(101).json,
              "{\"rid\":103,\"full_update\":false,\"transfers\":{\"t3\":{back}},\"removed\":[]}");
    EXPECT_EQ(h.diff(102).json,
              "{\"rid\":103,\"full_update\":false,\"transfers\":{\"t3\":{back}},\"removed\":[]}");
}

TEST(SyncHistory, ForgetsRemovalsBeyondItsBoundAndThenSendsEverything) {
    SyncHistory h;
    h.update({{"keep", "{k}"}});
    for (std::size_t i = 0; i <= SyncHistory::kMaxGone; ++i) {
        h.update({{"keep", "{k}"}, {"x" + std::to_string(i), "{}"}});
    }
    h.update({{"keep", "{k}"}});  // the last x gone: kMaxGone + 1 removals in all
    EXPECT_NE(h.diff(1).json.find("\"full_update\":true"), std::string::npos);
    // A recent rid still gets only the difference.
    const std::uint64_t r = h.last_rid();
    EXPECT_EQ(h.diff(r - 1).json, "{\"rid\":" + std::to_string(r) +
                                      ",\"full_update\":false,\"transfers\":{},\"removed\":[\"x" +
                                      std::to_string(SyncHistory::kMaxGone) + "\"]}");
}

TEST(WebJson, VerifyingStateAndADetailWithNothingKnown) {
    TransferView v = view(std::string(40, 'c'), "x", 0);
    v.state = 'V';
    EXPECT_NE(transfer_json(v).find("\"state\":\"verifying\""), std::string::npos);
    TransferDetail d;
    d.view = v;
    d.piece_length = 16384;
    d.piece_count = 3;
    EXPECT_EQ(detail_json(d), "{\"transfer\":" + transfer_json(v) +
                                  ",\"piece_length\":16384,\"piece_count\":3,\"have\":\"\","
                                  "\"files\":[],\"files_omitted\":0,\"peers\":[],"
                                  "\"peers_omitted\":0,\"trackers\":[]}");
    d.have = common::Bitfield(12);  // BEP 3 order: piece 0 is the high bit
    d.have.set(0);
    d.have.set(11);
    EXPECT_NE(detail_json(d).find("\"have\":\"8010\""), std::string::npos) << detail_json(d);
}

TEST(WebJson, LogRatesAndSearch) {
    EXPECT_EQ(log_json({}), "{\"lines\":[]}");
    EXPECT_EQ(log_json({"a\"b", "<i>"}), "{\"lines\":[\"a\\\"b\",\"\\u003ci\\u003e\"]}");
    EXPECT_EQ(rates_json({}), "{\"interval_ms\":1000,\"samples\":[]}");
    EXPECT_EQ(search_json({}), "{\"ok\":true,\"hits\":[]}");
    std::vector<common::wire::SearchHit> many(kMaxSearchHits + 3);
    const std::string j = search_json(many);
    std::size_t n = 0;
    for (std::size_t at = 0; (at = j.find("\"name\"", at)) != std::string::npos; ++at)
        ++n;
    EXPECT_EQ(n, kMaxSearchHits);
}

}  // namespace
}  // namespace mt::client::web
