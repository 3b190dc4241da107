// The web server over loopback sockets, with the real router over a fake
// session: event streams (bounded in number, closed when their client stops
// reading, closed by stop()) beside ordinary requests.
#include "client/web/web_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "common/clock.h"

namespace mt::client::web {
namespace {

const std::string kToken(64, 'e');

struct FakeBackend : WebBackend {
    std::atomic<int> name_len{8};
    std::atomic<int> calls{0};
    std::atomic<int> transfers{1};
    std::vector<TransferView> views() override {
        std::vector<TransferView> out;
        const int n = ++calls;
        for (int i = 0; i < transfers; ++i) {
            TransferView v;
            v.state = 'D';
            v.info_hash = std::string(39, 'a') + static_cast<char>('0' + i);
            // A long name that changes at every call: every update is an event.
            v.name = v.label = name_len > 8 ? std::string(name_len, static_cast<char>('a' + n % 26))
                                            : "file" + std::to_string(i);
            v.stats.total = 100;
            out.push_back(v);
        }
        return out;
    }
    Reply add_metainfo(const std::string&) override { return Reply::success("x"); }
    Reply add_source(const std::string&) override { return Reply::success("x"); }
    Reply share(const std::string&) override { return Reply::success("x"); }
    Reply run(CommandKind, std::vector<std::string>) override { return Reply::success("x"); }
};

bool wait_for(const std::function<bool()>& pred, int ms = 10'000) {
    const std::int64_t end = common::mono_ms() + ms;
    while (common::mono_ms() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
}

struct Server : ::testing::Test {
    common::Logger log = common::Logger::null();
    FakeBackend backend;
    WebServer server{log, WebServer::Limits{2, 64 * 1024, 20}};
    std::uint16_t port = 0;
    std::unique_ptr<WebRouter> router;

    void SetUp() override {
        auto p = server.listen(common::Endpoint{"127.0.0.1", 0});
        ASSERT_TRUE(p);
        port = *p;
        router =
            std::make_unique<WebRouter>(WebSecurity{kToken, "", "127.0.0.1", port, ""}, backend);
        ASSERT_TRUE(server.start(*router));
    }
    void TearDown() override { server.stop(); }

    common::Fd send_request(const std::string& target, bool auth = true) {
        auto fd = common::tcp_connect(common::Endpoint{"127.0.0.1", port}, 5000);
        EXPECT_TRUE(fd);
        if (!fd) return {};
        std::string req =
            "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
        if (auth) req += "Authorization: Bearer " + kToken + "\r\n";
        EXPECT_TRUE(common::write_all(fd->get(), req + "\r\n", 5000));
        return std::move(fd).value();
    }
    // Reads until `until` is in what came (or EOF, or 10 s); returns it all.
    static std::string read_until(int fd, const std::string& until, std::string got = {}) {
        char buf[65536];
        const std::int64_t end = common::mono_ms() + 10'000;
        while (got.find(until) == std::string::npos && common::mono_ms() < end) {
            auto n = common::read_some(fd, buf, sizeof buf, 10'000);
            if (!n) break;
            got.append(buf, *n);
        }
        return got;
    }
};

TEST_F(Server, StreamsSendTheFirstStateThenChanges) {
    common::Fd s = send_request("/api/events");
    std::string got = read_until(s.get(), "\n\n");
    EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n", 0), 0u) << got;
    EXPECT_EQ(got.find("Content-Length"), std::string::npos) << got;
    EXPECT_NE(got.find("Content-Security-Policy"), std::string::npos) << got;
    EXPECT_NE(got.find("\r\n\r\nevent: sync\ndata: {\"rid\":1,\"full_update\":true"),
              std::string::npos)
        << got;
    ASSERT_TRUE(wait_for([&] { return server.open_streams() == 1; }));
    backend.transfers = 2;
    got = read_until(s.get(), "file1", got);
    EXPECT_NE(got.find("\"full_update\":false,\"transfers\":{\"" + std::string(39, 'a') + "1\""),
              std::string::npos)
        << got;
    // Ordinary requests go on beside it.
    common::Fd q = send_request("/api/sync?rid=0");
    EXPECT_NE(read_until(q.get(), "\"removed\":[]}").find("200 OK"), std::string::npos);
}

TEST_F(Server, AtMostMaxStreamsThen503AndAClosedOneFreesItsPlace) {
    common::Fd a = send_request("/api/events");
    common::Fd b = send_request("/api/events?rid=1");
    EXPECT_NE(read_until(a.get(), "\n\n").find("200 OK"), std::string::npos);
    EXPECT_NE(read_until(b.get(), "\r\n\r\n").find("200 OK"), std::string::npos);
    ASSERT_TRUE(wait_for([&] { return server.open_streams() == 2; }));
    common::Fd c = send_request("/api/events");
    const std::string refused = read_until(c.get(), "}");
    EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
    EXPECT_NE(refused.find("TOO_MANY_STREAMS"), std::string::npos) << refused;
    // Without the token: 401, not a stream.
    common::Fd u = send_request("/api/events", false);
    EXPECT_EQ(read_until(u.get(), "}").rfind("HTTP/1.1 401", 0), 0u);
    a.reset();
    ASSERT_TRUE(wait_for([&] { return server.open_streams() == 1; }));
    EXPECT_EQ(server.streams_ended(StreamEnd::client_gone), 1u);
    common::Fd d = send_request("/api/events");
    EXPECT_NE(read_until(d.get(), "\r\n\r\n").find("200 OK"), std::string::npos);
    ASSERT_TRUE(wait_for([&] { return server.open_streams() == 2; }));
    // stop() closes every stream: the clients see the end.
    server.stop();
    EXPECT_EQ(server.streams_ended(StreamEnd::stopped), 2u);
    EXPECT_EQ(server.open_streams(), 0u);
    char buf[4096];
    for (int fd : {b.get(), d.get()}) {
        std::size_t total = 0;
        for (;;) {
            auto n = common::read_some(fd, buf, sizeof buf, 5000);
            if (!n) {
                EXPECT_EQ(n.error().code, common::Errc::closed);
                break;
            }
            total += *n;
            ASSERT_LT(total, 10u << 20);
        }
    }
}

TEST_F(Server, AStreamWhoseClientStopsReadingIsClosed) {
    backend.name_len = 60'000;  // ~60 KB an event, 50 events a second
    common::Fd s = send_request("/api/events");
    ASSERT_TRUE(wait_for([&] { return server.streams_ended(StreamEnd::too_slow) == 1; }, 30'000));
    EXPECT_EQ(server.open_streams(), 0u);
    // What the kernel took is still there, then the end.
    char buf[65536];
    std::size_t total = 0;
    for (;;) {
        auto n = common::read_some(s.get(), buf, sizeof buf, 5000);
        if (!n) {
            EXPECT_EQ(n.error().code, common::Errc::closed);
            break;
        }
        total += *n;
    }
    EXPECT_GT(total, 0u);
}

}  // namespace
}  // namespace mt::client::web
