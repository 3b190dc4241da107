// ChangeLog: numbers this tracker's changes, makes every change durable in the
// journal before anyone is told it happened, and feeds the replication link.
//
//   SwarmStore --sequence()--> pending --writer thread: Journal::append + fdatasync-->
//     durable: waiters released, listeners woken, own changes into the outbox
//
// Group commit: the writer thread takes everything pending at once and makes it
// durable with one write and one fdatasync. A front end that got a ticket
// from the store parks its reply until durable_ticket() reaches it; listeners
// (eventfd writers) hear of each flush.
//
// Compaction: when the journal grows past Options::compact_bytes the writer
// thread moves it aside (Journal::begin_compaction, a rename and a fresh
// file) and goes on appending at once, while a compactor thread writes a
// snapshot (clock + SwarmStore::dump, which holds one stripe's lock at a
// time) and then removes the old journal. Nothing can be lost in between:
// changes reach the store before the journal, so the snapshot holds every
// record of the old journal, and the new journal every change after it
// (some may be in both: replaying is idempotent). A compaction asked for
// (compact_now, a clean stop) or one a crash interrupted is done the old way,
// on the writer thread, after any background one has finished.
//
// Outbox: this tracker's own durable changes, kept until the other tracker
// acknowledges them (bounded by Options::max_outbox; past it the oldest are
// dropped and a reconnecting peer is sent a snapshot instead), plus a bounded
// batch of Touches (refreshes, not journaled).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/mutex.h"
#include "tracker/change.h"
#include "tracker/journal.h"
#include "tracker/swarm_store.h"

namespace mt::tracker {

struct Clock {
    std::uint64_t seq[3] = {0, 0, 0};  // index 1 and 2: highest seq durable per origin
};

// The snapshot payload: "MTST" | u64 clock1 | u64 clock2 | u64 count | count x (u32 len | change).
std::string encode_state_snapshot(const Clock& clock, const std::vector<std::string>& changes);
common::Result<std::pair<Clock, std::vector<Change>>> decode_state_snapshot(
    std::string_view payload);
// The same without holding every change: checks the framing of the whole
// payload first (nothing is visited if it is broken), then hands each
// record's bytes (a change to decode) to `visit` with its index.
common::Result<Clock> for_each_snapshot_record(
    std::string_view payload, const std::function<void(std::uint64_t, std::string_view)>& visit);

class ChangeLog final : public Sequencer {
  public:
    static constexpr std::size_t kFullBatch = 256;
    struct Options {
        std::uint64_t compact_bytes = 64ull << 20;
        // Group commit: once a change is pending, wait up to this long for
        // more before the write and fdatasync (0: at once). A batch of
        // kFullBatch goes at once.
        std::uint32_t commit_delay_us = 0;
        std::size_t max_outbox = 1'000'000;
        std::size_t max_touches = 200'000;
    };
    struct Stats {
        std::uint64_t durable_ticket = 0;
        std::uint64_t pending = 0;
        std::uint64_t journal_bytes = 0;
        std::uint64_t compactions = 0;
        std::uint64_t syncs = 0;  // journal writes + fdatasync (batches)
        std::uint64_t outbox = 0;
        std::uint64_t acked_seq = 0;
        std::uint64_t own_seq = 0;
        std::uint64_t write_failures = 0;
    };

    ChangeLog(std::uint8_t self, Journal journal, SwarmStore* store, common::Logger& log,
              Options options);
    ChangeLog(std::uint8_t self, Journal journal, SwarmStore* store, common::Logger& log)
        : ChangeLog(self, std::move(journal), store, log, Options{}) {}
    ~ChangeLog() override;

    // Loads a snapshot and journal records into the store (before start()).
    // Records that do not decode are skipped and counted in the returned total.
    std::size_t load(const JournalContents& contents, std::int64_t now_ms);

    void start();
    void stop();  // flushes what is pending, then joins the writer

    // Sequencer: numbers a local change and queues it; returns its ticket.
    std::uint64_t sequence(Change& change) override;
    // Queues a change received from the other tracker (already applied).
    std::uint64_t enqueue_remote(const Change& change);

    std::uint64_t durable_ticket() const { return durable_.load(std::memory_order_acquire); }
    void wait_durable(std::uint64_t ticket);
    // Called on the writer thread after every flush: keep it short.
    void add_listener(std::function<void()> on_flush);

    Clock clock() const;
    // After a snapshot from the other tracker: it covered changes up to `seq`
    // of `origin`. Raising our own origin's clock keeps new changes from
    // reusing numbers we had handed out before losing our files.
    void raise_clock(std::uint8_t origin, std::uint64_t seq);
    std::uint64_t last_enqueued_ticket() const;
    // Writes a snapshot of the store now (after flushing what is pending) and
    // returns once it is durable: a snapshot received from the other tracker
    // is made durable this way, whole, rather than entry by entry.
    void compact_now();
    std::uint8_t self() const { return self_; }

    // Own changes with seq > after_seq, at most `max`. false: the outbox no
    // longer holds after_seq + 1, so the peer needs a snapshot.
    bool own_changes_after(std::uint64_t after_seq, std::size_t max,
                           std::vector<Change>& out) const;
    void acked(std::uint64_t seq);
    void add_touch(const Touch& t);
    std::vector<Touch> take_touches();
    // A snapshot of the whole state, as sent to a peer that fell too far behind.
    std::string snapshot_payload() const;
    // The same payload in parts of about 4 MB (their concatenation), so that
    // writing a snapshot of millions of peers never assembles one string.
    std::vector<std::string> snapshot_parts() const;

    Stats stats() const;

  private:
    void writer_loop();
    void wake_writer() REQUIRES(mu_);
    struct Pending;
    void flush(std::vector<Pending>& batch);
    void compact();
    // Starts a background compaction if none runs (else does nothing).
    void compact_in_background();
    // Waits for a background compaction to end.
    void join_compactor();

    const std::uint8_t self_;
    Journal journal_;
    SwarmStore* store_;
    common::Logger& log_;
    const Options options_;

    mutable common::Mutex mu_;
    std::condition_variable work_cv_;
    std::condition_variable durable_cv_;
    struct Pending {
        std::uint64_t ticket;
        Change change;
        bool local;           // numbered here (goes to the outbox once durable)
        bool advances_clock;  // raises the clock of its origin once durable
    };
    std::vector<Pending> pending_ GUARDED_BY(mu_);
    std::uint64_t next_ticket_ GUARDED_BY(mu_) = 0;
    std::uint64_t own_seq_ GUARDED_BY(mu_) = 0;
    Clock clock_ GUARDED_BY(mu_);
    std::deque<Change> outbox_ GUARDED_BY(mu_);  // own durable changes, ascending seq
    std::uint64_t acked_seq_ GUARDED_BY(mu_) = 0;
    std::vector<Touch> touches_ GUARDED_BY(mu_);
    std::vector<std::function<void()>> listeners_ GUARDED_BY(mu_);
    bool stopping_ GUARDED_BY(mu_) = false;
    std::uint64_t compactions_ GUARDED_BY(mu_) = 0;
    std::uint64_t syncs_ GUARDED_BY(mu_) = 0;
    std::uint64_t write_failures_ GUARDED_BY(mu_) = 0;
    std::uint64_t journal_bytes_ GUARDED_BY(mu_) = 0;
    std::uint64_t compact_requested_ GUARDED_BY(mu_) = 0;
    std::uint64_t compact_done_ GUARDED_BY(mu_) =
        0;  // copy for stats(): the Journal belongs to the writer thread

    std::atomic<std::uint64_t> durable_{0};
    std::thread writer_;
    std::thread compactor_;                // owned by the writer thread
    std::atomic<bool> compacting_{false};  // the compactor is at work
};

}  // namespace mt::tracker
