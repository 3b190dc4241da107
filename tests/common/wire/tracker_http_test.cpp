#include "common/wire/tracker_http.h"

#include <gtest/gtest.h>

#include <string>

#include "common/bencode.h"
#include "common/wire/http.h"

namespace mt::common::wire {
namespace {

InfoHash hash_of(char fill) {
    return InfoHash::from_bytes(std::string(20, fill));
}
PeerId peer_of(char fill) {
    return PeerId::from_bytes(std::string(20, fill));
}

AnnounceRequest sample_request() {
    AnnounceRequest r;
    r.info_hash = InfoHash::from_bytes(std::string("\x00\x01+ %&=\xff", 8) + std::string(12, 'h'));
    r.peer_id = PeerId::from_bytes("-MT0001-abcdefghijkl");
    r.port = 6881;
    r.uploaded = 1;
    r.downloaded = 9223372036854775807ULL;
    r.left = 0;
    r.event = AnnounceEvent::started;
    r.numwant = 50;
    r.key = 0xdeadbeef;
    r.compact = true;
    return r;
}

QueryParams params(const std::string& query) {
    auto q = parse_query(query);
    EXPECT_TRUE(q.ok()) << q.error().message;
    return q.ok() ? *q : QueryParams{};
}

const std::string kIh = std::string(20, 'a');
const std::string kBase = "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') +
                          "&port=6881&uploaded=0&downloaded=0&left=100";

TEST(AnnounceQuery, RoundTripsEveryField) {
    AnnounceRequest r = sample_request();
    for (AnnounceEvent e : {AnnounceEvent::none, AnnounceEvent::started, AnnounceEvent::completed,
                            AnnounceEvent::stopped}) {
        r.event = e;
        r.compact = e != AnnounceEvent::completed;
        r.no_peer_id = e == AnnounceEvent::stopped;
        r.numwant = e == AnnounceEvent::none ? -1 : 7;
        r.ip =
            e == AnnounceEvent::started ? std::optional<std::uint32_t>(0x0a000001) : std::nullopt;
        const std::string q = build_announce_query(r);
        ASSERT_EQ(q.front(), '?');
        auto back = parse_announce_query(params(q.substr(1)), true);
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(*back, r) << q;
    }
}

TEST(AnnounceQuery, ParsesAMinimalQuery) {
    auto r = parse_announce_query(params(kBase), false);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->info_hash, hash_of('a'));
    EXPECT_EQ(r->peer_id, peer_of('p'));
    EXPECT_EQ(r->port, 6881);
    EXPECT_EQ(r->left, 100u);
    EXPECT_EQ(r->event, AnnounceEvent::none);
    EXPECT_EQ(r->numwant, -1);
    EXPECT_TRUE(r->compact);
    EXPECT_FALSE(r->ip.has_value());
}

TEST(AnnounceQuery, OptionalKeys) {
    auto r = parse_announce_query(
        params(kBase + "&numwant=100000&key=12345&ip=1.2.3.4&no_peer_id=1&event="), false);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->numwant, kMaxNumwant);
    EXPECT_EQ(r->key, 12345u);
    EXPECT_FALSE(r->ip.has_value());  // not trusted
    EXPECT_TRUE(r->no_peer_id);
    r = parse_announce_query(params(kBase + "&numwant=-5&key=0x0000ABCD&ip=1.2.3.4"), true);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->numwant, -1);
    EXPECT_EQ(r->key, 0xabcdu);
    EXPECT_EQ(r->ip, 0x01020304u);
}

// What real clients send (seen on loopback against Debian 12's packages).
TEST(AnnounceQuery, AcceptsTheKeysRealClientsSend) {
    // transmission 3.00: 8 characters of [a-z0-9]
    auto r = parse_announce_query(params(kBase + "&key=k3x9q0zw"), false);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const std::uint32_t transmission_key = r->key;
    // aria2c 1.36: 8 random bytes, %-escaped
    r = parse_announce_query(params(kBase + "&key=%AF%93%07%C8%7BR%14%23"), false);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_NE(r->key, transmission_key);
    // the same opaque key always gives the same value
    auto again = parse_announce_query(params(kBase + "&key=k3x9q0zw"), false);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->key, transmission_key);
    // libtorrent: 8 hex digits keep their value
    r = parse_announce_query(params(kBase + "&key=1A2B3C4D"), false);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->key, 0x1a2b3c4du);
}

struct BadQuery {
    const char* name;
    std::string query;
    const char* message;
};

class AnnounceQueryRejects : public ::testing::TestWithParam<BadQuery> {};

TEST_P(AnnounceQueryRejects, WithASentenceNamingTheKey) {
    auto r = parse_announce_query(params(GetParam().query), true);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().message, GetParam().message);
}

const std::string kNoIh =
    "peer_id=" + std::string(20, 'p') + "&port=1&uploaded=0&downloaded=0&left=0";

INSTANTIATE_TEST_SUITE_P(
    Table, AnnounceQueryRejects,
    ::testing::Values(
        BadQuery{"MissingInfoHash", kNoIh, "missing info_hash"},
        BadQuery{"ShortInfoHash", kNoIh + "&info_hash=" + std::string(19, 'a'),
                 "info_hash must be 20 bytes, got 19"},
        BadQuery{"TwoInfoHashes", kBase + "&info_hash=" + kIh, "info_hash is given more than once"},
        BadQuery{"MissingPeerId", "info_hash=" + kIh + "&port=1", "missing peer_id"},
        BadQuery{"LongPeerId", "info_hash=" + kIh + "&peer_id=" + std::string(21, 'p'),
                 "peer_id must be 20 bytes, got 21"},
        BadQuery{"PortZero", "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') + "&port=0",
                 "port must be a number in 1..65535"},
        BadQuery{"PortHuge",
                 "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') + "&port=65536",
                 "port must be a number in 1..65535"},
        BadQuery{"MissingLeft",
                 "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') +
                     "&port=1&uploaded=0&downloaded=0",
                 "missing left"},
        BadQuery{"NegativeLeft",
                 "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') +
                     "&port=1&uploaded=0&downloaded=0&left=-1",
                 "left is not a non-negative integer below 2^63"},
        BadQuery{"PlusSign",
                 "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') +
                     "&port=1&uploaded=%2B1&downloaded=0&left=0",
                 "uploaded is not a non-negative integer below 2^63"},
        BadQuery{"Space",
                 "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') +
                     "&port=1&uploaded=0&downloaded=+1&left=0",
                 "downloaded is not a non-negative integer below 2^63"},
        BadQuery{"Overflow",
                 "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') +
                     "&port=1&uploaded=9223372036854775808&downloaded=0&left=0",
                 "uploaded is not a non-negative integer below 2^63"},
        BadQuery{"Empty",
                 "info_hash=" + kIh + "&peer_id=" + std::string(20, 'p') +
                     "&port=1&uploaded=&downloaded=0&left=0",
                 "uploaded is not a non-negative integer below 2^63"},
        BadQuery{"BadEvent", kBase + "&event=paused",
                 "event must be started, completed, stopped or empty, got 'paused'"},
        BadQuery{"BadNumwant", kBase + "&numwant=ten", "numwant is not an integer"},
        BadQuery{"EmptyKey", kBase + "&key=", "key must be 1 to 64 bytes"},
        BadQuery{"LongKey", kBase + "&key=" + std::string(65, 'k'), "key must be 1 to 64 bytes"},
        BadQuery{"BadCompact", kBase + "&compact=2", "compact must be 0 or 1"},
        BadQuery{"BadIp6", kBase + "&ip=1::2::3", "ip is not a dotted IPv4 or an IPv6 address"},
        BadQuery{"BadIp", kBase + "&ip=1.2.3.256", "ip is not a dotted IPv4 or an IPv6 address"}),
    [](const auto& p) { return std::string(p.param.name); });

// ---- Announce replies ----------------------------------------------------------

TEST(AnnounceResponse, CompactGoldenBytes) {
    AnnounceResponse r;
    r.interval = 1800;
    r.complete = 2;
    r.incomplete = 1;
    r.peers = {{0x0a000001, 6881, std::nullopt}, {0xc0a80102, 0x1f90, std::nullopt}};
    const std::string want =
        std::string("d8:completei2e10:incompletei1e8:intervali1800e5:peers12:") +
        std::string("\x0a\x00\x00\x01\x1a\xe1\xc0\xa8\x01\x02\x1f\x90", 12) + "e";
    EXPECT_EQ(encode_announce_response(r, true, false), want);
    auto back = decode_announce_response(want, 100);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, r);
}

// BEP 7: IPv6 peers go in peers6 (18 bytes each), IPv4 ones stay in peers.
TEST(AnnounceResponse, CompactIpv6GoldenBytes) {
    AnnounceResponse r;
    r.interval = 60;
    r.peers = {{0x0a000001, 6881, std::nullopt},
               {*IpAddr::parse("2001:db8::1"), 0x1f90, std::nullopt}};
    const std::string want =
        std::string("d8:completei0e10:incompletei0e8:intervali60e5:peers6:") +
        std::string("\x0a\x00\x00\x01\x1a\xe1", 6) + "6:peers618:" +
        std::string("\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1f\x90",
                    18) +
        "e";
    EXPECT_EQ(encode_announce_response(r, true, false), want);
    auto back = decode_announce_response(want, 100);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, r);
    // Only IPv6 peers: an empty peers string, as trackers send it.
    AnnounceResponse only6;
    only6.interval = 60;
    only6.peers = {{*IpAddr::parse("::1"), 80, std::nullopt}};
    auto back6 = decode_announce_response(encode_announce_response(only6, true, false), 100);
    ASSERT_TRUE(back6.ok());
    EXPECT_EQ(*back6, only6);
    // The dict form carries IPv6 text.
    auto dict = decode_announce_response(encode_announce_response(r, false, true), 100);
    ASSERT_TRUE(dict.ok()) << dict.error().message;
    EXPECT_EQ(dict->peers, r.peers);
}

TEST(AnnounceResponse, RejectsBadPeers6) {
    auto bad_len = decode_announce_response("d8:intervali60e6:peers65:abcdee", 100);
    ASSERT_FALSE(bad_len.ok());
    EXPECT_NE(bad_len.error().message.find("multiple of 18"), std::string::npos);
    EXPECT_FALSE(decode_announce_response("d8:intervali60e6:peers6i5ee", 100).ok());
    // The limit counts both lists together.
    const std::string two6 = std::string(16, '\x20') + std::string("\x00\x01", 2) +
                             std::string(16, '\x21') + std::string("\x00\x02", 2);
    const std::string body =
        "d8:intervali60e5:peers6:" + std::string("\x01\x02\x03\x04\x00\x05", 6) +
        "6:peers636:" + two6 + "e";
    auto ok3 = decode_announce_response(body, 3);
    EXPECT_TRUE(ok3.ok()) << ok3.error().message;
    auto over = decode_announce_response(body, 2);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().code, Errc::limit_exceeded);
    EXPECT_FALSE(decode_announce_response("d8:intervali60e6:peers618:" + std::string(16, '\x20') +
                                              std::string("\x00\x00", 2) + "e",
                                          100)
                     .ok());  // port 0
}

TEST(AnnounceResponse, DictGoldenBytes) {
    AnnounceResponse r;
    r.interval = 900;
    r.min_interval = 60;
    r.warning_message = "slow down";
    r.peers = {{0x7f000001, 80, peer_of('x')}};
    const std::string want =
        "d8:completei0e10:incompletei0e8:intervali900e12:min intervali60e5:peersld2:ip9:127.0.0.1"
        "7:peer id20:" +
        std::string(20, 'x') + "4:porti80eee15:warning message9:slow downe";
    EXPECT_EQ(encode_announce_response(r, false, false), want);
    auto back = decode_announce_response(want, 100);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, r);
    // no_peer_id drops the ids.
    auto without = decode_announce_response(encode_announce_response(r, false, true), 100);
    ASSERT_TRUE(without.ok());
    EXPECT_FALSE(without->peers[0].peer_id.has_value());
}

TEST(AnnounceResponse, FailureHasOnlyTheReason) {
    AnnounceResponse r;
    r.failure_reason = "unregistered torrent";
    r.interval = 5;
    EXPECT_EQ(encode_announce_response(r, true, false),
              "d14:failure reason20:unregistered torrente");
    EXPECT_EQ(encode_failure("x"), "d14:failure reason1:xe");
    auto back = decode_announce_response(encode_failure("unregistered torrent"), 10);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->failure_reason, "unregistered torrent");
}

TEST(AnnounceResponse, MissingOptionalKeys) {
    auto r = decode_announce_response("d8:intervali30ee", 10);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->interval, 30u);
    EXPECT_TRUE(r->peers.empty());
}

TEST(AnnounceResponse, RejectsMalformed) {
    auto err = [](const std::string& body, std::size_t max = 10) {
        auto r = decode_announce_response(body, max);
        EXPECT_FALSE(r.ok()) << body;
        return r.ok() ? std::string() : r.error().message;
    };
    EXPECT_NE(err("d8:intervali30e5:peers5:abcdee").find("not a multiple of 6"), std::string::npos);
    EXPECT_NE(err("d5:peers0:e").find("missing 'interval'"), std::string::npos);
    EXPECT_NE(err("d8:intervali-1ee").find("interval"), std::string::npos);
    EXPECT_NE(err("d8:intervali30e5:peersld2:ip7:1.2.3.x4:porti1eeee").find("ip"),
              std::string::npos);
    EXPECT_NE(err("d8:intervali30e5:peersld2:ip7:1.2.3.44:porti0eeee").find("port"),
              std::string::npos);
    EXPECT_NE(err("d8:intervali30e5:peersld2:ip7:1.2.3.44:porti65536eeee").find("port"),
              std::string::npos);
    EXPECT_NE(
        err("d8:intervali30e5:peersld2:ip7:1.2.3.47:peer id3:abc4:porti1eeee").find("peer id"),
        std::string::npos);
    EXPECT_NE(
        err("d8:intervali30e5:peers12:" + std::string(12, '\x01') + "e", 1).find("more than 1"),
        std::string::npos);
    EXPECT_FALSE(decode_announce_response("not bencode", 10).ok());
    EXPECT_FALSE(decode_announce_response("le", 10).ok());
}

TEST(Ipv4, ParseAndFormat) {
    EXPECT_EQ(*parse_ipv4("255.255.255.255"), 0xffffffffu);
    EXPECT_EQ(format_ipv4(0x0a000102), "10.0.1.2");
    for (const char* bad :
         {"", "1.2.3", "1.2.3.4.", "01.2.3.4", "1.2.3.256", "a.b.c.d", "1..2.3", "1.2.3.4 "})
        EXPECT_FALSE(parse_ipv4(bad).ok()) << bad;
}

// ---- Scrape --------------------------------------------------------------------

TEST(Scrape, QueryRoundTripAndLimits) {
    const std::vector<InfoHash> hashes = {hash_of('a'), hash_of('\x01'), hash_of('a')};
    const std::string q = build_scrape_query(hashes);
    auto back = parse_scrape_query(params(q.substr(1)), 10);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, hashes);
    EXPECT_EQ(parse_scrape_query(params(q.substr(1)), 2).error().code, Errc::limit_exceeded);
    EXPECT_EQ(parse_scrape_query(params("x=1"), 2).error().message, "missing info_hash");
    EXPECT_EQ(parse_scrape_query(params("info_hash=abc"), 2).error().message,
              "info_hash must be 20 bytes, got 3");
}

TEST(Scrape, ResponseGoldenAndRoundTrip) {
    const std::vector<ScrapeEntry> entries = {{hash_of('b'), 3, 10, 4}, {hash_of('a'), 1, 2, 0}};
    const std::string body = encode_scrape_response(entries);
    EXPECT_EQ(body,
              "d5:filesd20:" + std::string(20, 'a') +
                  "d8:completei1e10:downloadedi2e10:incompletei0ee20:" + std::string(20, 'b') +
                  "d8:completei3e10:downloadedi10e10:incompletei4eeee");
    auto back = decode_scrape_response(body, 10);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, (std::vector<ScrapeEntry>{entries[1], entries[0]}));  // hash order
    EXPECT_EQ(decode_scrape_response(body, 1).error().code, Errc::limit_exceeded);
    EXPECT_EQ(decode_scrape_response(encode_failure("no"), 1).error().code, Errc::refused);
    EXPECT_FALSE(decode_scrape_response("d5:filesd3:abcdeee", 10).ok());
    EXPECT_FALSE(decode_scrape_response("de", 10).ok());
}

}  // namespace
}  // namespace mt::common::wire

namespace mt::common::wire {
namespace {
// The compact reply is written by hand for speed: the strict decoder (which
// rejects unsorted keys) and a round trip check it with every optional key.
TEST(AnnounceResponse, CompactFastPathIsCanonical) {
    AnnounceResponse r;
    r.interval = 1800;
    r.min_interval = 60;
    r.complete = 7;
    r.incomplete = 0;
    r.warning_message = "be nice";
    for (std::uint32_t i = 0; i < 50; ++i)
        r.peers.push_back({0x7f000000 + i, static_cast<std::uint16_t>(1000 + i), std::nullopt});
    const std::string bytes = encode_announce_response(r, true, false);
    ASSERT_TRUE(common::bencode::decode(bytes).ok());
    auto back = decode_announce_response(bytes, 100);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, r);
    r.peers.clear();
    EXPECT_EQ(decode_announce_response(encode_announce_response(r, true, false), 100).value(), r);
}
}  // namespace
}  // namespace mt::common::wire
