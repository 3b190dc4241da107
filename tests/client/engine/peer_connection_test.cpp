// PeerConnection against a scripted peer over a socketpair, with a fake
// torrent (TorrentLink) whose clock the test moves: choke and unchoke,
// requests and blocks, timeouts, cancels, rejects, bans, and every way a
// connection ends.
#include "client/engine/peer_connection.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "common/clock.h"
#include "tests/client/engine/scripted_peer.h"

namespace mt::client {
namespace {

namespace wire = common::wire;
using test_support::ScriptedPeer;

constexpr std::uint32_t kPieces = 4;
constexpr std::uint32_t kPieceLength = 2 * kBlockSize;  // two blocks a piece

common::PeerId id_of(char c) {
    common::PeerId p;
    p.bytes.fill(static_cast<std::uint8_t>(c));
    return p;
}

// The torrent as the connection sees it: we have piece 0 of 4; what the
// peer has decides interest; pick hands out each missing block once.
class FakeLink final : public TorrentLink {
  public:
    FakeLink()
        : meta_(common::make_single_file_metainfo("f", std::uint64_t{kPieces} * kPieceLength,
                                                  kPieceLength, std::string(20 * kPieces, 'h'), {},
                                                  0, "test")),
          have_(kPieces),
          theirs_(kPieces) {
        have_.set(0);
        opt_.pipeline_blocks = 4;
    }

    // ---- TorrentLink
    const common::Metainfo& meta() const override { return meta_; }
    const common::PeerId& peer_id() const override { return self_; }
    const TorrentOptions& options() const override { return opt_; }
    common::Logger& log() const override { return log_; }
    std::int64_t now_ms() const override { return clock.load(); }
    PeerKey attach(PeerConnection*, const std::string&, const common::PeerId& id) override {
        std::lock_guard lock(mu_);
        attached_id = id;
        cv_.notify_all();
        return refuse_attach ? 0 : 7;
    }
    void detach(PeerKey) override {
        note([&] { ++detached; });
    }
    void peer_dropped(const std::string&, DropReason why, const std::string& detail) override {
        note([&] {
            dropped = why;
            drop_detail = detail;
        });
    }
    common::Bitfield have_bitfield() const override {
        std::lock_guard lock(mu_);
        return have_;
    }
    common::Bitfield advertised_bitfield(PeerKey) override { return have_bitfield(); }
    bool on_bitfield(PeerKey, const common::Bitfield& bits) override {
        std::lock_guard lock(mu_);
        theirs_ = bits;
        return interesting_locked();
    }
    bool on_have(PeerKey, std::uint32_t piece) override {
        std::lock_guard lock(mu_);
        theirs_.set(piece);
        return interesting_locked();
    }
    bool on_have_all(PeerKey) override {
        std::lock_guard lock(mu_);
        theirs_.fill(true);
        return interesting_locked();
    }
    bool interesting(PeerKey) const override {
        std::lock_guard lock(mu_);
        return interesting_locked();
    }
    void interest_changed() override {
        note([&] { ++interest_changes; });
    }
    std::vector<Block> pick(PeerKey, std::size_t max_blocks) override {
        std::lock_guard lock(mu_);
        std::vector<Block> out;
        for (std::uint32_t p = 0; p < kPieces && out.size() < max_blocks; ++p)
            for (std::uint32_t b = 0; b < 2 && out.size() < max_blocks; ++b) {
                const Block blk{p, b * kBlockSize, kBlockSize};
                if (have_.get(p) || !theirs_.get(p) || handed_.count(p * 2 + b)) continue;
                handed_.insert(p * 2 + b);
                out.push_back(blk);
            }
        return out;
    }
    void requests_returned(PeerKey, const std::vector<Block>& given_back) override {
        note([&] {
            for (const auto& b : given_back) {
                returned.push_back(b);
                handed_.erase(b.piece * 2 + b.offset / kBlockSize);
            }
        });
    }
    std::vector<Block> requests_timed_out(PeerKey) override {
        note([&] { ++timeouts; });
        return {};
    }
    bool on_block(PeerKey, std::uint32_t piece, std::uint32_t offset, std::string&& data,
                  std::vector<std::pair<PeerKey, Block>>&) override {
        bool ok = true;
        note([&] {
            blocks.push_back({piece, offset, static_cast<std::uint32_t>(data.size())});
            ok = !ban_on_block;
        });
        return ok;
    }
    void cancel_elsewhere(const std::vector<std::pair<PeerKey, Block>>&) override {}
    std::vector<common::wire::PexPeer> pex_candidates(PeerKey) override { return pex_list; }
    void on_pex(PeerKey, const std::vector<common::wire::PexPeer>& added) override {
        pex_received.insert(pex_received.end(), added.begin(), added.end());
    }
    void set_listen_port(PeerKey, std::uint16_t port) override { listen_port = port; }
    void set_peer_client(PeerKey, const std::string&) override {}
    std::vector<common::wire::PexPeer> pex_list;
    std::vector<common::wire::PexPeer> pex_received;
    std::atomic<std::uint16_t> listen_port{0};
    void count_waste(std::uint64_t bytes) override {
        note([&] { wasted += bytes; });
    }
    bool have_piece(std::uint32_t piece) const override {
        std::lock_guard lock(mu_);
        return have_.get(piece);
    }
    common::Status read_block(std::uint32_t piece, std::uint32_t offset, std::uint32_t length,
                              char* out) override {
        for (std::uint32_t i = 0; i < length; ++i)
            out[i] = static_cast<char>((piece * 7 + offset + i) & 0xff);
        return {};
    }
    void count_upload(std::uint64_t bytes) override {
        note([&] { uploaded += bytes; });
    }

    // ---- For the test
    std::atomic<std::int64_t> clock{1'000'000};
    bool refuse_attach = false;
    // Read and written under mu_ (through note() and wait()).
    std::optional<common::PeerId> attached_id;
    std::optional<DropReason> dropped;
    std::string drop_detail;
    int detached = 0, timeouts = 0, interest_changes = 0;
    bool ban_on_block = false;
    std::vector<Block> returned, blocks;
    std::uint64_t wasted = 0, uploaded = 0;

    // Waits up to 5 s for `pred` (called under the lock).
    bool wait(const std::function<bool()>& pred) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, std::chrono::seconds(5), pred);
    }
    template <typename F>
    auto read(F f) {
        std::lock_guard lock(mu_);
        return f();
    }

  private:
    template <typename F>
    void note(F f) {
        std::lock_guard lock(mu_);
        f();
        cv_.notify_all();
    }
    bool interesting_locked() const {
        for (std::uint32_t p = 0; p < kPieces; ++p)
            if (theirs_.get(p) && !have_.get(p)) return true;
        return false;
    }

    common::Metainfo meta_;
    TorrentOptions opt_;
    common::PeerId self_ = id_of('m');
    mutable common::Logger log_ = common::Logger::null();
    mutable std::mutex mu_;
    std::condition_variable cv_;
    common::Bitfield have_;
    common::Bitfield theirs_;
    std::set<std::uint32_t> handed_;
};

class PeerConnectionTest : public ::testing::Test {
  protected:
    // Starts a connection as if the peer server had accepted it (`incoming`,
    // its handshake already read) or as an outgoing one (it reads the peer's).
    void start(bool fast = true, bool incoming = true) {
        int sv[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        peer = std::make_unique<ScriptedPeer>(sv[1], kPieces);
        conn =
            std::make_unique<PeerConnection>(link, common::Fd(sv[0]), "192.0.2.9:6881", !incoming);
        theirs.info_hash = link.meta().info_hash;
        theirs.peer_id = id_of('p');
        theirs.set_fast(fast);
        std::optional<wire::Handshake> given;
        if (incoming) given = theirs;
        thread = std::thread([this, given]() mutable { conn->run(given); });
        auto ours = peer->read_handshake();
        ASSERT_TRUE(ours);
        EXPECT_EQ(ours->info_hash, link.meta().info_hash);
        EXPECT_EQ(ours->peer_id, link.peer_id());
        EXPECT_TRUE(ours->fast());
    }
    // Handshake, then the peer says it has everything and unchokes us.
    void start_downloading(bool fast = true) {
        start(fast);
        if (fast)
            peer->send(wire::HaveAll{});
        else
            peer->send(wire::BitfieldMsg{std::string(1, '\xf0')});
        ASSERT_TRUE(peer->expect<wire::Interested>());
        peer->send(wire::Unchoke{});
    }
    DropReason ended() {
        EXPECT_TRUE(link.wait([&] { return link.dropped.has_value(); })) << "still running";
        return link.read([&] { return link.dropped.value_or(DropReason::none); });
    }
    void TearDown() override {
        if (conn) conn->close();
        if (thread.joinable()) thread.join();
    }

    FakeLink link;
    wire::Handshake theirs;
    std::unique_ptr<ScriptedPeer> peer;
    std::unique_ptr<PeerConnection> conn;
    std::thread thread;
};

TEST_F(PeerConnectionTest, SaysWhatItHasAndRequestsOnlyOnceUnchoked) {
    start();
    auto bits = peer->expect<wire::BitfieldMsg>();
    ASSERT_TRUE(bits);
    EXPECT_EQ(bits->bits, std::string(1, '\x80')) << "piece 0 of 4";
    EXPECT_EQ(link.read([&] { return link.attached_id; }), theirs.peer_id);

    peer->send(wire::Have{2});
    ASSERT_TRUE(peer->expect<wire::Interested>());
    // Choked: nothing is requested yet.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a poll round or so
    peer->send(wire::Unchoke{});
    auto r1 = peer->expect<wire::Request>();
    auto r2 = peer->expect<wire::Request>();
    ASSERT_TRUE(r1 && r2);
    EXPECT_EQ(r1->index, 2u);
    EXPECT_EQ(r2->index, 2u);
    for (const auto& m : peer->seen())
        EXPECT_FALSE(std::holds_alternative<wire::Request>(m)) << "a request before the unchoke";

    // The blocks arrive: the torrent gets them.
    peer->send(wire::Piece{r1->index, r1->begin, std::string(r1->length, 'a')});
    peer->send(wire::Piece{r2->index, r2->begin, std::string(r2->length, 'b')});
    ASSERT_TRUE(link.wait([&] { return link.blocks.size() == 2; }));
    EXPECT_EQ(conn->bytes_down(), 2u * kBlockSize);
}

TEST_F(PeerConnectionTest, AChokeWithoutFastExtensionGivesTheRequestsBack) {
    start_downloading(/*fast=*/false);
    ASSERT_TRUE(peer->expect<wire::Request>());
    peer->send(wire::Choke{});
    ASSERT_TRUE(link.wait([&] { return link.returned.size() == 4; }))
        << "BEP 3: a choke discards every request in flight (4 pipelined)";
    // A block of a discarded request that was already in flight is still taken.
    const Block b = link.read([&] { return link.returned[0]; });
    peer->send(wire::Piece{b.piece, b.offset, std::string(b.length, 'x')});
    ASSERT_TRUE(link.wait([&] { return link.blocks.size() == 1; }));
    EXPECT_EQ(link.read([&] { return link.wasted; }), 0u);
}

TEST_F(PeerConnectionTest, WithFastExtensionAChokeKeepsRequestsAndARejectReturnsOne) {
    start_downloading();
    auto r = peer->expect<wire::Request>();
    ASSERT_TRUE(r);
    peer->send(wire::Choke{});
    peer->send(wire::Reject{r->index, r->begin, r->length});
    ASSERT_TRUE(link.wait([&] { return link.returned.size() == 1; }));
    EXPECT_EQ(link.read([&] { return link.returned[0]; }), (Block{r->index, r->begin, r->length}));
}

TEST_F(PeerConnectionTest, StalledRequestsTimeOutOnTheLinksClock) {
    start_downloading();
    ASSERT_TRUE(peer->expect<wire::Request>());
    link.clock += 16'000;  // past the 15 s request timeout, in no time
    ASSERT_TRUE(link.wait([&] { return link.timeouts == 1; }));
}

TEST_F(PeerConnectionTest, ASilentPeerIsDroppedAfterTheIdleTimeout) {
    start();
    ASSERT_TRUE(peer->expect<wire::BitfieldMsg>());
    link.clock += 151'000;
    EXPECT_EQ(ended(), DropReason::idle);
    thread.join();
    conn.reset();  // the socket is the connection's: closed with it
    EXPECT_TRUE(peer->closed());
    EXPECT_EQ(link.read([&] { return link.detached; }), 1);
}

TEST_F(PeerConnectionTest, AnIdleLinkGetsKeepAlives) {
    start();
    ASSERT_TRUE(peer->expect<wire::BitfieldMsg>());
    link.clock += 91'000;
    EXPECT_TRUE(peer->expect<wire::KeepAlive>());
}

TEST_F(PeerConnectionTest, BlocksNobodyAskedForAreWastedAndEndTheConnection) {
    start();
    // One more than the 64 allowed, in one write (the connection closes
    // after the last).
    std::string flood;
    for (int i = 0; i < 65; ++i)
        wire::encode(wire::Piece{1, 0, std::string(kBlockSize, 'z')}, flood);
    ASSERT_TRUE(peer->send_raw(flood));
    EXPECT_EQ(ended(), DropReason::unrequested_blocks);
    EXPECT_TRUE(link.read([&] { return link.blocks.empty(); })) << "none of them stored";
    EXPECT_EQ(link.read([&] { return link.wasted; }), 65u * kBlockSize);
}

TEST_F(PeerConnectionTest, ABlockThatGetsThePeerBannedEndsTheConnection) {
    start_downloading();
    auto r = peer->expect<wire::Request>();
    ASSERT_TRUE(r);
    link.read([&] { return link.ban_on_block = true; });
    peer->send(wire::Piece{r->index, r->begin, std::string(r->length, 'x')});
    EXPECT_EQ(ended(), DropReason::banned);
    EXPECT_FALSE(link.read([&] { return link.returned.empty(); }))
        << "the other requests go back to the pool";
}

TEST_F(PeerConnectionTest, UploadsOnlyWhileUnchokedAndRejectsOtherwise) {
    start();
    peer->send(wire::Interested{});
    ASSERT_TRUE(link.wait([&] { return link.interest_changes == 1; }));
    EXPECT_TRUE(conn->peer_interested());
    peer->send(wire::Request{0, 0, kBlockSize});
    auto rej = peer->expect<wire::Reject>();
    ASSERT_TRUE(rej) << "BEP 6: a request while choked is rejected";
    EXPECT_EQ(rej->index, 0u);

    conn->set_choked(false);
    ASSERT_TRUE(peer->expect<wire::Unchoke>());
    peer->send(wire::Request{0, kBlockSize, kBlockSize});
    auto piece = peer->expect<wire::Piece>();
    ASSERT_TRUE(piece);
    EXPECT_EQ(piece->begin, kBlockSize);
    ASSERT_EQ(piece->block.size(), kBlockSize);
    EXPECT_EQ(piece->block[1], static_cast<char>((kBlockSize + 1) & 0xff));
    EXPECT_EQ(link.read([&] { return link.uploaded; }), kBlockSize);

    // Choked again: what it still has queued is rejected, not sent.
    conn->set_choked(true);
    EXPECT_TRUE(peer->expect<wire::Choke>());
}

TEST_F(PeerConnectionTest, TooManyBadRequestsEndTheConnection) {
    start();
    std::string bad;
    for (int i = 0; i < 21; ++i)                             // one more than the 20 allowed
        wire::encode(wire::Request{3, 0, kBlockSize}, bad);  // a piece we lack
    ASSERT_TRUE(peer->send_raw(bad));
    EXPECT_EQ(ended(), DropReason::bad_requests);
}

TEST_F(PeerConnectionTest, ACancelledRequestIsCancelledOnTheWireAndGivenBack) {
    start_downloading();
    auto r = peer->expect<wire::Request>();
    ASSERT_TRUE(r);
    conn->post_cancel(Block{r->index, r->begin, r->length});
    auto c = peer->expect<wire::Cancel>();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->index, r->index);
    EXPECT_EQ(c->begin, r->begin);
    ASSERT_TRUE(link.wait([&] { return link.returned.size() == 1; }));
    // The block crossed the cancel on the wire: still taken, not waste.
    peer->send(wire::Piece{r->index, r->begin, std::string(r->length, 'x')});
    ASSERT_TRUE(link.wait([&] { return link.blocks.size() == 1; }));
}

TEST_F(PeerConnectionTest, HavesArePassedOn) {
    start();
    conn->post_have(3);
    auto h = peer->expect<wire::Have>();
    ASSERT_TRUE(h);
    EXPECT_EQ(h->piece, 3u);
}

TEST_F(PeerConnectionTest, EndsForEachReason) {
    {
        SCOPED_TRACE("the peer hangs up");
        start();
        ASSERT_TRUE(peer->expect<wire::BitfieldMsg>());  // its output is flushed
        peer.reset();
        EXPECT_EQ(ended(), DropReason::peer_closed);
        thread.join();
    }
    {
        SCOPED_TRACE("a have out of range");
        link.dropped.reset();
        start();
        peer->send(wire::Have{kPieces});
        EXPECT_EQ(ended(), DropReason::protocol_error);
        thread.join();
    }
    {
        SCOPED_TRACE("we close it");
        link.dropped.reset();
        start();
        conn->close();
        EXPECT_EQ(ended(), DropReason::stopping);
        thread.join();
    }
    {
        SCOPED_TRACE("the torrent refuses it (a second connection to the same peer)");
        link.dropped.reset();
        link.refuse_attach = true;
        start();
        EXPECT_EQ(ended(), DropReason::not_attached);
    }
}

TEST_F(PeerConnectionTest, AnOutgoingConnectionChecksTheAnswer) {
    {
        SCOPED_TRACE("another torrent's info_hash");
        start(true, /*incoming=*/false);
        wire::Handshake other = theirs;
        other.info_hash.bytes[0] ^= 1;
        std::string out;
        wire::encode(other, out);
        ASSERT_TRUE(peer->send_raw(out));
        EXPECT_EQ(ended(), DropReason::handshake_failed);
        thread.join();
    }
    {
        SCOPED_TRACE("ourselves");
        link.dropped.reset();
        start(true, false);
        wire::Handshake self = theirs;
        self.peer_id = link.peer_id();
        std::string out;
        wire::encode(self, out);
        ASSERT_TRUE(peer->send_raw(out));
        EXPECT_EQ(ended(), DropReason::handshake_failed);
        thread.join();
    }
    {
        SCOPED_TRACE("garbage");
        link.dropped.reset();
        start(true, false);
        peer->send_raw(std::string(68, 'G'));
        EXPECT_EQ(ended(), DropReason::handshake_failed);
    }
}

}  // namespace
}  // namespace mt::client
