#include "client/session/path_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace mt::client {
namespace {

TEST(PathUtil, BaseAndDirName) {
    EXPECT_EQ(base_name("a/b.txt"), "b.txt");
    EXPECT_EQ(base_name("b.txt"), "b.txt");
    EXPECT_EQ(dir_name("a/b.txt"), "a");
    EXPECT_EQ(dir_name("b.txt"), ".");
    EXPECT_EQ(dir_name("/b.txt"), "/");
    EXPECT_TRUE(ends_with("x.mtorrent", ".mtorrent"));
    EXPECT_FALSE(ends_with("mtorrent", ".mtorrent"));
    EXPECT_EQ(to_lower("AbC1"), "abc1");
}

TEST(PathUtil, AbsoluteAndMakeDirs) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("mt-path-test-" + std::to_string(::getpid()));
    const std::string deep = (dir / "a" / "b").string();
    ASSERT_TRUE(make_dirs(deep).ok());
    EXPECT_TRUE(is_dir(deep));
    EXPECT_TRUE(make_dirs(deep).ok());  // again: fine
    const std::string real = std::filesystem::canonical(deep).string();
    EXPECT_EQ(absolute_path(deep + "/"), real);
    EXPECT_EQ(absolute_path(deep + "/../b"), real);
    EXPECT_EQ(absolute_path(deep + "/new.bin"), real + "/new.bin");  // need not exist
    EXPECT_FALSE(path_exists(deep + "/new.bin"));
    EXPECT_EQ(absolute_path("/no/such/dir/x"), "/no/such/dir/x");
    std::filesystem::remove_all(dir);
    EXPECT_FALSE(make_dirs("/proc/self/status/x").ok());
}

TEST(PathUtil, PrivateDir) {
    const std::string dir = ::testing::TempDir() + "mt_pu_private_" + std::to_string(::getpid());
    ASSERT_TRUE(make_dirs(dir + "/torrents", 0700).ok());
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_TRUE(check_private_dir(dir).ok());
    ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
    auto s = check_private_dir(dir);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, common::Errc::refused);
    EXPECT_NE(s.error().message.find("chmod go-w"), std::string::npos);
    ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
    EXPECT_TRUE(check_private_dir(dir).ok());  // readable by others is fine: it is not a secret
    EXPECT_FALSE(check_private_dir(dir + "/none").ok());
    ::rmdir((dir + "/torrents").c_str());
    ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace mt::client
