#include "client/path_util.h"

#include <gtest/gtest.h>
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

}  // namespace
}  // namespace mt::client
