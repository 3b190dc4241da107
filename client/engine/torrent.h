// Torrent: one file being downloaded and/or seeded — the state every peer
// connection of that file shares.
//
// Threads: one per peer connection (PeerConnection), one announcer (tracker
// announces with failover, connecting to new peers), one housekeeper (rechoke
// every 10 s, rates, resume state), one disk writer. The shared state below is
// owned by this object behind one mutex; no lock is held across socket or
// disk I/O: the connection that completes a piece verifies it (SHA-1) with
// the lock released and queues it for the writer, which writes it (pwrite,
// O_DIRECT when aligned) and only then marks it ours and sends `have`. One
// writer means no threads contend for the file's inode lock.
//
// Memory: a piece lives in memory only while it is being downloaded or
// waits for the writer (its blocks are copied into one aligned buffer of the
// piece's size, reused from a small pool); how many pieces are in flight is
// bounded by the peers' request pipelines, the write queue by
// kMaxQueuedWrites (a full queue holds the connections back). A piece's
// buffer is allocated when we first request one of its blocks (Torrent::pick)
// and freed when nothing of it is requested or received any more; a block
// that arrives for a piece without a buffer is dropped, never stored.
// Pieces over kMaxBufferedPiece (4 MiB; qBittorrent makes them up to
// 256 MiB) get no buffer at all: each block goes to storage as it arrives,
// and the piece is hashed back from storage in 1 MiB reads once its last
// block is there, so memory stays bounded whatever the piece length.
//
// Hostile peers: a piece that fails its hash check with one sender is a
// strike against that sender's IP address; with several senders the piece
// is fetched again from one peer only (parole, see PiecePicker::piece_failed)
// and the senders whose blocks differ from the good data are struck once it
// verifies. A connection dropped for unrequested blocks is a strike too.
// kMaxStrikes strikes ban the IP address (not ip:port) for the session:
// its connections are closed and new ones, either way, refused.
//
// Slots: at most max_peers connections (incoming, outgoing and still
// connecting) and at most max_peers_per_ip from one IP address, per torrent.
// When every slot is taken a newcomer gets in by closing a peer that has
// exchanged nothing for 5 s, else one of the address holding the most slots
// if that address holds at least two more than the newcomer's.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "client/engine/choker.h"
#include "client/engine/disk_store.h"
#include "client/engine/folder_store.h"
#include "client/engine/initial_seeder.h"
#include "client/engine/piece_picker.h"
#include "client/engine/rate_limiter.h"
#include "client/engine/rate_window.h"
#include "client/engine/torrent_link.h"
#include "client/engine/torrent_options.h"
#include "client/engine/views.h"
#include "client/trackers/tracker_client.h"
#include "common/bitfield.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metainfo.h"
#include "common/mutex.h"
#include "common/net/fd.h"
#include "common/sha1.h"
#include "common/wire/peer_wire.h"

namespace mt::client {

class PeerConnection;

// Generates "-MT0100-" followed by 12 random characters.
common::PeerId make_peer_id();

// Opens the storage a Torrent with `options` would (open_storage, else
// open_data: created or reused, or read-only with assume_complete) and hashes
// every piece through it: which pieces are good. For a torrent that is not
// running (`verify` of a paused transfer); Torrent::start() with
// verify_existing does the same before it starts. Errors: the storage's.
common::Result<std::vector<bool>> check_pieces(const common::Metainfo& meta,
                                               const TorrentOptions& options);

class Torrent final : public TorrentLink {
  public:
    Torrent(common::Metainfo meta, TorrentOptions options, common::Logger& log);
    ~Torrent() override;
    Torrent(const Torrent&) = delete;
    Torrent& operator=(const Torrent&) = delete;

    // Opens (or creates) the file, restores verified pieces from the resume
    // state (or by hashing, with verify_existing or without a usable resume
    // state), then starts announcing.
    common::Status start();
    // Announces stopped, closes every connection, joins every thread, saves
    // the resume state.
    void stop();

    // A connection the peer server accepted (its handshake is already read).
    void add_incoming(common::Fd fd, const common::wire::Handshake& theirs,
                      const std::string& address);
    // Starts an outgoing connection (in its own thread) unless we already have
    // one to that address or are at max_peers.
    void connect_to(const common::IpAddr& ip, std::uint16_t port);

    TorrentStats stats() const;
    // Every wanted piece is verified (every piece, unless files are left out).
    bool complete() const;
    // A folder torrent: which files to download from now on (empty: all;
    // see TorrentOptions::selected_files). Newly selected files are created
    // and given what the parts file holds of them.
    common::Status select_files(const std::vector<bool>& selected);
    std::vector<bool> selected_files() const;
    // A folder torrent's files as stored (paths below the destination).
    const FileLayout* layout() const;
    // Blocks until complete, a fatal error, or the timeout; true if complete.
    bool wait_complete(int timeout_ms);
    // Makes what has been written durable (before a finished download takes
    // its name: client/engine/partial.h).
    common::Status flush();
    // Stops the torrent with `why` as its error: every peer dropped, nothing
    // served or fetched any more (a seeded file edited on disk).
    void stop_serving(const std::string& why) { fail(why); }
    const common::Metainfo& meta() const override { return meta_; }
    const common::PeerId& peer_id() const override { return opt_.peer_id; }
    std::vector<TrackerStatus> trackers() const { return trackers_.status(); }

    // ---- TorrentLink: for PeerConnection (see torrent_link.h) ---------------
    PeerKey attach(PeerConnection* c, const std::string& address,
                   const common::PeerId& id) override;
    void detach(PeerKey key) override;
    common::Bitfield have_bitfield() const override;
    common::Bitfield advertised_bitfield(PeerKey key) override;
    bool on_bitfield(PeerKey key, const common::Bitfield& bits) override;
    bool on_have(PeerKey key, std::uint32_t piece) override;
    bool on_have_all(PeerKey key) override;
    bool interesting(PeerKey key) const override;
    std::vector<Block> pick(PeerKey key, std::size_t max_blocks) override;
    void requests_returned(PeerKey key, const std::vector<Block>& blocks) override;
    std::vector<Block> requests_timed_out(PeerKey key) override;
    bool on_block(PeerKey key, std::uint32_t piece, std::uint32_t offset, std::string&& data,
                  std::vector<std::pair<PeerKey, Block>>& cancel) override;
    void cancel_elsewhere(const std::vector<std::pair<PeerKey, Block>>& cancel) override;
    bool have_piece(std::uint32_t piece) const override;
    common::Status read_block(std::uint32_t piece, std::uint32_t offset, std::uint32_t length,
                              char* out) override;
    void count_upload(std::uint64_t bytes) override;
    std::vector<common::wire::PexPeer> pex_candidates(PeerKey self) override;
    void on_pex(PeerKey from, const std::vector<common::wire::PexPeer>& added) override;
    void set_listen_port(PeerKey key, std::uint16_t port) override;
    void set_peer_client(PeerKey key, const std::string& client) override;
    // A peer became interested or not: rechoke soon rather than at the next
    // 10 s round, so a free slot is never left idle.
    void interest_changed() override;
    void count_waste(std::uint64_t bytes) override;
    // A drop for unrequested blocks is also a strike against the peer's IP.
    void peer_dropped(const std::string& address, DropReason why,
                      const std::string& detail) override;
    common::Logger& log() const override { return log_; }
    const TorrentOptions& options() const override { return opt_; }
    std::int64_t now_ms() const override;

    // Banned: the IP address of `address` ("ip:port" or "ip").
    bool is_banned(const std::string& address) const;
    // Connections that ended so far, by reason (indexed by DropReason).
    std::vector<std::uint64_t> drop_counts() const;

    // ---- Read-only views for the interactive session -------------------------
    using PeerView = client::PeerView;
    // The connected peers, in no particular order.
    std::vector<PeerView> peer_views() const;

  private:
    struct PieceBuffer {
        PieceMemory mem;         // none for pieces over kMaxBufferedPiece
        std::uint32_t size = 0;  // bytes of the piece
        std::string_view view() const { return {mem.data(), size}; }
        std::uint32_t received = 0;  // blocks
        std::vector<bool> got;
        std::set<PeerKey> contributors;
        std::vector<PeerKey> from;  // the sender of each block
        // On-disk pieces: blocks being written to storage (not yet `got`).
        std::vector<bool> writing;
        std::uint32_t writes_in_progress = 0;
    };
    static constexpr std::uint64_t kMaxBufferedPiece = 4u << 20;
    bool on_disk_pieces() const { return meta_.piece_length > kMaxBufferedPiece; }
    // SHA-1 of a piece or one of its blocks, from its buffer or (on-disk
    // pieces) from storage.
    common::Result<common::Sha1Digest> piece_digest(std::uint32_t piece,
                                                    const PieceBuffer& buf) const;
    common::Sha1Digest block_digest_of(std::uint32_t piece, const PieceBuffer& buf,
                                       std::uint32_t block) const;
    // on_block for an on-disk piece: the block goes to storage first.
    bool on_disk_block(PeerKey key, std::uint32_t piece, std::uint32_t offset, std::string&& data);
    // One block of a piece that failed its hash check while several peers
    // had sent blocks of it: who sent it and what it hashed to.
    struct SuspectBlock {
        std::string ip;
        std::uint32_t block = 0;
        common::Sha1Digest digest;
    };
    struct PeerEntry {
        PeerConnection* conn = nullptr;
        std::string address;
        common::PeerId id;
        std::int64_t connected_ms = 0;
        std::int64_t last_block_ms = -1;
        bool evicted = false;  // closed to make room; its thread has not detached yet
        bool outgoing = false;
        std::uint16_t listen_port = 0;               // where it takes connections (0: unknown)
        std::string client;                          // its BEP 10 `v` ("" : none sent)
        bool choked = true;                          // as the last rechoke left it
        std::uint64_t down_bytes = 0, up_bytes = 0;  // sampled by the housekeeper
        double down_rate = 0, up_rate = 0;
        // Initial seeding: since when it has been shown pieces and is not
        // interested (-1: it is, or has nothing pending).
        std::int64_t idle_offers_since_ms = -1;
    };

    void finish_piece(std::uint32_t piece, PieceBuffer buf);
    // The writer thread: writes verified pieces, then marks them ours.
    void writer_loop();
    void piece_written(std::uint32_t piece, PieceBuffer& buf);
    PieceMemory take_memory_locked() REQUIRES(mu_);
    void give_memory(PieceMemory m);
    // Under mu_: one more strike against `ip`; bans it at kMaxStrikes.
    void strike_locked(const std::string& ip, std::vector<PeerConnection*>& to_close) REQUIRES(mu_);
    // Under mu_: frees the buffers of pieces that nothing is requested or
    // received of any more.
    void release_idle_buffers_locked() REQUIRES(mu_);
    void broadcast_have(std::uint32_t piece);
    // Under mu_: sends `have`s of the pieces the InitialSeeder chose for a peer.
    void show_locked(PeerKey key, const std::vector<std::uint32_t>& pieces) REQUIRES(mu_);
    // Under mu_: peers that sat on what they were shown for kIdleOffersMs
    // are shown everything (InitialSeeder::show_everything).
    void check_idle_offers_locked(std::int64_t now_ms) REQUIRES(mu_);
    void announcer_loop();
    void dht_loop();
    void housekeeper_loop();
    void rechoke(std::int64_t now_ms);
    void save_resume_locked_out();
    void fail(const std::string& why, bool data_changed = false);
    common::AnnounceRequest announce_request(common::AnnounceEvent ev) const;
    void reap_finished_threads();
    bool at_capacity_locked(const std::string& address) REQUIRES(mu_);  // logs when the cap is hit
    // Under mu_: `ip` holds max_peers_per_ip slots already (logs, rate-limited).
    bool ip_full_locked(const std::string& ip, const std::string& address) REQUIRES(mu_);
    // At the connection limit: closes the longest-connected peer that is not
    // interested and has sent and received no payload for 5 s (of `only_ip`
    // if given: an address at its own cap makes room among its own); false
    // if there is none.
    bool evict_idle_locked(const std::string* only_ip = nullptr) REQUIRES(mu_);
    // At the connection limit: closes a peer of the address holding the most
    // slots if it holds at least two more than `ip` (the newcomer's); false
    // if no address does.
    bool evict_crowded_locked(const std::string& ip) REQUIRES(mu_);
    // Under mu_: a connection thread from or to `ip` starts / ends.
    void take_slot_locked(const std::string& ip) REQUIRES(mu_);
    void give_slot(const std::string& ip);
    void run_connection(PeerConnection& conn, std::optional<common::wire::Handshake> theirs);

    common::Metainfo meta_;
    TorrentOptions opt_;
    common::Logger& log_;
    TrackerClient trackers_;
    std::unique_ptr<Storage> disk_;
    FolderStore* folder_ = nullptr;  // disk_, when it is a folder

    // Guards every field marked GUARDED_BY(mu_) (clang checks it: make
    // thread-safety). Lock order (docs/ARCHITECTURE.md): Session::mu_ and
    // PeerServer::mu_, then this, then a PeerConnection's note_mu_ or a RateLimiter's mu_; the
    // Logger's mutex is always last.
    mutable common::Mutex mu_;
    std::condition_variable cv_;
    PiecePicker picker_ GUARDED_BY(mu_);
    // Set when the torrent starts complete and options.initial_seeding.
    std::unique_ptr<InitialSeeder> seeder_ GUARDED_BY(mu_);
    Choker choker_ GUARDED_BY(mu_);
    common::Bitfield have_ GUARDED_BY(mu_);
    std::vector<bool> selected_ GUARDED_BY(mu_);  // empty: every file
    std::map<std::uint32_t, PieceBuffer> in_flight_ GUARDED_BY(mu_);
    std::set<std::uint32_t> finishing_ GUARDED_BY(mu_);  // complete, being verified or written
    std::vector<PieceMemory> spare_ GUARDED_BY(mu_);     // piece buffers for reuse
    struct WriteJob {
        std::uint32_t piece = 0;
        PieceBuffer buf;
    };
    std::deque<WriteJob> write_queue_ GUARDED_BY(mu_);
    std::condition_variable write_cv_;  // the writer: work or exit
    std::condition_variable space_cv_;  // connections: room in the queue
    bool writer_exit_ GUARDED_BY(mu_) = false;
    std::unordered_map<PeerKey, PeerEntry> peers_ GUARDED_BY(mu_);
    std::map<std::string, int> strikes_ GUARDED_BY(mu_);  // IP address -> bad pieces or waste drops
    // Failed pieces with several contributors: the culprits are known once
    // the piece verifies, by comparing each block with the good data.
    std::map<std::uint32_t, std::vector<SuspectBlock>> suspects_ GUARDED_BY(mu_);
    std::set<std::string> banned_ GUARDED_BY(mu_);              // IP addresses, for the session
    std::map<std::string, std::size_t> slots_ GUARDED_BY(mu_);  // IP address -> connection threads
    std::size_t total_slots_ GUARDED_BY(mu_) = 0;
    std::int64_t last_ip_cap_log_ms_ GUARDED_BY(mu_) = 0;
    std::array<std::uint64_t, 16> drops_ GUARDED_BY(mu_){};  // by DropReason
    std::set<std::string> connecting_ GUARDED_BY(mu_);       // outgoing attempts in progress
    std::set<PeerConnection*> live_
        GUARDED_BY(mu_);  // every connection thread's connection, from its start
    PeerKey next_key_ GUARDED_BY(mu_) = 1;
    std::uint64_t bad_pieces_ GUARDED_BY(mu_) = 0;
    std::string error_ GUARDED_BY(mu_);
    bool data_changed_ GUARDED_BY(mu_) = false;  // error_ is: the data was edited on disk
    bool stopping_ GUARDED_BY(mu_) = false;
    bool resume_dirty_ GUARDED_BY(mu_) = false;
    bool rechoke_soon_ GUARDED_BY(mu_) = false;
    std::int64_t last_cap_log_ms_ GUARDED_BY(mu_) = 0;
    bool completed_announced_ GUARDED_BY(mu_) = false;
    std::vector<std::thread> threads_ GUARDED_BY(mu_);  // connection threads
    std::vector<std::shared_ptr<std::atomic<bool>>> thread_done_ GUARDED_BY(mu_);

    std::atomic<std::uint64_t> downloaded_{0};
    std::atomic<std::uint64_t> wasted_{0};
    std::atomic<std::uint64_t> uploaded_{0};
    RateWindow down_rate_ GUARDED_BY(mu_);  // shown rates: 0 once idle for 2 s
    RateWindow up_rate_ GUARDED_BY(mu_);

    std::thread announcer_;
    std::thread dht_thread_;
    std::atomic<bool> dht_stop_{false};
    std::thread housekeeper_;
    // Writers of verified pieces: two, so that the disk has a second write
    // to work on while one waits (a folder's pieces touch several files).
    static constexpr int kWriters = 2;
    std::vector<std::thread> writers_;
};

}  // namespace mt::client
