// Session: the interactive client's engine. It owns one PeerServer on the
// client's upload port (shared by every Torrent), the Torrents it shares and
// downloads, the saved state (client/session/state_store.h) and two threads:
//
//   worker   publishing .mtorrents to the trackers, metainfo lookups for `get`
//            by name or info_hash, stopping removed Torrents (each announces
//            `stopped`): everything that waits on the network, so execute()
//            never does (except `search`, whose answer is the reply: at most
//            one timeout per tracker)
//   watcher  once a second: watched folders (client/session/folder_watch.h), finished
//            downloads (recorded as such), publishes to try again, a sample
//            of the session's total rates (rate_samples)
//
// Threads: execute() runs on the prompt's thread; the watcher and worker
// change the transfer list too. The list is guarded by mu_ and holds
// shared_ptrs, so a reader keeps a Torrent alive while it asks it for stats
// even if it is removed meanwhile. No lock is held across hashing, disk or
// network I/O; the state file is written under its own mutex.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "client/engine/peer_server.h"
#include "client/engine/torrent.h"
#include "client/session/command.h"
#include "client/session/folder_watch.h"
#include "client/session/rate_history.h"
#include "client/session/reply_format.h"
#include "client/session/state_store.h"
#include "client/session/transfer_detail.h"
#include "client/trackers/tracker_query.h"
#include "common/log.h"
#include "common/mutex.h"
#include "common/net/socket.h"

namespace mt::client {

struct SessionConfig {
    common::Endpoint self;                   // my_ip:upload_port (port 0: any)
    std::vector<common::Endpoint> trackers;  // the tracker pair
    std::string state_dir;
    int tracker_timeout_ms = 2000;
    int watch_interval_ms = 1000;
    // Session-wide rate limits in bytes/s, shared by every transfer (0: none).
    std::uint64_t max_upload_rate = 0;
    std::uint64_t max_download_rate = 0;
    std::size_t max_peers_per_ip = 0;  // per transfer; 0: TorrentOptions' default
    // The Mainline DHT (BEP 5) on UDP at our address and port: on unless
    // false; its bootstrap nodes (literal addresses) besides the saved table.
    bool dht = true;
    std::vector<common::Endpoint> dht_bootstrap;
    bool pex = true;  // peer exchange (BEP 11) for every transfer
};

class Session {
  public:
    Session(SessionConfig config, common::Logger& log);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Binds the upload port, creates the state folder, loads the saved state
    // and restarts what it lists (re-checking shared files, resuming
    // downloads), then starts serving peers and the threads. `notes` receives
    // what a person should know (a corrupt state file set aside, a shared
    // file that vanished or changed). Errors: the port cannot be bound, the
    // state folder cannot be created.
    common::Status start(std::vector<std::string>& notes);

    // Carries out one parsed command. `tty`: draw progress bars. Callers on
    // several threads (the prompt and the web server) take turns: one
    // command at a time.
    Reply execute(const Command& command, bool tty) EXCLUDES(exec_mu_);

    // Every transfer and pending lookup as `show downloads` sees them (a
    // lookup has an empty info_hash), in the list's order.
    std::vector<TransferView> transfer_views() EXCLUDES(mu_);
    // The one transfer `name` names (as the prompt's commands take names:
    // label, .mtorrent path, file name, info_hash) in detail: its files with
    // their progress (as `files`), its peers (as `peers`), its trackers (as
    // `status` merges them), its pieces. nullopt: no transfer, or several.
    std::optional<TransferDetail> transfer_detail(const std::string& name) EXCLUDES(mu_);
    // What the trackers know of files whose name holds `text` (every one,
    // with peers or not): success("") with `hits` filled, or the failure
    // `search` would reply (INVALID_ARGUMENTS, TRACKER_ERROR,
    // TRACKERS_UNREACHABLE). Waits on the trackers (one timeout each at most).
    Reply search(const std::string& text, std::vector<common::wire::SearchHit>& hits);
    // The session's total rates, sampled by the watcher once per tick
    // (watch_interval_ms), the last RateHistory::kMaxSamples, oldest first.
    RateSamples rate_samples() const EXCLUDES(mu_);

    // Announces `stopped` for every transfer (in parallel), saves the state,
    // joins every thread. Idempotent.
    void stop();

    // What happened in the background since the last call, for a person
    // (a download finished or failed, a transfer could not resume, a shared
    // file changed): one line each, oldest first. At most kMaxNotices are
    // kept; older ones are dropped (they are in the log too).
    std::vector<std::string> take_notices() EXCLUDES(mu_);
    static constexpr std::size_t kMaxNotices = 100;
    // Transfer labels (for Tab completion).
    std::vector<std::string> transfer_names() const EXCLUDES(mu_);

    std::uint16_t port() const { return port_; }
    common::Logger& log() const { return log_; }
    const std::string& state_dir() const { return config_.state_dir; }

  private:
    struct Transfer {
        // label, kind, paths and info_hash never change; complete, size and
        // mtime_ns change under mu_.
        SavedTransfer saved;
        std::unique_ptr<Torrent> torrent;
        // The data is at `<data_path>.part` until it is verified
        // (client/engine/partial.h); changes under mu_.
        bool partial = false;
        std::string finish_error;  // verified, but the rename was refused
        // A seeded file seen changed on disk, waiting one more look to be
        // sure the edit is over (check_shared_files); watcher thread only.
        std::optional<FileSig> changed_to;
        // Paused (saved.paused): what show downloads says once its Torrent
        // stopped, or, restored paused, what the files on disk hold. Under mu_.
        std::optional<TorrentStats> frozen;
        bool resuming = false;  // a resume is queued; under mu_
        // `verify` is hashing its data (shown [V]); under mu_. A running
        // download is also `resuming`: a new Torrent takes its place.
        bool verifying = false;
        // Paused: the pieces `frozen` counts (size 0: not known); under mu_.
        common::Bitfield frozen_have;
        std::atomic<bool> failure_noticed{false};  // its error was told (take_notices)
        // Held across Torrent::start() and stop(), so that a transfer removed
        // while it starts is stopped only once it has started.
        common::Mutex run_mu;
    };
    struct Job {
        std::function<void()> fn;
        bool essential = false;  // runs even when quitting (stopping a Torrent)
    };
    struct Lookup {
        SavedLookup saved;
        bool failed = false;
        std::string code, detail;
    };
    struct Watched {
        std::string dir;
        FolderSnapshot acted;     // name -> signature shared (or failed) with
        FolderSnapshot previous;  // the last scan
    };
    // What a failed operation tells the user.
    struct Failure {
        std::string code, detail;
    };
    template <class T>
    using Outcome = std::variant<T, Failure>;

    // ---- Commands ------------------------------------------------------------
    Reply cmd_share(const std::string& file, const std::string& mtorrent,
                    const PeerSources& sources);
    Reply cmd_get(const std::string& source, const std::string& dest,
                  const std::vector<std::string>& only, const PeerSources& sources);
    Reply cmd_show(bool tty);
    // What remove does with the data (remove [--keep | --delete-data]).
    enum class DataPolicy {
        partial_deleted,  // an unfinished download's partial data goes, the rest stays
        keep,             // everything stays (--keep)
        delete_all,       // a download's data goes, finished or not (--delete-data)
    };
    Reply cmd_remove(const std::string& name, DataPolicy data);
    Reply cmd_search(const std::string& text);
    Reply cmd_watch(const std::string& dir);
    Reply cmd_unwatch(const std::string& dir);
    Reply cmd_status();
    Reply cmd_files(const std::string& name);
    Reply cmd_select(const std::string& name, const std::vector<std::string>& which, bool on);
    Outcome<std::shared_ptr<Transfer>> find_one(const std::string& name);
    Reply cmd_peers(const std::string& name);
    Reply cmd_pause(const std::string& name);
    Reply cmd_resume(const std::string& name);
    Reply cmd_verify(const std::string& name);
    // `verify` on the worker. A running download: stopped, then a new
    // Torrent started over the same data with verify_existing, in its place
    // (as relaunch does), carrying on with what is good. A share (running or
    // not) or a paused download: hashed where it is (check_pieces), the
    // share still seeding; what is found is kept (the paused transfer's
    // progress and resume state; a share that no longer matches is no
    // longer served).
    void verify_by_relaunch(const std::shared_ptr<Transfer>& t);
    void verify_in_place(const std::shared_ptr<Transfer>& t);
    // The outcome of in-place verification, kept and told (verify_in_place).
    void record_verified(const std::shared_ptr<Transfer>& t, const std::vector<bool>& good);
    void verify_done(const std::string& text, bool ok);  // logged and a notice
    Reply cmd_limit(const std::vector<std::string>& args);
    Reply cmd_help(const std::vector<std::string>& args);

    // ---- Transfers -----------------------------------------------------------
    // Hashes `data_path`, writes the .mtorrent (to `mtorrent_path`, or only to
    // the state folder when empty), starts seeding it and queues the publish
    // (unless `published` is given: then it publishes at once and says how
    // that went there, "" for success).
    Outcome<std::shared_ptr<Transfer>> share_file(
        const std::string& data_path, const std::string& mtorrent_path, const std::string& label,
        const std::string& watch_dir, const PeerSources& sources, std::string* published = nullptr);
    // Starts downloading `meta` to `dest` (a file path, or a folder to put
    // meta.name in).
    // `only`: globs choosing files of a folder torrent (get --only).
    Outcome<std::shared_ptr<Transfer>> start_download(common::Metainfo meta, std::string dest,
                                                      const std::string& mtorrent_path,
                                                      const std::string& label,
                                                      const std::vector<std::string>& only = {},
                                                      const PeerSources& sources = {});
    // start_download's destination: `dest` made absolute (a folder: with
    // the torrent's top name `top` in it), its folder there, neither it nor
    // the torrent in use by another transfer.
    Outcome<std::string> download_destination(const common::InfoHash& ih, const std::string& top,
                                              std::string dest) EXCLUDES(mu_);
    // The DHT node and PEX switch of a transfer's Torrent: the session's,
    // unless the transfer turned them off.
    void set_peer_sources(TorrentOptions& opt, const PeerSources& sources) const;
    // Creates, starts and registers the Torrent of a transfer.
    // `duplicate_code`: the failure when the info_hash or data file is
    // already in use (ALREADY_SHARED, ALREADY_EXISTS).
    Outcome<std::shared_ptr<Transfer>> launch(SavedTransfer saved, common::Metainfo meta,
                                              bool seeding, bool verify_existing,
                                              const std::string& duplicate_code);
    // How launch() would run a transfer's Torrent; `partial`: its data is at
    // `<data_path>.part` (an unfinished download not yet renamed).
    TorrentOptions torrent_options(const SavedTransfer& saved, bool seeding, bool verify_existing,
                                   bool& partial) const;
    // Takes a transfer off the list and the peer server; the worker stops it.
    // delete_files: the state's copies, and the data as `data` says (only
    // with delete_files).
    void retire(const std::shared_ptr<Transfer>& t, bool delete_files,
                DataPolicy data = DataPolicy::partial_deleted);
    // On the worker, once the Torrent stopped: deletes a retired download's
    // data (its `.part` data when `partial`, else its data under its name).
    void delete_data(const Transfer& t, bool partial);
    // show downloads' view of one transfer (stats copied under mu_).
    TransferView view_of(const Transfer& t) const EXCLUDES(mu_);
    std::vector<std::shared_ptr<Transfer>> find_locked(const std::string& name) const REQUIRES(mu_);
    bool info_hash_active_locked(const common::InfoHash& ih, std::string* label) const
        REQUIRES(mu_);
    bool data_path_active_locked(const std::string& path) const REQUIRES(mu_);
    std::string torrent_copy_path(const common::InfoHash& ih) const;
    std::string resume_path(const common::InfoHash& ih) const;
    std::string parts_path(const common::InfoHash& ih) const;
    std::vector<std::string> tracker_urls() const;

    // ---- Restart ---------------------------------------------------------------
    void restore(const SessionState& state, std::vector<std::string>& notes);
    void restore_transfer(const SavedTransfer& saved, std::vector<std::string>& notes);
    // A transfer saved paused: listed, its Torrent made but not started.
    void restore_paused(const SavedTransfer& saved, std::vector<std::string>& notes);
    // The metainfo of a saved transfer: the state's copy, else its .mtorrent.
    common::Result<common::Metainfo> load_saved_meta(const SavedTransfer& saved) const;
    // `resume`, on the worker: the paused Torrent is replaced by a new one,
    // started as a restart would (restore_transfer).
    void relaunch(const std::shared_ptr<Transfer>& t);
    // Bytes a transfer sent in every run (the saved total and this Torrent's).
    std::uint64_t total_uploaded(const Transfer& t) const REQUIRES(mu_);
    void notice(std::string text) EXCLUDES(mu_);

    // ---- Background ------------------------------------------------------------
    void post(std::function<void()> job, bool essential);
    void worker_loop();
    void watcher_loop();
    void scan_watched();
    void sample_rates() EXCLUDES(mu_);
    // Notices finished downloads: gives the data its name, records the
    // state. From the watcher, and before show/files answer (so a transfer
    // shown complete is under its name); one call at a time.
    void check_transfers() EXCLUDES(check_mu_);
    // Notices a seeded file edited on disk (its signature moved, or the
    // engine found it changed when serving): a share made with `share` is
    // hashed and shared again (the old one withdrawn); a finished download
    // stops being served and says why. Watched folders have their own scan.
    void check_shared_files();
    void run_lookup(SavedLookup lookup);
    // POST /publish (with our owner mark); a failure is kept and tried again
    // by retry_publishing() every kPublishRetryMs while the transfer is shared.
    // Returns the error of this attempt.
    common::Status publish(const std::string& label, std::string bytes);
    // POST /withdraw with our proof: a share removed, changed or unwatched.
    void withdraw(const std::string& label, const common::InfoHash& ih);
    void load_publisher_secret(std::vector<std::string>& notes);
    void retry_publishing();
    static constexpr std::int64_t kPublishRetryMs = 5000;

    // ---- State -------------------------------------------------------------------
    void save();  // snapshots under mu_, writes under save_mu_ (never under mu_)

    SessionConfig config_;
    common::Logger& log_;
    common::PeerId peer_id_;
    std::uint16_t port_ = 0;
    common::Families families_;  // of the listener: announced over
    std::string state_path_;
    // The secret behind this client's withdraw proofs (publisher_proof()):
    // state folder/publisher.secret, 32 random bytes made at the first start.
    std::string publisher_secret_;
    std::unique_ptr<PeerServer> server_;
    std::unique_ptr<dht::DhtNode> dht_;  // null: DHT off or not startable
    void start_dht(std::vector<std::string>& notes);
    std::string dht_line() const;
    TrackerQuery query_;
    // Shared by every transfer; rate 0: no limit (`limit` changes them).
    std::shared_ptr<RateLimiter> upload_limit_, download_limit_;

    // Lock order: exec_mu_, then check_mu_, then a Transfer's run_mu or save_mu_, then mu_,
    // then a Torrent's mutex (stats() is called under mu_); jobs_mu_ is a leaf.
    common::Mutex exec_mu_;  // one command at a time (execute)
    common::Mutex check_mu_;
    mutable common::Mutex mu_;
    std::vector<std::shared_ptr<Transfer>> transfers_ GUARDED_BY(mu_);
    std::vector<std::shared_ptr<Lookup>> lookups_ GUARDED_BY(mu_);
    std::vector<std::shared_ptr<Watched>> watched_ GUARDED_BY(mu_);
    std::vector<std::pair<std::string, std::string>> unpublished_
        GUARDED_BY(mu_);  // label, .mtorrent bytes
    // What removed transfers' announces last saw of each tracker, so that
    // status still knows the last announce once they are gone.
    std::vector<TrackerStatus> retired_trackers_ GUARDED_BY(mu_);
    std::int64_t last_publish_retry_ms_ GUARDED_BY(mu_) = 0;
    std::deque<std::string> notices_ GUARDED_BY(mu_);
    RateHistory rates_ GUARDED_BY(mu_);  // sampled by the watcher
    std::int64_t last_save_ms_ = 0;      // watcher only: saves upload totals once a minute

    common::Mutex save_mu_;  // one state write at a time, each from a fresh snapshot

    common::Mutex jobs_mu_;
    std::condition_variable jobs_cv_;
    std::deque<Job> jobs_ GUARDED_BY(jobs_mu_);

    std::atomic<bool> stopping_{false};
    bool started_ = false;
    bool stopped_ = false;
    std::condition_variable wake_cv_;  // with jobs_mu_: wakes the watcher early
    std::thread worker_;
    std::thread watcher_;
};

}  // namespace mt::client
