#include "client/web/transmission_rpc.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "client/web/rpc_fields.h"
#include "client/web/web_router.h"
#include "common/json_value.h"
#include "common/metainfo.h"

namespace mt::client::web {
namespace {

using common::JsonValue;
using common::wire::HttpRequest;

const std::string kToken(64, 'a');
const std::string kSid = "0123456789abcdef";
const std::string kHashA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kHashB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

std::string base64(const std::string& in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

TransferView transfer(std::string hash, std::string name, char state, std::uint64_t total,
                      std::uint64_t have) {
    TransferView v;
    v.info_hash = std::move(hash);
    v.name = v.label = std::move(name);
    v.state = state;
    v.stats.total = total;
    v.stats.verified_bytes = have;
    v.stats.complete = total == have;
    return v;
}

struct FakeBackend : WebBackend {
    std::vector<TransferView> list;
    std::vector<std::string> calls;
    Reply next = Reply::success("ok");
    std::vector<TransferView> views() override { return list; }
    Reply add_metainfo(const std::string& bytes) override {
        calls.push_back("metainfo:" + std::to_string(bytes.size()));
        return next;
    }
    Reply add_source(const std::string& s) override {
        calls.push_back("source:" + s);
        return next;
    }
    Reply share(const std::string& p) override {
        calls.push_back("share:" + p);
        return next;
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
        return next;
    }
    std::string download_dir() const override { return "/data/dl"; }
};

struct Rpc : ::testing::Test {
    FakeBackend backend;
    TransmissionRpc rpc{kSid, backend};

    static HttpRequest post(std::string body, bool with_sid = true) {
        HttpRequest r;
        r.method = "POST";
        r.target = r.path = "/transmission/rpc/";
        r.body = std::move(body);
        r.headers = {{"host", "127.0.0.1:9091"}};
        if (with_sid) r.headers.push_back({"x-transmission-session-id", kSid});
        return r;
    }
    WebResponse call(const std::string& body, std::int64_t now = 0) {
        return rpc.handle(post(body), now);
    }
    // The reply's JSON, checked to parse.
    JsonValue json(const std::string& body, std::int64_t now = 0) {
        const WebResponse r = call(body, now);
        EXPECT_EQ(r.status, 200) << r.body;
        auto v = common::parse_json(r.body);
        EXPECT_TRUE(v) << r.body;
        return v ? *v : JsonValue{};
    }
    std::string result(const std::string& body) {
        const JsonValue v = json(body);
        const JsonValue* res = v.find("result");
        return res ? res->string : "<none>";
    }
    std::vector<JsonValue> torrents(const std::string& args, std::int64_t now = 0) {
        const JsonValue v = json("{\"method\":\"torrent-get\",\"arguments\":" + args + "}", now);
        EXPECT_EQ(v.find("result")->string, "success");
        return v.find("arguments")->find("torrents")->items;
    }
    static std::string header(const WebResponse& r, const std::string& name) {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return "";
    }
};

TEST_F(Rpc, PathsAreWithAndWithoutTheSlash) {
    EXPECT_TRUE(TransmissionRpc::is_rpc_path("/transmission/rpc"));
    EXPECT_TRUE(TransmissionRpc::is_rpc_path("/transmission/rpc/"));
    EXPECT_FALSE(TransmissionRpc::is_rpc_path("/transmission/rpcx"));
    EXPECT_FALSE(TransmissionRpc::is_rpc_path("/transmission/web/"));
}

TEST_F(Rpc, WithoutTheSessionIdIs409WithTheId) {
    const WebResponse r = rpc.handle(post("{\"method\":\"session-get\"}", false), 0);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(header(r, "X-Transmission-Session-Id"), kSid);
    HttpRequest wrong = post("{\"method\":\"session-get\"}", false);
    wrong.headers.push_back({"x-transmission-session-id", "stale"});
    EXPECT_EQ(rpc.handle(wrong, 0).status, 409);
    EXPECT_TRUE(backend.calls.empty());
    // With it: served, and the header is on every response.
    const WebResponse ok = call("{\"method\":\"session-get\",\"tag\":7}");
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(header(ok, "X-Transmission-Session-Id"), kSid);
    // No id configured: the endpoint is off.
    TransmissionRpc off{"", backend};
    HttpRequest empty = post("{\"method\":\"session-get\"}", false);
    empty.headers.push_back({"x-transmission-session-id", ""});
    EXPECT_EQ(off.handle(empty, 0).status, 409);
}

TEST_F(Rpc, OnlyPost) {
    HttpRequest r = post("");
    r.method = "GET";
    EXPECT_EQ(rpc.handle(r, 0).status, 405);
}

TEST_F(Rpc, SessionGetHasTheVersions) {
    const JsonValue v = json("{\"method\":\"session-get\",\"tag\":7}");
    EXPECT_EQ(v.find("result")->string, "success");
    EXPECT_EQ(v.find("tag")->integer, 7);
    const JsonValue* a = v.find("arguments");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->find("rpc-version")->integer, 17);
    EXPECT_EQ(a->find("rpc-version-minimum")->integer, 14);
    EXPECT_NE(a->find("version")->string.find("mtorrent"), std::string::npos);
    EXPECT_EQ(a->find("download-dir")->string, "/data/dl");
}

TEST_F(Rpc, BadRequestsAre400OrAnErrorResult) {
    for (const char* bad : {"", "{", "[1]", "{\"method\":1}", "{\"arguments\":{}}",
                            "{\"method\":\"session-get\",\"arguments\":[]}", "{\"a\":1,}"}) {
        const WebResponse r = call(bad);
        EXPECT_EQ(r.status, 400) << bad;
        auto v = common::parse_json(r.body);
        ASSERT_TRUE(v) << r.body;
        EXPECT_NE(v->find("result")->string, "success");
    }
    EXPECT_EQ(result("{\"method\":\"torrent-reannounce\"}"),
              "method name not recognized: torrent-reannounce");
    // A deep body is refused by the parser's limits, not by the stack.
    EXPECT_EQ(call(std::string(100000, '[')).status, 400);
}

TEST_F(Rpc, TorrentGetMapsTheFieldsTransmissionRemoteAsks) {
    backend.list = {transfer(kHashA, "a<b>.iso", 'D', 1000, 250),
                    transfer(kHashB, "done", 'S', 500, 500)};
    backend.list[0].stats.down_rate = 75;
    backend.list[0].stats.peers = 3;
    const auto ts = torrents(
        R"({"fields":["error","errorString","eta","id","isFinished","leftUntilDone","name",)"
        R"("peersGettingFromUs","peersSendingToUs","rateDownload","rateUpload","sizeWhenDone",)"
        R"("status","uploadRatio","percentDone","haveValid","hashString","noSuchField"]})");
    ASSERT_EQ(ts.size(), 2u);
    const JsonValue& a = ts[0];
    EXPECT_EQ(a.find("id")->integer, 1);
    EXPECT_EQ(a.find("name")->string, "a<b>.iso");
    EXPECT_EQ(a.find("status")->integer, 4);
    EXPECT_EQ(a.find("error")->integer, 0);
    EXPECT_EQ(a.find("errorString")->string, "");
    EXPECT_EQ(a.find("leftUntilDone")->integer, 750);
    EXPECT_EQ(a.find("sizeWhenDone")->integer, 1000);
    EXPECT_EQ(a.find("haveValid")->integer, 250);
    EXPECT_EQ(a.find("eta")->integer, 10);
    EXPECT_EQ(a.find("rateDownload")->integer, 75);
    EXPECT_EQ(a.find("peersSendingToUs")->integer, 3);
    EXPECT_EQ(a.find("peersGettingFromUs")->integer, 0);
    EXPECT_DOUBLE_EQ(a.find("percentDone")->number, 0.25);
    EXPECT_FALSE(a.find("isFinished")->boolean);
    EXPECT_EQ(a.find("hashString")->string, kHashA);
    EXPECT_EQ(a.find("noSuchField"), nullptr);
    const JsonValue& b = ts[1];
    EXPECT_EQ(b.find("id")->integer, 2);
    EXPECT_EQ(b.find("status")->integer, 6);
    EXPECT_EQ(b.find("leftUntilDone")->integer, 0);
    EXPECT_EQ(b.find("eta")->integer, -1);
    // Strings from a torrent are escaped in the raw reply.
    const WebResponse raw =
        call("{\"method\":\"torrent-get\",\"arguments\":{\"fields\":[\"name\"]}}");
    EXPECT_EQ(raw.body.find("a<b>"), std::string::npos) << raw.body;
    EXPECT_NE(raw.body.find("a\\u003cb\\u003e"), std::string::npos) << raw.body;
}

TEST_F(Rpc, StatusAndErrors) {
    TransferView paused = transfer(kHashA, "p", 'P', 10, 5);
    EXPECT_EQ(rpc_status(paused), RpcStatus::stopped);
    TransferView failed = transfer(kHashA, "f", '!', 10, 5);
    failed.stats.error = "disk full";
    EXPECT_EQ(rpc_status(failed), RpcStatus::stopped);
    EXPECT_EQ(rpc_field("error", failed, 1, ""), "3");
    EXPECT_EQ(rpc_field("errorString", failed, 1, ""), "\"disk full\"");
    TransferView lookup;
    lookup.label = lookup.name = kHashB;
    lookup.state = 'M';
    EXPECT_EQ(rpc_status(lookup), RpcStatus::downloading);
    EXPECT_EQ(rpc_key(lookup), kHashB);  // keeps its id when the metainfo arrives
    EXPECT_EQ(rpc_field("nonsense", lookup, 1, ""), "");
}

TEST_F(Rpc, DefaultFieldsAreTheListOnes) {
    backend.list = {transfer(kHashA, "x", 'D', 10, 0)};
    const auto ts = torrents("{}");
    ASSERT_EQ(ts.size(), 1u);
    for (const auto& f : rpc_list_fields())
        EXPECT_NE(ts[0].find(f), nullptr) << f;
}

TEST_F(Rpc, IdsAreStableAndSelect) {
    backend.list = {transfer(kHashA, "a", 'D', 10, 0), transfer(kHashB, "b", 'P', 10, 0)};
    EXPECT_EQ(torrents("{\"fields\":[\"id\"]}").size(), 2u);
    auto one = torrents("{\"fields\":[\"id\",\"name\"],\"ids\":2}");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].find("name")->string, "b");
    one = torrents("{\"fields\":[\"name\"],\"ids\":[\"" + std::string(40, 'A') + "\"]}");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].find("name")->string, "a");
    EXPECT_EQ(torrents("{\"fields\":[\"id\"],\"ids\":[1,2,99]}").size(), 2u);
    EXPECT_TRUE(torrents("{\"fields\":[\"id\"],\"ids\":99}").empty());
    EXPECT_TRUE(torrents("{\"fields\":[\"id\"],\"ids\":\"zzz\"}").empty());
    // A's id survives B's removal, and a new transfer gets the next id.
    backend.list = {backend.list[0], transfer(std::string(40, 'c'), "c", 'D', 10, 0)};
    auto ts = torrents("{\"fields\":[\"id\",\"name\"]}", 1000);
    ASSERT_EQ(ts.size(), 2u);
    EXPECT_EQ(ts[0].find("id")->integer, 1);
    EXPECT_EQ(ts[1].find("id")->integer, 3);
}

TEST_F(Rpc, RecentlyActiveListsTheRemoved) {
    backend.list = {transfer(kHashA, "a", 'D', 10, 0), transfer(kHashB, "b", 'P', 10, 0)};
    torrents("{}", 0);
    backend.list.erase(backend.list.begin());  // A gone
    backend.list.push_back(transfer(std::string(40, 'c'), "c", 'S', 10, 10));
    const JsonValue v = json(
        "{\"method\":\"torrent-get\",\"arguments\":{\"fields\":[\"id\"],\"ids\":\"recently-"
        "active\"}}",
        1000);
    const JsonValue* a = v.find("arguments");
    ASSERT_EQ(a->find("torrents")->items.size(), 1u);  // c; b is paused
    EXPECT_EQ(a->find("torrents")->items[0].find("id")->integer, 3);
    ASSERT_EQ(a->find("removed")->items.size(), 1u);
    EXPECT_EQ(a->find("removed")->items[0].integer, 1);
    // Forgotten after a minute.
    const JsonValue later =
        json("{\"method\":\"torrent-get\",\"arguments\":{\"ids\":\"recently-active\"}}",
             1000 + TransmissionRpc::kRecentMs + 1);
    EXPECT_TRUE(later.find("arguments")->find("removed")->items.empty());
}

TEST_F(Rpc, StartStopRemoveRunTheSessionCommands) {
    backend.list = {transfer(kHashA, "a", 'D', 10, 0), transfer(kHashB, "b", 'P', 10, 0)};
    EXPECT_EQ(result("{\"method\":\"torrent-stop\",\"arguments\":{\"ids\":1}}"), "success");
    EXPECT_EQ(result("{\"method\":\"torrent-start\",\"arguments\":{\"ids\":[2]}}"), "success");
    EXPECT_EQ(result("{\"method\":\"torrent-remove\",\"arguments\":{\"ids\":1}}"), "success");
    EXPECT_EQ(result("{\"method\":\"torrent-remove\",\"arguments\":{\"ids\":2,"
                     "\"delete-local-data\":true}}"),
              "success");
    EXPECT_EQ(backend.calls, (std::vector<std::string>{"pause " + kHashA, "resume " + kHashB,
                                                       "remove " + kHashA + " --keep",
                                                       "remove " + kHashB + " --delete-data"}));
    // No ids: every transfer. Stopping a stopped one is no error.
    backend.calls.clear();
    backend.next = Reply::failure("ALREADY_PAUSED", "b is paused already");
    EXPECT_EQ(result("{\"method\":\"torrent-stop\"}"), "success");
    EXPECT_EQ(backend.calls.size(), 2u);
    backend.next = Reply::failure("IO_ERROR", "cannot delete");
    EXPECT_EQ(result("{\"method\":\"torrent-remove\",\"arguments\":{\"ids\":1}}"),
              "1: IO_ERROR cannot delete");
}

TEST_F(Rpc, DeleteLocalDataIsRemoveDeleteDataForFinishedAndUnfinished) {
    backend.list = {transfer(kHashA, "a", 'D', 10, 4), transfer(kHashB, "b", 'S', 10, 10)};
    EXPECT_EQ(result("{\"method\":\"torrent-remove\",\"arguments\":{\"ids\":[1,2],"
                     "\"delete-local-data\":true}}"),
              "success");
    EXPECT_EQ(backend.calls, (std::vector<std::string>{"remove " + kHashA + " --delete-data",
                                                       "remove " + kHashB + " --delete-data"}));
    // The session refuses what is not its to delete (a share): said, per id.
    backend.calls.clear();
    backend.next = Reply::failure("NOT_OUR_DATA", "b shares your own /x; nothing was removed");
    const std::string r = result(
        "{\"method\":\"torrent-remove\",\"arguments\":{\"ids\":2,\"delete-local-data\":true}}");
    EXPECT_EQ(r, "2: NOT_OUR_DATA b shares your own /x; nothing was removed");
}

TEST_F(Rpc, VerifyRunsTheSessionsVerify) {
    backend.list = {transfer(kHashA, "a", 'S', 10, 10), transfer(kHashB, "b", 'P', 10, 3)};
    EXPECT_EQ(result("{\"method\":\"torrent-verify\",\"arguments\":{\"ids\":[1,2]}}"), "success");
    EXPECT_EQ(backend.calls, (std::vector<std::string>{"verify " + kHashA, "verify " + kHashB}));
    backend.calls.clear();
    backend.next = Reply::failure("BUSY", "a is being resumed or verified");
    EXPECT_EQ(result("{\"method\":\"torrent-verify\",\"arguments\":{\"ids\":1}}"),
              "1: BUSY a is being resumed or verified");
    // While it hashes, torrent-get says checking (2).
    backend.list[0].state = 'V';
    const JsonValue v =
        json("{\"method\":\"torrent-get\",\"arguments\":{\"ids\":1,\"fields\":[\"status\"]}}");
    EXPECT_EQ(v.find("arguments")->find("torrents")->items[0].find("status")->integer, 2);
}

TEST_F(Rpc, TorrentAdd) {
    const common::Metainfo m = common::make_single_file_metainfo(
        "file.bin", 100, 16384, std::string(20, 'x'), {"http://127.0.0.1:1/announce"}, 0, "t");
    const std::string bytes = common::encode_metainfo(m);
    JsonValue v = json("{\"method\":\"torrent-add\",\"arguments\":{\"metainfo\":\"" +
                       base64(bytes) + "\"},\"tag\":8}");
    EXPECT_EQ(v.find("result")->string, "success");
    const JsonValue* added = v.find("arguments")->find("torrent-added");
    ASSERT_NE(added, nullptr) << common::to_json(v);
    EXPECT_EQ(added->find("hashString")->string, m.info_hash.hex());
    EXPECT_EQ(added->find("name")->string, "file.bin");
    EXPECT_EQ(added->find("id")->integer, 1);
    EXPECT_EQ(backend.calls, std::vector<std::string>{"metainfo:" + std::to_string(bytes.size())});
    // Already there: torrent-duplicate with the same id, nothing added.
    backend.list = {transfer(m.info_hash.hex(), "file.bin", 'D', 100, 0)};
    v = json("{\"method\":\"torrent-add\",\"arguments\":{\"metainfo\":\"" + base64(bytes) + "\"}}");
    ASSERT_NE(v.find("arguments")->find("torrent-duplicate"), nullptr);
    EXPECT_EQ(v.find("arguments")->find("torrent-duplicate")->find("id")->integer, 1);
    EXPECT_EQ(backend.calls.size(), 1u);
    // A magnet as filename; a path or garbage refused.
    EXPECT_EQ(result("{\"method\":\"torrent-add\",\"arguments\":{\"filename\":\"magnet:?xt=urn:"
                     "btih:" +
                     kHashB + "\"}}"),
              "success");
    EXPECT_EQ(backend.calls.back(), "source:magnet:?xt=urn:btih:" + kHashB);
    EXPECT_NE(result("{\"method\":\"torrent-add\",\"arguments\":{\"filename\":\"/etc/passwd\"}}"),
              "success");
    EXPECT_NE(result("{\"method\":\"torrent-add\",\"arguments\":{\"metainfo\":\"!!\"}}"),
              "success");
    EXPECT_NE(result("{\"method\":\"torrent-add\",\"arguments\":{\"metainfo\":\"" +
                     base64("d4:infoe") + "\"}}"),
              "success");
    EXPECT_NE(result("{\"method\":\"torrent-add\",\"arguments\":{}}"), "success");
    // The session's refusal comes back as the result.
    backend.next = Reply::failure("NO_SPACE", "disk full");
    EXPECT_EQ(result("{\"method\":\"torrent-add\",\"arguments\":{\"filename\":\"" +
                     std::string(40, 'd') + "\"}}"),
              "NO_SPACE: disk full");
}

TEST_F(Rpc, SessionStatsSumsTheTransfers) {
    backend.list = {transfer(kHashA, "a", 'D', 10, 0), transfer(kHashB, "b", 'P', 10, 0)};
    backend.list[0].stats.down_rate = 100;
    backend.list[0].stats.uploaded = 7;
    const JsonValue v = json("{\"method\":\"session-stats\"}");
    const JsonValue* a = v.find("arguments");
    EXPECT_EQ(a->find("torrentCount")->integer, 2);
    EXPECT_EQ(a->find("activeTorrentCount")->integer, 1);
    EXPECT_EQ(a->find("pausedTorrentCount")->integer, 1);
    EXPECT_EQ(a->find("downloadSpeed")->integer, 100);
    EXPECT_EQ(a->find("current-stats")->find("uploadedBytes")->integer, 7);
}

// Through the router: the same Host/Origin/credential checks as the rest,
// HTTP basic auth as transmission-remote sends it, no X-MTorrent-CSRF.
struct RouterRpc : Rpc {
    WebRouter router{WebSecurity{kToken, "", "127.0.0.1", 9091, kSid}, backend};
    HttpRequest basic(const std::string& password) {
        HttpRequest r = post("{\"method\":\"session-get\"}");
        r.headers.push_back({"authorization", "Basic " + base64("mtorrent:" + password)});
        return r;
    }
};

TEST_F(RouterRpc, BasicAuthTokenAndHandshake) {
    HttpRequest noauth = post("{\"method\":\"session-get\"}");
    WebResponse r = router.handle(noauth, "127.0.0.1", 0);
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(header(r, "WWW-Authenticate").find("Basic"), std::string::npos);
    EXPECT_EQ(router.handle(basic("wrong"), "127.0.0.1", 0).status, 401);
    EXPECT_EQ(router.handle(basic(kToken), "127.0.0.1", 0).status, 200);
    HttpRequest no_sid = basic(kToken);
    no_sid.headers.erase(no_sid.headers.begin() + 1);  // x-transmission-session-id
    r = router.handle(no_sid, "127.0.0.1", 0);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(header(r, "X-Transmission-Session-Id"), kSid);
    HttpRequest rebound = basic(kToken);
    rebound.headers[0].second = "evil.example:9091";
    EXPECT_EQ(router.handle(rebound, "127.0.0.1", 0).status, 403);
    HttpRequest cross = basic(kToken);
    cross.headers.push_back({"origin", "http://evil.example"});
    EXPECT_EQ(router.handle(cross, "127.0.0.1", 0).status, 403);
}

}  // namespace
}  // namespace mt::client::web
