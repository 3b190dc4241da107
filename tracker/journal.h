// Journal: the crash-safe persistence of the tracker's seeder list file.
//
// The journal stores OPAQUE records: the caller encodes its own change records
// and makes applying them idempotent (a record may be replayed twice, see
// compact()). State lives in two files derived from one base path P:
//
// P, the snapshot. Only ever replaced whole with write_file_atomic(), so after
// a crash it is the old or the new snapshot, never a mix.
//
//   offset  size  field
//   0       8     magic "MTSNAP01"
//   8       4     format version, u32 = 1
//   12      8     payload length N, u64
//   20      N     payload (the caller's opaque blob)
//   20+N    4     crc32c of bytes [0, 20+N), u32
//
// P + ".journal", the append-only log of records since that snapshot.
//
// P + ".journal.prev", only while a compaction runs in the background (or
// after a crash during one): the journal as it was when the compaction
// began, moved aside so that appends go on in a fresh P.journal while the
// snapshot is written. It goes once the new snapshot is durable. Same format.
//
//   offset  size  field
//   0       8     magic "MTJRNL01"
//   8       ...   records, back to back, each:
//                   +0  4    payload length L, u32, 1 <= L <= kMaxRecordBytes
//                   +4  4    crc32c(payload), u32
//                   +8  L    payload
//
// All integers are big-endian; crc32c is common/crc32c.h. Empty records are
// not allowed, so a zero-filled region (what some file systems show after a
// power loss) never parses as records.
//
// Loading (open) never trusts damaged bytes and never fails on file content;
// it fails only on I/O errors (unreadable directory, disk full, ...):
// - A missing snapshot or journal is an empty state; a missing journal is
//   created with its header. So is an empty (0-byte) file, which compact()
//   never leaves behind: the operator may have created it with touch.
// - Torn tail: the journal's damage (an incomplete record, an impossible
//   length or a checksum mismatch) is not followed by any valid record. That
//   is what kill -9 or a power loss during append() leaves. The tail is cut
//   off (ftruncate + fsync) and ONE warn line names the offset and the number
//   of bytes dropped.
// - Damage in the middle: a valid record follows the damaged one. The whole
//   file is copied to "<journal>.corrupt-<unix time>", one error line names
//   the copy, the records before the damage are kept and the journal is cut
//   back to them.
// - A journal whose header is not "MTJRNL01" is moved aside the same way and a
//   fresh journal is started (a header torn while being created, i.e. a strict
//   prefix of the magic, is simply recreated).
// - A snapshot with a bad magic, length, CRC or version is moved aside to
//   "P.corrupt-<unix time>" (error line), and loading continues without it;
//   the journal's records are still returned.
// A copy that would collide with an existing name gets a ".1", ".2"... suffix.
//
// Threads: not internally locked. One owner thread (the tracker's persistence
// thread, which batches changes for group commit) calls append(), compact(),
// begin_compaction() and journal_bytes(); other threads hand it their
// records. finish_compaction() may run on another thread: it touches only
// the snapshot and P.journal.prev, never the live journal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/net/fd.h"
#include "common/result.h"

namespace mt::tracker {

inline constexpr std::string_view kSnapshotMagic = "MTSNAP01";
inline constexpr std::string_view kJournalMagic = "MTJRNL01";
inline constexpr std::uint32_t kSnapshotVersion = 1;
inline constexpr std::size_t kSnapshotOverhead = 24;  // magic, version, length, crc
inline constexpr std::size_t kRecordHeaderBytes = 8;  // length, crc
// A longer length field in the journal means corruption; append() refuses it.
inline constexpr std::uint32_t kMaxRecordBytes = 16u << 20;
// Bounds on what open() reads into memory. append() and compact() refuse to
// grow the files past them, so a file over the bound was not written by us and
// is moved aside like any other damage.
inline constexpr std::uint64_t kMaxJournalBytes = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kMaxSnapshotBytes = std::uint64_t{1} << 30;

// What open() found on disk.
struct JournalContents {
    std::string snapshot;  // the snapshot's payload; empty if has_snapshot is false
    bool has_snapshot = false;
    // Records after the snapshot, in order: P.journal.prev's (if a compaction
    // was under way), then P.journal's.
    std::vector<std::string> records;
    std::uint64_t dropped_bytes = 0;     // bytes cut off the journal's end
    bool torn_tail = false;              // the cut was a torn tail (warn), not damage (error)
    std::vector<std::string> set_aside;  // damaged files copied or moved aside
};

// ---- Pure codecs (no I/O) -----------------------------------------------------

// The complete snapshot file for `payload`.
std::string encode_snapshot(std::string_view payload);
// The same file as parts to write one after the other (the payload is the
// concatenation of `payload_parts`): a header, the parts, the CRC.
struct SnapshotFrame {
    std::string header;
    std::string trailer;
};
SnapshotFrame frame_snapshot(const std::vector<std::string_view>& payload_parts);

// The payload of a snapshot file. Errc::parse_error (with the byte offset) for
// a short file, bad magic, a length that does not match the file size or a CRC
// mismatch; Errc::unsupported for a version other than 1.
common::Result<std::string> decode_snapshot(std::string_view file);

// Appends the framed record (length, crc, payload) to `out`.
void encode_record(std::string_view payload, std::string& out);

struct JournalScan {
    enum class Damage {
        none,       // every byte belongs to a valid record
        torn_tail,  // damaged bytes at the end, no valid record after them
        corrupt,    // a damaged record with a valid record somewhere after it
        bad_magic,  // the header is not kJournalMagic (nor a torn prefix of it)
    };
    std::vector<std::string> records;  // the valid records before any damage
    // Bytes worth keeping: header + the valid records. 0 if the header is
    // torn (a strict prefix of the magic) or bad.
    std::uint64_t valid_end = 0;
    Damage damage = Damage::none;
    std::string reason;  // for damage: what was wrong, e.g. "checksum mismatch"
};

// Parses a whole journal file. Never fails: damage is reported in the result.
JournalScan scan_journal(std::string_view file);

// ---- The journal --------------------------------------------------------------

class Journal {
  public:
    // Loads (and repairs, see above) the state under `base_path` into *loaded
    // (may be null) and opens the journal for appending. Errors: Errc::io_error
    // or not_found when a file cannot be read, created, copied or truncated;
    // Errc::invalid_argument when P or its journal is not a regular file.
    static common::Result<Journal> open(const std::string& base_path, common::Logger& log,
                                        JournalContents* loaded);

    Journal(Journal&&) noexcept = default;
    Journal& operator=(Journal&&) noexcept = default;
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // Frames all records, writes them with one write() and fdatasync()s: when
    // this returns ok they are durable. An empty vector is a no-op. Errors:
    // Errc::invalid_argument for an empty record, Errc::limit_exceeded for a
    // record over kMaxRecordBytes or a journal that would pass
    // kMaxJournalBytes (compact first), Errc::io_error if the write or sync
    // failed; then the journal is cut back to its previous end, nothing of the
    // batch counts as written, and the caller may retry.
    common::Status append(const std::vector<std::string>& records);

    // Replaces the snapshot with `snapshot_payload` (write_file_atomic), THEN
    // truncates the journal back to its header and fsyncs it. A crash between
    // the two leaves the old records in the journal: the next open() returns
    // the new snapshot AND those records, which the caller replays
    // idempotently. Errors: Errc::limit_exceeded if the snapshot would pass
    // kMaxSnapshotBytes; Errc::io_error (if the snapshot could not be written
    // the old one and the journal are untouched).
    common::Status compact(std::string_view snapshot_payload);
    // The same with the payload in parts (see frame_snapshot); also removes a
    // P.journal.prev left by a compaction that did not finish.
    common::Status compact(const std::vector<std::string>& payload_parts);

    // Background compaction, step 1 (owner thread): moves the journal aside
    // to P.journal.prev and starts a fresh one, so appends go on at once.
    // Errc::changed if a P.journal.prev is there already (a compaction
    // under way, or one a crash interrupted: compact() then).
    common::Status begin_compaction();
    // Step 2 (any thread, once the caller has the state as of at least the
    // moment of step 1): writes the snapshot, then removes P.journal.prev.
    // On failure P.journal.prev stays, and open() still reads it.
    common::Status finish_compaction(const std::vector<std::string>& payload_parts) const;

    // The journal file's size in bytes (header included), for the caller's
    // "compact when over N bytes" policy.
    std::uint64_t journal_bytes() const { return end_; }

    const std::string& snapshot_path() const { return snapshot_path_; }
    const std::string& journal_path() const { return journal_path_; }
    std::string prev_path() const { return journal_path_ + ".prev"; }

  private:
    Journal(std::string base_path, common::Logger& log);
    common::Status load_snapshot(JournalContents& out);
    common::Status load_journal(JournalContents& out);
    // P.journal.prev's valid records, if there is one (damage past them is
    // logged and dropped; the file stays until a compaction removes it).
    common::Status load_prev(JournalContents& out);
    // Writes the snapshot file from parts; unless the payload is too big.
    common::Status write_snapshot(const std::vector<std::string_view>& payload_parts) const;
    common::Status create_fresh_journal();
    // ftruncate(end_) + fsync; on failure the next append() retries it first.
    common::Status cut_back();

    std::string snapshot_path_;
    std::string journal_path_;
    common::Logger* log_;
    common::Fd fd_;
    std::uint64_t end_ = 0;   // size of the journal's valid prefix
    bool needs_cut_ = false;  // a failed write or sync may have left bytes past end_
};

}  // namespace mt::tracker
