// TorrentLink: all a PeerConnection sees of its torrent (as Transmission's
// wishlist sees the world through a Mediator). Torrent implements it; the
// unit tests of PeerConnection give it a scripted fake. Every call is
// thread-safe: many connection threads call the same torrent.
//
// Lock order: a connection calls these without holding its own note_mu_;
// the torrent may call a connection's post_have/post_cancel/set_choked/close
// while holding its mu_ (they take only note_mu_). See docs/ARCHITECTURE.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "client/engine/piece_picker.h"
#include "client/engine/torrent_options.h"
#include "client/engine/views.h"
#include "common/bitfield.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metainfo.h"
#include "common/result.h"
#include "common/wire/pex.h"

namespace mt::client {

class PeerConnection;

class TorrentLink {
  public:
    virtual ~TorrentLink() = default;

    virtual const common::Metainfo& meta() const = 0;
    virtual const common::PeerId& peer_id() const = 0;
    virtual const TorrentOptions& options() const = 0;
    virtual common::Logger& log() const = 0;
    // Monotonic ms: every deadline of a connection is measured with it.
    virtual std::int64_t now_ms() const = 0;

    // The connection joins once its handshake is done: 0 if refused (a
    // second connection to the same peer, or the torrent is stopping).
    virtual PeerKey attach(PeerConnection* c, const std::string& address,
                           const common::PeerId& id) = 0;
    virtual void detach(PeerKey key) = 0;
    // A connection ended: counted by reason and logged once.
    virtual void peer_dropped(const std::string& address, DropReason why,
                              const std::string& detail) = 0;

    // What we have.
    virtual common::Bitfield have_bitfield() const = 0;
    // What we show this peer when the connection starts: what we have, or,
    // for a seeder doing initial seeding (InitialSeeder), the few pieces
    // chosen for it; more follow as `have`s (post_have).
    virtual common::Bitfield advertised_bitfield(PeerKey key) = 0;
    // What the peer has; each returns whether we are now interested in it.
    virtual bool on_bitfield(PeerKey key, const common::Bitfield& bits) = 0;
    virtual bool on_have(PeerKey key, std::uint32_t piece) = 0;
    virtual bool on_have_all(PeerKey key) = 0;
    virtual bool interesting(PeerKey key) const = 0;
    // A peer became interested or not.
    virtual void interest_changed() = 0;

    // Downloading: blocks to request, and requests given back (choked,
    // rejected, closed) or timed out (slow peer: others may take them).
    virtual std::vector<Block> pick(PeerKey key, std::size_t max_blocks) = 0;
    virtual void requests_returned(PeerKey key, const std::vector<Block>& blocks) = 0;
    virtual std::vector<Block> requests_timed_out(PeerKey key) = 0;
    // A block we requested arrived. false: drop the peer (banned). `cancel`
    // receives the other peers that had requested the same block.
    virtual bool on_block(PeerKey key, std::uint32_t piece, std::uint32_t offset,
                          std::string&& data, std::vector<std::pair<PeerKey, Block>>& cancel) = 0;
    virtual void cancel_elsewhere(const std::vector<std::pair<PeerKey, Block>>& cancel) = 0;
    // A block nobody asked that peer for: counted, never stored.
    virtual void count_waste(std::uint64_t bytes) = 0;

    // Uploading.
    virtual bool have_piece(std::uint32_t piece) const = 0;
    // Errc::changed: the data changed on disk since it was checked; the
    // torrent then stops (nothing of it is served any more).
    virtual common::Status read_block(std::uint32_t piece, std::uint32_t offset,
                                      std::uint32_t length, char* out) = 0;
    virtual void count_upload(std::uint64_t bytes) = 0;

    // Peer exchange (BEP 11). What a PEX message to `self` may list: the
    // listen addresses of the torrent's other peers; peers a PEX message
    // brought (the torrent connects to them within its limits); the listen
    // port an incoming peer gave in its extension handshake (`p`).
    virtual std::vector<common::wire::PexPeer> pex_candidates(PeerKey self) = 0;
    virtual void on_pex(PeerKey from, const std::vector<common::wire::PexPeer>& added) = 0;
    virtual void set_listen_port(PeerKey key, std::uint16_t port) = 0;
    // The client name and version its extension handshake gave (`v`, at
    // most 64 bytes: the peer's words, shown escaped in `peers` views).
    virtual void set_peer_client(PeerKey key, const std::string& client) = 0;
};

}  // namespace mt::client
