#include "tracker/journal.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "common/byte_io.h"
#include "common/crc32c.h"
#include "common/file_util.h"

namespace mt::tracker {
namespace {

using common::Errc;

std::string read_all(const std::string& path) {
    auto r = common::read_file(path, 1 << 30);
    return r ? std::move(r).value() : std::string("<missing>");
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string journal_of(const std::vector<std::string>& records) {
    std::string out(kJournalMagic);
    for (const auto& r : records)
        encode_record(r, out);
    return out;
}

int count_lines(const std::string& text, const std::string& needle) {
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line))
        if (line.find(needle) != std::string::npos) ++n;
    return n;
}

class JournalTest : public ::testing::Test {
  protected:
    void SetUp() override {
        name_ = std::string("mt_jrnl_") +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                std::to_string(::getpid());
        base_ = ::testing::TempDir() + name_;
        remove_all();
    }
    void TearDown() override { remove_all(); }

    // Every file of this test: P, P.journal, P.corrupt-*, P.journal.corrupt-*, P.log.
    std::vector<std::string> our_files() const {
        std::vector<std::string> out;
        DIR* d = ::opendir(::testing::TempDir().c_str());
        if (!d) return out;
        while (const dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n == name_ || n.rfind(name_ + ".", 0) == 0) out.push_back(::testing::TempDir() + n);
        }
        ::closedir(d);
        std::sort(out.begin(), out.end());
        return out;
    }
    std::vector<std::string> aside_files(const std::string& of) const {
        std::vector<std::string> out;
        for (const auto& f : our_files())
            if (f.rfind(of + ".corrupt-", 0) == 0) out.push_back(f);
        return out;
    }
    void remove_all() const {
        for (const auto& f : our_files())
            ::unlink(f.c_str());
    }

    std::string jpath() const { return base_ + ".journal"; }

    Journal open_ok(JournalContents& c) {
        auto r = Journal::open(base_, log_, &c);
        if (!r) ADD_FAILURE() << r.error().message;
        return std::move(r).value();
    }
    JournalContents load() {
        JournalContents c;
        auto r = Journal::open(base_, log_, &c);
        EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
        return c;
    }
    void write_journal(const std::string& bytes) const {
        ASSERT_TRUE(common::write_file_atomic(jpath(), bytes).ok());
    }

    std::string name_;
    std::string base_;
    common::Logger log_ = common::Logger::null();
};

// ---- Codecs -------------------------------------------------------------------

TEST(JournalFormat, SnapshotLayout) {
    const std::string f = encode_snapshot("abc");
    ASSERT_EQ(f.size(), kSnapshotOverhead + 3);
    EXPECT_EQ(f.substr(0, 8), "MTSNAP01");
    EXPECT_EQ(common::read_u32(f.data() + 8), 1u);
    EXPECT_EQ(common::read_u64(f.data() + 12), 3u);
    EXPECT_EQ(f.substr(20, 3), "abc");
    EXPECT_EQ(common::read_u32(f.data() + 23), common::crc32c(f.substr(0, 23)));
    EXPECT_EQ(decode_snapshot(f).value(), "abc");
    EXPECT_EQ(decode_snapshot(encode_snapshot("")).value(), "");
}

TEST(JournalFormat, SnapshotErrors) {
    const std::string good = encode_snapshot("payload");
    EXPECT_EQ(decode_snapshot("").error().code, Errc::parse_error);
    EXPECT_EQ(decode_snapshot(good.substr(0, good.size() - 1)).error().code, Errc::parse_error);
    std::string magic = good;
    magic[0] = 'X';
    EXPECT_EQ(decode_snapshot(magic).error().offset, 0u);
    std::string length = good;
    length[19] ^= 1;
    EXPECT_EQ(decode_snapshot(length).error().offset, 12u);
    std::string payload = good;
    payload[22] ^= 0x10;
    EXPECT_EQ(decode_snapshot(payload).error().offset, good.size() - 4);
    std::string v2 = good;
    common::store_u32(v2.data() + 8, 2);
    common::store_u32(v2.data() + v2.size() - 4, common::crc32c(v2.substr(0, v2.size() - 4)));
    EXPECT_EQ(decode_snapshot(v2).error().code, Errc::unsupported);
}

TEST(JournalFormat, RecordLayoutAndScan) {
    std::string f;
    encode_record("hello", f);
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(common::read_u32(f.data()), 5u);
    EXPECT_EQ(common::read_u32(f.data() + 4), common::crc32c("hello"));
    EXPECT_EQ(f.substr(8), "hello");
    const auto scan = scan_journal(journal_of({"a", "bc"}));
    EXPECT_EQ(scan.damage, JournalScan::Damage::none);
    EXPECT_EQ(scan.records, (std::vector<std::string>{"a", "bc"}));
    EXPECT_EQ(scan.valid_end, 8u + 9 + 10);
    EXPECT_EQ(scan_journal("MTJR").damage, JournalScan::Damage::torn_tail);
    EXPECT_EQ(scan_journal("").damage, JournalScan::Damage::none);
    EXPECT_EQ(scan_journal("XX").damage, JournalScan::Damage::bad_magic);
    EXPECT_EQ(scan_journal("MTJRNL02").damage, JournalScan::Damage::bad_magic);
}

// ---- Journal ------------------------------------------------------------------

TEST_F(JournalTest, FirstStartCreatesFilesAndRoundTrips) {
    JournalContents c;
    {
        Journal j = open_ok(c);
        EXPECT_FALSE(c.has_snapshot);
        EXPECT_TRUE(c.records.empty());
        EXPECT_EQ(j.journal_bytes(), 8u);
        EXPECT_EQ(read_all(jpath()), "MTJRNL01");
        EXPECT_FALSE(exists(base_));  // no snapshot until the first compact
        ASSERT_TRUE(j.append({"one", std::string("t\0o", 3), std::string(1000, 'x')}).ok());
        EXPECT_EQ(j.journal_bytes(), 8u + 11 + 11 + 1008);
        EXPECT_EQ(read_all(jpath()).size(), j.journal_bytes());
    }
    c = load();
    EXPECT_FALSE(c.has_snapshot);
    EXPECT_EQ(c.records,
              (std::vector<std::string>{"one", std::string("t\0o", 3), std::string(1000, 'x')}));
    EXPECT_FALSE(c.torn_tail);
    EXPECT_EQ(c.dropped_bytes, 0u);
    EXPECT_TRUE(c.set_aside.empty());
}

TEST_F(JournalTest, ManyBatchesAcrossReopens) {
    std::vector<std::string> expected;
    for (int round = 0; round < 3; ++round) {
        JournalContents c;
        Journal j = open_ok(c);
        ASSERT_EQ(c.records, expected);
        for (int b = 0; b < 40; ++b) {
            std::vector<std::string> batch;
            for (int i = 0; i <= b % 5; ++i)
                batch.push_back("r" + std::to_string(round) + "." + std::to_string(b) + "." +
                                std::to_string(i) + std::string(static_cast<std::size_t>(b), '-'));
            ASSERT_TRUE(j.append(batch).ok());
            expected.insert(expected.end(), batch.begin(), batch.end());
        }
        ASSERT_TRUE(j.append({}).ok());
        EXPECT_EQ(read_all(jpath()).size(), j.journal_bytes());
    }
    EXPECT_EQ(load().records, expected);
}

TEST_F(JournalTest, CompactThenAppendThenReopen) {
    JournalContents c;
    {
        Journal j = open_ok(c);
        ASSERT_TRUE(j.append({"a", "b"}).ok());
        ASSERT_TRUE(j.compact("SNAP-1").ok());
        EXPECT_EQ(j.journal_bytes(), 8u);
        EXPECT_EQ(read_all(jpath()), "MTJRNL01");
        ASSERT_TRUE(j.append({"c"}).ok());
    }
    c = load();
    EXPECT_TRUE(c.has_snapshot);
    EXPECT_EQ(c.snapshot, "SNAP-1");
    EXPECT_EQ(c.records, (std::vector<std::string>{"c"}));
    EXPECT_EQ(read_all(base_), encode_snapshot("SNAP-1"));
    {
        Journal j = open_ok(c);
        ASSERT_TRUE(j.compact("").ok());  // an empty state is a valid snapshot
    }
    c = load();
    EXPECT_TRUE(c.has_snapshot);
    EXPECT_EQ(c.snapshot, "");
    EXPECT_TRUE(c.records.empty());
}

// The snapshot in parts is the same file as in one piece.
TEST(JournalFormat, SnapshotInParts) {
    const std::vector<std::string_view> parts{"MTST", "", std::string_view("a\0b", 3), "tail"};
    const SnapshotFrame f = frame_snapshot(parts);
    std::string whole = f.header;
    for (auto p : parts)
        whole += p;
    whole += f.trailer;
    EXPECT_EQ(whole, encode_snapshot(std::string("MTST") + std::string("a\0b", 3) + "tail"));
}

// A background compaction: the journal goes aside and appends go on in a
// fresh one; a crash before the snapshot loads both journals; the snapshot
// then replaces the one aside.
TEST_F(JournalTest, BackgroundCompactionKeepsAppending) {
    JournalContents c;
    Journal j = open_ok(c);
    ASSERT_TRUE(j.append({"a", "b"}).ok());
    ASSERT_TRUE(j.begin_compaction().ok());
    EXPECT_TRUE(exists(j.prev_path()));
    EXPECT_EQ(read_all(jpath()), "MTJRNL01");
    EXPECT_EQ(j.journal_bytes(), 8u);
    ASSERT_TRUE(j.append({"c"}).ok());
    // A crash now: the old snapshot (none), the journal aside, the new one.
    c = load();
    EXPECT_FALSE(c.has_snapshot);
    EXPECT_EQ(c.records, (std::vector<std::string>{"a", "b", "c"}));
    // One compaction at a time.
    EXPECT_EQ(j.begin_compaction().error().code, common::Errc::changed);
    ASSERT_TRUE(j.finish_compaction({"state with ", "a and b"}).ok());
    EXPECT_FALSE(exists(j.prev_path()));
    ASSERT_TRUE(j.append({"d"}).ok());
    c = load();
    EXPECT_EQ(c.snapshot, "state with a and b");
    EXPECT_EQ(c.records, (std::vector<std::string>{"c", "d"}));
    EXPECT_TRUE(j.begin_compaction().ok());  // the next one may start
}

// A journal aside that a crash left (the snapshot never came) is read at
// open and removed by the next compaction, which is then a whole one.
TEST_F(JournalTest, AJournalAsideFromACrashIsReadThenCompactedAway) {
    {
        JournalContents c;
        Journal j = open_ok(c);
        ASSERT_TRUE(j.append({"a"}).ok());
        ASSERT_TRUE(j.begin_compaction().ok());
        ASSERT_TRUE(j.append({"b"}).ok());
    }
    JournalContents c;
    Journal j = open_ok(c);
    EXPECT_EQ(c.records, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(j.begin_compaction().error().code, common::Errc::changed);
    ASSERT_TRUE(j.compact(std::vector<std::string>{"S", "1"}).ok());
    EXPECT_FALSE(exists(j.prev_path()));
    c = load();
    EXPECT_EQ(c.snapshot, "S1");
    EXPECT_TRUE(c.records.empty());
}

TEST_F(JournalTest, CrashBetweenSnapshotAndTruncationLoadsBoth) {
    JournalContents c;
    {
        Journal j = open_ok(c);
        ASSERT_TRUE(j.append({"a", "b"}).ok());
    }
    // compact() got as far as the snapshot, then the process died.
    ASSERT_TRUE(common::write_file_atomic(base_, encode_snapshot("state with a and b")).ok());
    c = load();
    EXPECT_TRUE(c.has_snapshot);
    EXPECT_EQ(c.snapshot, "state with a and b");
    EXPECT_EQ(c.records, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(c.set_aside.empty());
}

TEST_F(JournalTest, MissingJournalWithSnapshotIsCreated) {
    ASSERT_TRUE(common::write_file_atomic(base_, encode_snapshot("S")).ok());
    const auto c = load();
    EXPECT_EQ(c.snapshot, "S");
    EXPECT_EQ(read_all(jpath()), "MTJRNL01");
}

TEST_F(JournalTest, TruncationAtEveryOffsetOfLastRecordIsRepaired) {
    const std::vector<std::string> kept = {"first record", "second record"};
    const std::string last = "the last record, torn";
    const std::string full = journal_of({kept[0], kept[1], last});
    const std::size_t start = full.size() - kRecordHeaderBytes - last.size();
    for (std::size_t cut = start + 1; cut < full.size(); ++cut) {
        SCOPED_TRACE(cut);
        write_journal(full.substr(0, cut));
        JournalContents c;
        {
            Journal j = open_ok(c);
            EXPECT_EQ(c.records, kept);
            EXPECT_TRUE(c.torn_tail);
            EXPECT_EQ(c.dropped_bytes, cut - start);
            EXPECT_TRUE(c.set_aside.empty());
            EXPECT_EQ(j.journal_bytes(), start);
        }
        EXPECT_EQ(read_all(jpath()), full.substr(0, start));
        {
            Journal j = open_ok(c);
            EXPECT_FALSE(c.torn_tail);
            EXPECT_EQ(c.dropped_bytes, 0u);
            EXPECT_EQ(c.records, kept);
            ASSERT_TRUE(j.append({"after repair"}).ok());
        }
        c = load();
        EXPECT_EQ(c.records, (std::vector<std::string>{kept[0], kept[1], "after repair"}));
        EXPECT_FALSE(c.torn_tail);
    }
    EXPECT_TRUE(aside_files(jpath()).empty());
}

TEST_F(JournalTest, TornTailLogsExactlyOneWarning) {
    const std::string full = journal_of({"keep", "torn away"});
    write_journal(full.substr(0, full.size() - 3));
    const std::string log_path = base_ + ".log";
    {
        common::Logger log(log_path, common::LogLevel::debug);
        JournalContents c;
        ASSERT_TRUE(Journal::open(base_, log, &c).ok());
    }
    const std::string text = read_all(log_path);
    EXPECT_EQ(count_lines(text, " WARN "), 1) << text;
    EXPECT_EQ(count_lines(text, " ERROR "), 0) << text;
    const std::size_t offset = 8 + 12;
    EXPECT_EQ(count_lines(text, "dropped " + std::to_string(full.size() - 3 - offset) +
                                    " bytes at offset " + std::to_string(offset)),
              1)
        << text;
}

TEST_F(JournalTest, FlippedBitInLastRecordIsATornTail) {
    const std::string good = journal_of({"a", "bb", "last one"});
    for (std::size_t at : {good.size() - 1, good.size() - 8, good.size() - 12}) {
        SCOPED_TRACE(at);
        std::string bad = good;
        bad[at] = static_cast<char>(bad[at] ^ 0x04);
        write_journal(bad);
        const auto c = load();
        EXPECT_EQ(c.records, (std::vector<std::string>{"a", "bb"}));
        EXPECT_TRUE(c.torn_tail);
        EXPECT_EQ(c.dropped_bytes, 16u);
        EXPECT_TRUE(c.set_aside.empty());
        EXPECT_EQ(read_all(jpath()), good.substr(0, good.size() - 16));
    }
}

TEST_F(JournalTest, FlippedBitInMiddleRecordIsSetAside) {
    const std::string good = journal_of({"first", "middle record", "third", "fourth"});
    const std::size_t middle = 8 + 13;
    // A payload bit, a CRC bit, and a length bit that makes the record claim
    // more bytes than the file has (which alone would look like a torn tail).
    for (std::size_t at : {middle + 10, middle + 5, middle + 2}) {
        SCOPED_TRACE(at);
        remove_all();
        std::string bad = good;
        bad[at] = static_cast<char>(bad[at] ^ 0x01);
        write_journal(bad);
        const std::string log_path = base_ + ".log";
        JournalContents c;
        {
            common::Logger log(log_path);
            ASSERT_TRUE(Journal::open(base_, log, &c).ok());
        }
        EXPECT_EQ(c.records, (std::vector<std::string>{"first"}));
        EXPECT_FALSE(c.torn_tail);
        EXPECT_EQ(c.dropped_bytes, good.size() - middle);
        const auto aside = aside_files(jpath());
        ASSERT_EQ(aside.size(), 1u);
        EXPECT_EQ(c.set_aside, aside);
        EXPECT_EQ(read_all(aside[0]), bad);  // the evidence is kept byte for byte
        EXPECT_EQ(read_all(jpath()), good.substr(0, middle));
        const std::string text = read_all(log_path);
        EXPECT_EQ(count_lines(text, " ERROR "), 1) << text;
        EXPECT_EQ(count_lines(text, aside[0]), 1) << text;
        const auto again = load();
        EXPECT_EQ(again.records, (std::vector<std::string>{"first"}));
        EXPECT_TRUE(again.set_aside.empty());
    }
}

TEST_F(JournalTest, CorruptSnapshotIsMovedAsideAndJournalStillLoads) {
    const std::string good = encode_snapshot("the state");
    std::string bad_magic = good, bad_crc = good, bad_len = good, v2 = good;
    bad_magic[3] = '?';
    bad_crc[21] ^= 1;
    bad_len[18] ^= 1;
    common::store_u32(v2.data() + 8, 2);
    common::store_u32(v2.data() + v2.size() - 4, common::crc32c(v2.substr(0, v2.size() - 4)));
    for (const std::string& bad : {bad_magic, bad_crc, bad_len, v2, good.substr(0, 10),
                                   good.substr(0, good.size() - 1), good + "x"}) {
        SCOPED_TRACE(bad.size());
        remove_all();
        ASSERT_TRUE(common::write_file_atomic(base_, bad).ok());
        write_journal(journal_of({"r1", "r2"}));
        const auto c = load();
        EXPECT_FALSE(c.has_snapshot);
        EXPECT_EQ(c.snapshot, "");
        EXPECT_EQ(c.records, (std::vector<std::string>{"r1", "r2"}));
        const auto aside = aside_files(base_);
        ASSERT_EQ(aside.size(), 1u);
        EXPECT_EQ(c.set_aside, aside);
        EXPECT_EQ(read_all(aside[0]), bad);
        EXPECT_FALSE(exists(base_));
        const auto again = load();
        EXPECT_TRUE(again.set_aside.empty());
        EXPECT_EQ(again.records, (std::vector<std::string>{"r1", "r2"}));
    }
}

TEST_F(JournalTest, BadJournalMagicStartsFresh) {
    const std::string bad = "NOTAJRNL" + journal_of({"x"}).substr(8);
    write_journal(bad);
    JournalContents c;
    {
        Journal j = open_ok(c);
        EXPECT_TRUE(c.records.empty());
        ASSERT_EQ(c.set_aside.size(), 1u);
        EXPECT_EQ(read_all(c.set_aside[0]), bad);
        EXPECT_EQ(read_all(jpath()), "MTJRNL01");
        ASSERT_TRUE(j.append({"fresh"}).ok());
    }
    EXPECT_EQ(load().records, (std::vector<std::string>{"fresh"}));
}

TEST_F(JournalTest, EmptyFilesAreAFirstStart) {
    ASSERT_TRUE(common::write_file_atomic(base_, "").ok());
    write_journal("");
    const auto c = load();
    EXPECT_FALSE(c.has_snapshot);
    EXPECT_TRUE(c.records.empty());
    EXPECT_FALSE(c.torn_tail);
    EXPECT_TRUE(c.set_aside.empty());
    EXPECT_EQ(read_all(jpath()), "MTJRNL01");
}

TEST_F(JournalTest, TornHeaderAndZeroFilledTail) {
    write_journal("MTJRN");
    auto c = load();
    EXPECT_TRUE(c.torn_tail);
    EXPECT_EQ(c.dropped_bytes, 5u);
    EXPECT_EQ(read_all(jpath()), "MTJRNL01");

    // Power loss can leave the file longer than the data that reached disk.
    const std::string good = journal_of({"a", "b"});
    write_journal(good + std::string(4096, '\0'));
    c = load();
    EXPECT_EQ(c.records, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(c.torn_tail);
    EXPECT_EQ(c.dropped_bytes, 4096u);
    EXPECT_TRUE(c.set_aside.empty());
    EXPECT_EQ(read_all(jpath()), good);
}

TEST_F(JournalTest, RejectsEmptyAndOversizedRecordsWithoutWriting) {
    JournalContents c;
    Journal j = open_ok(c);
    ASSERT_TRUE(j.append({"ok"}).ok());
    const std::string before = read_all(jpath());
    auto empty = j.append({"fine", ""});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, Errc::invalid_argument);
    auto big = j.append({std::string(kMaxRecordBytes + 1, 'x')});
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, Errc::limit_exceeded);
    EXPECT_EQ(read_all(jpath()), before);
    EXPECT_EQ(j.journal_bytes(), before.size());
    ASSERT_TRUE(j.append({std::string(kMaxRecordBytes, 'y')}).ok());  // the cap itself is fine
    EXPECT_EQ(load().records.back().size(), kMaxRecordBytes);
}

TEST_F(JournalTest, GarbageAndEmptyFilesNeverCrash) {
    std::uint32_t x = 2463534242u;
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return x;
    };
    for (int round = 0; round < 40; ++round) {
        SCOPED_TRACE(round);
        remove_all();
        std::string snap, jrnl;
        const std::size_t n1 = next() % 200, n2 = next() % 300;
        for (std::size_t i = 0; i < n1; ++i)
            snap.push_back(static_cast<char>(next()));
        for (std::size_t i = 0; i < n2; ++i)
            jrnl.push_back(static_cast<char>(round % 3 == 0 ? next() % 4 : next()));
        if (round % 2 == 0) jrnl = journal_of({"valid"}) + jrnl;  // garbage after a good prefix
        ASSERT_TRUE(common::write_file_atomic(base_, snap).ok());
        write_journal(jrnl);
        JournalContents c;
        {
            Journal j = open_ok(c);
            ASSERT_TRUE(j.append({"new"}).ok());
        }
        c = load();  // the repaired state is clean and holds what was appended
        EXPECT_FALSE(c.torn_tail);
        EXPECT_TRUE(c.set_aside.empty());
        ASSERT_FALSE(c.records.empty());
        EXPECT_EQ(c.records.back(), "new");
    }
}

TEST_F(JournalTest, BasePathThatIsADirectoryIsAnError) {
    ASSERT_EQ(::mkdir(base_.c_str(), 0755), 0);
    JournalContents c;
    auto r = Journal::open(base_, log_, &c);
    EXPECT_FALSE(r.ok());
    if (!r) {
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
    }
    ::rmdir(base_.c_str());
}

}  // namespace
}  // namespace mt::tracker
