#include "common/metainfo.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/bencode.h"
#include "common/file_util.h"
#include "common/sha1.h"

namespace mt::common {
namespace {

const std::string kDataDir = std::string(MT_SOURCE_DIR) + "/tests/data/metainfo/";

struct Case {
    std::string file;
    std::string expected;
};

std::vector<Case> load_cases() {
    std::ifstream in(kDataDir + "cases.tsv");
    std::vector<Case> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        // file TAB expected TAB libtorrent's verdict TAB why we differ
        const auto tab = line.find('\t');
        const auto tab2 = line.find('\t', tab + 1);
        cases.push_back({line.substr(0, tab), line.substr(tab + 1, tab2 - tab - 1)});
    }
    return cases;
}

TEST(Metainfo, GoldenCasesGiveTheirExpectedResult) {
    const auto cases = load_cases();
    ASSERT_GE(cases.size(), 40u) << "tests/data/metainfo/cases.tsv not found or short";
    int good = 0, bad = 0;
    for (const auto& c : cases) {
        auto m = load_metainfo(kDataDir + c.file);
        if (c.expected == "ok") {
            ++good;
            ASSERT_TRUE(m.ok()) << c.file << ": " << m.error().message;
            // Re-encoding a parsed canonical file gives back its exact bytes;
            // one opened leniently (good_lenient_*) re-encodes to a fixed
            // point with the same info_hash.
            const std::string bytes = read_file(kDataDir + c.file, kMaxMetainfoSize).value();
            const std::string out = encode_metainfo(*m);
            EXPECT_EQ(m->canonical, c.file.find("good_lenient_") != 0) << c.file;
            if (m->canonical) {
                EXPECT_EQ(out, bytes) << c.file;
            } else {
                auto again = parse_metainfo(out);
                ASSERT_TRUE(again.ok()) << c.file << ": " << again.error().message;
                EXPECT_EQ(again->info_hash, m->info_hash) << c.file;
                EXPECT_EQ(encode_metainfo(*again), out) << c.file;
            }
        } else {
            ++bad;
            ASSERT_FALSE(m.ok()) << c.file << " was accepted";
            EXPECT_NE(m.error().message.find(c.expected), std::string::npos)
                << c.file << ": got '" << m.error().message << "', want '" << c.expected << "'";
            EXPECT_NE(m.error().message.find(c.file), std::string::npos) << "error names the file";
        }
    }
    EXPECT_GT(good, 5);
    EXPECT_GT(bad, 30);
}

TEST(Metainfo, SizesAroundThePieceBoundary) {
    struct Size {
        const char* file;
        std::uint64_t length;
        std::size_t pieces;
        std::uint64_t last;
    };
    const Size sizes[] = {
        {"good_single_piece.mtorrent", 1, 1, 1},
        {"good_piece_minus_one.mtorrent", kPieceLength - 1, 1, kPieceLength - 1},
        {"good_exact_piece.mtorrent", kPieceLength, 1, kPieceLength},
        {"good_piece_plus_one.mtorrent", kPieceLength + 1, 2, 1},
        {"good_short_tail.mtorrent", 5 * kPieceLength + 12345, 6, 12345},
        {"good_over_4gib.mtorrent", 5ull * 1024 * 1024 * 1024 + 7, 10241, 7},
    };
    for (const auto& s : sizes) {
        auto m = load_metainfo(kDataDir + s.file);
        ASSERT_TRUE(m.ok()) << m.error().message;
        EXPECT_EQ(m->length, s.length) << s.file;
        EXPECT_EQ(m->piece_count(), s.pieces) << s.file;
        EXPECT_EQ(m->piece_size(s.pieces - 1), s.last) << s.file;
        EXPECT_EQ(m->piece_size(0), std::min<std::uint64_t>(kPieceLength, s.length));
        EXPECT_EQ(m->piece_size(s.pieces), 0u);
        EXPECT_EQ(m->name, "file.bin");
    }
}

TEST(Metainfo, FieldsOfAnMtorrent) {
    auto m = load_metainfo(kDataDir + "good_short_tail.mtorrent");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->announce, "http://127.0.0.1:6969/announce");
    ASSERT_EQ(m->announce_list.size(), 1u);
    EXPECT_EQ(m->announce_list[0],
              (std::vector<std::string>{"http://127.0.0.1:6969/announce", "udp://127.0.0.1:6970"}));
    EXPECT_EQ(m->trackers(), m->announce_list[0]);
    EXPECT_EQ(m->created_by, "mtorrent test");
    EXPECT_EQ(m->creation_date, 1700000000);
    EXPECT_EQ(m->piece_length, kPieceLength);
    EXPECT_FALSE(m->multi_file());
    EXPECT_FALSE(m->is_private);
}

// BEP 5's `nodes`: written at the top level (the info_hash stays), read
// back bounded, malformed entries skipped.
TEST(Metainfo, DhtNodesRoundTripAndMalformedOnesAreSkipped) {
    auto m = load_metainfo(kDataDir + "good_short_tail.mtorrent");
    ASSERT_TRUE(m.ok());
    const auto hash = m->info_hash;
    EXPECT_TRUE(dht_nodes(*m).empty());
    set_dht_nodes(*m, {{"127.0.0.1", 6881}, {"router.example", 6882}});
    auto back = parse_metainfo(encode_metainfo(*m));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->info_hash, hash);
    EXPECT_EQ(dht_nodes(*back),
              (std::vector<DhtNode>{{"127.0.0.1", 6881}, {"router.example", 6882}}));
    m->extra["nodes"] =
        "l"
        "l9:127.0.0.1i0ee"
        "l1:ai70000ee"
        "li1ei2ee"
        "l0:i5ee"
        "l1:bi7ee"
        "i3e"
        "e";
    EXPECT_EQ(dht_nodes(*m), (std::vector<DhtNode>{{"b", 7}}));
    m->extra["nodes"] = "not bencode";
    EXPECT_TRUE(dht_nodes(*m).empty());
    set_dht_nodes(*m, {});
    EXPECT_EQ(m->extra.count("nodes"), 0u);
}

TEST(Metainfo, InfoHashIsOverTheExactInfoBytes) {
    const std::string bytes =
        read_file(kDataDir + "good_unknown_keys.mtorrent", kMaxMetainfoSize).value();
    auto m = parse_metainfo(bytes);
    ASSERT_TRUE(m.ok());
    const auto root = bencode::decode(bytes).value();
    const std::string_view info = root.find("info")->raw();
    EXPECT_EQ(m->info_bytes, info);
    EXPECT_EQ(m->info_hash, InfoHash{Sha1::digest(info)});
    // Unknown keys are kept: inside info through the raw bytes, at top level in extra.
    EXPECT_NE(m->info_bytes.find("x-mtorrent-note"), std::string::npos);
    ASSERT_EQ(m->extra.count("x-extra"), 1u);
    EXPECT_EQ(m->extra.at("x-extra"), "li1ei2ee");
}

TEST(Metainfo, OpensWhatOtherClientsOpen) {
    // Keys out of order inside info: the info_hash is over the raw bytes.
    const std::string info =
        "d4:name1:x6:lengthi1e6:pieces20:aaaaaaaaaaaaaaaaaaaa12:piece lengthi16384ee";
    auto m = parse_metainfo("d8:announce3:url4:info" + info + "e\n");
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_FALSE(m->canonical);
    EXPECT_EQ(m->info_bytes, info);
    EXPECT_EQ(m->info_hash, InfoHash{Sha1::digest(info)});
    EXPECT_EQ(m->name, "x");
    EXPECT_EQ(m->length, 1u);
    // Fetched from peers (BEP 9), the same bytes open too.
    auto fetched = metainfo_from_info(info, {"http://t:1/announce"});
    ASSERT_TRUE(fetched.ok()) << fetched.error().message;
    EXPECT_EQ(fetched->info_hash, m->info_hash);

    // announce-list: what is not a tier of URL strings is skipped.
    auto mixed = load_metainfo(kDataDir + "good_lenient_announce_list_mixed.mtorrent");
    ASSERT_TRUE(mixed.ok()) << mixed.error().message;
    EXPECT_EQ(mixed->trackers(),
              (std::vector<std::string>{"http://127.0.0.1:6969/announce", "udp://127.0.0.1:6970"}));
    auto flat = load_metainfo(kDataDir + "good_lenient_announce_list_flat.mtorrent");
    ASSERT_TRUE(flat.ok()) << flat.error().message;
    EXPECT_EQ(flat->trackers(), (std::vector<std::string>{"http://127.0.0.1:6969/announce"}));

    // A hybrid v1+v2 torrent is read through its v1 keys.
    auto hybrid = load_metainfo(kDataDir + "good_hybrid_v1_v2.mtorrent");
    ASSERT_TRUE(hybrid.ok()) << hybrid.error().message;
    EXPECT_TRUE(hybrid->canonical);
    EXPECT_EQ(hybrid->length, 10u);
}

TEST(Metainfo, MultiFile) {
    auto m = load_metainfo(kDataDir + "good_multi_file.mtorrent");
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_TRUE(m->multi_file());
    ASSERT_EQ(m->files.size(), 3u);
    EXPECT_EQ(m->files[0].path, (std::vector<std::string>{"a", "one.bin"}));
    EXPECT_EQ(m->files[1].length, 0u);
    EXPECT_EQ(m->length, 16384u + 100u);
    EXPECT_EQ(m->piece_count(), 2u);
}

TEST(Metainfo, TrackersFallBackToAnnounce) {
    auto m = load_metainfo(kDataDir + "good_announce_only.mtorrent");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->trackers(), (std::vector<std::string>{"http://127.0.0.1:6969/announce"}));
    EXPECT_TRUE(load_metainfo(kDataDir + "good_no_trackers.mtorrent")->trackers().empty());
}

TEST(Metainfo, BuildsWhatMtorrentWrites) {
    const std::string pieces(40, 'p');
    const auto m =
        make_single_file_metainfo("data.bin", kPieceLength + 5, kPieceLength, pieces,
                                  {"http://a:1/announce", "udp://b:2"}, 1700000000, "mtorrent/x");
    const std::string expected_info =
        "d6:lengthi524293e4:name8:data.bin12:piece lengthi524288e6:pieces40:" + pieces + "e";
    EXPECT_EQ(m.info_bytes, expected_info);
    EXPECT_EQ(m.info_hash, InfoHash{Sha1::digest(expected_info)});
    const std::string file = encode_metainfo(m);
    EXPECT_EQ(
        file,
        "d8:announce19:http://a:1/announce13:announce-listll19:http://a:1/announce9:udp://b:2ee"
        "10:created by10:mtorrent/x13:creation datei1700000000e4:info" +
            expected_info + "e");
    auto back = parse_metainfo(file);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->info_hash, m.info_hash);
    EXPECT_EQ(back->trackers(), (std::vector<std::string>{"http://a:1/announce", "udp://b:2"}));
}

TEST(Metainfo, OversizedInputIsRefusedBeforeParsing) {
    const std::string big(kMaxMetainfoSize + 1, 'x');
    auto m = parse_metainfo(big);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, Errc::limit_exceeded);
}

TEST(Metainfo, PathSegments) {
    EXPECT_TRUE(check_path_segment("ok.txt", "name").ok());
    EXPECT_TRUE(check_path_segment("...", "name").ok());
    EXPECT_FALSE(check_path_segment("", "name").ok());
    EXPECT_FALSE(check_path_segment(".", "name").ok());
    EXPECT_FALSE(check_path_segment("..", "name").ok());
    EXPECT_FALSE(check_path_segment("/abs", "name").ok());
    EXPECT_FALSE(check_path_segment(std::string("a\0b", 3), "name").ok());
}

TEST(Metainfo, BencodeErrorsKeepTheirOffset) {
    auto m = parse_metainfo("d8:announce");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, Errc::parse_error);
    EXPECT_EQ(m.error().offset, 11u);
}

TEST(Metainfo, FromFetchedInfoBytes) {
    const std::string pieces(40, 'p');
    // Keys another tool may add (private, source) stay in the info bytes.
    const std::string info =
        "d6:lengthi524293e4:name8:data.bin12:piece lengthi524288e6:pieces40:" + pieces +
        "7:privatei1e6:source3:abce";
    auto m = metainfo_from_info(info, {"http://a:1/announce", "udp://b:2"});
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->info_bytes, info);
    EXPECT_EQ(m->info_hash, InfoHash{Sha1::digest(info)});
    EXPECT_EQ(m->name, "data.bin");
    EXPECT_EQ(m->length, kPieceLength + 5);
    EXPECT_TRUE(m->is_private);
    EXPECT_EQ(encode_metainfo(*m),
              "d8:announce19:http://a:1/announce13:announce-listll19:http://a:1/announce"
              "9:udp://b:2ee4:info" +
                  info + "e");

    auto bare = metainfo_from_info(info, {});
    ASSERT_TRUE(bare.ok()) << bare.error().message;
    EXPECT_TRUE(bare->trackers().empty());
    EXPECT_EQ(encode_metainfo(*bare), "d4:info" + info + "e");
}

TEST(Metainfo, FromFetchedInfoBytesErrors) {
    const std::string pieces(40, 'p');
    const std::string good =
        "d6:lengthi524293e4:name8:data.bin12:piece lengthi524288e6:pieces40:" + pieces + "e";
    struct Bad {
        std::string info;
        std::vector<std::string> trackers;
        const char* message;
    } cases[] = {
        {"", {}, "metainfo: info: "},
        {good + "x", {}, "metainfo: info: "},  // trailing bytes: not one value
        {"li1ee", {}, "metainfo: info must be a dictionary"},
        {"d4:name1:xe", {}, "metainfo: info.piece length is missing"},
        {"d6:lengthi5e4:name2:..12:piece lengthi4e6:pieces40:" + pieces + "e",
         {},
         "metainfo: info.name '..' is a relative directory reference"},
        {good, {"http://a:1/announce", ""}, "announce-list holds an empty tracker URL"},
    };
    for (const auto& c : cases) {
        auto m = metainfo_from_info(c.info, c.trackers);
        ASSERT_FALSE(m.ok()) << c.info;
        EXPECT_EQ(m.error().code, Errc::invalid_argument) << m.error().message;
        EXPECT_NE(m.error().message.find(c.message), std::string::npos) << m.error().message;
    }
}

}  // namespace
}  // namespace mt::common
