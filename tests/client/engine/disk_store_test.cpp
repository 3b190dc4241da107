#include "client/engine/disk_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/file_util.h"

namespace mt::client {
namespace {

std::string tmp(const char* tag) {
    return ::testing::TempDir() + "mt_ds_" + tag + "_" + std::to_string(::getpid());
}

TEST(DiskStore, CreatesAtFullSizeAndWritesAtOffsets) {
    const auto path = tmp("create");
    ::unlink(path.c_str());
    auto d = DiskStore::open(path, 100000, 16384, DiskStore::Mode::create_or_open);
    ASSERT_TRUE(d.ok()) << d.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 100000);
    ASSERT_TRUE(d->write_piece(2, std::string(16384, 'c')).ok());
    ASSERT_TRUE(d->write(100000 - 3, "end").ok());
    char buf[4] = {};
    ASSERT_TRUE(d->read(2 * 16384 + 100, 3, buf).ok());
    EXPECT_EQ(std::string(buf, 3), "ccc");
    EXPECT_FALSE(d->write(99999, "xx").ok());
    EXPECT_FALSE(d->read(99999, 2, buf).ok());
    ASSERT_TRUE(d->sync().ok());
    ::unlink(path.c_str());
}

TEST(DiskStore, AlignedPiecesGoDirectAndReadBackWithTheUnalignedTail) {
    // 3 pieces of 64 KiB and a short last piece: the aligned ones take the
    // O_DIRECT descriptor (where the file system has it), the tail the
    // buffered one; reads see both.
    const auto path = tmp("direct");
    ::unlink(path.c_str());
    constexpr std::size_t kPiece = 65536, kTotal = 3 * kPiece + 1000;
    auto d = DiskStore::open(path, kTotal, kPiece, DiskStore::Mode::create_or_open);
    ASSERT_TRUE(d.ok()) << d.error().message;
    PieceMemory mem(kPiece);
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(mem.data()) % DiskStore::kDirectAlign, 0u);
    for (std::uint32_t p = 0; p < 3; ++p) {
        std::memset(mem.data(), 'a' + static_cast<int>(p), kPiece);
        ASSERT_TRUE(d->write_piece(p, std::string_view(mem.data(), kPiece)).ok());
    }
    std::memset(mem.data(), 'z', 1000);
    ASSERT_TRUE(d->write_piece(3, std::string_view(mem.data(), 1000)).ok());
    // A buffered read right after a direct write sees the new bytes.
    std::string all(kTotal, '\0');
    ASSERT_TRUE(d->read(0, kTotal, all.data()).ok());
    EXPECT_EQ(all, std::string(kPiece, 'a') + std::string(kPiece, 'b') + std::string(kPiece, 'c') +
                       std::string(1000, 'z'));
    // Unaligned data at an aligned offset is written buffered, and correctly.
    ASSERT_TRUE(d->write(kPiece, std::string(kPiece, 'q')).ok());
    ASSERT_TRUE(d->read(kPiece, kPiece, all.data()).ok());
    EXPECT_EQ(all.substr(0, kPiece), std::string(kPiece, 'q'));
    ASSERT_TRUE(d->sync().ok());
    RecordProperty("direct", d->direct() ? "yes" : "no");
    ::unlink(path.c_str());
}

TEST(DiskStore, OpenExistingChecksTheSize) {
    const auto path = tmp("existing");
    ASSERT_TRUE(common::write_file_atomic(path, "12345").ok());
    EXPECT_TRUE(DiskStore::open(path, 5, 16384, DiskStore::Mode::open_existing).ok());
    auto wrong = DiskStore::open(path, 6, 16384, DiskStore::Mode::open_existing);
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("the .mtorrent says 6"), std::string::npos);
    EXPECT_EQ(
        DiskStore::open(path + ".missing", 5, 16384, DiskStore::Mode::open_existing).error().code,
        common::Errc::not_found);
    ::unlink(path.c_str());
}

// Seeding never serves bytes of a file edited since it was checked.
TEST(DiskStore, SeedingNoticesAnEditedFile) {
    const auto path = tmp("edited");
    ASSERT_TRUE(common::write_file_atomic(path, "12345").ok());
    auto d = DiskStore::open(path, 5, 16384, DiskStore::Mode::open_existing);
    ASSERT_TRUE(d.ok());
    char buf[5];
    ASSERT_TRUE(d->read(0, 5, buf).ok());
    // The same size, a new modification time (an editor saving in place).
    {
        common::Fd w(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
        ASSERT_TRUE(w.valid());
        ASSERT_EQ(::pwrite(w.get(), "X", 1, 2), 1);
        struct timespec times[2] = {{0, UTIME_OMIT}, {1, 0}};  // a clearly different mtime
        ASSERT_EQ(::futimens(w.get(), times), 0);
    }
    auto r = d->read(0, 5, buf);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, common::Errc::changed);
    EXPECT_NE(r.error().message.find("changed on disk"), std::string::npos);
    ::unlink(path.c_str());
}

TEST(DiskStore, FullDiskIsAClearError) {
    // /dev/full answers every write with ENOSPC.
    auto d = DiskStore::open("/dev/full", 10, 16384, DiskStore::Mode::open_existing);
    ASSERT_FALSE(d.ok());  // not a regular file: refused up front
    EXPECT_NE(d.error().message.find("not a regular file"), std::string::npos);
}

TEST(DiskStore, NeverWritesThroughALink) {
    const auto victim = tmp("victim"), link = tmp("link");
    ::unlink(link.c_str());
    ASSERT_TRUE(common::write_file_atomic(victim, "victim").ok());
    ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
    auto d = DiskStore::open(link, 1 << 20, 16384, DiskStore::Mode::create_or_open);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, common::Errc::refused);
    EXPECT_NE(d.error().message.find("symbolic link"), std::string::npos);
    EXPECT_EQ(common::read_file(victim, 100).value(), "victim");  // not even resized
    ::unlink(link.c_str());
    ::unlink(victim.c_str());
}

TEST(Resume, ALinkedResumeFileIsNotTrusted) {
    const auto ih = common::InfoHash::from_bytes("ABCDEFGHIJKLMNOPQRST");
    const auto real = tmp("resume_real"), link = tmp("resume_link");
    ::unlink(link.c_str());
    ASSERT_TRUE(save_resume(real, ih, 10, std::vector<bool>(3, true)).ok());
    ASSERT_TRUE(load_resume(real, ih, 3).ok());
    ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
    auto r = load_resume(link, ih, 3);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, common::Errc::refused);
    ::unlink(link.c_str());
    ::unlink(real.c_str());
}

TEST(Resume, RoundTripAndRejectsDamage) {
    const auto ih = common::InfoHash::from_bytes("ABCDEFGHIJKLMNOPQRST");
    std::vector<bool> v(13);
    v[0] = v[5] = v[12] = true;
    const std::string bytes = encode_resume(ih, 4242, v);
    auto back = decode_resume(bytes, ih, 13);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->verified, v);
    EXPECT_EQ(back->file_size, 4242u);
    EXPECT_FALSE(
        decode_resume(bytes, common::InfoHash::from_bytes("XBCDEFGHIJKLMNOPQRST"), 13).ok());
    EXPECT_FALSE(decode_resume(bytes, ih, 14).ok());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::string b = bytes;
        b[i] ^= 0x10;
        EXPECT_FALSE(decode_resume(b, ih, 13).ok()) << "flip at " << i;
    }
    EXPECT_FALSE(decode_resume(bytes.substr(0, bytes.size() - 1), ih, 13).ok());
    const auto path = tmp("resume");
    ASSERT_TRUE(save_resume(path, ih, 4242, v).ok());
    EXPECT_EQ(load_resume(path, ih, 13)->verified, v);
    ::unlink(path.c_str());
}

}  // namespace
}  // namespace mt::client
