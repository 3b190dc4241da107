#include "client/session/state_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "common/byte_io.h"
#include "common/crc32c.h"
#include "common/file_util.h"

namespace mt::client {
namespace {

SessionState sample() {
    SessionState s;
    SavedTransfer a;
    a.kind = SavedTransfer::Kind::share;
    a.label = "movie.mtorrent";
    a.mtorrent_path = "/home/u/movie.mtorrent";
    a.data_path = "/home/u/movie.mkv";
    a.info_hash = common::InfoHash::from_bytes(std::string(20, '\x01'));
    a.size = 123456789;
    a.mtime_ns = 1700000000123456789;
    a.complete = true;
    SavedTransfer b;
    b.kind = SavedTransfer::Kind::download;
    b.label = "song.mtorrent";
    b.data_path = "/tmp/song with space.ogg";
    b.info_hash = common::InfoHash::from_bytes(std::string(20, '\xfe'));
    b.watch_dir = "";
    b.paused = true;
    b.uploaded = 5'000'000'000;
    b.sources.dht = false;
    b.adopted = true;
    SavedTransfer c = a;
    c.label = "w.bin.mtorrent";
    c.mtorrent_path.clear();
    c.watch_dir = "/srv/share";
    c.info_hash = common::InfoHash::from_bytes(std::string(20, '\x07'));
    c.sources.pex = false;
    s.transfers = {a, b, c};
    s.lookups = {{"0123456789abcdef0123456789abcdef01234567", "/tmp/x", {false, false}},
                 {"name.iso", "/tmp/n", {}}};
    s.watched = {"/srv/share", "/srv/other"};
    s.limit_up = 2048 * 1024;
    return s;
}

TEST(StateStore, RoundTrip) {
    const SessionState s = sample();
    auto d = decode_state(encode_state(s));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, s);
    auto empty = decode_state(encode_state({}));
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(*empty, SessionState{});
}

TEST(StateStore, HeaderLayout) {
    const std::string e = encode_state(sample());
    EXPECT_EQ(e.substr(0, 8), "MTSESS01");
    EXPECT_EQ(common::read_u32(e.data() + 8), kStateVersion);
    EXPECT_EQ(common::read_u32(e.data() + 12), e.size() - 20);
    EXPECT_EQ(common::read_u32(e.data() + e.size() - 4),
              common::crc32c(std::string_view(e).substr(0, e.size() - 4)));
    EXPECT_EQ(e[16], 'd');  // the payload is a bencoded dictionary
}

TEST(StateStore, EveryDamageIsRejected) {
    const std::string good = encode_state(sample());
    // Every truncation and every single-bit flip is caught (length or CRC).
    for (std::size_t n = 0; n < good.size(); ++n)
        EXPECT_FALSE(decode_state(good.substr(0, n)).ok()) << n;
    for (std::size_t i = 0; i < good.size(); ++i) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x10);
        EXPECT_FALSE(decode_state(bad).ok()) << i;
    }
    EXPECT_FALSE(decode_state(good + "x").ok());
}

// A payload with a valid frame but wrong contents.
std::string framed(std::string_view payload, std::uint32_t version = kStateVersion) {
    std::string out = "MTSESS01";
    common::append_u32(out, version);
    common::append_u32(out, static_cast<std::uint32_t>(payload.size()));
    out += payload;
    common::append_u32(out, common::crc32c(out));
    return out;
}

// Files written before pause, upload totals and limits existed still load.
TEST(StateStore, OptionalFieldsOfLaterVersions) {
    const std::string t =
        "d8:completei1e4:data2:/d9:info_hash20:hhhhhhhhhhhhhhhhhhhh4:kind5:share5:label1:l8:"
        "mtime_nsi0e8:mtorrent0:4:sizei1e5:watch0:e";
    auto old = decode_state(framed("d7:lookupsle9:transfersl" + t + "e7:watchedlee"));
    ASSERT_TRUE(old.ok()) << old.error().message;
    EXPECT_FALSE(old->transfers[0].paused);
    EXPECT_FALSE(old->transfers[0].adopted);
    EXPECT_EQ(old->transfers[0].uploaded, 0u);
    EXPECT_EQ(old->transfers[0].sources, PeerSources{});  // DHT and PEX on
    std::string no_dht = t;
    no_dht.insert(no_dht.find("4:sizei"), "6:no_dhti1e");
    auto nd = decode_state(framed("d7:lookupsle9:transfersl" + no_dht + "e7:watchedlee"));
    ASSERT_TRUE(nd.ok()) << nd.error().message;
    EXPECT_FALSE(nd->transfers[0].sources.dht);
    EXPECT_TRUE(nd->transfers[0].sources.pex);
    std::string bad_pex = t;
    bad_pex.insert(bad_pex.find("6:pausedi") == std::string::npos ? bad_pex.find("4:sizei") : 0,
                   "6:no_pexi7e");
    auto bp = decode_state(framed("d7:lookupsle9:transfersl" + bad_pex + "e7:watchedlee"));
    ASSERT_FALSE(bp.ok());
    EXPECT_NE(bp.error().message.find("no_pex"), std::string::npos);
    EXPECT_EQ(old->limit_up, 0u);
    std::string bad_paused = t;
    bad_paused.insert(bad_paused.find("4:sizei"), "6:pausedi2e");
    auto r = decode_state(framed("d7:lookupsle9:transfersl" + bad_paused + "e7:watchedlee"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("paused"), std::string::npos);
    std::string bad_adopted = t;
    bad_adopted.insert(bad_adopted.find("8:completei"), "7:adoptedi5e");
    r = decode_state(framed("d7:lookupsle9:transfersl" + bad_adopted + "e7:watchedlee"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("adopted"), std::string::npos);
    auto neg =
        decode_state(framed("d6:limitsd4:downi-1e2:upi0ee7:lookupsle9:transfersle7:watchedlee"));
    ASSERT_FALSE(neg.ok());
    auto lim =
        decode_state(framed("d6:limitsd4:downi0e2:upi1024ee7:lookupsle9:transfersle7:watchedlee"));
    ASSERT_TRUE(lim.ok()) << lim.error().message;
    EXPECT_EQ(lim->limit_up, 1024u);
}

TEST(StateStore, SemanticErrorsNameTheField) {
    EXPECT_TRUE(decode_state(framed("d7:lookupsle9:transfersle7:watchedlee")).ok());
    auto v2 = decode_state(framed("d7:lookupsle9:transfersle7:watchedlee", 2));
    ASSERT_FALSE(v2.ok());
    EXPECT_NE(v2.error().message.find("version 2"), std::string::npos);
    auto missing = decode_state(framed("d7:lookupsle7:watchedlee"));
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("transfers"), std::string::npos);
    EXPECT_FALSE(decode_state(framed("le")).ok());
    EXPECT_FALSE(decode_state(framed("d7:lookupsle9:transfersli1ee7:watchedlee")).ok());
    EXPECT_FALSE(decode_state(framed("d7:lookupsle9:transfersle7:watchedli1eee")).ok());
    // A transfer with a short info_hash and one with an unknown kind.
    const std::string t1 =
        "d8:completei1e4:data2:/d9:info_hash3:abc4:kind5:share5:label1:l8:mtime_nsi0e8:"
        "mtorrent0:4:sizei1e5:watch0:e";
    auto r1 = decode_state(framed("d7:lookupsle9:transfersl" + t1 + "e7:watchedlee"));
    ASSERT_FALSE(r1.ok());
    EXPECT_NE(r1.error().message.find("info_hash"), std::string::npos);
    std::string t2 = t1;
    t2.replace(t2.find("3:abc"), 5, "20:" + std::string(20, 'h'));
    EXPECT_TRUE(decode_state(framed("d7:lookupsle9:transfersl" + t2 + "e7:watchedlee")).ok());
    t2.replace(t2.find("5:share"), 7, "4:seed");
    auto r2 = decode_state(framed("d7:lookupsle9:transfersl" + t2 + "e7:watchedlee"));
    ASSERT_FALSE(r2.ok());
    EXPECT_NE(r2.error().message.find("kind"), std::string::npos);
}

TEST(StateStore, LoadSaveAndCorruptFileSetAside) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("mt-state-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "session.state").string();
    auto first = load_state(path);  // missing: a first start
    EXPECT_TRUE(first.problem.empty());
    EXPECT_EQ(first.state, SessionState{});
    ASSERT_TRUE(save_state(path, sample()).ok());
    auto again = load_state(path);
    EXPECT_TRUE(again.problem.empty()) << again.problem;
    EXPECT_EQ(again.state, sample());
    ASSERT_TRUE(common::write_file_atomic(path, "MTSESS01 garbage").ok());
    auto bad = load_state(path);
    EXPECT_NE(bad.problem.find("moved to"), std::string::npos) << bad.problem;
    EXPECT_EQ(bad.state, SessionState{});
    EXPECT_FALSE(std::filesystem::exists(path));
    bool aside = false;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        aside |= e.path().filename().string().rfind("session.state.corrupt-", 0) == 0;
    EXPECT_TRUE(aside);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mt::client
