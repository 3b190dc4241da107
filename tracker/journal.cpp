#include "tracker/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "common/byte_io.h"
#include "common/crc32c.h"
#include "common/file_util.h"

namespace mt::tracker {

using common::cat;
using common::Errc;
using common::errno_error;
using common::Error;
using common::make_error;
using common::Result;
using common::Status;

// ---- Codecs -------------------------------------------------------------------

std::string encode_snapshot(std::string_view payload) {
    std::string out;
    out.reserve(kSnapshotOverhead + payload.size());
    out.append(kSnapshotMagic);
    common::append_u32(out, kSnapshotVersion);
    common::append_u64(out, payload.size());
    out.append(payload);
    common::append_u32(out, common::crc32c(out));
    return out;
}

SnapshotFrame frame_snapshot(const std::vector<std::string_view>& payload_parts) {
    std::uint64_t n = 0;
    for (const auto& p : payload_parts)
        n += p.size();
    SnapshotFrame f;
    f.header.append(kSnapshotMagic);
    common::append_u32(f.header, kSnapshotVersion);
    common::append_u64(f.header, n);
    std::uint32_t crc = common::crc32c(f.header);
    for (const auto& p : payload_parts)
        crc = common::crc32c(p, crc);
    common::append_u32(f.trailer, crc);
    return f;
}

Result<std::string> decode_snapshot(std::string_view file) {
    if (file.size() < kSnapshotOverhead)
        return make_error(Errc::parse_error,
                          cat("snapshot: file is ", file.size(), " bytes, shorter than the ",
                              kSnapshotOverhead, "-byte minimum"),
                          file.size());
    if (file.substr(0, kSnapshotMagic.size()) != kSnapshotMagic)
        return make_error(Errc::parse_error, "snapshot: bad magic (not an mtorrent snapshot)", 0);
    const std::uint64_t length = common::read_u64(file.data() + 12);
    if (length != file.size() - kSnapshotOverhead)
        return make_error(
            Errc::parse_error,
            cat("snapshot: payload length ", length, " does not match the file size ", file.size()),
            12);
    const std::size_t crc_at = file.size() - 4;
    if (common::crc32c(file.substr(0, crc_at)) != common::read_u32(file.data() + crc_at))
        return make_error(Errc::parse_error, "snapshot: checksum mismatch", crc_at);
    const std::uint32_t version = common::read_u32(file.data() + 8);
    if (version != kSnapshotVersion)
        return make_error(Errc::unsupported, cat("snapshot: unsupported format version ", version),
                          8);
    return std::string(file.substr(20, length));
}

void encode_record(std::string_view payload, std::string& out) {
    common::append_u32(out, static_cast<std::uint32_t>(payload.size()));
    common::append_u32(out, common::crc32c(payload));
    out.append(payload);
}

namespace {

enum class Frame { ok, incomplete, bad_length, bad_crc };

// Checks the record starting at `pos`; on ok, *length is its payload length.
Frame check_frame(std::string_view file, std::size_t pos, std::uint32_t* length) {
    const std::size_t rem = file.size() - pos;
    if (rem < kRecordHeaderBytes) return Frame::incomplete;
    const std::uint32_t len = common::read_u32(file.data() + pos);
    if (len == 0 || len > kMaxRecordBytes) return Frame::bad_length;
    if (len > rem - kRecordHeaderBytes) return Frame::incomplete;
    const std::uint32_t crc = common::read_u32(file.data() + pos + 4);
    if (common::crc32c(file.substr(pos + kRecordHeaderBytes, len)) != crc) return Frame::bad_crc;
    *length = len;
    return Frame::ok;
}

// Whether a valid record starts at any byte offset >= from. The search
// checksums at most kBudget bytes; past that it answers "yes", the cautious
// answer (the file is kept aside rather than silently cut).
bool valid_record_after(std::string_view file, std::size_t from) {
    constexpr std::uint64_t kBudget = std::uint64_t{256} << 20;
    std::uint64_t spent = 0;
    for (std::size_t o = from; o + kRecordHeaderBytes < file.size(); ++o) {
        const std::uint32_t len = common::read_u32(file.data() + o);
        if (len == 0 || len > kMaxRecordBytes || len > file.size() - o - kRecordHeaderBytes)
            continue;
        spent += len;
        if (spent > kBudget) return true;
        if (common::crc32c(file.substr(o + kRecordHeaderBytes, len)) ==
            common::read_u32(file.data() + o + 4))
            return true;
    }
    return false;
}

const char* frame_reason(Frame f) {
    switch (f) {
        case Frame::ok:
            return "ok";
        case Frame::incomplete:
            return "incomplete record";
        case Frame::bad_length:
            return "impossible record length";
        case Frame::bad_crc:
            return "checksum mismatch";
    }
    return "?";
}

}  // namespace

JournalScan scan_journal(std::string_view file) {
    JournalScan scan;
    if (file.size() < kJournalMagic.size()) {
        if (kJournalMagic.substr(0, file.size()) == file) {
            if (!file.empty()) {
                scan.damage = JournalScan::Damage::torn_tail;
                scan.reason = "incomplete header";
            }
        } else {
            scan.damage = JournalScan::Damage::bad_magic;
            scan.reason = "bad magic";
        }
        return scan;
    }
    if (file.substr(0, kJournalMagic.size()) != kJournalMagic) {
        scan.damage = JournalScan::Damage::bad_magic;
        scan.reason = "bad magic";
        return scan;
    }
    std::size_t pos = kJournalMagic.size();
    while (pos < file.size()) {
        std::uint32_t len = 0;
        const Frame f = check_frame(file, pos, &len);
        if (f != Frame::ok) {
            scan.damage = valid_record_after(file, pos + 1) ? JournalScan::Damage::corrupt
                                                            : JournalScan::Damage::torn_tail;
            scan.reason = frame_reason(f);
            break;
        }
        scan.records.emplace_back(file.substr(pos + kRecordHeaderBytes, len));
        pos += kRecordHeaderBytes + len;
    }
    scan.valid_end = pos;
    return scan;
}

// ---- Files --------------------------------------------------------------------

namespace {

Status fsync_parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    common::Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd.valid()) return errno_error("cannot open directory " + dir, errno);
    if (::fsync(dfd.get()) != 0) return errno_error("cannot fsync directory " + dir, errno);
    return {};
}

// "<path>.corrupt-<unix time>", with ".1", ".2"... if that name is taken.
std::string aside_path(const std::string& path) {
    const std::string base = cat(path, ".corrupt-", static_cast<long long>(::time(nullptr)));
    std::string candidate = base;
    struct stat st {};
    for (int n = 1; ::lstat(candidate.c_str(), &st) == 0; ++n)
        candidate = cat(base, ".", n);
    return candidate;
}

// Moves a damaged file out of the way (rename + directory fsync).
Result<std::string> move_aside(const std::string& path) {
    const std::string aside = aside_path(path);
    if (::rename(path.c_str(), aside.c_str()) != 0)
        return errno_error("cannot move " + path + " aside to " + aside, errno);
    if (auto s = fsync_parent_dir(aside); !s) return s.error();
    return aside;
}

// Size of a regular file, or -1 if it does not exist.
Result<long long> regular_file_size(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return -1LL;
        return errno_error("cannot stat " + path, errno);
    }
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::invalid_argument,
                          path + " is not a regular file; point the tracker at a file path");
    return static_cast<long long>(st.st_size);
}

}  // namespace

Journal::Journal(std::string base_path, common::Logger& log)
    : snapshot_path_(std::move(base_path)),
      journal_path_(snapshot_path_ + ".journal"),
      log_(&log) {}

Result<Journal> Journal::open(const std::string& base_path, common::Logger& log,
                              JournalContents* loaded) {
    if (base_path.empty())
        return make_error(Errc::invalid_argument, "journal: the seeder list file path is empty");
    Journal j(base_path, log);
    JournalContents contents;
    if (auto s = j.load_snapshot(contents); !s) return s.error();
    if (auto s = j.load_prev(contents); !s) return s.error();
    if (auto s = j.load_journal(contents); !s) return s.error();
    const std::string snap = contents.has_snapshot
                                 ? cat("a snapshot of ", contents.snapshot.size(), " bytes")
                                 : std::string("no snapshot");
    log.info(cat("journal: loaded ", snap, " and ", contents.records.size(), " records from ",
                 base_path));
    if (loaded) *loaded = std::move(contents);
    return j;
}

Status Journal::load_snapshot(JournalContents& out) {
    auto size = regular_file_size(snapshot_path_);
    if (!size) return size.error();
    if (*size < 0) return {};  // first start
    if (*size == 0) {
        // Never written by compact() (write_file_atomic cannot leave an empty
        // file); an operator created it, e.g. with touch. Nothing to trust or keep.
        log_->info(cat("journal: snapshot ", snapshot_path_, " is empty; starting without one"));
        return {};
    }
    std::string reason;
    if (static_cast<std::uint64_t>(*size) > kMaxSnapshotBytes) {
        reason = cat("it is ", *size, " bytes, over the ", kMaxSnapshotBytes, "-byte limit");
    } else {
        auto data = common::read_file(snapshot_path_, kMaxSnapshotBytes);
        if (!data) return data.error();
        auto payload = decode_snapshot(*data);
        if (payload) {
            out.snapshot = std::move(payload).value();
            out.has_snapshot = true;
            return {};
        }
        reason = payload.error().message;
    }
    auto aside = move_aside(snapshot_path_);
    if (!aside) return aside.error();
    log_->error(cat("journal: snapshot ", snapshot_path_, " is damaged (", reason,
                    "); moved it to ", *aside, " and starting without a snapshot"));
    out.set_aside.push_back(*aside);
    return {};
}

Status Journal::load_prev(JournalContents& out) {
    const std::string prev = prev_path();
    auto size = regular_file_size(prev);
    if (!size) return size.error();
    if (*size < 0) return {};
    if (static_cast<std::uint64_t>(*size) > kMaxJournalBytes) {
        auto aside = move_aside(prev);
        if (!aside) return aside.error();
        log_->error(cat("journal: ", prev, " is over the ", kMaxJournalBytes,
                        "-byte limit; moved it to ", *aside));
        out.set_aside.push_back(*aside);
        return {};
    }
    auto data = common::read_file(prev, kMaxJournalBytes);
    if (!data) return data.error();
    JournalScan scan = scan_journal(*data);
    if (scan.damage != JournalScan::Damage::none)
        log_->warn(cat("journal: ", prev, " (a compaction a stop interrupted): ", scan.reason,
                       " at offset ", scan.valid_end, "; kept the ", scan.records.size(),
                       " records before it"));
    log_->info(cat("journal: ", prev, " holds ", scan.records.size(),
                   " records of an unfinished compaction"));
    for (auto& r : scan.records)
        out.records.push_back(std::move(r));
    return {};
}

Status Journal::create_fresh_journal() {
    if (auto s = common::write_file_atomic(journal_path_, kJournalMagic); !s) return s;
    fd_ = common::Fd(::open(journal_path_.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd_.valid()) return errno_error("cannot open " + journal_path_, errno);
    end_ = kJournalMagic.size();
    return {};
}

Status Journal::load_journal(JournalContents& out) {
    auto size = regular_file_size(journal_path_);
    if (!size) return size.error();
    if (*size < 0) return create_fresh_journal();
    if (static_cast<std::uint64_t>(*size) > kMaxJournalBytes) {
        auto aside = move_aside(journal_path_);
        if (!aside) return aside.error();
        log_->error(cat("journal: ", journal_path_, " is ", *size, " bytes, over the ",
                        kMaxJournalBytes, "-byte limit; moved it to ", *aside,
                        " and starting a fresh journal"));
        out.set_aside.push_back(*aside);
        return create_fresh_journal();
    }
    auto data = common::read_file(journal_path_, kMaxJournalBytes);
    if (!data) return data.error();
    JournalScan scan = scan_journal(*data);
    const std::size_t kept = scan.records.size();
    for (auto& r : scan.records)
        out.records.push_back(std::move(r));
    const std::uint64_t dropped = data->size() - scan.valid_end;

    if (scan.damage == JournalScan::Damage::bad_magic) {
        auto aside = move_aside(journal_path_);
        if (!aside) return aside.error();
        log_->error(cat("journal: ", journal_path_, " does not start with ", kJournalMagic,
                        "; moved it to ", *aside, " and starting a fresh journal"));
        out.set_aside.push_back(*aside);
        return create_fresh_journal();
    }
    if (scan.valid_end < kJournalMagic.size()) {  // empty file or torn header
        if (dropped > 0)
            log_->warn(cat("journal: ", journal_path_, ": torn tail (", scan.reason, "), dropped ",
                           dropped, " bytes at offset 0"));
        out.dropped_bytes = dropped;
        out.torn_tail = dropped > 0;
        return create_fresh_journal();
    }

    fd_ = common::Fd(::open(journal_path_.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd_.valid()) return errno_error("cannot open " + journal_path_, errno);
    end_ = scan.valid_end;
    if (scan.damage == JournalScan::Damage::none) return {};

    if (scan.damage == JournalScan::Damage::corrupt) {
        // Keep every byte for a post-mortem before cutting the live file.
        const std::string aside = aside_path(journal_path_);
        if (auto s = common::write_file_atomic(aside, *data); !s) return s;
        log_->error(cat("journal: ", journal_path_, " has a damaged record at offset ", end_, " (",
                        scan.reason, ") followed by valid records; copied the file to ", aside,
                        ", kept the ", kept, " records before the damage and dropped ", dropped,
                        " bytes"));
        out.set_aside.push_back(aside);
    } else {
        log_->warn(cat("journal: ", journal_path_, ": torn tail (", scan.reason, "), dropped ",
                       dropped, " bytes at offset ", end_, ", kept ", kept, " records"));
        out.torn_tail = true;
    }
    out.dropped_bytes = dropped;
    return cut_back();
}

Status Journal::cut_back() {
    needs_cut_ = true;
    if (::ftruncate(fd_.get(), static_cast<off_t>(end_)) != 0)
        return errno_error("cannot truncate " + journal_path_, errno);
    if (::fsync(fd_.get()) != 0) return errno_error("cannot fsync " + journal_path_, errno);
    needs_cut_ = false;
    return {};
}

Status Journal::append(const std::vector<std::string>& records) {
    if (!fd_.valid()) return make_error(Errc::invalid_argument, "journal: not open");
    if (records.empty()) return {};
    std::uint64_t total = 0;
    for (const auto& r : records) {
        if (r.empty()) return make_error(Errc::invalid_argument, "journal: empty record");
        if (r.size() > kMaxRecordBytes)
            return make_error(Errc::limit_exceeded,
                              cat("journal: record of ", r.size(), " bytes is over the ",
                                  kMaxRecordBytes, "-byte limit"));
        total += kRecordHeaderBytes + r.size();
    }
    if (end_ + total > kMaxJournalBytes)
        return make_error(Errc::limit_exceeded, cat("journal: ", journal_path_, " would pass ",
                                                    kMaxJournalBytes, " bytes; compact it first"));
    if (needs_cut_)
        if (auto s = cut_back(); !s) return s;

    std::string buf;
    buf.reserve(total);
    for (const auto& r : records)
        encode_record(r, buf);

    std::string_view rest(buf);
    auto at = static_cast<off_t>(end_);
    while (!rest.empty()) {
        const ssize_t w = ::pwrite(fd_.get(), rest.data(), rest.size(), at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            const Error err = errno_error("cannot write to " + journal_path_, w < 0 ? errno : EIO);
            (void)cut_back();  // a failure here leaves needs_cut_ set for the next append
            return err;
        }
        rest.remove_prefix(static_cast<std::size_t>(w));
        at += w;
    }
    if (::fdatasync(fd_.get()) != 0) {
        const Error err = errno_error("cannot fdatasync " + journal_path_, errno);
        (void)cut_back();
        return err;
    }
    end_ += total;
    return {};
}

namespace {

std::vector<std::string_view> views_of(const std::vector<std::string>& parts) {
    return std::vector<std::string_view>(parts.begin(), parts.end());
}

}  // namespace

Status Journal::write_snapshot(const std::vector<std::string_view>& payload_parts) const {
    std::uint64_t n = 0;
    for (const auto& p : payload_parts)
        n += p.size();
    if (n > kMaxSnapshotBytes - kSnapshotOverhead)
        return make_error(Errc::limit_exceeded,
                          cat("journal: snapshot of ", n, " bytes is over the ", kMaxSnapshotBytes,
                              "-byte limit"));
    const SnapshotFrame f = frame_snapshot(payload_parts);
    std::vector<std::string_view> parts{f.header};
    for (const auto& p : payload_parts)
        parts.emplace_back(p);
    parts.emplace_back(f.trailer);
    return common::write_file_atomic_parts(snapshot_path_, parts);
}

Status Journal::compact(std::string_view snapshot_payload) {
    if (!fd_.valid()) return make_error(Errc::invalid_argument, "journal: not open");
    if (auto s = write_snapshot({snapshot_payload}); !s) return s;
    const std::string prev = prev_path();
    if (::unlink(prev.c_str()) == 0) (void)fsync_parent_dir(prev);
    end_ = kJournalMagic.size();
    return cut_back();
}

Status Journal::compact(const std::vector<std::string>& payload_parts) {
    if (!fd_.valid()) return make_error(Errc::invalid_argument, "journal: not open");
    if (auto s = write_snapshot(views_of(payload_parts)); !s) return s;
    const std::string prev = prev_path();
    if (::unlink(prev.c_str()) == 0) (void)fsync_parent_dir(prev);
    end_ = kJournalMagic.size();
    return cut_back();
}

Status Journal::begin_compaction() {
    if (!fd_.valid()) return make_error(Errc::invalid_argument, "journal: not open");
    const std::string prev = prev_path();
    struct stat st {};
    if (::lstat(prev.c_str(), &st) == 0)
        return make_error(Errc::changed, prev + " is there: a compaction is under way");
    if (needs_cut_)
        if (auto s = cut_back(); !s) return s;
    if (::rename(journal_path_.c_str(), prev.c_str()) != 0)
        return errno_error("cannot move " + journal_path_ + " to " + prev, errno);
    if (auto s = fsync_parent_dir(prev); !s) return s;
    // Should this fail, appends fail too (no journal open) until a retry
    // creates it; nothing is lost: P.journal.prev holds every record.
    fd_.reset();
    return create_fresh_journal();
}

Status Journal::finish_compaction(const std::vector<std::string>& payload_parts) const {
    if (auto s = write_snapshot(views_of(payload_parts)); !s) return s;
    const std::string prev = prev_path();
    if (::unlink(prev.c_str()) != 0 && errno != ENOENT)
        return errno_error("cannot remove " + prev, errno);
    return fsync_parent_dir(prev);
}

}  // namespace mt::tracker
