#include "client/engine/partial.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/sha1.h"

namespace mt::client {
namespace {

std::string fresh_dir(const char* tag) {
    std::string d = ::testing::TempDir() + "mt_partial_" + tag + "_" + std::to_string(::getpid());
    const std::string cmd = "rm -rf '" + d + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(::mkdir(d.c_str(), 0755), 0);
    return d;
}

void put(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
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

void add_hashes(common::Metainfo& m, const std::string& stream) {
    for (std::uint64_t off = 0; off < m.length; off += m.piece_length) {
        const auto d = common::Sha1::digest(std::string_view(stream).substr(off, m.piece_length));
        m.pieces.append(reinterpret_cast<const char*>(d.data()), d.size());
    }
}

common::Metainfo file_meta(const std::string& data) {
    common::Metainfo m;
    m.name = "movie.bin";
    m.piece_length = 16384;
    m.length = data.size();
    add_hashes(m, data);
    return m;
}

// "top/a.txt" (3 bytes) and "top/sub/b.txt" (5 bytes).
common::Metainfo folder_meta() {
    common::Metainfo m;
    m.name = "top";
    m.piece_length = 16384;
    common::MetainfoFile a, b;
    a.path = {"a.txt"};
    a.length = 3;
    b.path = {"sub", "b.txt"};
    b.length = 5;
    m.files = {a, b};
    m.length = 8;
    add_hashes(m, "aaabbbbb");
    return m;
}

TEST(ExamineExisting, NothingTheTorrentsDataOrSomethingElse) {
    const std::string d = fresh_dir("examine");
    const std::string data(40000, 'x');
    const auto meta = file_meta(data);
    auto e = examine_existing(meta, d + "/movie.bin");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->kind, ExistingData::Kind::none);

    put(d + "/movie.bin", data);
    e = examine_existing(meta, d + "/movie.bin");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->kind, ExistingData::Kind::complete);

    put(d + "/precious.txt", "precious");  // another size
    e = examine_existing(meta, d + "/precious.txt");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->kind, ExistingData::Kind::other);
    EXPECT_NE(e->why.find("8 bytes"), std::string::npos) << e->why;

    std::string changed = data;
    changed[20000] = 'y';  // the same size, one piece differs
    put(d + "/changed.bin", changed);
    e = examine_existing(meta, d + "/changed.bin");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->kind, ExistingData::Kind::other);
    EXPECT_NE(e->why.find("1 of 3 pieces"), std::string::npos) << e->why;

    // A link to the right data is still not ours to adopt; a folder is not a file.
    ASSERT_EQ(::symlink((d + "/movie.bin").c_str(), (d + "/link.bin").c_str()), 0);
    EXPECT_EQ(examine_existing(meta, d + "/link.bin")->kind, ExistingData::Kind::other);
    EXPECT_EQ(examine_existing(meta, d)->kind, ExistingData::Kind::other);
}

TEST(ExamineExisting, AFolderMustHoldEveryFile) {
    const std::string d = fresh_dir("examine_folder");
    const auto meta = folder_meta();
    ASSERT_EQ(::mkdir((d + "/top").c_str(), 0755), 0);
    put(d + "/top/a.txt", "aaa");
    EXPECT_EQ(examine_existing(meta, d + "/top")->kind, ExistingData::Kind::other);
    ASSERT_EQ(::mkdir((d + "/top/sub").c_str(), 0755), 0);
    put(d + "/top/sub/b.txt", "bbbbb");
    EXPECT_EQ(examine_existing(meta, d + "/top")->kind, ExistingData::Kind::complete);
}

TEST(FinishPartial, RenamesButNeverReplaces) {
    const std::string d = fresh_dir("finish");
    put(d + "/f.part", "data");
    ASSERT_TRUE(finish_partial(d + "/f").ok());
    EXPECT_EQ(slurp(d + "/f"), "data");
    EXPECT_FALSE(exists(d + "/f.part"));
    EXPECT_TRUE(finish_partial(d + "/f").ok()) << "done already: nothing to do";

    put(d + "/g", "someone's");
    put(d + "/g.part", "data");
    auto s = finish_partial(d + "/g");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("g.part"), std::string::npos) << s.error().message;
    EXPECT_EQ(slurp(d + "/g"), "someone's");
    EXPECT_EQ(slurp(d + "/g.part"), "data");
}

TEST(DiscardPartial, DeletesTheLayoutsFilesOnly) {
    const std::string d = fresh_dir("discard");
    const auto meta = folder_meta();
    auto layout = make_file_layout(meta);
    ASSERT_TRUE(layout.ok());
    const std::string part = d + "/top.part";
    ASSERT_EQ(::mkdir(part.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((part + "/sub").c_str(), 0755), 0);
    put(part + "/a.txt", "aaa");
    put(part + "/sub/b.txt", "bb");
    ASSERT_TRUE(discard_partial(d + "/top", *layout).ok());
    EXPECT_FALSE(exists(part));

    // Something that is not the torrent's stays, and so does its folder; a
    // link planted where a folder was is never followed.
    ASSERT_EQ(::mkdir(part.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((d + "/elsewhere").c_str(), 0755), 0);
    put(d + "/elsewhere/b.txt", "keep me");
    ASSERT_EQ(::symlink((d + "/elsewhere").c_str(), (part + "/sub").c_str()), 0);
    put(part + "/mine.txt", "a person's");
    EXPECT_FALSE(discard_partial(d + "/top", *layout).ok());
    EXPECT_EQ(slurp(d + "/elsewhere/b.txt"), "keep me");
    EXPECT_EQ(slurp(part + "/mine.txt"), "a person's");

    // A single file's partial data.
    put(d + "/one.bin.part", "x");
    auto one = make_file_layout(file_meta("x"));
    ASSERT_TRUE(one.ok());
    ASSERT_TRUE(discard_partial(d + "/one.bin", *one).ok());
    EXPECT_FALSE(exists(d + "/one.bin.part"));
    EXPECT_TRUE(discard_partial(d + "/one.bin", *one).ok()) << "nothing there: nothing to do";
}

TEST(DeleteTorrentData, AFinishedFoldersListedFilesAndTheirEmptyFolders) {
    const std::string d = fresh_dir("delete");
    const auto meta = folder_meta();
    auto layout = make_file_layout(meta);
    ASSERT_TRUE(layout.ok());
    const std::string top = d + "/top";
    ASSERT_EQ(::mkdir(top.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((top + "/sub").c_str(), 0755), 0);
    put(top + "/a.txt", "aaa");
    put(top + "/sub/b.txt", "bbbbb");
    auto r = delete_torrent_data(top, *layout);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->files, 2u);
    EXPECT_FALSE(r->folder_kept);
    EXPECT_FALSE(exists(top)) << "the folders left empty go too";
    r = delete_torrent_data(top, *layout);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->files, 0u) << "nothing there: nothing to do";

    // A person's file in the folder stays, with the folder; a link where a
    // listed file is, or where a listed folder is, is never followed (its
    // target outside stays) and never deleted.
    ASSERT_EQ(::mkdir(top.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((d + "/elsewhere").c_str(), 0755), 0);
    put(d + "/elsewhere/b.txt", "keep me");
    put(d + "/precious", "precious");
    ASSERT_EQ(::symlink((d + "/precious").c_str(), (top + "/a.txt").c_str()), 0);
    ASSERT_EQ(::symlink((d + "/elsewhere").c_str(), (top + "/sub").c_str()), 0);
    put(top + "/mine.txt", "a person's");
    r = delete_torrent_data(top, *layout);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->files, 0u);
    EXPECT_EQ(r->left, 1u);  // the link at a.txt
    EXPECT_TRUE(r->folder_kept);
    EXPECT_EQ(slurp(d + "/precious"), "precious");
    EXPECT_EQ(slurp(d + "/elsewhere/b.txt"), "keep me");
    EXPECT_EQ(slurp(top + "/mine.txt"), "a person's");
    EXPECT_TRUE(exists(top + "/a.txt")) << "the link itself stays";
}

TEST(DeleteTorrentData, ASingleFileOnlyIfItIsARegularFile) {
    const std::string d = fresh_dir("delete_one");
    auto one = make_file_layout(file_meta("x"));
    ASSERT_TRUE(one.ok());
    put(d + "/movie.bin", "x");
    auto r = delete_torrent_data(d + "/movie.bin", *one);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->files, 1u);
    EXPECT_FALSE(exists(d + "/movie.bin"));
    // A link (to a person's file) or a folder where the file was: left.
    put(d + "/precious", "precious");
    ASSERT_EQ(::symlink((d + "/precious").c_str(), (d + "/movie.bin").c_str()), 0);
    r = delete_torrent_data(d + "/movie.bin", *one);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->files, 0u);
    EXPECT_EQ(r->left, 1u);
    EXPECT_TRUE(exists(d + "/movie.bin"));
    EXPECT_EQ(slurp(d + "/precious"), "precious");
    ASSERT_EQ(::mkdir((d + "/dir.bin").c_str(), 0755), 0);
    r = delete_torrent_data(d + "/dir.bin", *one);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->left, 1u);
    EXPECT_TRUE(exists(d + "/dir.bin"));
}

}  // namespace
}  // namespace mt::client
