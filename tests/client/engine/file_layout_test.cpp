#include "client/engine/file_layout.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace mt::client {
namespace {

common::Metainfo folder(std::vector<std::vector<std::string>> paths, std::string name = "top") {
    common::Metainfo m;
    m.name = std::move(name);
    m.piece_length = 16384;
    for (auto& p : paths) {
        common::MetainfoFile f;
        f.path = std::move(p);
        f.length = 10;
        m.length += 10;
        m.files.push_back(std::move(f));
    }
    return m;
}

std::vector<std::string> paths_of(const FileLayout& l) {
    std::vector<std::string> out;
    for (const auto& f : l.files)
        out.push_back(f.path);
    return out;
}

TEST(SafeSegment, RepairsWhatIsUnsafe) {
    std::string why;
    EXPECT_EQ(safe_segment("movie.mkv", &why), "movie.mkv");
    EXPECT_EQ(why, "");
    EXPECT_EQ(safe_segment("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", &why),
              "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
    EXPECT_EQ(why, "");  // valid UTF-8 is kept
    EXPECT_EQ(safe_segment(std::string("a\x1b[2J\0b", 7), &why), "a_[2J_b");
    EXPECT_EQ(why, "control character");
    why.clear();
    // C1 controls (U+009B is an 8-bit CSI) go; U+00A0 and up stay.
    EXPECT_EQ(safe_segment("a\xc2\x9b"
                           "31m\xc2\x80\xc2\xa0",
                           &why),
              "a_31m_\xc2\xa0");
    EXPECT_EQ(why, "control character");
    why.clear();
    EXPECT_EQ(safe_segment("a/b", &why), "a_b");
    EXPECT_EQ(why, "'/' in a name");
    why.clear();
    // Latin-1, a lone continuation byte, an overlong '/', a surrogate, > U+10FFFF.
    EXPECT_EQ(safe_segment("caf\xe9", &why), "caf_");
    EXPECT_EQ(safe_segment("\x80", nullptr), "_");
    EXPECT_EQ(safe_segment("\xc0\xaf", nullptr), "__");
    EXPECT_EQ(safe_segment("\xed\xa0\x80", nullptr), "___");
    EXPECT_EQ(safe_segment("\xf4\x90\x80\x80", nullptr), "____");
    EXPECT_EQ(safe_segment("\xe6\x97", nullptr), "__");  // truncated sequence
    EXPECT_EQ(why, "not UTF-8");
    for (const char* none : {"", ".", ".."})
        EXPECT_EQ(safe_segment(none, nullptr), "_");
}

TEST(SafeSegment, ShortensAtACharacterBoundaryKeepingTheExtension) {
    std::string long_name;
    for (int i = 0; i < 100; ++i)
        long_name += "\xe6\x97\xa5";  // 3 bytes each
    long_name += ".mkv";
    std::string why;
    const std::string s = safe_segment(long_name, &why);
    EXPECT_LE(s.size(), kMaxSegmentBytes);
    EXPECT_EQ(s.substr(s.size() - 4), ".mkv");
    EXPECT_EQ((s.size() - 4) % 3, 0u) << "cut inside a character";
    EXPECT_EQ(why, "shortened");
}

TEST(FileLayout, SingleFileIsTheName) {
    common::Metainfo m;
    m.name = "movie.bin";
    m.length = 123;
    auto l = make_file_layout(m);
    ASSERT_TRUE(l.ok());
    ASSERT_EQ(l->files.size(), 1u);
    EXPECT_EQ(l->files[0].path, "movie.bin");
    EXPECT_EQ(l->files[0].length, 123u);
    EXPECT_TRUE(l->repairs.empty());
}

TEST(FileLayout, DropsEmptyDotAndDotDotSegments) {
    auto l = make_file_layout(
        folder({{"..", "..", "etc", "passwd"}, {"", "a"}, {".", "b", ".."}, {"..", ""}}));
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(paths_of(*l),
              (std::vector<std::string>{"top/etc/passwd", "top/a", "top/b", "top/_"}));
    ASSERT_EQ(l->repairs.size(), 4u);
    EXPECT_NE(l->repairs[0].find("'..' dropped"), std::string::npos) << l->repairs[0];
    EXPECT_NE(l->repairs[1].find("empty segment dropped"), std::string::npos) << l->repairs[1];
}

TEST(FileLayout, MakesDuplicatesDistinct) {
    auto l = make_file_layout(folder({{"a.txt"}, {"a.txt"}, {"a.txt"}, {"a.1.txt"}}));
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(paths_of(*l), (std::vector<std::string>{"top/a.txt", "top/a.1.txt", "top/a.2.txt",
                                                      "top/a.1.1.txt"}));
    // A name repaired into another file's name is made distinct too.
    auto r = make_file_layout(folder({{"a_b"}, {"a/b"}}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(paths_of(*r), (std::vector<std::string>{"top/a_b", "top/a_b.1"}));
}

TEST(FileLayout, AFileAndAFolderOfTheSameName) {
    // The file first: the folder moves, for every file below it.
    auto l = make_file_layout(folder({{"a"}, {"a", "b"}, {"a", "c"}}));
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(paths_of(*l), (std::vector<std::string>{"top/a", "top/a.1/b", "top/a.1/c"}));
    // The folder first: the file moves.
    auto r = make_file_layout(folder({{"a", "b"}, {"a"}}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(paths_of(*r), (std::vector<std::string>{"top/a/b", "top/a.1"}));
}

TEST(FileLayout, OffsetsAndPadFiles) {
    common::Metainfo m = folder({{"one"}, {".pad", "6"}, {"two"}});
    m.files[1].padding = true;
    m.files[1].length = 6;
    auto l = make_file_layout(m);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->files[0].offset, 0u);
    EXPECT_EQ(l->files[1].offset, 10u);
    EXPECT_TRUE(l->files[1].padding);
    EXPECT_EQ(l->files[1].path, "");  // never written
    EXPECT_EQ(l->files[2].offset, 16u);
    EXPECT_EQ(l->files[2].path, "top/two");
}

TEST(FileLayout, RefusesAPathTooLongOnceRepaired) {
    std::vector<std::string> deep(25, std::string(200, 'd'));
    auto l = make_file_layout(folder({{"ok"}, deep}));
    ASSERT_FALSE(l.ok());
    EXPECT_NE(l.error().message.find("info.files[1] path is"), std::string::npos)
        << l.error().message;
}

// Every folder torrent of the golden cases (tests/data/metainfo) gets paths
// that stay inside the destination: no absolute path, no '.', '..' or empty
// segment, no control character, segments within NAME_MAX, all distinct, and
// no file where another file needs a folder.
TEST(FileLayout, GoldenFolderTorrentsStayInside) {
    const std::string dir = std::string(MT_SOURCE_DIR) + "/tests/data/metainfo/";
    std::ifstream table(dir + "cases.tsv");
    std::string line;
    int checked = 0;
    while (std::getline(table, line)) {
        if (line.empty() || line[0] == '#') continue;
        const std::string file = line.substr(0, line.find('\t'));
        auto m = common::load_metainfo(dir + file);
        if (!m || !m->multi_file()) continue;
        auto l = make_file_layout(*m);
        if (file == "good_files_path_too_long.mtorrent") {
            EXPECT_FALSE(l.ok()) << file;
            continue;
        }
        ASSERT_TRUE(l.ok()) << file << ": " << l.error().message;
        std::set<std::string> files, dirs;
        for (const auto& f : l->files) {
            if (f.padding) continue;
            ASSERT_FALSE(f.path.empty()) << file;
            EXPECT_NE(f.path[0], '/') << file;
            std::string prefix;
            std::size_t from = 0;
            while (true) {
                const auto slash = f.path.find('/', from);
                const std::string seg = f.path.substr(from, slash - from);
                EXPECT_FALSE(seg.empty() || seg == "." || seg == "..") << file << ": " << f.path;
                EXPECT_LE(seg.size(), kMaxSegmentBytes) << file;
                for (unsigned char c : seg)
                    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << file << ": " << f.path;
                prefix += (prefix.empty() ? "" : "/") + seg;
                if (slash == std::string::npos) break;
                dirs.insert(prefix);
                from = slash + 1;
            }
            EXPECT_TRUE(files.insert(f.path).second) << file << ": " << f.path << " twice";
        }
        for (const auto& d : dirs)
            EXPECT_EQ(files.count(d), 0u) << file << ": " << d << " is a file and a folder";
        ++checked;
    }
    EXPECT_GE(checked, 8);
}

}  // namespace
}  // namespace mt::client
