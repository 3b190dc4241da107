// TrackerService without sockets: requests go in as parsed HTTP requests and
// datagrams, replies come out as bytes, the clock is the test's.
#include "tracker/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/bencode.h"
#include "common/metainfo.h"
#include "common/wire/http.h"
#include "common/wire/search.h"
#include "common/wire/tracker_http.h"
#include "common/wire/udp_tracker.h"
#include "common/wire/url.h"

namespace mt::tracker {
namespace {

using common::wire::HttpRequest;
using common::wire::HttpResponse;

constexpr std::uint32_t kLoopback = 0x7f000001;

common::InfoHash hash(int i) {
    common::InfoHash h;
    h.bytes[0] = static_cast<std::uint8_t>(i);
    h.bytes[19] = static_cast<std::uint8_t>(i + 1);
    return h;
}

common::PeerId peer(int i) {
    common::PeerId p;
    p.bytes[0] = static_cast<std::uint8_t>(i);
    p.bytes[1] = 'p';
    return p;
}

// A request as the HTTP parser produces it from `raw` bytes.
HttpRequest parse_request(const std::string& raw) {
    common::wire::HttpRequestParser::Limits limits;
    limits.max_body_bytes = 1 << 20;
    common::wire::HttpRequestParser p(limits);
    p.feed(raw);
    auto step = p.next();
    auto* req = std::get_if<HttpRequest>(&step);
    EXPECT_NE(req, nullptr) << raw;
    return req ? *req : HttpRequest{};
}

HttpRequest get(const std::string& target, bool keep_alive = true) {
    return parse_request("GET " + target + " HTTP/1.1\r\nHost: t\r\n" +
                         (keep_alive ? "" : "Connection: close\r\n") + "\r\n");
}

HttpRequest post(const std::string& target, const std::string& body) {
    return parse_request("POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body);
}

HttpResponse parse_response(const Reply& r) {
    common::wire::HttpResponseParser p;
    p.feed(r.bytes);
    auto step = p.next();
    auto* resp = std::get_if<HttpResponse>(&step);
    EXPECT_NE(resp, nullptr) << r.bytes;
    return resp ? *resp : HttpResponse{};
}

std::string announce_target(int torrent, int who, std::uint64_t left,
                            common::AnnounceEvent ev = common::AnnounceEvent::started) {
    common::AnnounceRequest a;
    a.info_hash = hash(torrent);
    a.peer_id = peer(who);
    a.port = static_cast<std::uint16_t>(6000 + who);
    a.left = left;
    a.event = ev;
    return "/announce" + common::wire::build_announce_query(a);  // it starts with "?"
}

// The tracker's core over a journal in a temporary folder: store, change
// log (its writer running), connection ids, and the service, with no
// replicator (a lone tracker) and a clock the test moves.
struct TrackerServiceTest : ::testing::Test {
    struct Fwd : Sequencer {
        ChangeLog* cl = nullptr;
        std::uint64_t sequence(Change& c) override { return cl->sequence(c); }
    };
    std::string base = ::testing::TempDir() + "mt_service_" + std::to_string(::getpid()) + "_" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name();
    common::Logger log = common::Logger::null();
    std::int64_t now = 1'700'000'000'000;
    Fwd fwd;
    std::unique_ptr<SwarmStore> store;
    std::unique_ptr<ChangeLog> changelog;
    ConnectionIds ids{"0123456789abcdef0123456789abcdef"};
    std::unique_ptr<TrackerService> service;

    void SetUp() override { start(ServiceOptions{}); }
    void start(ServiceOptions so) {
        stop();  // the old change log's writer uses the old store: it goes first
        cleanup();
        JournalContents loaded;
        auto j = Journal::open(base, log, &loaded);
        ASSERT_TRUE(j.ok()) << j.error().message;
        store = std::make_unique<SwarmStore>(1, StoreLimits{}, fwd);
        changelog = std::make_unique<ChangeLog>(1, std::move(j).value(), store.get(), log,
                                                ChangeLog::Options{});
        fwd.cl = changelog.get();
        changelog->load(loaded, now);
        changelog->start();
        so.self_address = "127.0.0.1:7001";
        so.other_address = "127.0.0.1:7002";
        service = std::make_unique<TrackerService>(so, *store, *changelog, nullptr, ids, log,
                                                   [this] { return now; });
    }
    void TearDown() override {
        stop();
        cleanup();
    }
    void stop() {
        service.reset();
        if (changelog) changelog->stop();
        changelog.reset();
        store.reset();
    }
    void cleanup() {
        std::remove(base.c_str());
        std::remove((base + ".journal").c_str());
    }

    Reply http(const HttpRequest& req, std::uint32_t ip = kLoopback) {
        return service->handle_http(req, ip, "127.0.0.1:40000");
    }
    common::AnnounceResponse announce(int torrent, int who, std::uint64_t left,
                                      common::AnnounceEvent ev = common::AnnounceEvent::started) {
        const Reply r = http(get(announce_target(torrent, who, left, ev)));
        const auto resp = parse_response(r);
        EXPECT_EQ(resp.status, 200);
        auto a = common::wire::decode_announce_response(resp.body, 1000);
        EXPECT_TRUE(a.ok()) << resp.body;
        return a ? *a : common::AnnounceResponse{};
    }
};

TEST_F(TrackerServiceTest, AnnounceReturnsTheOtherPeersAndCounts) {
    auto first = announce(1, 1, 0);  // a seeder
    EXPECT_TRUE(first.failure_reason.empty()) << first.failure_reason;
    EXPECT_EQ(first.complete, 1u);
    EXPECT_EQ(first.incomplete, 0u);
    EXPECT_EQ(first.interval, 1800u);
    EXPECT_TRUE(first.peers.empty()) << "a peer is not told about itself";

    auto second = announce(1, 2, 100);  // a leecher
    EXPECT_EQ(second.complete, 1u);
    EXPECT_EQ(second.incomplete, 1u);
    ASSERT_EQ(second.peers.size(), 1u);
    EXPECT_EQ(second.peers[0].ip, kLoopback);
    EXPECT_EQ(second.peers[0].port, 6001);
    EXPECT_FALSE(second.peers[0].peer_id) << "no peer ids: the tracker keeps none";

    // Another torrent is another swarm.
    EXPECT_TRUE(announce(2, 3, 5).peers.empty());
}

TEST_F(TrackerServiceTest, AChangeWaitsForItsTicketARefreshDoesNot) {
    const Reply joined = http(get(announce_target(1, 1, 0)));
    EXPECT_GT(joined.ticket, 0u) << "a new peer is a change: the reply waits until it is durable";
    changelog->wait_durable(joined.ticket);
    EXPECT_GE(changelog->durable_ticket(), joined.ticket);
    const Reply again = http(get(announce_target(1, 1, 0, common::AnnounceEvent::none)));
    EXPECT_EQ(again.ticket, 0u) << "the same peer again changes nothing";
}

TEST_F(TrackerServiceTest, StoppedRemovesThePeer) {
    announce(1, 1, 0);
    announce(1, 2, 0, common::AnnounceEvent::stopped);
    auto after = announce(1, 3, 10);
    ASSERT_EQ(after.peers.size(), 1u);
    EXPECT_EQ(after.peers[0].port, 6001);
}

TEST_F(TrackerServiceTest, MalformedAnnouncesGetAFailureReasonNotACrash) {
    for (const std::string& target :
         std::vector<std::string>{"/announce", "/announce?info_hash=short&peer_id=x&port=1",
                                  "/announce?%zz", announce_target(1, 1, 0) + "&port=70000"}) {
        const auto resp = parse_response(http(get(target)));
        EXPECT_EQ(resp.status, 200) << target;
        auto a = common::wire::decode_announce_response(resp.body, 10);
        ASSERT_TRUE(a.ok()) << target;
        EXPECT_FALSE(a->failure_reason.empty()) << target;
    }
    const auto posted = parse_response(http(post(announce_target(1, 1, 0), "x")));
    EXPECT_NE(posted.body.find("GET"), std::string::npos) << posted.body;
}

TEST_F(TrackerServiceTest, ConnectionCloseIsHonoured) {
    EXPECT_FALSE(http(get(announce_target(1, 1, 0))).close);
    EXPECT_TRUE(http(get(announce_target(1, 1, 0), false)).close);
    const auto resp = parse_response(http(get("/nowhere", false)));
    EXPECT_EQ(resp.status, 404);
}

TEST_F(TrackerServiceTest, HeadHasTheHeadersOfGetAndNoBody) {
    HttpRequest head = get("/stats");
    head.method = "HEAD";
    const Reply r = http(head);
    EXPECT_EQ(r.bytes.substr(r.bytes.size() - 4), "\r\n\r\n");
    EXPECT_NE(r.bytes.find("application/json"), std::string::npos);
}

TEST_F(TrackerServiceTest, ScrapeCountsEachTorrent) {
    announce(1, 1, 0);
    announce(1, 2, 10);
    announce(1, 3, 10);
    const std::string q = common::wire::build_scrape_query({hash(1), hash(9)});
    const auto resp = parse_response(http(get("/scrape" + q)));
    auto entries = common::wire::decode_scrape_response(resp.body, 10);
    ASSERT_TRUE(entries.ok()) << resp.body;
    ASSERT_EQ(entries->size(), 2u);
    for (const auto& e : *entries) {
        if (e.info_hash == hash(1)) {
            EXPECT_EQ(e.complete, 1u);
            EXPECT_EQ(e.incomplete, 2u);
        } else {
            EXPECT_EQ(e.complete + e.incomplete, 0u);
        }
    }
}

TEST_F(TrackerServiceTest, UdpConnectThenAnnounce) {
    using namespace common::wire;
    const std::uint16_t port = 50000;
    Reply c = service->handle_udp(encode_udp_request(UdpConnectRequest{77}), kLoopback, port);
    auto cr = decode_udp_response(c.bytes);
    ASSERT_TRUE(cr.ok());
    auto* conn = std::get_if<UdpConnectResponse>(&*cr);
    ASSERT_NE(conn, nullptr);
    EXPECT_EQ(conn->transaction_id, 77u);

    announce(1, 1, 0);
    UdpAnnounceRequest a;
    a.connection_id = conn->connection_id;
    a.transaction_id = 78;
    a.request.info_hash = hash(1);
    a.request.peer_id = peer(5);
    a.request.port = 6005;
    a.request.left = 10;
    Reply ar = service->handle_udp(encode_udp_request(a), kLoopback, port);
    auto decoded = decode_udp_response(ar.bytes);
    ASSERT_TRUE(decoded.ok());
    auto* resp = std::get_if<UdpAnnounceResponse>(&*decoded);
    ASSERT_NE(resp, nullptr);
    EXPECT_EQ(resp->transaction_id, 78u);
    ASSERT_EQ(resp->response.peers.size(), 1u);
    EXPECT_EQ(resp->response.peers[0].port, 6001);

    // The same connection id from another source port is not valid.
    Reply forged = service->handle_udp(encode_udp_request(a), kLoopback, port + 1);
    auto fd = decode_udp_response(forged.bytes);
    ASSERT_TRUE(fd.ok());
    EXPECT_TRUE(std::holds_alternative<UdpErrorResponse>(*fd));
}

TEST_F(TrackerServiceTest, UdpConnectionIdsExpire) {
    using namespace common::wire;
    Reply c = service->handle_udp(encode_udp_request(UdpConnectRequest{1}), kLoopback, 50000);
    const auto id = std::get<UdpConnectResponse>(*decode_udp_response(c.bytes)).connection_id;
    now += 10 * 60 * 1000;  // well past BEP 15's two minutes
    UdpAnnounceRequest a;
    a.connection_id = id;
    a.transaction_id = 2;
    a.request.info_hash = hash(1);
    a.request.peer_id = peer(1);
    a.request.port = 6001;
    Reply r = service->handle_udp(encode_udp_request(a), kLoopback, 50000);
    auto d = decode_udp_response(r.bytes);
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(std::holds_alternative<UdpErrorResponse>(*d));
}

TEST_F(TrackerServiceTest, UdpGarbageFromAStrangerGetsNoReply) {
    // No amplification: a malformed datagram without a valid connection id
    // is not answered at all.
    EXPECT_TRUE(service->handle_udp(std::string(40, 'x'), kLoopback, 50000).bytes.empty());
    EXPECT_TRUE(service->handle_udp("", kLoopback, 50000).bytes.empty());
}

std::string sample_mtorrent(const std::string& name) {
    auto m = common::make_single_file_metainfo(name, 1000, 512 * 1024, std::string(20, 'h'),
                                               {"http://127.0.0.1:9/announce"}, 0, "test");
    return common::encode_metainfo(m);
}

TEST_F(TrackerServiceTest, PublishThenSearchThenFetchWithThePairsTrackers) {
    const std::string bytes = sample_mtorrent("ubuntu-24.04.iso");
    const auto pub = parse_response(http(post("/publish", bytes)));
    ASSERT_EQ(pub.status, 200);
    auto d = common::bencode::decode(pub.body);
    ASSERT_TRUE(d.ok()) << pub.body;
    const auto ih = common::parse_metainfo(bytes)->info_hash;

    const auto found = parse_response(http(get("/search?q=ubuntu")));
    auto hits = common::wire::decode_search_reply(found.body);
    ASSERT_TRUE(hits.ok()) << found.body;
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].name, "ubuntu-24.04.iso");
    EXPECT_EQ((*hits)[0].info_hash, ih);

    const auto served = parse_response(http(get("/metainfo?info_hash=" + ih.hex())));
    ASSERT_EQ(served.status, 200);
    auto m = common::parse_metainfo(served.body);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->info_hash, ih) << "the info dictionary is kept verbatim";
    ASSERT_EQ(m->announce_list.size(), 1u);
    EXPECT_EQ(m->announce_list[0], (std::vector<std::string>{"http://127.0.0.1:7001/announce",
                                                             "http://127.0.0.1:7002/announce"}))
        << "served with the pair's trackers, not the publisher's";

    EXPECT_EQ(parse_response(http(get("/metainfo?info_hash=" + hash(3).hex()))).status, 404);
}

// POST /publish?owner= marks the publisher; POST /withdraw with the proof
// behind the mark takes the file back, nothing else does.
TEST_F(TrackerServiceTest, ItsPublisherWithdrawsAFile) {
    const std::string proof(32, 'p');
    const std::string bytes = sample_mtorrent("two.dat");
    const auto ih = common::parse_metainfo(bytes)->info_hash;
    EXPECT_NE(parse_response(http(post("/publish?owner=abc", bytes))).body.find("64 hex"),
              std::string::npos);
    ASSERT_EQ(
        parse_response(http(post("/publish?owner=" + common::to_hex(owner_of_proof(proof)), bytes)))
            .status,
        200);
    auto withdraw = [&](const std::string& target) {
        return parse_response(http(post(target, ""))).body;
    };
    const std::string target = "/withdraw?info_hash=" + ih.hex() + "&proof=";
    EXPECT_NE(withdraw(target + common::to_hex(std::string(32, 'q'))).find("only its publisher"),
              std::string::npos);
    EXPECT_NE(withdraw(target + "00").find("64 hex"), std::string::npos);
    EXPECT_NE(withdraw("/withdraw?proof=" + common::to_hex(proof)).find("info_hash"),
              std::string::npos);
    EXPECT_NE(parse_response(http(get(target + common::to_hex(proof)))).body.find("POST"),
              std::string::npos);
    EXPECT_EQ(parse_response(http(get("/metainfo?info_hash=" + ih.hex()))).status, 200);
    EXPECT_NE(withdraw(target + common::to_hex(proof)).find("9:withdrawn"), std::string::npos);
    EXPECT_EQ(parse_response(http(get("/metainfo?info_hash=" + ih.hex()))).status, 404);
    EXPECT_NE(withdraw(target + common::to_hex(proof)).find("nothing is published"),
              std::string::npos);
}

TEST_F(TrackerServiceTest, PublishRefusesGarbageAndTheQuotaHolds) {
    ServiceOptions so;
    so.publish_quota.max_count = 2;
    start(so);
    const auto bad = parse_response(http(post("/publish", "d4:infoi1ee")));
    EXPECT_NE(bad.body.find("invalid metainfo"), std::string::npos) << bad.body;
    EXPECT_NE(parse_response(http(post("/publish", sample_mtorrent("a")))).body.find("info_hash"),
              std::string::npos);
    const auto over = parse_response(http(post("/publish", sample_mtorrent("b"))));
    EXPECT_NE(over.body.find("quota"), std::string::npos) << over.body;
    // Another address has its own quota; the window passes.
    EXPECT_EQ(parse_response(http(post("/publish", sample_mtorrent("c")), kLoopback + 1))
                  .body.find("quota"),
              std::string::npos);
    now += so.publish_quota.window_ms + 1;
    EXPECT_EQ(parse_response(http(post("/publish", sample_mtorrent("d")))).body.find("quota"),
              std::string::npos);
}

TEST_F(TrackerServiceTest, NewTorrentQuotaPerAddress) {
    ServiceOptions so;
    so.new_torrent_quota.max_count = 3;
    start(so);
    for (int t = 0; t < 3; ++t)
        EXPECT_TRUE(announce(t, 1, 0).failure_reason.empty());
    EXPECT_FALSE(announce(10, 1, 0).failure_reason.empty()) << "a fourth new torrent is refused";
    EXPECT_TRUE(announce(0, 2, 0).failure_reason.empty()) << "an existing torrent is not";
}

TEST_F(TrackerServiceTest, StatsCountWhatWasServed) {
    announce(1, 1, 0);
    announce(1, 2, 10);
    const auto resp = parse_response(http(get("/stats")));
    EXPECT_EQ(resp.status, 200);
    EXPECT_NE(resp.body.find("\"announces\":{\"http\":2,"), std::string::npos) << resp.body;
    EXPECT_NE(resp.body.find("\"peers\":2,\"seeders\":1,"), std::string::npos) << resp.body;
    const auto page = parse_response(http(get("/stats?format=html")));
    EXPECT_EQ(page.status, 200);
    const std::string* type = page.find("content-type");
    ASSERT_NE(type, nullptr);
    EXPECT_NE(type->find("text/html"), std::string::npos);
    EXPECT_NE(page.body.find("<table"), std::string::npos) << page.body.substr(0, 300);
}

TEST_F(TrackerServiceTest, PageIsSafeAndSearchesPublishedFiles) {
    http(post("/publish", sample_mtorrent("Holiday<b>&.mkv")));
    http(post("/publish", sample_mtorrent("other.iso")));
    announce(1, 1, 0);
    for (const char* target : {"/", "/stats?format=html"}) {
        const auto page = parse_response(http(get(target)));
        EXPECT_EQ(page.status, 200);
        ASSERT_NE(page.find("content-type"), nullptr);
        EXPECT_EQ(*page.find("content-type"), "text/html; charset=utf-8");
        ASSERT_NE(page.find("content-security-policy"), nullptr);
        EXPECT_NE(page.find("content-security-policy")->find("default-src 'none'"),
                  std::string::npos);
        ASSERT_NE(page.find("x-content-type-options"), nullptr);
        ASSERT_NE(page.find("x-frame-options"), nullptr);
        EXPECT_NE(page.body.find("Holiday&lt;b&gt;&amp;.mkv"), std::string::npos) << target;
        EXPECT_NE(page.body.find("other.iso"), std::string::npos) << target;
        EXPECT_NE(page.body.find("id=announce-graph"), std::string::npos) << target;
    }
    const auto found = parse_response(http(get("/?q=holiday")));
    EXPECT_NE(found.body.find("Holiday&lt;b&gt;&amp;.mkv"), std::string::npos);
    EXPECT_EQ(found.body.find("other.iso"), std::string::npos);
    EXPECT_NE(found.body.find("value=\"holiday\""), std::string::npos);
    const auto head = parse_response(http(get("/?q=" + std::string(300, 'a'))));
    EXPECT_NE(head.body.find("longer than 256 bytes"), std::string::npos);
    const auto bad = parse_response(http(get("/?q=%zz")));
    EXPECT_EQ(bad.status, 200);
    EXPECT_NE(bad.body.find("not valid URL encoding"), std::string::npos);
    const auto via_stats = parse_response(http(get("/stats?format=html&q=other")));
    EXPECT_NE(via_stats.body.find("other.iso"), std::string::npos);
    EXPECT_EQ(via_stats.body.find("Holiday"), std::string::npos);
}

TEST_F(TrackerServiceTest, PageGraphCountsAnnouncesOfLastSeconds) {
    announce(1, 1, 0);
    announce(1, 2, 0);
    now += 1000;  // the graph shows whole seconds only
    const auto page = parse_response(http(get("/")));
    EXPECT_NE(page.body.find("2 since start"), std::string::npos);
    // Two announces in the last 5 s: 0.4/s, the scale's top is 1/s: y = 130 - 48.
    EXPECT_NE(page.body.find("590.0,82.0\"/><polyline class=\"udp\""), std::string::npos)
        << page.body;
}

TEST_F(TrackerServiceTest, SearchEscapesJson) {
    http(post("/publish", sample_mtorrent("quote\"and<tag>")));
    const auto resp = parse_response(http(get("/search?q=quote&format=json")));
    EXPECT_NE(resp.body.find("quote\\\"and"), std::string::npos) << resp.body;
    EXPECT_EQ(resp.body.find("quote\"and"), std::string::npos) << resp.body;
}

}  // namespace
}  // namespace mt::tracker
