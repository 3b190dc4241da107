// Torrent with a scripted peer over a socketpair and in-memory storage that
// fails on command: a download verified piece by piece, a full disk, a peer
// sending bad data banned by address, seeding from storage.
#include "client/engine/torrent.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "common/sha1.h"
#include "common/wire/extension.h"
#include "tests/client/engine/fake_storage.h"
#include "tests/client/engine/scripted_peer.h"

namespace mt::client {
namespace {

namespace wire = common::wire;
using test_support::MemoryStorage;
using test_support::ScriptedPeer;

constexpr std::uint32_t kPieces = 4;
constexpr std::uint32_t kPieceLength = 2 * kBlockSize;

class TorrentTest : public ::testing::Test {
  protected:
    TorrentTest() {
        std::mt19937 rng(42);
        data.resize(std::size_t{kPieces} * kPieceLength);
        for (auto& c : data)
            c = static_cast<char>(rng());
        std::string hashes;
        for (std::uint32_t i = 0; i < kPieces; ++i) {
            const auto d = common::Sha1::digest(
                std::string_view(data).substr(std::size_t{i} * kPieceLength, kPieceLength));
            hashes.append(reinterpret_cast<const char*>(d.data()), d.size());
        }
        meta = common::make_single_file_metainfo("f", data.size(), kPieceLength, hashes, {}, 0,
                                                 "test");
        storage = new MemoryStorage(data.size(), kPieceLength);
    }
    ~TorrentTest() override {
        peer.reset();
        if (torrent) torrent->stop();
        if (!storage_taken) delete storage;
    }

    void start(bool seeding = false, std::uint64_t initial_seeding_window = 8u << 20) {
        TorrentOptions opt;
        opt.initial_seeding_window = initial_seeding_window;
        opt.data_path = "/nonexistent/not-used";
        opt.peer_id = make_peer_id();
        opt.assume_complete = seeding;
        if (seeding) storage->fill(data);
        opt.open_storage = [this](const common::Metainfo&) {
            storage_taken = true;
            return common::Result<std::unique_ptr<Storage>>(std::unique_ptr<Storage>(storage));
        };
        torrent = std::make_unique<Torrent>(meta, opt, log);
        ASSERT_TRUE(torrent->start());
    }
    // A peer connects from `address`: the torrent gets it as the peer
    // server would hand it over (handshake read).
    std::unique_ptr<ScriptedPeer> connect(const std::string& address) {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        auto p = std::make_unique<ScriptedPeer>(sv[1], kPieces);
        wire::Handshake h;
        h.info_hash = meta.info_hash;
        h.peer_id.bytes.fill(static_cast<std::uint8_t>(address.back()));
        h.set_fast(true);
        torrent->add_incoming(common::Fd(sv[0]), h, address);
        return p;
    }
    // The peer has everything and unchokes; answers requests (the block
    // inverted if `corrupt`) until `done` or the connection ends.
    void seed_to_torrent(ScriptedPeer& p, bool corrupt, const std::function<bool()>& done) {
        ASSERT_TRUE(p.read_handshake());
        p.send(wire::HaveAll{});
        ASSERT_TRUE(p.expect<wire::Interested>());
        p.send(wire::Unchoke{});
        while (!done()) {
            auto r = p.expect<wire::Request>(200);
            if (!r) continue;
            std::string block =
                data.substr(std::size_t{r->index} * kPieceLength + r->begin, r->length);
            if (corrupt)
                for (auto& c : block)
                    c = static_cast<char>(~c);
            if (!p.send(wire::Piece{r->index, r->begin, std::move(block)})) return;
        }
    }
    static bool eventually(const std::function<bool()>& pred) {
        for (int i = 0; i < 500; ++i) {
            if (pred()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    std::string data;
    common::Metainfo meta;
    MemoryStorage* storage;  // owned by the torrent once started
    bool storage_taken = false;
    common::Logger log = common::Logger::null();
    std::unique_ptr<Torrent> torrent;
    std::unique_ptr<ScriptedPeer> peer;
};

TEST_F(TorrentTest, DownloadsVerifiesAndStoresEveryPiece) {
    start();
    EXPECT_FALSE(torrent->complete());
    peer = connect("192.0.2.5:6881");
    seed_to_torrent(*peer, false, [&] { return torrent->complete(); });
    ASSERT_TRUE(torrent->wait_complete(5000));
    EXPECT_EQ(storage->bytes(), data);
    const auto st = torrent->stats();
    EXPECT_EQ(st.have, kPieces);
    EXPECT_EQ(st.bad_pieces, 0u);
    EXPECT_EQ(st.wasted, 0u);
    EXPECT_TRUE(st.error.empty());
    // And it tells the seeder (BEP 3 have), which it no longer wants.
    bool not_interested = false;
    for (const auto& m : peer->seen())
        not_interested = not_interested || std::holds_alternative<wire::NotInterested>(m);
    EXPECT_TRUE(not_interested || peer->expect<wire::NotInterested>());
}

TEST_F(TorrentTest, AFullDiskStopsTheDownloadWithTheError) {
    start();
    storage->fail_writes(true);
    peer = connect("192.0.2.5:6881");
    seed_to_torrent(*peer, false, [&] { return !torrent->stats().error.empty(); });
    const auto st = torrent->stats();
    EXPECT_NE(st.error.find("No space left on device"), std::string::npos) << st.error;
    EXPECT_EQ(st.have, 0u) << "a piece that was not written is not ours";
    EXPECT_FALSE(torrent->complete());
    EXPECT_GE(storage->writes(), 1);
}

TEST_F(TorrentTest, APeerSendingBadDataIsBannedByAddress) {
    start();
    peer = connect("192.0.2.5:6881");
    seed_to_torrent(*peer, true, [&] { return torrent->is_banned("192.0.2.5"); });
    EXPECT_TRUE(torrent->is_banned("192.0.2.5:1"));
    const auto st = torrent->stats();
    EXPECT_GE(st.bad_pieces, 2u);
    EXPECT_EQ(st.have, 0u);
    EXPECT_EQ(storage->writes(), 0) << "nothing unverified reaches the storage";
    EXPECT_TRUE(peer->closed()) << "its connection is closed";
    // Another port of the same address is refused at once.
    auto again = connect("192.0.2.5:7000");
    EXPECT_FALSE(again->read_handshake());
    EXPECT_FALSE(torrent->is_banned("192.0.2.6"));
}

TEST_F(TorrentTest, SeedsFromItsStorageToAnInterestedPeer) {
    start(/*seeding=*/true);
    EXPECT_TRUE(torrent->complete());
    peer = connect("192.0.2.7:6881");
    ASSERT_TRUE(peer->read_handshake());
    EXPECT_TRUE(peer->expect<wire::HaveAll>());
    peer->send(wire::Interested{});
    ASSERT_TRUE(peer->expect<wire::Unchoke>()) << "an interested peer gets a free slot soon";
    peer->send(wire::Request{3, kBlockSize, kBlockSize});
    auto piece = peer->expect<wire::Piece>();
    ASSERT_TRUE(piece);
    EXPECT_EQ(piece->block, data.substr(3 * kPieceLength + kBlockSize, kBlockSize));

    // The storage fails: the request is rejected (BEP 6), nothing made up.
    storage->fail_reads(true);
    peer->send(wire::Request{2, 0, kBlockSize});
    auto rej = peer->expect<wire::Reject>();
    ASSERT_TRUE(rej);
    EXPECT_EQ(rej->index, 2u);
    EXPECT_FALSE(torrent->stats().data_changed) << "a failed read is not an edit";
}

// Initial seeding: the peer is shown two pieces (a bitfield, not have-all);
// its `have` of one brings the next, never one it was shown or holds; it
// may still ask for any piece.
TEST_F(TorrentTest, InitialSeedingShowsAFewPiecesAtATime) {
    start(/*seeding=*/true, /*window=*/2 * kPieceLength);
    peer = connect("192.0.2.8:6881");
    ASSERT_TRUE(peer->read_handshake());
    auto bits = peer->expect<wire::BitfieldMsg>();
    ASSERT_TRUE(bits) << "a bitfield of the pieces shown, not have-all";
    auto decoded = common::Bitfield::from_wire(bits->bits, kPieces);
    ASSERT_TRUE(decoded);
    const common::Bitfield& shown = *decoded;
    ASSERT_EQ(shown.count(), 2u);
    std::set<std::uint32_t> seen;
    for (std::uint32_t i = 0; i < kPieces; ++i)
        if (shown.get(i)) seen.insert(i);
    // It holds one of them now: one new piece is shown.
    const std::uint32_t got = *seen.begin();
    peer->send(wire::Have{got});
    auto next = peer->expect<wire::Have>();
    ASSERT_TRUE(next);
    EXPECT_FALSE(seen.count(next->piece)) << "shown twice: " << next->piece;
    peer->send(wire::Interested{});
    ASSERT_TRUE(peer->expect<wire::Unchoke>());
    const std::uint32_t other = (next->piece + 1) % kPieces;  // not shown, still served
    peer->send(wire::Request{other, 0, kBlockSize});
    auto piece = peer->expect<wire::Piece>();
    ASSERT_TRUE(piece);
    EXPECT_EQ(piece->block, data.substr(std::size_t{other} * kPieceLength, kBlockSize));
}

// A peer that never says it is interested in what it was shown (as
// transmission 3.00 does for seconds) is shown the rest after 3 s.
TEST_F(TorrentTest, InitialSeedingShowsEverythingToAPeerThatSitsOnItsOffers) {
    start(/*seeding=*/true, /*window=*/2 * kPieceLength);
    peer = connect("192.0.2.9:6881");
    ASSERT_TRUE(peer->read_handshake());
    auto bits = peer->expect<wire::BitfieldMsg>();
    ASSERT_TRUE(bits);
    auto shown = common::Bitfield::from_wire(bits->bits, kPieces);
    ASSERT_TRUE(shown);
    ASSERT_EQ(shown->count(), 2u);
    const auto t0 = common::mono_ms();
    std::set<std::uint32_t> rest;
    while (rest.size() < kPieces - 2) {
        auto h = peer->expect<wire::Have>(6000);
        ASSERT_TRUE(h) << "the rest was never shown";
        EXPECT_FALSE(shown->get(h->piece));
        rest.insert(h->piece);
    }
    EXPECT_GE(common::mono_ms() - t0, 2500) << "shown before the 3 s grace";
}

TEST_F(TorrentTest, DataEditedOnDiskStopsServingAndSaysSo) {
    start(/*seeding=*/true);
    peer = connect("192.0.2.8:6881");
    ASSERT_TRUE(peer->read_handshake());
    peer->send(wire::Interested{});
    ASSERT_TRUE(peer->expect<wire::Unchoke>());
    storage->change_under_it(true);
    peer->send(wire::Request{1, 0, kBlockSize});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (torrent->stats().error.empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const auto st = torrent->stats();
    EXPECT_TRUE(st.data_changed);
    EXPECT_NE(st.error.find("no longer served"), std::string::npos) << st.error;
}

// What peers views show: the client its extension handshake names (else
// its peer id's), how much it has, who connected, whether we choke it.
TEST_F(TorrentTest, PeerViewsNameTheClientAndItsProgress) {
    start();
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    peer = std::make_unique<ScriptedPeer>(sv[1], kPieces);
    wire::Handshake h;
    h.info_hash = meta.info_hash;
    h.peer_id = common::PeerId::from_bytes("-LT2080-abcdefghijkl");
    h.set_extended(true);
    torrent->add_incoming(common::Fd(sv[0]), h, "192.0.2.9:6881");
    ASSERT_TRUE(peer->read_handshake());
    peer->send(wire::BitfieldMsg{std::string(1, '\xc0')});  // pieces 0 and 1 of 4
    auto views = [&] { return torrent->peer_views(); };
    ASSERT_TRUE(eventually([&] { return views().size() == 1 && views()[0].progress == 0.5; }));
    EXPECT_EQ(views()[0].client, "libtorrent 2.0.8") << "from its peer id";
    EXPECT_TRUE(views()[0].incoming);
    EXPECT_TRUE(views()[0].choked);
    wire::ExtHandshake x;
    x.client = "Evil<script>\x1b[2J/1.0";
    std::string payload;
    wire::encode(x, payload);
    peer->send(wire::Extended{wire::kExtHandshakeId, payload});
    EXPECT_TRUE(eventually([&] { return views()[0].client == x.client; }))
        << "its own words, escaped where they are shown";
}

}  // namespace
}  // namespace mt::client
