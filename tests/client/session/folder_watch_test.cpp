#include "client/session/folder_watch.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mt::client {
namespace {

using V = std::vector<std::string>;

TEST(DiffFolder, NewFilesWaitForOneStableScan) {
    const FolderSnapshot none;
    const FolderSnapshot one{{"a", {10, 1}}};
    auto d = diff_folder(none, none, one);  // first seen: not yet
    EXPECT_TRUE(d.empty());
    d = diff_folder(none, one, one);  // unchanged since the last scan: share
    EXPECT_EQ(d.added, V{"a"});
    EXPECT_TRUE(d.changed.empty());
    const FolderSnapshot growing{{"a", {20, 2}}};
    EXPECT_TRUE(diff_folder(none, one, growing).empty());  // still being written
}

TEST(DiffFolder, ChangedAndRemoved) {
    const FolderSnapshot shared{{"a", {10, 1}}, {"b", {5, 1}}, {"c", {7, 1}}};
    const FolderSnapshot now{{"a", {10, 1}}, {"b", {6, 3}}, {"d", {1, 1}}};
    auto d = diff_folder(shared, now, now);
    EXPECT_EQ(d.added, V{"d"});
    EXPECT_EQ(d.changed, V{"b"});
    EXPECT_EQ(d.removed, V{"c"});
    // Same size, new mtime: changed too. A change still in progress waits.
    const FolderSnapshot touched{{"a", {10, 2}}, {"b", {5, 1}}, {"c", {7, 1}}};
    EXPECT_EQ(diff_folder(shared, touched, touched).changed, V{"a"});
    EXPECT_TRUE(diff_folder(shared, shared, touched).empty());
    // Removal does not wait.
    EXPECT_EQ(diff_folder(shared, shared, {}).removed, (V{"a", "b", "c"}));
    EXPECT_TRUE(diff_folder(shared, shared, shared).empty());
}

TEST(WatchableName, SkipsHiddenOwnAndTemporaryFiles) {
    EXPECT_TRUE(watchable_name("movie.mkv"));
    EXPECT_TRUE(watchable_name("a..b"));
    EXPECT_FALSE(watchable_name(".hidden"));
    EXPECT_FALSE(watchable_name("x.mtorrent"));
    EXPECT_FALSE(watchable_name("x.mtresume"));
    EXPECT_FALSE(watchable_name("x.mtorrent.tmp.123"));
    EXPECT_FALSE(watchable_name("movie.mkv.part"));  // a download in progress
    EXPECT_FALSE(watchable_name("movie.mkv.mtparts"));
    EXPECT_FALSE(watchable_name(""));
}

TEST(ScanFolder, NonEmptyFilesAndFoldersNoLinks) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("mt-watch-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "sub");
    std::ofstream(dir / "a.bin") << "hello";
    std::ofstream(dir / "empty.bin");
    std::ofstream(dir / ".hidden") << "x";
    std::ofstream(dir / "sub" / "inner") << "x";
    std::filesystem::create_directories(dir / "nothing" / "deeper");  // no byte: not shared
    std::filesystem::create_symlink(dir / "a.bin", dir / "link");
    std::filesystem::create_symlink(dir / "sub", dir / "dirlink");
    auto s = scan_folder(dir.string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_EQ(s->size(), 2u);
    EXPECT_EQ(s->begin()->first, "a.bin");
    EXPECT_EQ(s->begin()->second.size, 5u);
    EXPECT_EQ(s->at("sub").size, 1u);  // a folder: the bytes below it
    auto sig = file_sig((dir / "a.bin").string());
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(*sig, s->begin()->second);
    EXPECT_EQ(scan_folder((dir / "nope").string()).error().code, common::Errc::not_found);
    EXPECT_EQ(file_sig((dir / "nope").string()).error().code, common::Errc::not_found);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mt::client
