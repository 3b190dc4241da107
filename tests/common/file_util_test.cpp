#include "common/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

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
