#include "client/trackers/tracker_transport.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/clock.h"
#include "common/wire/tracker_http.h"

namespace mt::client {
namespace {

using common::AnnounceResponse;
using common::Errc;
using common::IpAddr;
using common::PeerAddress;
using common::Result;

AnnounceResponse answer(std::uint32_t interval, std::vector<PeerAddress> peers) {
    AnnounceResponse r;
    r.interval = interval;
    r.min_interval = interval / 2;
    r.complete = 1;
    r.incomplete = static_cast<std::uint32_t>(peers.size());
    r.peers = std::move(peers);
    return r;
}

PeerAddress v6peer(const char* ip, std::uint16_t port) {
    return {*IpAddr::parse(ip), port, std::nullopt};
}

TEST(MergeFamilyAnswers, JoinsThePeersOfEverySuccess) {
    std::vector<Result<AnnounceResponse>> in;
    in.push_back(answer(1800, {{IpAddr(0x0a000001u), 1, std::nullopt}, v6peer("2001:db8::1", 2)}));
    in.push_back(answer(900, {v6peer("2001:db8::1", 2), {IpAddr(0x0a000002u), 3, std::nullopt}}));
    in.back()->complete = 4;
    auto r = merge_family_answers(std::move(in));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->peers.size(), 3u);  // the one both named once
    EXPECT_EQ(r->peers[2].port, 3);
    EXPECT_EQ(r->interval, 900u);      // the sooner of the two
    EXPECT_EQ(r->min_interval, 900u);  // the stricter of the two
    EXPECT_EQ(r->complete, 4u);
}

TEST(MergeFamilyAnswers, OneFailureDoesNotSpoilTheOtherAndAllFailedGivesTheFirst) {
    std::vector<Result<AnnounceResponse>> in;
    in.push_back(common::make_error(Errc::io_error, "IPv6 unreachable"));
    in.push_back(answer(60, {{IpAddr(0x0a000001u), 1, std::nullopt}}));
    auto r = merge_family_answers(std::move(in));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->peers.size(), 1u);
    std::vector<Result<AnnounceResponse>> bad;
    bad.push_back(common::make_error(Errc::io_error, "first"));
    bad.push_back(common::make_error(Errc::timeout, "second"));
    auto b = merge_family_answers(std::move(bad));
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().message, "first");
    EXPECT_FALSE(merge_family_answers({}).ok());
}

TEST(ListenFamilies, SaysWhatASocketIsReachableOver) {
    auto v4 = common::tcp_listen({"127.0.0.1", 0});
    ASSERT_TRUE(v4.ok());
    auto f4 = common::listen_families(v4->get());
    EXPECT_TRUE(f4.v4);
    EXPECT_FALSE(f4.v6);
    auto dual = common::tcp_listen({"::", 0});
    if (!dual.ok()) GTEST_SKIP() << "no IPv6 here";
    auto fd = common::listen_families(dual->get());
    EXPECT_TRUE(fd.v4);
    EXPECT_TRUE(fd.v6);
    auto only6 = common::tcp_listen({"::1", 0});
    ASSERT_TRUE(only6.ok());
    auto f6 = common::listen_families(only6->get());
    EXPECT_FALSE(f6.v4);
    EXPECT_TRUE(f6.v6);
    auto any = common::tcp_listen({"", 0});  // what get/seed/the prompt use by default
    ASSERT_TRUE(any.ok());
    EXPECT_TRUE(common::listen_families(any->get()).v4);
    EXPECT_TRUE(common::listen_families(any->get()).v6);
}

TEST(ResolvePerFamily, ALiteralIsItselfAndANameKeepsOnePerAllowedFamily) {
    auto lit = common::resolve_per_family({"::1", 80}, {true, false});
    ASSERT_TRUE(lit.ok());
    ASSERT_EQ(lit->size(), 1u);
    EXPECT_EQ(common::to_string(lit->front()), "[::1]:80");
    auto name = common::resolve_per_family({"localhost", 81}, {true, true});
    ASSERT_TRUE(name.ok());
    ASSERT_GE(name->size(), 1u);
    ASSERT_LE(name->size(), 2u);
    if (name->size() == 2) {
        EXPECT_NE(name->at(0).family(), name->at(1).family());
    }
    for (const auto& a : *name)
        EXPECT_EQ(a.port(), 81);
    auto v4only = common::resolve_per_family({"localhost", 81}, {true, false});
    ASSERT_TRUE(v4only.ok());
    ASSERT_EQ(v4only->size(), 1u);
    EXPECT_EQ(v4only->front().family(), AF_INET);
    auto none = common::resolve_per_family({"localhost", 81}, {false, false});
    EXPECT_FALSE(none.ok());
}

// A one-shot HTTP tracker on `host`: answers one announce with `reply`, or
// when `silent` accepts and says nothing until it is told to stop.
class OneShotTracker {
  public:
    OneShotTracker(const char* host, AnnounceResponse reply, bool silent = false) {
        auto l = common::tcp_listen({host, 0});
        if (!l.ok()) return;
        listener_ = std::move(l).value();
        addr_ = *common::resolve({host, *common::local_port(listener_.get())});
        ok_ = true;
        thread_ = std::thread([this, reply, silent] {
            auto c = common::accept_with_timeout(listener_.get(), 5000);
            if (!c.ok()) return;
            std::string req;
            char buf[4096];
            while (req.find("\r\n\r\n") == std::string::npos) {
                auto n = common::read_some(c->get(), buf, sizeof buf, 5000);
                if (!n.ok()) return;
                req.append(buf, *n);
            }
            request_ = req;
            if (silent) {
                while (!stop_.load())
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                return;
            }
            const std::string body = common::wire::encode_announce_response(reply, true, false);
            (void)common::write_all(
                c->get(),
                "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body,
                5000);
        });
    }
    ~OneShotTracker() {
        stop_.store(true);
        if (thread_.joinable()) thread_.join();
    }
    bool ok() const { return ok_; }
    const common::SockAddr& addr() const { return addr_; }
    std::string request() {
        if (thread_.joinable()) thread_.join();
        return request_;
    }

  private:
    bool ok_ = false;
    common::Fd listener_;
    common::SockAddr addr_;
    std::atomic<bool> stop_{false};
    std::string request_;
    std::thread thread_;
};

common::TrackerUrl url_of(const char* host) {
    common::TrackerUrl u;
    u.scheme = common::TrackerUrl::Scheme::http;
    u.host = host;
    u.port = 6969;
    u.path = "/announce";
    return u;
}

common::AnnounceRequest some_request() {
    common::AnnounceRequest req;
    req.port = 6881;
    req.key = 0x5eed;
    return req;
}

// The client listens on both families and the tracker's name has both: one
// announce goes over each, each with the same key, and the peers of both
// come back.
TEST(AnnounceToEach, AsksEveryAddressAndJoinsTheirPeers) {
    OneShotTracker t4("127.0.0.1", answer(1800, {{IpAddr(0x0a000001u), 1, std::nullopt}}));
    OneShotTracker t6("::1", answer(1800, {v6peer("2001:db8::1", 2)}));
    ASSERT_TRUE(t4.ok());
    if (!t6.ok()) GTEST_SKIP() << "no IPv6 here";
    auto r = announce_to_each({t6.addr(), t4.addr()}, url_of("tracker.test"), some_request(), 2000);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->peers.size(), 2u);
    for (auto* t : {&t4, &t6}) {
        const std::string req = t->request();
        EXPECT_NE(req.find("key=00005EED"), std::string::npos) << req;
        EXPECT_NE(req.find("Host: tracker.test"), std::string::npos) << req;
    }
}

// One family answers, the other is silent (a broken IPv6 route): the answer
// comes kFamilyGraceMs after the first, not at the timeout.
TEST(AnnounceToEach, ASilentFamilyDoesNotHoldUpTheAnswer) {
    OneShotTracker t4("127.0.0.1", answer(60, {{IpAddr(0x0a000001u), 1, std::nullopt}}));
    OneShotTracker t6("::1", {}, true);
    ASSERT_TRUE(t4.ok());
    if (!t6.ok()) GTEST_SKIP() << "no IPv6 here";
    const std::int64_t began = common::mono_ms();
    auto r = announce_to_each({t6.addr(), t4.addr()}, url_of("tracker.test"), some_request(), 5000);
    const std::int64_t took = common::mono_ms() - began;
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->peers.size(), 1u);
    EXPECT_LT(took, 1500);
}

// The caller's CancelScope (a TrackerClient going away) ends every family.
TEST(AnnounceToEach, TheCallersCancelEndsEveryFamily) {
    OneShotTracker a("127.0.0.1", {}, true);
    OneShotTracker b("127.0.0.1", {}, true);
    ASSERT_TRUE(a.ok() && b.ok());
    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cancel.store(true);
    });
    const std::int64_t began = common::mono_ms();
    Result<AnnounceResponse> r = common::make_error(Errc::io_error, "not run");
    {
        const common::CancelScope scope(&cancel);
        r = announce_to_each({a.addr(), b.addr()}, url_of("tracker.test"), some_request(), 10000);
    }
    const std::int64_t took = common::mono_ms() - began;
    canceller.join();
    EXPECT_FALSE(r.ok());
    EXPECT_LT(took, 2000);
}

}  // namespace
}  // namespace mt::client
