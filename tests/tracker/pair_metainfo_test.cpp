#include "tracker/pair_metainfo.h"

#include <gtest/gtest.h>

#include "common/metainfo.h"

namespace mt::tracker {
namespace {

PairTrackers pair() {
    PairTrackers p;
    p.endpoints = {common::Endpoint{"127.0.0.1", 6881}, common::Endpoint{"127.0.0.1", 6882}};
    return p;
}

std::string meta_with(const std::vector<std::string>& trackers) {
    auto m = common::make_single_file_metainfo("report.pdf", 1000, 1024, std::string(20, 'x'),
                                               trackers, 1700000000, "mtorrent/test");
    return common::encode_metainfo(m);
}

TEST(PairMetainfo, OtherTrackersAreReplacedByThePair) {
    const std::string evil = meta_with({"http://10.6.6.6:6969/announce", "udp://10.6.6.7:1337"});
    auto served = pair_metainfo(evil, pair());
    ASSERT_TRUE(served.ok()) << served.error().message;
    auto before = common::parse_metainfo(evil);
    auto after = common::parse_metainfo(*served);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->info_hash, before->info_hash);
    EXPECT_EQ(after->announce, "http://127.0.0.1:6881/announce");
    ASSERT_EQ(after->announce_list.size(), 1u);
    EXPECT_EQ(after->announce_list[0],
              (std::vector<std::string>{"http://127.0.0.1:6881/announce",
                                        "http://127.0.0.1:6882/announce"}));
    EXPECT_EQ(served->find("10.6.6."), std::string::npos);
    EXPECT_EQ(after->created_by, "mtorrent/test");
}

TEST(PairMetainfo, OneForeignUrlAmongThePairsIsEnough) {
    auto served = pair_metainfo(
        meta_with({"http://127.0.0.1:6881/announce", "http://10.6.6.6:80/announce"}), pair());
    ASSERT_TRUE(served.ok());
    EXPECT_EQ(served->find("10.6.6.6"), std::string::npos);
}

TEST(PairMetainfo, WhatMtorrentWroteForThePairIsKeptByteForByte) {
    for (auto urls : {std::vector<std::string>{"http://127.0.0.1:6882/announce",
                                               "http://127.0.0.1:6881/announce"},
                      std::vector<std::string>{"udp://127.0.0.1:6881"}}) {
        const std::string mine = meta_with(urls);
        auto served = pair_metainfo(mine, pair());
        ASSERT_TRUE(served.ok());
        EXPECT_EQ(*served, mine);
    }
}

TEST(PairMetainfo, OtherWaysElsewhereAreDropped) {
    // url-list (BEP 19 web seeds) and nodes (BEP 5) point clients elsewhere too.
    const std::string info =
        "d6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:" + std::string(20, 'p') + "e";
    const std::string bytes = "d8:announce30:http://127.0.0.1:6881/announce7:comment2:hi4:info" +
                              info + "5:nodesll8:10.6.6.6i1eee8:url-list16:http://10.6.6.6/e";
    ASSERT_TRUE(common::parse_metainfo(bytes).ok());
    auto served = pair_metainfo(bytes, pair());
    ASSERT_TRUE(served.ok());
    EXPECT_EQ(*served,
              "d8:announce30:http://127.0.0.1:6881/announce7:comment2:hi4:info" + info + "e");
}

TEST(PairMetainfo, WhatTheParserOpensLenientlyIsServedToo) {
    // Keys out of order at the top and a newline after the end (found by
    // the pair_metainfo fuzz campaign: the parser opened it, this refused it).
    std::string m = meta_with({"http://127.0.0.1:6881/announce"});
    const auto info_at = m.find("4:info");
    m = "d8:a~nounce1:x" + m.substr(1) + "\n";
    ASSERT_NE(info_at, std::string::npos);
    auto before = common::parse_metainfo(m);
    ASSERT_TRUE(before.ok()) << before.error().message;
    auto served = pair_metainfo(m, pair());
    ASSERT_TRUE(served.ok()) << served.error().message;
    auto after = common::parse_metainfo(*served);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->info_hash, before->info_hash);
    EXPECT_TRUE(after->canonical);
}

TEST(PairMetainfo, NotADictionary) {
    EXPECT_FALSE(pair_metainfo("li1ee", pair()).ok());
    EXPECT_FALSE(pair_metainfo("garbage", pair()).ok());
}

}  // namespace
}  // namespace mt::tracker
