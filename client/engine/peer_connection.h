// PeerConnection: one peer, one thread (BEP 3 peer wire, with BEP 6 fast
// extension messages understood).
//
// The thread owns the socket, its decoder and its buffers. Other threads talk
// to it only through post_have(), post_cancel(), set_choked() and close(), which queue a
// note and wake it through an eventfd.
//
// Downloading: keeps up to TorrentOptions::pipeline_blocks 16 KiB requests in
// flight while the peer unchokes us and has pieces we want; requests that get
// no block for kRequestTimeoutMs go back to the pool for other peers.
// Uploading: serves requests (at most 16 KiB, in range, for pieces we have)
// while we unchoke the peer; a peer that keeps sending bad requests is dropped.
// Metadata (BEP 10, BEP 9): when both set the extension bit we send an
// extension handshake offering ut_metadata with metadata_size = the size of
// the info dictionary, and answer ut_metadata requests with its 16 KiB
// pieces; requests for pieces past the end count as bad requests.
// Deadlines: a handshake within 10 s, some traffic every 150 s (we send
// keep-alives every 90 s), writes that make no progress for 30 s.
//
// Output and back-pressure: everything we queue for the peer (blocks,
// BEP 6 rejects, ut_metadata replies, haves) waits in one buffer. Uploads
// and metadata replies are queued only while it holds under
// kUploadFillBytes (1 MiB). Above kReadPauseBytes (2 MiB: only a peer that
// sends requests and does not read what they produce gets there) we stop
// reading and decoding that peer until the buffer drains under
// kReadResumeBytes (1.5 MiB); it must do so within kDrainDeadlineMs (15 s)
// of the pause, counted once from the pause (a trickle of bytes does not
// restart it), or the peer is dropped (DropReason::output_not_drained).
// Memory per connection is therefore bounded by about 2 MiB of output plus
// one read chunk of decoded input: 16 KiB, doubled up to 256 KiB while reads
// fill it (a peer that sends us data fast).
//
// Blocks: a `piece` message is taken only if we requested that block from
// this peer and it is outstanding, or we cancelled/abandoned the request
// recently (a bounded list of at most kMaxRecentBlocks, each for
// kRecentBlockMs). Anything else is waste: not copied, counted, and past
// kMaxWasteBlocks the peer is dropped (DropReason::unrequested_blocks),
// which also counts as a strike against its IP address (see Torrent).
//
// It sees its torrent only through TorrentLink, and measures every deadline
// with TorrentLink::now_ms(): tests script a peer over a socketpair against
// a fake link and move its clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/engine/piece_picker.h"
#include "client/engine/torrent_link.h"
#include "client/engine/views.h"
#include "common/mutex.h"
#include "common/net/fd.h"
#include "common/wire/peer_wire.h"

namespace mt::client {

class PeerConnection {
  public:
    PeerConnection(TorrentLink& torrent, common::Fd fd, std::string address, bool outgoing);
    ~PeerConnection();
    PeerConnection(const PeerConnection&) = delete;
    PeerConnection& operator=(const PeerConnection&) = delete;

    // Runs the connection until it ends. `theirs`: the handshake already read
    // by the peer server (incoming); nullopt for an outgoing connection.
    void run(std::optional<common::wire::Handshake> theirs);

    // Thread-safe, from other threads.
    void post_have(std::uint32_t piece);
    void set_choked(bool choked);
    // The block arrived from another peer: cancel our request for it.
    void post_cancel(const Block& block);
    void close();
    std::uint64_t bytes_down() const { return bytes_down_.load(); }
    std::uint64_t bytes_up() const { return bytes_up_.load(); }
    bool peer_interested() const { return peer_interested_.load(); }
    bool outgoing() const { return outgoing_; }
    // When we first unchoked it, if it has never asked for anything; -1 otherwise.
    std::int64_t idle_unchoked_since_ms() const { return idle_unchoked_since_ms_.load(); }

  private:
    bool handshake(std::optional<common::wire::Handshake>& theirs);
    DropReason loop();
    // Reads what the socket has (bounded) and decodes it while the output
    // is under the watermark.
    DropReason read_input(std::vector<char>& buf);
    DropReason decode_pending();
    // The read back-pressure state and the drain deadline.
    DropReason check_output(std::int64_t now);
    std::size_t queued() const { return out_.size() - out_off_; }
    DropReason handle(common::wire::Message& m);
    DropReason handle_piece(common::wire::Piece& p);
    DropReason handle_request(const common::wire::Request& r);
    void send_ext_handshake();
    bool pex_allowed() const;
    bool dht_allowed() const;
    // Sends the changes to the peers we listed to this peer, at most every
    // kPexIntervalMs (the first one soon after the extension handshake).
    void maybe_send_pex(std::int64_t now);
    DropReason handle_pex(const common::wire::Extended& x);
    DropReason handle_extended(const common::wire::Extended& x);
    // A request we no longer expect an answer to; a block that answers it
    // soon is still taken.
    void remember_abandoned(const Block& b);
    bool take_abandoned(const Block& b);
    // Sets the detail logged with the drop; returns `r`.
    DropReason drop(DropReason r, std::string detail);
    void fill_pipeline();
    void update_interest();
    void take_notes();
    void serve_uploads();
    // Writes what the socket takes now; false if the connection failed.
    bool flush_output();
    void send(const common::wire::Message& m);
    void drop_outstanding();

    TorrentLink& t_;
    common::Fd fd_;
    common::Fd wake_;
    std::string address_;
    bool outgoing_;
    PeerKey key_ = 0;
    bool fast_ = false;
    bool extended_ = false;                        // both set the BEP 10 bit
    std::uint8_t peer_ut_metadata_ = 0;            // its id for ut_metadata; 0: none
    std::uint8_t peer_ut_pex_ = 0;                 // its id for ut_pex; 0: none
    bool peer_dht_ = false;                        // it set the BEP 5 bit
    int port_msgs_ = 0;                            // PORT messages it sent (two count)
    std::int64_t next_pex_ms_ = 0;                 // when we may send the next PEX message
    std::int64_t last_pex_in_ms_ = -1;             // when its last PEX message counted
    std::vector<common::wire::PexPeer> pex_sent_;  // what this peer has from us

    common::wire::MessageDecoder decoder_;
    std::string out_;
    std::size_t out_off_ = 0;

    bool am_choking_ = true;
    bool am_interested_ = false;
    bool peer_choking_ = true;
    std::atomic<bool> peer_interested_{false};
    std::atomic<std::int64_t> idle_unchoked_since_ms_{-1};
    bool used_a_slot_ = false;  // it sent a request while unchoked
    std::vector<Block> outstanding_;
    struct Abandoned {
        Block block;
        std::int64_t at_ms = 0;
    };
    std::deque<Abandoned> abandoned_;  // oldest first, at most kMaxRecentBlocks
    std::uint32_t waste_blocks_ = 0;   // blocks it sent that we never asked for
    bool reading_paused_ = false;      // output over the watermark: input left unread
    std::int64_t paused_since_ms_ = 0;
    std::string drop_detail_;
    std::deque<common::wire::Request> uploads_;
    int bad_requests_ = 0;
    std::int64_t last_block_ms_ = 0;
    std::int64_t last_recv_ms_ = 0;
    std::int64_t last_send_ms_ = 0;

    common::Mutex note_mu_;
    std::vector<std::uint32_t> note_haves_ GUARDED_BY(note_mu_);
    std::optional<bool> note_choke_ GUARDED_BY(note_mu_);
    std::vector<Block> note_cancels_ GUARDED_BY(note_mu_);
    std::int64_t last_write_progress_ms_ = 0;
    std::atomic<bool> closing_{false};
    std::int64_t upload_wait_ms_ = 0;  // > 0: uploads wait for the rate limiter

    std::atomic<std::uint64_t> bytes_down_{0};
    std::atomic<std::uint64_t> bytes_up_{0};
};

}  // namespace mt::client
