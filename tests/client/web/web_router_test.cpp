#include "client/web/web_router.h"

#include <gtest/gtest.h>

#include "common/hex.h"

namespace mt::client::web {
namespace {

using common::wire::HttpRequest;

const std::string kToken(64, 'f');

struct FakeBackend : WebBackend {
    std::vector<TransferView> list;
    std::vector<std::string> calls;
    std::vector<TransferView> views() override { return list; }
    Reply add_metainfo(const std::string& bytes) override {
        calls.push_back("metainfo:" + std::to_string(bytes.size()));
        return Reply::success("x.mtorrent", "downloading");
    }
    Reply add_source(const std::string& s) override {
        calls.push_back("source:" + s);
        return Reply::success(s);
    }
    Reply share(const std::string& p) override {
        calls.push_back("share:" + p);
        return Reply::failure("FILE_NOT_FOUND", "no " + p);
    }
    Reply run(CommandKind kind, std::vector<std::string> args) override {
        std::string c = kind == CommandKind::pause    ? "pause"
                        : kind == CommandKind::resume ? "resume"
                        : kind == CommandKind::remove ? "remove"
                        : kind == CommandKind::verify ? "verify"
                                                      : "other";
        for (const auto& a : args)
            c += " " + a;
        calls.push_back(c);
        return Reply::success(args[0], "done");
    }
    // One transfer in detail (detail_of), the rest unknown.
    std::optional<TransferDetail> detail_of;
    std::optional<TransferDetail> detail(const std::string& info_hash) override {
        calls.push_back("detail:" + info_hash);
        return detail_of;
    }
    std::vector<common::wire::SearchHit> hits;
    Reply search_reply = Reply::success("");
    Reply search(const std::string& text, std::vector<common::wire::SearchHit>& out) override {
        calls.push_back("search:" + text);
        out = hits;
        return search_reply;
    }
    std::vector<std::string> log_tail(std::size_t n) override {
        calls.push_back("log:" + std::to_string(n));
        return {"2026-01-01T00:00:00.000Z INFO first", "<script>alert(1)</script>",
                "INFO web interface: open http://127.0.0.1:8080/?token=" + kToken};
    }
    RateSamples rates() override { return RateSamples{1000, {{10, 20}, {30, 40}}}; }
};

const std::string kHostile = "<script>alert(1)</script>";

struct Fixture : ::testing::Test {
    FakeBackend backend;
    WebRouter router{WebSecurity{kToken, "", "127.0.0.1", 8080, ""}, backend};

    static HttpRequest req(std::string method, std::string target, std::string body = {}) {
        HttpRequest r;
        r.method = std::move(method);
        r.target = target;
        const auto q = target.find('?');
        r.path = target.substr(0, q);
        r.query = q == std::string::npos ? "" : target.substr(q + 1);
        r.body = std::move(body);
        r.headers = {{"host", "127.0.0.1:8080"}};
        return r;
    }
    static HttpRequest authed(std::string method, std::string target, std::string body = {}) {
        HttpRequest r = req(std::move(method), std::move(target), std::move(body));
        r.headers.push_back({"authorization", "Bearer " + kToken});
        if (r.method == "POST") r.headers.push_back({"x-mtorrent-csrf", "1"});
        return r;
    }
    WebResponse go(const HttpRequest& r, std::int64_t now = 0) {
        return router.handle(r, "127.0.0.1", now);
    }
    static std::string header(const WebResponse& r, const std::string& name) {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return "";
    }
};

TEST_F(Fixture, EveryResponseCarriesTheSecurityHeaders) {
    for (const auto& r : {go(req("GET", "/")), go(authed("GET", "/")), go(req("GET", "/app.js")),
                          go(authed("GET", "/api/nope"))}) {
        EXPECT_NE(header(r, "Content-Security-Policy").find("default-src 'self'"),
                  std::string::npos);
        EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
        EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
    }
}

TEST_F(Fixture, NoCredentialIs401) {
    EXPECT_EQ(go(req("GET", "/api/sync")).status, 401);
    EXPECT_EQ(go(req("GET", "/")).status, 401);
    EXPECT_EQ(go(authed("GET", "/api/sync")).status, 200);
    EXPECT_EQ(go(authed("GET", "/")).status, 200);
    EXPECT_EQ(go(req("GET", "/app.css")).status, 200);  // nothing secret
}

TEST_F(Fixture, ForeignHostIs403EvenWithTheToken) {
    HttpRequest r = authed("GET", "/api/sync");
    r.headers[0].second = "evil.example:8080";
    const WebResponse w = go(r);
    EXPECT_EQ(w.status, 403);
    EXPECT_NE(w.body.find("BAD_HOST"), std::string::npos);
    r.headers.erase(r.headers.begin());  // no Host at all
    EXPECT_EQ(go(r).status, 403);
}

TEST_F(Fixture, CrossOriginIs403) {
    HttpRequest r = authed("POST", "/api/pause", "id=ab");
    r.headers.push_back({"origin", "http://evil.example"});
    const WebResponse w = go(r);
    EXPECT_EQ(w.status, 403);
    EXPECT_NE(w.body.find("BAD_ORIGIN"), std::string::npos);
    EXPECT_TRUE(backend.calls.empty());
    r.headers.back().second = "http://127.0.0.1:8080";
    EXPECT_EQ(go(r).status, 200);
}

TEST_F(Fixture, PostWithoutCsrfHeaderIs403) {
    HttpRequest r = req("POST", "/api/pause", "id=ab");
    r.headers.push_back({"authorization", "Bearer " + kToken});
    const WebResponse w = go(r);
    EXPECT_EQ(w.status, 403);
    EXPECT_NE(w.body.find("CSRF_HEADER_MISSING"), std::string::npos);
    EXPECT_TRUE(backend.calls.empty());
}

TEST_F(Fixture, TokenUrlSetsAStrictHttpOnlyCookie) {
    const WebResponse w = go(req("GET", "/?token=" + kToken));
    EXPECT_EQ(w.status, 303);
    EXPECT_EQ(header(w, "Location"), "/");
    const std::string c = header(w, "Set-Cookie");
    EXPECT_EQ(c.rfind("mtorrent_8080=" + kToken, 0), 0u) << c;
    EXPECT_NE(c.find("HttpOnly"), std::string::npos);
    EXPECT_NE(c.find("SameSite=Strict"), std::string::npos);
    HttpRequest r = req("GET", "/api/sync");
    r.headers.push_back({"cookie", "mtorrent_8080=" + kToken});
    EXPECT_EQ(go(r).status, 200);
    EXPECT_EQ(go(req("GET", "/?token=wrong")).status, 401);
}

TEST_F(Fixture, FailedLoginsAreThrottledPerAddress) {
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(go(req("GET", "/?token=wrong" + std::to_string(i))).status, 401);
    EXPECT_EQ(go(authed("GET", "/api/sync")).status, 429);  // even the right one, for now
    EXPECT_EQ(router.handle(authed("GET", "/api/sync"), "10.0.0.9", 0).status, 200);
    EXPECT_EQ(go(authed("GET", "/api/sync"), 5 * LoginThrottle::kHalfLifeMs).status, 200);
}

TEST_F(Fixture, SyncSendsChangesSinceRid) {
    TransferView v;
    v.state = 'D';
    v.info_hash = std::string(40, '1');
    v.name = v.label = "<script>alert(1)</script>";
    v.stats.total = 10;
    backend.list = {v};
    WebResponse w = go(authed("GET", "/api/sync?rid=0"));
    EXPECT_EQ(w.content_type, "application/json");
    EXPECT_NE(w.body.find("\"rid\":1,\"full_update\":true"), std::string::npos) << w.body;
    EXPECT_EQ(w.body.find("<script>"), std::string::npos);
    w = go(authed("GET", "/api/sync?rid=1"));
    EXPECT_EQ(w.body, "{\"rid\":1,\"full_update\":false,\"transfers\":{},\"removed\":[]}");
    backend.list.clear();
    w = go(authed("GET", "/api/sync?rid=1"));
    EXPECT_NE(w.body.find("\"removed\":[\"" + std::string(40, '1') + "\"]"), std::string::npos);
    EXPECT_NE(go(authed("GET", "/api/sync?rid=x9")).body.find("full_update\":true"),
              std::string::npos);
}

TEST_F(Fixture, EventsAreAStreamOfSyncDifferences) {
    TransferView v;
    v.state = 'D';
    v.info_hash = std::string(40, '1');
    v.name = v.label = "<b>x";
    v.stats.total = 10;
    backend.list = {v};
    WebResponse w = go(authed("GET", "/api/events"));
    EXPECT_EQ(w.status, 200);
    EXPECT_TRUE(w.stream);
    EXPECT_EQ(w.content_type, "text/event-stream");
    EXPECT_EQ(w.body.rfind("event: sync\ndata: {\"rid\":1,\"full_update\":true,\"transfers\":{", 0),
              0u)
        << w.body;
    EXPECT_EQ(w.body.substr(w.body.size() - 3), "}\n\n");
    EXPECT_EQ(w.body.find('<'), std::string::npos);
    EXPECT_EQ(w.stream_rid, 1u);
    EXPECT_EQ(header(w, "Cache-Control"), "no-store");
    // Nothing changed: an empty update at the same rid.
    StreamUpdate u = router.stream_update(1, 10'000);
    EXPECT_EQ(u.rid, 1u);
    EXPECT_EQ(u.json, "");
    backend.list[0].stats.verified_bytes = 5;
    // Within kStreamStateMs the state gathered last is used (one gathering
    // for every stream)...
    u = router.stream_update(1, 10'000 + WebRouter::kStreamStateMs - 1);
    EXPECT_EQ(u.json, "");
    // ...then it is gathered again.
    u = router.stream_update(1, 10'000 + WebRouter::kStreamStateMs);
    EXPECT_EQ(u.rid, 2u);
    EXPECT_EQ(u.json.rfind("{\"rid\":2,\"full_update\":false,\"transfers\":{\"111", 0), 0u)
        << u.json;
    EXPECT_NE(u.json.find("\"progress\":0.5000"), std::string::npos) << u.json;
    // A stream that names the current rid starts with nothing to send.
    w = go(authed("GET", "/api/events?rid=2"));
    EXPECT_TRUE(w.stream);
    EXPECT_EQ(w.body, "");
    EXPECT_EQ(w.stream_rid, 2u);
    // The same JSON as /api/sync.
    backend.list.clear();
    u = router.stream_update(2, 20'000);
    EXPECT_EQ(u.json, go(authed("GET", "/api/sync?rid=2")).body);
}

TEST_F(Fixture, EventsAfterTheChecksAndWhileThereIsRoom) {
    WebResponse w = go(req("GET", "/api/events"));
    EXPECT_EQ(w.status, 401);
    EXPECT_FALSE(w.stream);
    HttpRequest r = authed("GET", "/api/events");
    r.headers[0].second = "evil.example:8080";
    EXPECT_EQ(go(r).status, 403);
    EXPECT_FALSE(go(r).stream);
    w = router.handle(authed("GET", "/api/events"), "127.0.0.1", 0, false);
    EXPECT_EQ(w.status, 503);
    EXPECT_FALSE(w.stream);
    EXPECT_NE(w.body.find("TOO_MANY_STREAMS"), std::string::npos);
    EXPECT_EQ(go(authed("POST", "/api/events")).status, 405);
    // /api/sync is unaffected by the room for streams.
    EXPECT_EQ(router.handle(authed("GET", "/api/sync"), "127.0.0.1", 0, false).status, 200);
}

TEST_F(Fixture, ControlCommandsGoThroughTheSessionCommands) {
    EXPECT_EQ(go(authed("POST", "/api/pause", "id=abc")).status, 200);
    EXPECT_EQ(go(authed("POST", "/api/resume?id=abc")).status, 200);
    EXPECT_EQ(go(authed("POST", "/api/remove", "id=abc")).status, 200);
    EXPECT_EQ(go(authed("POST", "/api/remove", "id=abc&delete_data=1")).status, 200);
    EXPECT_EQ(go(authed("POST", "/api/verify", "id=abc")).status, 200);
    EXPECT_EQ(backend.calls,
              (std::vector<std::string>{"pause abc", "resume abc", "remove abc --keep",
                                        "remove abc --delete-data", "verify abc"}));
    WebResponse w = go(authed("POST", "/api/pause", ""));
    EXPECT_EQ(w.status, 400);
    EXPECT_NE(w.body.find("\"ok\":false"), std::string::npos);
    EXPECT_EQ(go(authed("POST", "/api/verify", "")).status, 400);
    EXPECT_EQ(go(authed("GET", "/api/pause?id=abc")).status, 405);
    EXPECT_EQ(go(authed("GET", "/api/verify?id=abc")).status, 405);
    EXPECT_EQ(go(authed("POST", "/api/rates", "")).status, 405);
    EXPECT_EQ(go(authed("POST", "/api/nope", "")).status, 404);
    EXPECT_EQ(go(authed("DELETE", "/api/sync")).status, 405);
}

TEST_F(Fixture, AddTellsItsKindsApart) {
    EXPECT_EQ(classify_add("d8:announce"), AddKind::metainfo);
    EXPECT_EQ(classify_add("magnet:?xt=urn:btih:abc"), AddKind::source);
    EXPECT_EQ(classify_add(std::string(40, 'a') + "\n"), AddKind::source);
    EXPECT_EQ(classify_add("/home/me/file"), AddKind::path);
    EXPECT_EQ(classify_add("relative/file"), AddKind::invalid);
    EXPECT_EQ(classify_add(""), AddKind::invalid);
    // A broken .mtorrent is refused before the session sees it.
    WebResponse w = go(authed("POST", "/api/add", "d3:foo3:bare"));
    EXPECT_EQ(w.status, 400);
    EXPECT_NE(w.body.find("INVALID_MTORRENT"), std::string::npos);
    EXPECT_TRUE(backend.calls.empty());
    w = go(authed("POST", "/api/add", "/no/such"));
    EXPECT_NE(w.body.find("\"error\":\"FILE_NOT_FOUND\""), std::string::npos);
    EXPECT_EQ(go(authed("POST", "/api/add", "hello")).status, 400);
    EXPECT_EQ(backend.calls, (std::vector<std::string>{"share:/no/such"}));
}

// A transfer whose every string a hostile publisher or peer chose.
TransferDetail hostile_detail() {
    TransferDetail d;
    d.view.state = 'S';
    d.view.info_hash = std::string(40, 'a');
    d.view.name = d.view.label = kHostile;
    d.view.stats.total = 3 * 16384;
    d.view.stats.verified_bytes = 2 * 16384;
    d.piece_length = 16384;
    d.piece_count = 10;
    d.have = common::Bitfield(10);
    d.have.set(0);
    d.have.set(9);
    d.files = {FileProgress{0, "dir/" + kHostile, 100, 50, true},
               FileProgress{2, "b.txt", 7, 0, false}};
    d.files_omitted = 3;
    PeerView p;
    p.address = "127.0.0.1:6881";
    p.client = kHostile;
    p.down_rate = 1500;
    p.progress = 0.5;
    p.interested = true;
    p.incoming = true;
    d.peers = {p};
    TrackerLine t;
    t.url = "http://127.0.0.1:7000";
    t.in_use = t.live = true;
    t.last_announce_ms = 1700000000000;
    t.last_error = kHostile;
    t.failures = 2;
    d.trackers = {t};
    return d;
}

TEST_F(Fixture, TorrentDetailIsEscapedAndChecksItsId) {
    backend.detail_of = hostile_detail();
    const std::string id(40, 'a');
    WebResponse w = go(authed("GET", "/api/torrent?id=" + id));
    ASSERT_EQ(w.status, 200) << w.body;
    EXPECT_EQ(w.content_type, "application/json");
    EXPECT_EQ(w.body.find('<'), std::string::npos) << w.body;
    EXPECT_NE(w.body.find("\"name\":\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\""),
              std::string::npos)
        << w.body;
    EXPECT_NE(w.body.find(",\"piece_length\":16384,\"piece_count\":10,\"have\":\"8040\","),
              std::string::npos)
        << w.body;
    EXPECT_NE(w.body.find("\"files\":[{\"path\":\"dir/\\u003cscript"), std::string::npos);
    EXPECT_NE(w.body.find("{\"path\":\"b.txt\",\"size\":7,\"done\":0,\"selected\":false}],"
                          "\"files_omitted\":3"),
              std::string::npos)
        << w.body;
    EXPECT_NE(w.body.find("\"peers\":[{\"address\":\"127.0.0.1:6881\",\"client\":\"\\u003cscript"),
              std::string::npos);
    EXPECT_NE(
        w.body.find("\"down_rate\":1500,\"up_rate\":0,\"progress\":0.5000,\"flags\":\"DicI\"}"),
        std::string::npos)
        << w.body;
    EXPECT_NE(w.body.find("\"trackers\":[{\"url\":\"http://127.0.0.1:7000\",\"in_use\":true,"
                          "\"live\":true,\"last_announce_ms\":1700000000000,\"last_error\":"
                          "\"\\u003cscript"),
              std::string::npos)
        << w.body;
    EXPECT_NE(w.body.find("\"failures\":2}]}"), std::string::npos) << w.body;
    EXPECT_EQ(backend.calls, std::vector<std::string>{"detail:" + id});

    backend.detail_of.reset();
    w = go(authed("GET", "/api/torrent?id=" + std::string(40, 'b')));
    EXPECT_EQ(w.status, 404);
    EXPECT_NE(w.body.find("\"error\":\"NOT_FOUND\""), std::string::npos) << w.body;
    backend.calls.clear();
    for (const std::string& bad :
         std::vector<std::string>{"", "abc", std::string(39, 'a'), std::string(41, 'a'),
                                  std::string(39, 'a') + "g", "%3cscript%3e"}) {
        w = go(authed("GET", "/api/torrent?id=" + bad));
        EXPECT_EQ(w.status, 400) << bad;
        EXPECT_EQ(w.body.find('<'), std::string::npos) << w.body;
    }
    EXPECT_TRUE(backend.calls.empty()) << "a malformed id never reaches the session";
    EXPECT_EQ(go(req("GET", "/api/torrent?id=" + id)).status, 401);
}

TEST_F(Fixture, SearchHitsAreEscaped) {
    common::wire::SearchHit h;
    h.name = kHostile;
    h.size = 1234;
    h.info_hash = common::InfoHash::from_bytes(std::string(20, '\x01'));
    h.seeders = 3;
    h.leechers = 4;
    backend.hits = {h};
    WebResponse w = go(authed("GET", "/api/search?q=big%20file"));
    ASSERT_EQ(w.status, 200);
    EXPECT_EQ(w.body,
              "{\"ok\":true,\"hits\":[{\"name\":\"\\u003cscript\\u003ealert(1)"
              "\\u003c/script\\u003e\",\"size\":1234,\"info_hash\":"
              "\"0101010101010101010101010101010101010101\",\"seeders\":3,\"leechers\":4}]}");
    EXPECT_EQ(backend.calls, std::vector<std::string>{"search:big file"});
    backend.search_reply = Reply::failure("TRACKERS_UNREACHABLE", "tracker 1 (<x>): refused");
    w = go(authed("GET", "/api/search?q=x"));
    EXPECT_EQ(w.status, 200);
    EXPECT_EQ(w.body,
              "{\"ok\":false,\"error\":\"TRACKERS_UNREACHABLE\",\"detail\":\"tracker 1 "
              "(\\u003cx\\u003e): refused\"}");
    EXPECT_EQ(go(authed("GET", "/api/search")).status, 400);
    EXPECT_EQ(go(authed("GET", "/api/search?q=")).status, 400);
}

TEST_F(Fixture, LogTailIsBoundedAndEscaped) {
    WebResponse w = go(authed("GET", "/api/log"));
    ASSERT_EQ(w.status, 200);
    EXPECT_EQ(w.body,
              "{\"lines\":[\"2026-01-01T00:00:00.000Z INFO first\",\"\\u003cscript"
              "\\u003ealert(1)\\u003c/script\\u003e\",\"INFO web interface: open "
              "http://127.0.0.1:8080/?token=[hidden]\"]}")
        << "escaped, and the token never shown";
    EXPECT_EQ(go(authed("GET", "/api/log?n=7")).status, 200);
    EXPECT_EQ(go(authed("GET", "/api/log?n=100000")).status, 200);
    EXPECT_EQ(backend.calls, (std::vector<std::string>{"log:100", "log:7", "log:500"}));
    EXPECT_EQ(go(authed("GET", "/api/log?n=ten")).status, 400);
    EXPECT_EQ(go(authed("GET", "/api/log?n=-1")).status, 400);
}

TEST_F(Fixture, RatesAreSamplesOldestFirst) {
    WebResponse w = go(authed("GET", "/api/rates"));
    ASSERT_EQ(w.status, 200);
    EXPECT_EQ(w.body, "{\"interval_ms\":1000,\"samples\":[[10,20],[30,40]]}");
}

}  // namespace
}  // namespace mt::client::web
