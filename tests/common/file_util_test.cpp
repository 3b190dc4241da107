#include "common/file_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <string>
#include <vector>

namespace mt::common {
namespace {

std::string temp_path(const char* tag) {
    return ::testing::TempDir() + "mt_fu_" + tag + "_" + std::to_string(::getpid());
}

TEST(FileUtil, AtomicWriteThenRead) {
    const auto path = temp_path("a");
    ASSERT_TRUE(write_file_atomic(path, "first").ok());
    ASSERT_TRUE(write_file_atomic(path, "second, longer").ok());
    EXPECT_EQ(read_file(path, 100).value(), "second, longer");
    // No temporary file is left behind.
    struct stat st {};
    EXPECT_NE(::stat((path + ".tmp." + std::to_string(::getpid())).c_str(), &st), 0);
    ::unlink(path.c_str());
}

TEST(FileUtil, NonDurableWriteIsStillAtomicForReaders) {
    const auto path = temp_path("nd");
    ASSERT_TRUE(write_file_atomic(path, "one", 0644, /*durable=*/false).ok());
    ASSERT_TRUE(write_file_atomic(path, "two", 0644, /*durable=*/false).ok());
    EXPECT_EQ(read_file(path, 10).value(), "two");
    ::unlink(path.c_str());
}

TEST(FileUtil, ModeAppliesToNewFiles) {
    const auto path = temp_path("mode");
    ::unlink(path.c_str());
    ASSERT_TRUE(write_file_atomic(path, "secret", 0600).ok());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ::unlink(path.c_str());
}

TEST(FileUtil, RefusesToOverwriteUnlessAsked) {
    const auto path = temp_path("b");
    ASSERT_TRUE(write_file_atomic(path, "x").ok());
    auto s = write_file_atomic_new(path, "y", false);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("already exists"), std::string::npos);
    EXPECT_EQ(read_file(path, 10).value(), "x");
    EXPECT_TRUE(write_file_atomic_new(path, "y", true).ok());
    EXPECT_EQ(read_file(path, 10).value(), "y");
    ::unlink(path.c_str());
}

std::string slurp(const std::string& path) {
    return read_file(path, 1 << 20).value();
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
            out.emplace_back(e->d_name);
    ::closedir(d);
    return out;
}

// A fresh folder for one test, removed with everything in it.
struct TempDir {
    std::string path;
    explicit TempDir(const char* tag) : path(temp_path(tag)) {
        EXPECT_EQ(::system(("rm -rf '" + path + "'").c_str()), 0);
        EXPECT_EQ(::mkdir(path.c_str(), 0700), 0);
    }
    ~TempDir() { (void)!::system(("rm -rf '" + path + "'").c_str()); }
};

// The temporary names used to be <path>.tmp.<pid>.<counter>: links planted
// at every one of them must not be written through.
TEST(FileUtil, AtomicWriteNeverWritesThroughPlantedTemporaries) {
    TempDir dir("plant");
    const std::string victim = dir.path + "/victim", path = dir.path + "/state";
    ASSERT_TRUE(write_file_atomic(victim, "victim").ok());
    for (int n = 0; n < 100; ++n)
        ASSERT_EQ(
            ::symlink(
                victim.c_str(),
                (path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(n)).c_str()),
            0);
    for (int i = 0; i < 20; ++i)
        ASSERT_TRUE(write_file_atomic(path, "new " + std::to_string(i)).ok());
    EXPECT_EQ(slurp(victim), "victim");
    EXPECT_EQ(slurp(path), "new 19");
    EXPECT_EQ(names_in(dir.path).size(), 102u);  // victim, state, the 100 links: no temporary left
}

TEST(FileUtil, AtomicWriteReplacesALinkInsteadOfFollowingIt) {
    TempDir dir("replace");
    const std::string victim = dir.path + "/victim", path = dir.path + "/out";
    ASSERT_TRUE(write_file_atomic(victim, "victim").ok());
    ASSERT_EQ(::symlink(victim.c_str(), path.c_str()), 0);
    ASSERT_TRUE(write_file_atomic(path, "mine").ok());
    EXPECT_EQ(slurp(victim), "victim");
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(slurp(path), "mine");
}

TEST(FileUtil, NewFileRefusesEvenADanglingLink) {
    TempDir dir("noreplace");
    const std::string path = dir.path + "/out.mtorrent", target = dir.path + "/target";
    ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
    auto s = write_file_atomic_new(path, "x", false);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::invalid_argument);
    EXPECT_NE(s.error().message.find("already exists"), std::string::npos);
    struct stat st {};
    EXPECT_NE(::lstat(target.c_str(), &st), 0);  // nothing created through it
    EXPECT_EQ(names_in(dir.path).size(), 1u);    // and no temporary left
    EXPECT_TRUE(write_file_atomic_new(path, "x", true).ok());
    EXPECT_NE(::lstat(target.c_str(), &st), 0);
    const std::string secret = dir.path + "/secret";
    ASSERT_TRUE(write_file_atomic_new(secret, "s", false, true, 0600).ok());
    ASSERT_EQ(::stat(secret.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(write_file_atomic_new(secret, "t", false, true, 0600).ok());
    EXPECT_EQ(read_file(secret, 10).value(), "s");
}

TEST(FileUtil, OpenForWriteRefusesLinks) {
    TempDir dir("open");
    const std::string victim = dir.path + "/victim", link = dir.path + "/link";
    ASSERT_TRUE(write_file_atomic(victim, "victim").ok());
    ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
    for (auto how : {WriteMode::create_new, WriteMode::create_or_open, WriteMode::append}) {
        auto fd = open_for_write(link, how);
        ASSERT_FALSE(fd.ok());
        EXPECT_NE(fd.error().message.find("symbolic link"), std::string::npos)
            << fd.error().message;
    }
    EXPECT_EQ(slurp(victim), "victim");
    // A dangling link: nothing is created at its target either.
    const std::string dangling = dir.path + "/dangling", target = dir.path + "/target";
    ASSERT_EQ(::symlink(target.c_str(), dangling.c_str()), 0);
    for (auto how : {WriteMode::create_new, WriteMode::create_or_open, WriteMode::append})
        EXPECT_FALSE(open_for_write(dangling, how).ok());
    struct stat st {};
    EXPECT_NE(::lstat(target.c_str(), &st), 0);
}

TEST(FileUtil, OpenForWriteModes) {
    TempDir dir("modes");
    const std::string path = dir.path + "/f";
    auto a = open_for_write(path, WriteMode::create_new);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_EQ(::write(a->get(), "abc", 3), 3);
    auto again = open_for_write(path, WriteMode::create_new);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, Errc::invalid_argument);
    auto b = open_for_write(path, WriteMode::create_or_open);  // ours, one link: reopened
    ASSERT_TRUE(b.ok()) << b.error().message;
    char buf[3];
    EXPECT_EQ(::pread(b->get(), buf, 3, 0), 3);  // read/write
    // A second hard link (someone else's file could be behind it): refused.
    ASSERT_EQ(::link(path.c_str(), (dir.path + "/hard").c_str()), 0);
    auto c = open_for_write(path, WriteMode::create_or_open);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Errc::refused);
    EXPECT_NE(c.error().message.find("hard links"), std::string::npos);
    // Not a regular file.
    ASSERT_EQ(::mkfifo((dir.path + "/fifo").c_str(), 0600), 0);
    auto d = open_for_write(dir.path + "/fifo", WriteMode::create_or_open);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, Errc::refused);
    EXPECT_EQ(open_for_write(dir.path + "/nofolder/f", WriteMode::create_new).error().code,
              Errc::not_found);
    // Appending (logs) keeps what is there.
    auto e = open_for_write(path, WriteMode::append);
    ASSERT_TRUE(e.ok());
    ASSERT_EQ(::write(e->get(), "d", 1), 1);
    EXPECT_EQ(slurp(path), "abcd");
    // The system's links to our own streams are not planted links.
    EXPECT_TRUE(open_for_write("/dev/stderr", WriteMode::append).ok());
    EXPECT_TRUE(open_for_write("/proc/self/fd/2", WriteMode::append).ok());
    EXPECT_TRUE(open_for_write("/dev/null", WriteMode::append).ok());
    EXPECT_FALSE(open_for_write("/dev/stderr", WriteMode::create_or_open).ok());
}

TEST(FileUtil, ReadOwnFileRefusesLinks) {
    TempDir dir("own");
    const std::string real = dir.path + "/real", link = dir.path + "/link";
    ASSERT_TRUE(write_file_atomic(real, "resume").ok());
    ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
    EXPECT_EQ(read_own_file(real, 100).value(), "resume");
    EXPECT_EQ(read_own_file(link, 100).error().code, Errc::refused);
    EXPECT_EQ(read_own_file(dir.path + "/none", 100).error().code, Errc::not_found);
    if (::geteuid() == 0) {  // root can hand a file to someone else
        ASSERT_EQ(::chown(real.c_str(), 65534, 65534), 0);
        EXPECT_EQ(read_own_file(real, 100).error().code, Errc::refused);
        auto w = open_for_write(real, WriteMode::create_or_open);
        ASSERT_FALSE(w.ok());
        EXPECT_NE(w.error().message.find("another user"), std::string::npos);
    }
}

TEST(FileUtil, SplitPath) {
    EXPECT_EQ(split_path("a/b").dir, "a");
    EXPECT_EQ(split_path("a/b").name, "b");
    EXPECT_EQ(split_path("b").dir, ".");
    EXPECT_EQ(split_path("/b").dir, "/");
    EXPECT_EQ(split_path("a/").name, "");
    EXPECT_FALSE(write_file_atomic("a/", "x").ok());
}

TEST(FileUtil, ReadErrors) {
    EXPECT_EQ(read_file("/nonexistent/file", 10).error().code, Errc::not_found);
    const auto path = temp_path("c");
    ASSERT_TRUE(write_file_atomic(path, "0123456789").ok());
    EXPECT_EQ(read_file(path, 9).error().code, Errc::limit_exceeded);
    EXPECT_EQ(read_file("/", 10).error().code, Errc::invalid_argument);
    EXPECT_FALSE(write_file_atomic("/nonexistent/dir/f", "x").ok());
    ::unlink(path.c_str());
}

}  // namespace
}  // namespace mt::common
