#include "common/net/socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace mt::common {
namespace {

TEST(Endpoint, Parses) {
    auto ep = parse_endpoint("127.0.0.1:6969");
    ASSERT_TRUE(ep.ok());
    EXPECT_EQ(ep->host, "127.0.0.1");
    EXPECT_EQ(ep->port, 6969);
    EXPECT_EQ(ep->to_string(), "127.0.0.1:6969");
    EXPECT_FALSE(parse_endpoint("127.0.0.1").ok());
    EXPECT_FALSE(parse_endpoint(":80").ok());
    EXPECT_FALSE(parse_endpoint("host:").ok());
    EXPECT_FALSE(parse_endpoint("host:65536").ok());
    EXPECT_FALSE(parse_endpoint("host:12a").ok());
    EXPECT_NE(parse_endpoint("host:x").error().message.find("not a number"), std::string::npos);
}

TEST(Socket, ParsesBracketedIpv6) {
    auto e = parse_endpoint("[::1]:6969");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->host, "::1");
    EXPECT_EQ(e->port, 6969);
    EXPECT_EQ(e->to_string(), "[::1]:6969");
    EXPECT_EQ(parse_endpoint("[2001:db8::7]:0")->to_string(), "[2001:db8::7]:0");
    EXPECT_EQ(parse_endpoint("1.2.3.4:80")->to_string(), "1.2.3.4:80");
    // A bare IPv6 address is ambiguous; brackets around what is not IPv6 are refused.
    auto bare = parse_endpoint("::1:80");
    ASSERT_FALSE(bare.ok());
    EXPECT_NE(bare.error().message.find("brackets"), std::string::npos);
    EXPECT_FALSE(parse_endpoint("[::1]").ok());
    EXPECT_FALSE(parse_endpoint("[]:80").ok());
    EXPECT_FALSE(parse_endpoint("[1.2.3.4]:80").ok());
    EXPECT_FALSE(parse_endpoint("[::1:80").ok());
    EXPECT_FALSE(parse_endpoint("[::g]:80").ok());
}

TEST(Socket, ResolvesBothFamilies) {
    auto a = resolve({"::1", 7});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->family(), AF_INET6);
    EXPECT_EQ(to_string(*a), "[::1]:7");
    auto b = resolve({"10.1.2.3", 8});
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->family(), AF_INET);
    EXPECT_EQ(to_string(*b), "10.1.2.3:8");
    EXPECT_TRUE(b->ip().is_v4());
    EXPECT_FALSE(b->is_v6_peer());
    // A mapped address through an IPv6 socket is still an IPv4 peer.
    const SockAddr m = SockAddr::from(IpAddr(0x0a000001), 9, true);
    EXPECT_EQ(m.family(), AF_INET6);
    EXPECT_FALSE(m.is_v6_peer());
    EXPECT_EQ(to_string(m), "10.0.0.1:9");
}

// Over ::1, and through a dual-stack [::] listener from 127.0.0.1 (which it
// reports as the IPv4 peer it is).
TEST(Socket, Ipv6AndDualStack) {
    for (const char* where : {"::1", "::"}) {
        auto l = tcp_listen({where, 0});
        ASSERT_TRUE(l.ok()) << l.error().message;
        const auto port = local_port(l->get()).value();
        for (const char* from : {"::1", "127.0.0.1"}) {
            if (std::string(where) == "::1" && std::string(from) == "127.0.0.1") continue;
            auto c = tcp_connect(Endpoint{from, port}, 2000);
            ASSERT_TRUE(c.ok()) << where << " from " << from << ": " << c.error().message;
            SockAddr peer;
            auto s = accept_with_timeout(l->get(), 5000, &peer);
            ASSERT_TRUE(s.ok());
            EXPECT_EQ(peer.ip().to_string(), from);
            EXPECT_EQ(peer.is_v6_peer(), std::string(from) == "::1");
        }
    }
    auto u = udp_bind({"::1", 0});
    ASSERT_TRUE(u.ok()) << u.error().message;
}

TEST(Socket, ListenConnectExchange) {
    auto l = tcp_listen({"127.0.0.1", 0});
    ASSERT_TRUE(l.ok()) << l.error().message;
    const auto port = local_port(l->get()).value();
    ASSERT_NE(port, 0);
    std::thread server([&] {
        SockAddr peer;
        auto c = accept_with_timeout(l->get(), 5000, &peer);
        ASSERT_TRUE(c.ok());
        char buf[5];
        ASSERT_TRUE(read_exact(c->get(), buf, 5, 5000).ok());
        ASSERT_TRUE(write_all(c->get(), std::string_view(buf, 5)).ok());
    });
    auto c = tcp_connect(Endpoint{"127.0.0.1", port}, 2000);
    ASSERT_TRUE(c.ok()) << c.error().message;
    ASSERT_TRUE(set_nodelay(c->get()).ok());
    ASSERT_TRUE(write_all(c->get(), "hello").ok());
    char buf[5];
    ASSERT_TRUE(read_exact(c->get(), buf, 5, 5000).ok());
    EXPECT_EQ(std::string(buf, 5), "hello");
    server.join();
    // The server closed its end: the next read reports it.
    auto r = read_some(c->get(), buf, 1, 5000);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::closed);
}

TEST(Socket, ConnectRefused) {
    auto l = tcp_listen({"127.0.0.1", 0});
    const auto port = local_port(l->get()).value();
    l->reset();  // nobody listens there now
    auto c = tcp_connect(Endpoint{"127.0.0.1", port}, 2000);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Errc::refused);
}

TEST(Socket, ReadTimesOut) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Fd a(sv[0]), b(sv[1]);
    char buf[1];
    auto r = read_some(a.get(), buf, 1, 50);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::timeout);
    auto l = tcp_listen({"127.0.0.1", 0});
    auto acc = accept_with_timeout(l->get(), 50);
    EXPECT_EQ(acc.error().code, Errc::timeout);
}

// A wait under a CancelScope ends soon after its flag is set, long before
// its own timeout; without the flag set it still times out as asked.
TEST(Socket, CancelScopeEndsAWaitEarly) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    Fd a(sv[0]), b(sv[1]);
    std::atomic<bool> cancel{false};
    {
        const CancelScope scope(&cancel);
        const auto t0 = std::chrono::steady_clock::now();
        auto s = wait_readable(a.get(), 120);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - t0)
                            .count();
        ASSERT_FALSE(s.ok());
        EXPECT_NE(s.error().message.find("timed out after 120 ms"), std::string::npos);
        EXPECT_GE(ms, 110);
        EXPECT_LT(ms, 1000);
    }
    std::thread setter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        cancel.store(true);
    });
    const auto t0 = std::chrono::steady_clock::now();
    Status s;
    {
        const CancelScope scope(&cancel);
        s = wait_readable(a.get(), 10000);
    }
    setter.join();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "cancelled");
    EXPECT_LT(ms, 2000) << "the 10 s wait ended soon after the flag was set";
    // Once the scope is gone, the flag no longer ends waits.
    ASSERT_EQ(::write(b.get(), "x", 1), 1);
    EXPECT_TRUE(wait_readable(a.get(), 1000).ok());
}

TEST(Socket, WriteToClosedPeerIsAnErrorNotASignal) {
    ignore_sigpipe();
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Fd a(sv[0]), b(sv[1]);
    b.reset();
    auto s = write_all(a.get(), std::string(1 << 20, 'x'));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::closed);
}

TEST(Socket, ReadExactAcrossManySmallWrites) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Fd a(sv[0]), b(sv[1]);
    std::thread writer([&] {
        for (int i = 0; i < 100; ++i)
            ASSERT_TRUE(write_all(b.get(), std::string(1, static_cast<char>('a' + i % 26))).ok());
    });
    std::string buf(100, '\0');
    ASSERT_TRUE(read_exact(a.get(), buf.data(), buf.size(), 5000).ok());
    writer.join();
    EXPECT_EQ(buf[27], 'b');
}

TEST(Fd, MoveOnlyOwnership) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Fd a(sv[0]);
    Fd b(sv[1]);
    Fd c = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_TRUE(c.valid());
    const int raw = b.get();
    b = std::move(c);  // closes the old b
    EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
}

}  // namespace
}  // namespace mt::common

TEST(FdLimit, RaisedNeverLowered) {
    const std::uint64_t before = mt::common::fd_limit();
    EXPECT_GE(mt::common::raise_fd_limit(16), before) << "asking for less lowers nothing";
    const std::uint64_t after = mt::common::raise_fd_limit(before + 64);
    EXPECT_GE(after, before);
    EXPECT_EQ(after, mt::common::fd_limit());
}
