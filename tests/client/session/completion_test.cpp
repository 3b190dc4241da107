#include "client/session/completion.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

#include "client/session/command.h"

using namespace mt::client;

namespace {

CompletionSource source() {
    CompletionSource s;
    s.names = {"holiday.mtorrent", "hols 2.mtorrent", "work.mtorrent"};
    s.list_dir = [](const std::string& dir) -> std::vector<std::string> {
        static const std::map<std::string, std::vector<std::string>> fs = {
            {"", {"movie.mkv", "music/", "my file.bin", ".hidden", "notes.txt"}},
            {"music/", {"a.ogg", "b.ogg", "albums/"}},
            {"/srv/", {"share/", "data.bin"}},
        };
        auto it = fs.find(dir);
        return it == fs.end() ? std::vector<std::string>{} : it->second;
    };
    return s;
}

std::vector<std::string> cands(std::string_view line) {
    return complete_line(line, source()).candidates;
}

using V = std::vector<std::string>;

}  // namespace

TEST(Completion, CommandWords) {
    EXPECT_EQ(cands("sta"), V{"status"});
    EXPECT_EQ(cands("s"), (V{"search", "select", "share", "show", "status"}));
    EXPECT_EQ(cands("STA"), V{"status"});                 // any case typed
    EXPECT_EQ(cands("").size(), command_words().size());  // every one, at an empty line
    EXPECT_EQ(complete_line("  sta", source()).word_start, 2u);
    EXPECT_TRUE(cands("xyz").empty());
}

TEST(Completion, FixedWords) {
    EXPECT_EQ(cands("show d"), V{"downloads"});
    EXPECT_EQ(cands("show downloads "), V{"--watch"});
    EXPECT_EQ(cands("limit "), (V{"down", "up"}));
    EXPECT_EQ(cands("limit up o"), V{"off"});
    EXPECT_EQ(cands("remove x.mtorrent --"), V{"--keep"});
    EXPECT_EQ(cands("help pa"), V{"pause"});
    EXPECT_EQ(cands("get a.mtorrent dest/ --o"), V{"--only"});
    EXPECT_TRUE(cands("get a.mtorrent dest/ --only ").empty());
    EXPECT_TRUE(cands("search ho").empty());
    EXPECT_TRUE(cands("status x").empty());
}

TEST(Completion, TransferNamesAreEscaped) {
    EXPECT_EQ(cands("pause ho"), (V{"holiday.mtorrent", "hols\\ 2.mtorrent"}));
    EXPECT_EQ(cands("remove w"), V{"work.mtorrent"});
    // Typed with an escape or in quotes, it still matches.
    EXPECT_EQ(cands("resume hols\\ "), V{"hols\\ 2.mtorrent"});
    EXPECT_EQ(cands("resume \"hols "), V{"hols\\ 2.mtorrent"});
    EXPECT_EQ(complete_line("resume \"hols ", source()).word_start, 7u);
    EXPECT_TRUE(cands("pause holiday.mtorrent ").empty());  // one name only
}

TEST(Completion, Paths) {
    EXPECT_EQ(cands("share m"), (V{"movie.mkv", "music/", "my\\ file.bin"}));
    EXPECT_EQ(cands("share music/"), (V{"music/a.ogg", "music/albums/", "music/b.ogg"}));
    EXPECT_EQ(cands("share music/al"), V{"music/albums/"});
    EXPECT_EQ(cands("get /srv/d"), V{"/srv/data.bin"});
    EXPECT_EQ(cands("get a.mtorrent /srv/s"), V{"/srv/share/"});
    EXPECT_EQ(cands("watch "), V{"music/"});        // folders only, no dot files
    EXPECT_EQ(cands("share ."), V{".hidden"});      // dot files when asked for
    EXPECT_TRUE(cands("share nowhere/x").empty());  // a folder that cannot be read
    // Control bytes were not typed at a terminal: nothing offered (a
    // candidate with a newline would split into two tokens; found by fuzzing).
    EXPECT_TRUE(cands("share mu\nsic/").empty());
}

TEST(Completion, ListDirectoryMarksFoldersAndSkipsControlBytes) {
    const std::string dir = ::testing::TempDir() + "/mt_completion_" + std::to_string(::getpid());
    ASSERT_EQ(::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "/sub'").c_str()), 0);
    std::ofstream(dir + "/plain.txt") << "x";
    std::ofstream(dir + "/bad\x1b[2Jname") << "x";
    auto entries = list_directory(dir);
    std::sort(entries.begin(), entries.end());
    EXPECT_EQ(entries, (V{"plain.txt", "sub/"}));
    EXPECT_EQ(list_directory(dir, 1).size(), 1u);
    EXPECT_TRUE(list_directory(dir + "/missing").empty());
    ASSERT_EQ(::system(("rm -rf '" + dir + "'").c_str()), 0);
}
