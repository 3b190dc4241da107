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
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/piece_picker.h"
#include "common/net/fd.h"
#include "common/wire/peer_wire.h"

namespace mt::client {

class Torrent;

class PeerConnection {
  public:
    PeerConnection(Torrent& torrent, common::Fd fd, std::string address, bool outgoing);
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

  private:
    bool handshake(std::optional<common::wire::Handshake>& theirs);
    bool loop();
    bool handle(common::wire::Message& m);
    bool handle_request(const common::wire::Request& r);
    void send_ext_handshake();
    bool handle_extended(const common::wire::Extended& x);
    void fill_pipeline();
    void update_interest();
    void take_notes();
    void serve_uploads();
    // Writes what the socket takes now; false if the connection failed.
    bool flush_output();
    void send(const common::wire::Message& m);
    void drop_outstanding();
    void remove_outstanding(std::uint32_t piece, std::uint32_t offset);

    Torrent& t_;
    common::Fd fd_;
    common::Fd wake_;
    std::string address_;
    bool outgoing_;
    PeerKey key_ = 0;
    bool fast_ = false;
    bool extended_ = false;              // both set the BEP 10 bit
    std::uint8_t peer_ut_metadata_ = 0;  // its id for ut_metadata; 0: none

    common::wire::MessageDecoder decoder_;
    std::string out_;
    std::size_t out_off_ = 0;

    bool am_choking_ = true;
    bool am_interested_ = false;
    bool peer_choking_ = true;
    std::atomic<bool> peer_interested_{false};
    std::vector<Block> outstanding_;
    std::deque<common::wire::Request> uploads_;
    int bad_requests_ = 0;
    std::int64_t last_block_ms_ = 0;
    std::int64_t last_recv_ms_ = 0;
    std::int64_t last_send_ms_ = 0;

    std::mutex note_mu_;
    std::vector<std::uint32_t> note_haves_;
    std::optional<bool> note_choke_;
    std::vector<Block> note_cancels_;
    std::int64_t last_write_progress_ms_ = 0;
    std::atomic<bool> closing_{false};
    std::int64_t upload_wait_ms_ = 0;  // > 0: uploads wait for the rate limiter

    std::atomic<std::uint64_t> bytes_down_{0};
    std::atomic<std::uint64_t> bytes_up_{0};
};

}  // namespace mt::client
