#include "client/trackers/metadata_fetch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/clock.h"
#include "common/net/socket.h"
#include "common/sha1.h"
#include "common/wire/extension.h"
#include "common/wire/peer_wire.h"

namespace mt::client {
namespace {

namespace wire = common::wire;

enum class Behaviour { honest, corrupt, no_extension, no_ut_metadata, reject, silent, short_piece };

constexpr std::uint8_t kFakeUtMetadataId = 3;  // not ours (2): answers must use each side's id

// A peer on 127.0.0.1 that serves `info` (or misbehaves as told), one
// connection at a time, until destroyed.
class FakePeer {
  public:
    FakePeer(Behaviour b, std::string info) : b_(b), info_(std::move(info)) {
        common::ignore_sigpipe();  // the fetcher hangs up on liars mid-write
        auto l = common::tcp_listen({"127.0.0.1", 0}, 16);
        EXPECT_TRUE(l.ok());
        listener_ = std::move(l).value();
        port_ = *common::local_port(listener_.get());
        thread_ = std::thread([this] { serve(); });
    }
    ~FakePeer() {
        stop_ = true;
        thread_.join();
    }
    common::PeerAddress address() const { return {0x7f000001, port_, std::nullopt}; }
    std::string name() const { return "127.0.0.1:" + std::to_string(port_); }
    int connections() const { return connections_; }
    int pieces_served() const { return pieces_served_; }

  private:
    void serve() {
        while (!stop_) {
            auto fd = common::accept_with_timeout(listener_.get(), 50);
            if (!fd) continue;
            ++connections_;
            talk(fd->get());
        }
    }

    void send_ext(int fd, std::uint8_t id, const std::string& payload) {
        std::string out;
        wire::encode(wire::Message(wire::Extended{id, payload}), out);
        (void)common::write_all(fd, out, 2000);
    }

    void talk(int fd) {
        char hs[wire::kHandshakeSize];
        if (!common::read_exact(fd, hs, sizeof hs, 2000)) return;
        auto theirs = wire::decode_handshake(std::string_view(hs, sizeof hs));
        if (!theirs) return;
        wire::Handshake mine;
        mine.info_hash = theirs->info_hash;
        mine.peer_id = common::PeerId::from_bytes("-FK0001-000000000000");
        mine.set_extended(b_ != Behaviour::no_extension);
        std::string out;
        wire::encode(mine, out);
        wire::encode(wire::Message(wire::BitfieldMsg{"\xff"}), out);  // noise to ignore
        if (!common::write_all(fd, out, 2000)) return;
        if (b_ == Behaviour::no_extension) return wait_closed(fd);
        wire::ExtHandshake ext;
        if (b_ != Behaviour::no_ut_metadata) ext.m["ut_metadata"] = kFakeUtMetadataId;
        ext.m["ut_pex"] = 1;
        ext.metadata_size = static_cast<std::uint32_t>(info_.size());
        std::string payload;
        wire::encode(ext, payload);
        send_ext(fd, wire::kExtHandshakeId, payload);
        if (b_ == Behaviour::silent) return wait_closed(fd);

        wire::MessageDecoder dec;
        std::uint8_t their_id = 0;
        char buf[4096];
        while (!stop_) {
            auto n = common::read_some(fd, buf, sizeof buf, 100);
            if (!n) {
                if (n.error().code == common::Errc::timeout) continue;
                return;
            }
            dec.feed(std::string_view(buf, *n));
            for (auto s = dec.next(); !std::holds_alternative<wire::MessageDecoder::NeedMore>(s);
                 s = dec.next()) {
                auto* msg = std::get_if<wire::Message>(&s);
                if (!msg) return;
                auto* x = std::get_if<wire::Extended>(msg);
                if (!x) continue;
                if (x->ext_id == wire::kExtHandshakeId) {
                    their_id = wire::decode_ext_handshake(x->payload)->ut_metadata();
                    continue;
                }
                EXPECT_EQ(x->ext_id, kFakeUtMetadataId);
                auto req = wire::decode_metadata_msg(x->payload);
                EXPECT_TRUE(req.ok());
                if (!req.ok() || their_id == 0) continue;
                wire::MetadataMsg reply{wire::MetadataMsgType::reject, req->piece, 0, {}};
                if (b_ != Behaviour::reject) {
                    const auto size = static_cast<std::uint32_t>(info_.size());
                    reply.type = wire::MetadataMsgType::data;
                    reply.total_size = size;
                    reply.data = info_.substr(std::size_t{req->piece} * wire::kMetadataPieceSize,
                                              wire::metadata_piece_size(size, req->piece));
                    if (b_ == Behaviour::corrupt && req->piece == 0) reply.data[10] ^= 1;
                    if (b_ == Behaviour::short_piece) reply.data.pop_back();
                    ++pieces_served_;
                }
                std::string p;
                wire::encode(reply, p);
                send_ext(fd, their_id, p);
            }
        }
    }

    void wait_closed(int fd) {
        char buf[256];
        while (!stop_) {
            auto n = common::read_some(fd, buf, sizeof buf, 100);
            if (!n && n.error().code != common::Errc::timeout) return;
        }
    }

    Behaviour b_;
    std::string info_;
    common::Fd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::atomic<int> pieces_served_{0};
    std::thread thread_;
};

// Three metadata pieces, the last one short.
std::string make_info() {
    std::string s = "d6:pieces";
    while (s.size() < 2 * wire::kMetadataPieceSize + 1000)
        s += static_cast<char>('a' + s.size() % 26);
    return s + "e";
}

struct Fetch {
    common::Result<std::string> result = common::make_error(common::Errc::invalid_argument, "");
    MetadataFetchReport report;
    double seconds = 0;
};

Fetch fetch(const std::string& info, const std::vector<common::PeerAddress>& peers,
            int timeout_ms = 10000, MetadataFetchOptions opt = {}) {
    auto log = common::Logger::null();
    Fetch f;
    const auto start = common::mono_ms();
    f.result = fetch_metadata(common::InfoHash{common::Sha1::digest(info)}, peers,
                              common::PeerId::from_bytes("-MT0100-testtesttest"), timeout_ms, log,
                              opt, &f.report);
    f.seconds = static_cast<double>(common::mono_ms() - start) / 1000.0;
    return f;
}

TEST(MetadataFetch, FromAnHonestPeer) {
    const std::string info = make_info();
    FakePeer honest(Behaviour::honest, info);
    auto f = fetch(info, {honest.address()});
    ASSERT_TRUE(f.result.ok()) << f.result.error().message;
    EXPECT_EQ(*f.result, info);
    EXPECT_EQ(f.report.source, honest.name());
    EXPECT_EQ(f.report.tried, 1u);
    EXPECT_TRUE(f.report.bad.empty());
    EXPECT_EQ(honest.pieces_served(), 3);
}

TEST(MetadataFetch, BadMetadataIsDroppedAndTheNextPeerTried) {
    const std::string info = make_info();
    FakePeer corrupt(Behaviour::corrupt, info);
    FakePeer honest(Behaviour::honest, info);
    MetadataFetchOptions opt;
    opt.max_parallel = 1;
    auto f = fetch(info, {corrupt.address(), honest.address()}, 10000, opt);
    ASSERT_TRUE(f.result.ok()) << f.result.error().message;
    EXPECT_EQ(*f.result, info);
    EXPECT_EQ(f.report.source, honest.name());
    EXPECT_EQ(f.report.bad, std::vector<std::string>{corrupt.name()});
    EXPECT_EQ(corrupt.pieces_served(), 3);
    EXPECT_EQ(f.report.tried, 2u);
}

TEST(MetadataFetch, OnlyBadPeersFailWithASummary) {
    const std::string info = make_info();
    FakePeer corrupt(Behaviour::corrupt, info);
    FakePeer short_piece(Behaviour::short_piece, info);
    auto f = fetch(info, {corrupt.address(), short_piece.address()});
    ASSERT_FALSE(f.result.ok());
    EXPECT_EQ(f.result.error().code, common::Errc::not_found);
    EXPECT_NE(f.result.error().message.find("2 peers tried: 2 sent bad metadata"),
              std::string::npos)
        << f.result.error().message;
    EXPECT_NE(f.result.error().message.find("do not hash to the info_hash"), std::string::npos)
        << f.result.error().message;
    EXPECT_NE(f.result.error().message.find("expected 16384"), std::string::npos)
        << f.result.error().message;
    EXPECT_EQ(f.report.bad.size(), 2u);
    EXPECT_LT(f.seconds, 5.0);
}

TEST(MetadataFetch, PeersWithoutTheExtensionOrThatRejectOrAreGone) {
    const std::string info = make_info();
    FakePeer no_ext(Behaviour::no_extension, info);
    FakePeer no_ut(Behaviour::no_ut_metadata, info);
    FakePeer rejects(Behaviour::reject, info);
    common::PeerAddress gone;
    {
        auto l = common::tcp_listen({"127.0.0.1", 0}, 1);
        ASSERT_TRUE(l.ok());
        gone = {0x7f000001, *common::local_port(l->get()), std::nullopt};
    }  // closed: connections are refused
    auto f = fetch(info, {no_ext.address(), no_ut.address(), rejects.address(), gone});
    ASSERT_FALSE(f.result.ok());
    EXPECT_EQ(f.result.error().code, common::Errc::not_found);
    const std::string& msg = f.result.error().message;
    EXPECT_NE(msg.find("4 peers tried: 1 unreachable, 2 without the metadata extension, 1 failed"),
              std::string::npos)
        << msg;
    EXPECT_TRUE(f.report.bad.empty());
    EXPECT_EQ(f.report.failures.size(), 4u);
    EXPECT_LT(f.seconds, 5.0);
}

TEST(MetadataFetch, SilentPeerTimesOutWithinTheDeadline) {
    const std::string info = make_info();
    FakePeer silent(Behaviour::silent, info);
    auto f = fetch(info, {silent.address()}, 1000);
    ASSERT_FALSE(f.result.ok());
    EXPECT_EQ(f.result.error().code, common::Errc::timeout) << f.result.error().message;
    EXPECT_NE(f.result.error().message.find("timed out after 1 s"), std::string::npos)
        << f.result.error().message;
    EXPECT_GE(f.seconds, 0.9);
    EXPECT_LT(f.seconds, 2.0);
}

TEST(MetadataFetch, AnotherPeerStartsWhileTheFirstIsSilent) {
    const std::string info = make_info();
    FakePeer silent(Behaviour::silent, info);
    FakePeer honest(Behaviour::honest, info);
    MetadataFetchOptions opt;
    opt.stagger_ms = 200;
    auto f = fetch(info, {silent.address(), honest.address()}, 10000, opt);
    ASSERT_TRUE(f.result.ok()) << f.result.error().message;
    EXPECT_EQ(f.report.source, honest.name());
    EXPECT_LT(f.seconds, 3.0);  // well before the silent peer's idle timeout
}

TEST(MetadataFetch, CancelReturnsSoon) {
    const std::string info = make_info();
    FakePeer silent(Behaviour::silent, info);
    std::atomic<bool> cancel{false};
    MetadataFetchOptions opt;
    opt.cancel = &cancel;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        cancel = true;
    });
    auto f = fetch(info, {silent.address()}, 20000, opt);
    canceller.join();
    ASSERT_FALSE(f.result.ok());
    EXPECT_EQ(f.result.error().code, common::Errc::closed);
    EXPECT_LT(f.seconds, 2.0);
}

TEST(MetadataFetch, NoPeers) {
    auto f = fetch("x", {});
    ASSERT_FALSE(f.result.ok());
    EXPECT_EQ(f.result.error().code, common::Errc::not_found);
    EXPECT_EQ(f.report.tried, 0u);
}

TEST(MetadataFetch, AddressString) {
    EXPECT_EQ(peer_address_string({0x7f000001, 6881, std::nullopt}), "127.0.0.1:6881");
    EXPECT_EQ(peer_address_string({0xc0a80a01, 1, std::nullopt}), "192.168.10.1:1");
}

}  // namespace
}  // namespace mt::client
