#include "tracker/change_log.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "common/byte_io.h"

namespace mt::tracker {

using common::cat;

namespace {
constexpr char kSnapMagic[] = "MTST";
}  // namespace

std::string encode_state_snapshot(const Clock& clock, const std::vector<std::string>& changes) {
    std::string out(kSnapMagic, 4);
    common::append_u64(out, clock.seq[1]);
    common::append_u64(out, clock.seq[2]);
    common::append_u64(out, changes.size());
    for (const auto& c : changes) {
        common::append_u32(out, static_cast<std::uint32_t>(c.size()));
        out += c;
    }
    return out;
}

common::Result<Clock> for_each_snapshot_record(
    std::string_view payload, const std::function<void(std::uint64_t, std::string_view)>& visit) {
    auto bad = [](const std::string& why) {
        return common::make_error(common::Errc::parse_error, "snapshot: " + why);
    };
    auto walk = [&](bool visiting) -> common::Result<Clock> {
        common::ByteReader r(payload);
        std::string_view magic;
        Clock clock;
        std::uint64_t count = 0;
        if (!r.bytes(4, magic) || magic != std::string_view(kSnapMagic, 4)) return bad("bad magic");
        if (!r.u64(clock.seq[1]) || !r.u64(clock.seq[2]) || !r.u64(count))
            return bad("short header");
        if (count > payload.size()) return bad("count larger than the payload");
        for (std::uint64_t i = 0; i < count; ++i) {
            std::uint32_t len = 0;
            std::string_view rec;
            if (!r.u32(len) || !r.bytes(len, rec))
                return bad("record " + std::to_string(i) + " is short");
            if (visiting) visit(i, rec);
        }
        if (r.remaining() != 0) return bad("trailing bytes");
        return clock;
    };
    if (auto framed = walk(false); !framed) return framed;
    return walk(true);
}

common::Result<std::pair<Clock, std::vector<Change>>> decode_state_snapshot(
    std::string_view payload) {
    std::vector<Change> changes;
    common::Error first;
    bool failed = false;
    auto clock = for_each_snapshot_record(payload, [&](std::uint64_t i, std::string_view rec) {
        if (failed) return;
        auto c = decode_change(rec);
        if (!c) {
            failed = true;
            first = common::make_error(
                common::Errc::parse_error,
                "snapshot: record " + std::to_string(i) + ": " + c.error().message);
            return;
        }
        changes.push_back(std::move(c).value());
    });
    if (!clock) return clock.error();
    if (failed) return first;
    return std::make_pair(*clock, std::move(changes));
}

ChangeLog::ChangeLog(std::uint8_t self, Journal journal, SwarmStore* store, common::Logger& log,
                     Options options)
    : self_(self), journal_(std::move(journal)), store_(store), log_(log), options_(options) {}

ChangeLog::~ChangeLog() {
    stop();
}

std::size_t ChangeLog::load(const JournalContents& contents, std::int64_t now_ms) {
    // The store is applied to without mu_ held: announces take a store shard
    // lock and then mu_ (sequence()), so holding mu_ here would invert that
    // order (harmless before the servers start, but TSan rightly objects).
    Clock clock;
    std::size_t bad = 0, applied = 0;
    if (contents.has_snapshot) {
        // Record by record as they decode (a snapshot of 10 M peers would be
        // gigabytes as a vector of Changes); a broken frame, found before any
        // record is applied, discards the whole snapshot, and a record that
        // does not decode only itself.
        std::uint64_t own_max = 0;
        auto snap =
            for_each_snapshot_record(contents.snapshot, [&](std::uint64_t, std::string_view rec) {
                auto c = decode_change(rec);
                if (!c) {
                    ++bad;
                    return;
                }
                store_->apply(*c, now_ms);
                // A compaction may catch our own changes applied but not yet
                // journaled: being in the snapshot makes them durable, so the
                // clock covers them and their numbers are never handed out again.
                if (c->origin == self_) own_max = std::max(own_max, c->seq);
                ++applied;
            });
        if (!snap) {
            log_.error(cat("seeder list snapshot unreadable, ignoring it: ", snap.error().message));
            ++bad;
        } else {
            clock = *snap;
            clock.seq[self_] = std::max(clock.seq[self_], own_max);
        }
    }
    std::size_t records = 0;
    for (const auto& raw : contents.records) {
        auto c = decode_change(raw);
        if (!c) {
            ++bad;
            continue;
        }
        store_->apply(*c, now_ms);
        clock.seq[c->origin] = std::max(clock.seq[c->origin], c->seq);
        ++records;
    }
    common::MutexLock lock(mu_);
    clock_ = clock;
    own_seq_ = clock_.seq[self_];
    log_.info(cat("loaded seeder list: ", applied, " snapshot entries, ", records,
                  " journal records, ", bad, " unreadable; clock ", clock_.seq[1], "/",
                  clock_.seq[2]));
    return bad;
}

void ChangeLog::start() {
    writer_ = std::thread([this] { writer_loop(); });
}

void ChangeLog::stop() {
    {
        common::MutexLock lock(mu_);
        if (stopping_ && !writer_.joinable()) return;
        stopping_ = true;
    }
    work_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    join_compactor();  // (the writer's last compact() joined it already)
}

void ChangeLog::wake_writer() {
    // The writer waits for the first change, then (group commit) for a full
    // batch or the delay: other changes need not wake it.
    if (pending_.size() == 1 || pending_.size() == kFullBatch) work_cv_.notify_one();
}

std::uint64_t ChangeLog::sequence(Change& change) {
    common::MutexLock lock(mu_);
    change.seq = ++own_seq_;
    pending_.push_back({++next_ticket_, change, true, true});
    wake_writer();
    return next_ticket_;
}

std::uint64_t ChangeLog::enqueue_remote(const Change& change) {
    common::MutexLock lock(mu_);
    pending_.push_back({++next_ticket_, change, false, true});
    wake_writer();
    return next_ticket_;
}

void ChangeLog::wait_durable(std::uint64_t ticket) {
    common::MutexLock lock(mu_);
    durable_cv_.wait(lock.native(), [&] {
        mu_.assert_held();
        return durable_.load() >= ticket || (stopping_ && !writer_.joinable());
    });
}

void ChangeLog::add_listener(std::function<void()> on_flush) {
    common::MutexLock lock(mu_);
    listeners_.push_back(std::move(on_flush));
}

Clock ChangeLog::clock() const {
    common::MutexLock lock(mu_);
    return clock_;
}

void ChangeLog::compact_now() {
    common::MutexLock lock(mu_);
    const std::uint64_t want = ++compact_requested_;
    work_cv_.notify_one();
    durable_cv_.wait(lock.native(), [&] {
        mu_.assert_held();
        return compact_done_ >= want || (stopping_ && !writer_.joinable());
    });
}

void ChangeLog::raise_clock(std::uint8_t origin, std::uint64_t seq) {
    common::MutexLock lock(mu_);
    clock_.seq[origin] = std::max(clock_.seq[origin], seq);
    if (origin == self_) own_seq_ = std::max(own_seq_, seq);
}

std::uint64_t ChangeLog::last_enqueued_ticket() const {
    common::MutexLock lock(mu_);
    return next_ticket_;
}

void ChangeLog::writer_loop() {
    std::vector<Pending> batch;
    while (true) {
        {
            common::MutexLock lock(mu_);
            work_cv_.wait(lock.native(), [&] {
                mu_.assert_held();
                return stopping_ || !pending_.empty() || compact_requested_ > compact_done_;
            });
            if (pending_.empty() && stopping_) break;
            if (options_.commit_delay_us > 0 && !pending_.empty()) {
                // Group commit: let more changes join this sync.
                work_cv_.wait_for(lock.native(),
                                  std::chrono::microseconds(options_.commit_delay_us), [&] {
                                      mu_.assert_held();
                                      return stopping_ || pending_.size() >= kFullBatch ||
                                             compact_requested_ > compact_done_;
                                  });
            }
            batch.swap(pending_);
        }
        if (!batch.empty()) flush(batch);
        batch.clear();
        std::uint64_t requested, done;
        {
            common::MutexLock lock(mu_);
            requested = compact_requested_;
            done = compact_done_;
        }
        if (requested > done) {
            compact();
            common::MutexLock lock(mu_);
            compact_done_ = requested;
            durable_cv_.notify_all();
        } else if (journal_.journal_bytes() > options_.compact_bytes) {
            compact_in_background();
        }
    }
    compact();  // a clean stop leaves a compact seeder list
    durable_cv_.notify_all();
}

void ChangeLog::flush(std::vector<Pending>& batch) {
    std::vector<std::string> records;
    records.reserve(batch.size());
    for (const auto& p : batch)
        records.push_back(encode_change(p.change));
    while (true) {
        auto s = journal_.append(records);
        if (s) break;
        // Never acknowledge what is not on disk: keep retrying, loudly.
        {
            common::MutexLock lock(mu_);
            ++write_failures_;
        }
        log_.error(cat("cannot write the journal, retrying in 1 s: ", s.error().message));
        common::MutexLock lock(mu_);
        work_cv_.wait_for(lock.native(), std::chrono::seconds(1));
        if (stopping_ && write_failures_ > 3) return;  // give up on exit; nothing was acknowledged
    }
    std::vector<std::function<void()>> listeners;
    {
        common::MutexLock lock(mu_);
        for (const auto& p : batch) {
            const Change& c = p.change;
            if (p.advances_clock) clock_.seq[c.origin] = std::max(clock_.seq[c.origin], c.seq);
            if (c.origin == self_)
                own_seq_ = std::max(own_seq_, c.seq);  // our own, handed back by the peer
            if (p.local) {
                outbox_.push_back(c);
                if (outbox_.size() > options_.max_outbox) outbox_.pop_front();
            }
        }
        durable_.store(batch.back().ticket, std::memory_order_release);
        journal_bytes_ = journal_.journal_bytes();
        ++syncs_;
        listeners = listeners_;
    }
    durable_cv_.notify_all();
    for (auto& l : listeners)
        l();
}

std::vector<std::string> ChangeLog::snapshot_parts() const {
    constexpr std::size_t kPartBytes = 4u << 20;
    const Clock c = clock();
    std::vector<std::string> parts(1);  // [0]: the header, once the count is known
    std::uint64_t count = 0;
    std::string change;
    store_->dump([&](const Change& ch) {
        if (parts.size() == 1 || parts.back().size() >= kPartBytes) {
            parts.emplace_back();
            parts.back().reserve(kPartBytes + 256);
        }
        change.clear();
        encode_change(ch, change);
        common::append_u32(parts.back(), static_cast<std::uint32_t>(change.size()));
        parts.back() += change;
        ++count;
    });
    parts[0] = encode_state_snapshot(c, {});
    // The header's count is its last 8 bytes: put the real one there.
    parts[0].resize(parts[0].size() - 8);
    common::append_u64(parts[0], count);
    return parts;
}

std::string ChangeLog::snapshot_payload() const {
    const Clock c = clock();
    std::vector<std::string> changes;
    store_->dump([&](const Change& ch) { changes.push_back(encode_change(ch)); });
    return encode_state_snapshot(c, changes);
}

void ChangeLog::join_compactor() {
    if (compactor_.joinable()) compactor_.join();
}

void ChangeLog::compact_in_background() {
    if (compacting_.load()) return;
    join_compactor();  // the last one, finished
    const std::uint64_t before = journal_.journal_bytes();
    if (auto s = journal_.begin_compaction(); !s) {
        if (s.error().code == common::Errc::changed) {
            compact();  // the journal aside is a crash's: compact the old way
        } else {
            common::MutexLock lock(mu_);
            ++write_failures_;
            log_.error(cat("cannot start compacting the seeder list: ", s.error().message));
        }
        return;
    }
    {
        common::MutexLock lock(mu_);
        journal_bytes_ = journal_.journal_bytes();
    }
    compacting_.store(true);
    compactor_ = std::thread([this, before] {
        // Below the threads that answer: on a busy host the snapshot waits,
        // not the announces (Linux: a thread's nice value is its own).
        (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
        auto s = journal_.finish_compaction(snapshot_parts());
        {
            common::MutexLock lock(mu_);
            if (s) {
                ++compactions_;
            } else {
                ++write_failures_;
            }
        }
        if (s)
            log_.debug(cat("compacted the seeder list in the background (journal was ", before,
                           " bytes)"));
        else
            log_.error(cat("cannot compact the seeder list: ", s.error().message,
                           " (the journal aside stays until a compaction succeeds)"));
        compacting_.store(false);
    });
}

void ChangeLog::compact() {
    join_compactor();  // never two snapshots at once, nor an older one last
    const std::uint64_t before = journal_.journal_bytes();
    auto s = journal_.compact(snapshot_parts());
    common::MutexLock lock(mu_);
    if (!s) {
        ++write_failures_;
        log_.error(cat("cannot compact the seeder list: ", s.error().message));
        return;
    }
    ++compactions_;
    journal_bytes_ = journal_.journal_bytes();
    log_.debug(cat("compacted the seeder list (journal was ", before, " bytes)"));
}

bool ChangeLog::own_changes_after(std::uint64_t after_seq, std::size_t max,
                                  std::vector<Change>& out) const {
    common::MutexLock lock(mu_);
    if (after_seq >= clock_.seq[self_]) return true;  // nothing newer
    if (outbox_.empty() || outbox_.front().seq > after_seq + 1) return false;
    auto it = std::lower_bound(outbox_.begin(), outbox_.end(), after_seq + 1,
                               [](const Change& c, std::uint64_t s) { return c.seq < s; });
    for (; it != outbox_.end() && out.size() < max; ++it)
        out.push_back(*it);
    return true;
}

void ChangeLog::acked(std::uint64_t seq) {
    common::MutexLock lock(mu_);
    acked_seq_ = std::max(acked_seq_, seq);
    while (!outbox_.empty() && outbox_.front().seq <= acked_seq_)
        outbox_.pop_front();
}

void ChangeLog::add_touch(const Touch& t) {
    common::MutexLock lock(mu_);
    if (touches_.size() < options_.max_touches) touches_.push_back(t);
}

std::vector<Touch> ChangeLog::take_touches() {
    common::MutexLock lock(mu_);
    std::vector<Touch> out;
    out.swap(touches_);
    return out;
}

ChangeLog::Stats ChangeLog::stats() const {
    common::MutexLock lock(mu_);
    Stats s;
    s.durable_ticket = durable_.load();
    s.pending = pending_.size();
    s.journal_bytes = journal_bytes_;
    s.compactions = compactions_;
    s.syncs = syncs_;
    s.outbox = outbox_.size();
    s.acked_seq = acked_seq_;
    s.own_seq = own_seq_;
    s.write_failures = write_failures_;
    return s;
}

}  // namespace mt::tracker
