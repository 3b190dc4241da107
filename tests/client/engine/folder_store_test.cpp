#include "client/engine/folder_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "client/engine/file_layout.h"
#include "client/engine/piece_picker.h"
#include "common/sha1.h"

namespace mt::client {
namespace {

// A fresh empty folder under the test's temporary folder.
std::string fresh_dir(const char* tag) {
    std::string d = ::testing::TempDir() + "mt_fs_" + tag + "_" + std::to_string(::getpid());
    const std::string cmd = "rm -rf '" + d + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(::mkdir(d.c_str(), 0755), 0);
    return d;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// files: {path segments, length, pad}
struct Spec {
    std::vector<std::string> path;
    std::uint64_t length;
    bool pad = false;
};

common::Metainfo folder_meta(const std::vector<Spec>& specs, std::uint64_t piece_length,
                             const std::string& stream) {
    common::Metainfo m;
    m.name = "top";
    m.piece_length = piece_length;
    for (const auto& s : specs) {
        common::MetainfoFile f;
        f.path = s.path;
        f.length = s.length;
        f.padding = s.pad;
        m.files.push_back(f);
        m.length += s.length;
    }
    for (std::uint64_t off = 0; off < m.length; off += piece_length) {
        const auto d = common::Sha1::digest(std::string_view(stream).substr(off, piece_length));
        m.pieces.append(reinterpret_cast<const char*>(d.data()), d.size());
    }
    return m;
}

// The byte stream: distinct bytes, zeros where pad files are.
std::string stream_for(const std::vector<Spec>& specs) {
    std::string s;
    for (const auto& f : specs)
        for (std::uint64_t i = 0; i < f.length; ++i)
            s.push_back(f.pad ? '\0' : static_cast<char>('a' + (s.size() * 7 + i / 3) % 26));
    return s;
}

const std::vector<Spec> kFiles = {
    {{"a.txt"}, 5000},           {{"sub", "empty"}, 0},
    {{"sub", "b.bin"}, 20000},   {{".pad", "12384"}, 7768, true},
    {{"sub", "deep", "c"}, 100}, {{"d"}, 40000},
};

TEST(FolderStore, WritesPiecesAcrossFilesAndReadsThemBack) {
    const std::string dir = fresh_dir("rw");
    const std::string stream = stream_for(kFiles);
    const auto meta = folder_meta(kFiles, 16384, stream);
    auto layout = make_file_layout(meta);
    ASSERT_TRUE(layout.ok());
    auto s = FolderStore::open(dir + "/top", *layout, 16384, {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    // The empty file at once, the others at their first byte; the pad file never.
    EXPECT_TRUE(exists(dir + "/top/sub/empty"));
    EXPECT_FALSE(exists(dir + "/top/sub/b.bin"));
    EXPECT_FALSE(exists(dir + "/top/.pad"));
    ASSERT_TRUE((*s)->write_piece(0, std::string_view(stream).substr(0, 16384)).ok());
    struct stat st {};
    ASSERT_EQ(::stat((dir + "/top/sub/b.bin").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 20000);  // at its full size (sparse)
    EXPECT_FALSE(exists(dir + "/top/d"));
    for (std::uint64_t off = 0, p = 0; off < stream.size(); off += 16384, ++p)
        ASSERT_TRUE((*s)->write_piece(static_cast<std::uint32_t>(p),
                                      std::string_view(stream).substr(off, 16384))
                        .ok());
    ASSERT_TRUE((*s)->sync().ok());
    EXPECT_EQ(slurp(dir + "/top/a.txt"), stream.substr(0, 5000));
    EXPECT_EQ(slurp(dir + "/top/sub/b.bin"), stream.substr(5000, 20000));
    EXPECT_EQ(slurp(dir + "/top/sub/deep/c"), stream.substr(32768, 100));
    EXPECT_EQ(slurp(dir + "/top/d"), stream.substr(32868));
    EXPECT_FALSE(exists(dir + "/top/.pad"));
    // A read that spans four files and the pad reads the stream.
    std::string back(30000, 'x');
    ASSERT_TRUE((*s)->read(4000, back.size(), back.data()).ok());
    EXPECT_EQ(back, stream.substr(4000, 30000));
    EXPECT_FALSE((*s)->read(stream.size() - 1, 2, back.data()).ok());
    EXPECT_FALSE((*s)->write(stream.size() - 1, "xy").ok());
    // The whole stream hashes to the metainfo's pieces through the storage.
    auto bad = count_bad_pieces(**s, meta);
    ASSERT_TRUE(bad.ok()) << bad.error().message;
    EXPECT_EQ(*bad, 0u);
}

TEST(FolderStore, SeedingNeedsEveryFileAtItsSize) {
    const std::string dir = fresh_dir("seed");
    const std::string stream = stream_for(kFiles);
    const auto meta = folder_meta(kFiles, 16384, stream);
    {
        auto s = open_data(meta, dir + "/top", false);
        ASSERT_TRUE(s.ok());
        ASSERT_TRUE(static_cast<FolderStore&>(**s).write(0, stream).ok());
    }
    auto seed = open_data(meta, dir + "/top", true);
    ASSERT_TRUE(seed.ok()) << seed.error().message;
    auto bad = count_bad_pieces(**seed, meta);
    ASSERT_TRUE(bad.ok());
    EXPECT_EQ(*bad, 0u);
    ASSERT_EQ(::truncate((dir + "/top/d").c_str(), 10), 0);
    auto short_file = open_data(meta, dir + "/top", true);
    ASSERT_FALSE(short_file.ok());
    EXPECT_NE(short_file.error().message.find("top/d is 10 bytes"), std::string::npos);
    ASSERT_EQ(::unlink((dir + "/top/sub/deep/c").c_str()), 0);
    EXPECT_FALSE(open_data(meta, dir + "/top", true).ok());
}

TEST(FolderStore, NeverFollowsALinkInsideTheFolder) {
    const std::string dir = fresh_dir("links");
    const std::string outside = fresh_dir("links_outside");
    const std::string stream = stream_for(kFiles);
    const auto meta = folder_meta(kFiles, 16384, stream);
    ASSERT_EQ(::mkdir((dir + "/top").c_str(), 0755), 0);
    // A planted link where a folder of the torrent goes, and one where a file goes.
    ASSERT_EQ(::symlink(outside.c_str(), (dir + "/top/sub").c_str()), 0);
    auto s = open_data(meta, dir + "/top", false);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, common::Errc::refused);
    EXPECT_FALSE(exists(outside + "/b.bin"));
    ASSERT_EQ(::unlink((dir + "/top/sub").c_str()), 0);
    ASSERT_EQ(::symlink((outside + "/victim").c_str(), (dir + "/top/d").c_str()), 0);
    EXPECT_FALSE(open_data(meta, dir + "/top", false).ok());
    EXPECT_FALSE(exists(outside + "/victim"));
    // The torrent's folder itself a link: refused too.
    const std::string dir2 = fresh_dir("links2");
    ASSERT_EQ(::symlink(outside.c_str(), (dir2 + "/top").c_str()), 0);
    EXPECT_FALSE(open_data(meta, dir2 + "/top", false).ok());
    EXPECT_FALSE(exists(outside + "/a.txt"));
}

TEST(FolderStore, UnselectedFilesGoToThePartsFileUntilSelected) {
    const std::string dir = fresh_dir("parts");
    const std::string stream = stream_for(kFiles);
    const auto meta = folder_meta(kFiles, 16384, stream);
    auto layout = make_file_layout(meta);
    ASSERT_TRUE(layout.ok());
    FolderStore::Options o;
    o.selected = {false, false, true, false, false, false};  // sub/b.bin only
    o.parts_path = dir + "/top.mtparts";
    auto s = FolderStore::open(dir + "/top", *layout, 16384, o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_FALSE(exists(dir + "/top/a.txt"));
    EXPECT_FALSE(exists(dir + "/top/d"));
    // b.bin spans pieces 0 and 1: those are the wanted ones.
    EXPECT_EQ(wanted_pieces(*layout, o.selected, 16384, meta.length),
              (std::vector<bool>{true, true, false, false, false}));
    ASSERT_TRUE((*s)->write_piece(0, std::string_view(stream).substr(0, 16384)).ok());
    ASSERT_TRUE((*s)->write_piece(1, std::string_view(stream).substr(16384, 16384)).ok());
    EXPECT_FALSE(exists(dir + "/top/a.txt"));
    EXPECT_EQ(slurp(dir + "/top/sub/b.bin"), stream.substr(5000, 20000));
    // a.txt's bytes are kept (in the parts file) and read back from there.
    std::string back(32768, 'x');
    ASSERT_TRUE((*s)->read(0, back.size(), back.data()).ok());
    EXPECT_EQ(back, stream.substr(0, 32768));
    // Selecting a.txt creates it with what the parts file held.
    ASSERT_TRUE((*s)->select_file(0).ok());
    EXPECT_EQ(slurp(dir + "/top/a.txt"), stream.substr(0, 5000));
    EXPECT_TRUE((*s)->in_folder(0));
    // Reopened with a.txt and b.bin selected: both reused, nothing lost.
    s->reset();
    o.selected = {true, false, true, false, false, false};
    auto again = FolderStore::open(dir + "/top", *layout, 16384, o);
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE((*again)->read(0, back.size(), back.data()).ok());
    EXPECT_EQ(back, stream.substr(0, 32768));
}

TEST(FolderStore, LargeUnalignedSharesGoDirectAndReadBack) {
    // Files at odd offsets of the stream, pieces of 256 KiB: the aligned
    // middle of each file's share takes O_DIRECT through a bounce buffer,
    // the ragged ends the page cache; what is read back is the stream.
    const std::string dir = fresh_dir("direct");
    const std::vector<Spec> specs = {{{"a"}, 1001}, {{"b"}, 700000}, {{"c"}, 300007}, {{"d"}, 5}};
    const std::string stream = stream_for(specs);
    const auto meta = folder_meta(specs, 262144, stream);
    auto s = open_data(meta, dir + "/top", false);
    ASSERT_TRUE(s.ok()) << s.error().message;
    for (std::uint64_t off = 0, p = 0; off < stream.size(); off += 262144, ++p)
        ASSERT_TRUE((*s)->write_piece(static_cast<std::uint32_t>(p),
                                      std::string_view(stream).substr(off, 262144))
                        .ok());
    ASSERT_TRUE((*s)->sync().ok());
    EXPECT_EQ(slurp(dir + "/top/b"), stream.substr(1001, 700000));
    EXPECT_EQ(slurp(dir + "/top/c"), stream.substr(701001, 300007));
    auto bad = count_bad_pieces(**s, meta);
    ASSERT_TRUE(bad.ok());
    EXPECT_EQ(*bad, 0u);
}

TEST(FolderStore, ManyFilesWithFewDescriptors) {
    const std::string dir = fresh_dir("many");
    std::vector<Spec> specs;
    for (int i = 0; i < 300; ++i)
        specs.push_back({{"f" + std::to_string(i)}, static_cast<std::uint64_t>(1000 + i)});
    const std::string stream = stream_for(specs);
    const auto meta = folder_meta(specs, 32768, stream);
    auto layout = make_file_layout(meta);
    ASSERT_TRUE(layout.ok());
    FolderStore::Options o;
    o.max_open = 4;
    auto s = FolderStore::open(dir + "/top", *layout, 32768, o);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->write(0, stream).ok());
    ASSERT_TRUE((*s)->sync().ok());
    auto bad = count_bad_pieces(**s, meta);
    ASSERT_TRUE(bad.ok());
    EXPECT_EQ(*bad, 0u);
    EXPECT_EQ(slurp(dir + "/top/f299"), stream.substr(stream.size() - 1299));
}

TEST(SelectByGlobs, MatchesLikeGitignore) {
    common::Metainfo m;
    m.name = "top";
    m.piece_length = 16384;
    for (const char* p :
         {"a.iso", "docs/readme.txt", "docs/img/x.png", "src/docs/y.txt", "src/main.c", "z.txt"}) {
        common::MetainfoFile f;
        std::string s = p;
        for (std::size_t at = 0;;) {
            const auto slash = s.find('/', at);
            f.path.push_back(s.substr(at, slash == std::string::npos ? slash : slash - at));
            if (slash == std::string::npos) break;
            at = slash + 1;
        }
        f.length = 10;
        m.length += 10;
        m.files.push_back(f);
    }
    auto layout = make_file_layout(m);
    ASSERT_TRUE(layout.ok());
    using V = std::vector<bool>;
    EXPECT_EQ(select_by_globs(*layout, {"*.txt"}), (V{0, 1, 0, 1, 0, 1}));
    EXPECT_EQ(select_by_globs(*layout, {"docs"}), (V{0, 1, 1, 1, 0, 0}));   // any depth
    EXPECT_EQ(select_by_globs(*layout, {"/docs"}), (V{0, 1, 1, 0, 0, 0}));  // from the top
    EXPECT_EQ(select_by_globs(*layout, {"docs/*.txt"}), (V{0, 1, 0, 0, 0, 0}));
    EXPECT_EQ(select_by_globs(*layout, {"src/*"}), (V{0, 0, 0, 1, 1, 0}));
    EXPECT_EQ(select_by_globs(*layout, {"*.iso", "main.c"}), (V{1, 0, 0, 0, 1, 0}));
    EXPECT_EQ(select_by_globs(*layout, {"z.txt/"}), (V{0, 0, 0, 0, 0, 0}));  // folders only
    EXPECT_EQ(select_by_globs(*layout, {"nothing"}), (V{0, 0, 0, 0, 0, 0}));
}

TEST(PiecePickerWanted, PicksOnlyWantedPiecesAndCompletesOnThem) {
    PiecePicker p(4, 16384, 4 * 16384, PickerConfig{0, 2, 1});
    p.set_wanted({false, true, false, true});
    EXPECT_EQ(p.needed_count(), 2u);
    EXPECT_EQ(p.wanted_bytes(), 2u * 16384);
    p.peer_has_all(7);
    EXPECT_TRUE(p.is_interesting(7));
    std::set<PieceIndex> picked;
    for (const Block& b : p.pick(7, 100))
        picked.insert(b.piece);
    EXPECT_EQ(picked, (std::set<PieceIndex>{1, 3}));
    p.piece_verified(1);
    p.piece_verified(3);
    EXPECT_TRUE(p.complete_wanted());
    EXPECT_FALSE(p.complete());
    EXPECT_FALSE(p.is_interesting(7));
    // A peer with only unwanted pieces is not interesting.
    PiecePicker q(4, 16384, 4 * 16384);
    q.set_wanted({true, false, false, false});
    q.peer_has(9, 2);
    EXPECT_FALSE(q.is_interesting(9));
    q.set_wanted({true, false, true, false});  // selected later: now it is
    EXPECT_TRUE(q.is_interesting(9));
}

}  // namespace
}  // namespace mt::client
