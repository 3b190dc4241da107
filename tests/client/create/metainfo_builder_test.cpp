#include "client/create/metainfo_builder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/file_util.h"
#include "common/sha1.h"

namespace mt::client {
namespace {

using common::kPieceLength;

class MetainfoBuilder : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = ::testing::TempDir() + "mt_mb_" + std::to_string(::getpid()) + "_";
    }
    std::string write(const std::string& name, const std::string& data) {
        const std::string path = dir_ + name;
        EXPECT_TRUE(common::write_file_atomic(path, data).ok());
        paths_.push_back(path);
        return path;
    }
    void TearDown() override {
        for (const auto& p : paths_)
            ::unlink(p.c_str());
    }
    CreateOptions options() {
        CreateOptions o;
        o.trackers = {"http://127.0.0.1:7001/announce", "udp://127.0.0.1:7002"};
        o.creation_date = 1700000000;
        return o;
    }
    std::string dir_;
    std::vector<std::string> paths_;
};

TEST_F(MetainfoBuilder, CreatesAParsableMtorrent) {
    std::string data(2 * kPieceLength + 10, 'z');
    const auto path = write("movie.bin", data);
    auto m = create_metainfo(path, options());
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->name, "mt_mb_" + std::to_string(::getpid()) + "_movie.bin");
    EXPECT_EQ(m->length, data.size());
    EXPECT_EQ(m->piece_count(), 3u);
    EXPECT_EQ(
        m->piece_hash(2),
        std::string_view(
            reinterpret_cast<const char*>(common::Sha1::digest(std::string(10, 'z')).data()), 20));
    auto parsed = common::parse_metainfo(common::encode_metainfo(*m));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->info_hash, m->info_hash);
    EXPECT_EQ(parsed->announce, "http://127.0.0.1:7001/announce");
    EXPECT_EQ(parsed->announce_list.size(), 1u);
    EXPECT_EQ(parsed->announce_list[0].size(), 2u);
    EXPECT_EQ(parsed->creation_date, 1700000000);
    EXPECT_NE(parsed->created_by.find("mtorrent"), std::string::npos);
}

TEST_F(MetainfoBuilder, EmptyFileIsRefused) {
    const auto path = write("empty.bin", "");
    auto m = create_metainfo(path, options());
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("is empty"), std::string::npos);
}

TEST_F(MetainfoBuilder, BadInputs) {
    const auto path = write("f.bin", "data");
    CreateOptions none = options();
    none.trackers.clear();
    EXPECT_NE(create_metainfo(path, none).error().message.find("no tracker"), std::string::npos);
    CreateOptions bad = options();
    bad.trackers.push_back("ftp://x/announce");
    EXPECT_NE(create_metainfo(path, bad).error().message.find("ftp://x/announce"),
              std::string::npos);
    EXPECT_EQ(create_metainfo(dir_ + "missing", options()).error().code, common::Errc::not_found);
    EXPECT_NE(create_metainfo("/dev/null", options())
                  .error()
                  .message.find("neither a regular file nor a folder"),
              std::string::npos);
}

// A folder below the test's temporary directory, removed afterwards.
class FolderBuilder : public MetainfoBuilder {
  protected:
    void SetUp() override {
        MetainfoBuilder::SetUp();
        root_ = dir_ + "folder";
        ASSERT_EQ(::mkdir(root_.c_str(), 0700), 0);
    }
    void TearDown() override { std::system(("rm -rf '" + root_ + "'").c_str()); }
    void put(const std::string& rel, const std::string& data) {
        std::string::size_type from = 0;
        for (auto slash = rel.find('/'); slash != std::string::npos;
             from = slash + 1, slash = rel.find('/', from))
            ::mkdir((root_ + "/" + rel.substr(0, slash)).c_str(), 0700);
        ASSERT_TRUE(common::write_file_atomic(root_ + "/" + rel, data).ok());
    }
    std::string root_;
};

TEST_F(FolderBuilder, ListsFilesAsMktorrentOrdersThem) {
    put("a/x", "1");
    put("a.txt", "22");
    put("B", "333");
    put(".hidden", "4");
    put("empty", "");
    put("b/c/deep", "55555");
    ASSERT_EQ(::symlink("a.txt", (root_ + "/link").c_str()), 0);
    auto l = list_folder(root_);
    ASSERT_TRUE(l.ok()) << l.error().message;
    std::vector<std::string> got;
    for (const auto& f : l->files) {
        std::string p;
        for (const auto& seg : f.path)
            p += (p.empty() ? "" : "/") + seg;
        got.push_back(p + ":" + std::to_string(f.length));
    }
    // By the whole path, byte by byte: '.' (0x2e) sorts before '/' (0x2f).
    EXPECT_EQ(got, (std::vector<std::string>{".hidden:1", "B:3", "a.txt:2", "a/x:1", "b/c/deep:5",
                                             "empty:0"}));
    EXPECT_EQ(l->total, 12u);
    EXPECT_EQ(l->skipped, std::vector<std::string>{"link"});  // not followed
}

TEST_F(FolderBuilder, CreatesAMultiFileTorrentWhosePiecesSpanFiles) {
    const std::string one(kPieceLength - 7, 'a');
    const std::string two(20, 'b');
    const std::string three(kPieceLength + 3, 'c');
    put("one", one);
    put("sub/two", two);
    put("three", three);
    put("zero", "");
    std::vector<std::string> skipped;
    auto m = create_metainfo(root_, options(), &skipped);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_TRUE(skipped.empty());
    EXPECT_EQ(m->name, "mt_mb_" + std::to_string(::getpid()) + "_folder");
    ASSERT_EQ(m->files.size(), 4u);
    EXPECT_EQ(m->length, one.size() + two.size() + three.size());
    // The stream is one, sub/two, three, zero (sorted by path).
    const std::string stream = one + two + three;
    ASSERT_EQ(m->piece_count(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        const auto d =
            common::Sha1::digest(std::string_view(stream).substr(i * kPieceLength, kPieceLength));
        EXPECT_EQ(m->piece_hash(i), std::string_view(reinterpret_cast<const char*>(d.data()), 20))
            << "piece " << i;
    }
    auto parsed = common::parse_metainfo(common::encode_metainfo(*m));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_TRUE(parsed->canonical);
    EXPECT_EQ(parsed->info_hash, m->info_hash);
    EXPECT_EQ(parsed->files[1].path, (std::vector<std::string>{"sub", "two"}));
    EXPECT_EQ(parsed->files[3].length, 0u);
}

TEST_F(FolderBuilder, RefusesAFolderWithNothingToShare) {
    auto empty = create_metainfo(root_, options());
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message.find("holds no file to share"), std::string::npos);
    put("a/empty", "");
    ASSERT_EQ(::symlink("/etc/passwd", (root_ + "/link").c_str()), 0);
    auto only_empty = create_metainfo(root_, options());
    ASSERT_FALSE(only_empty.ok());
    EXPECT_NE(only_empty.error().message.find("holds only empty files"), std::string::npos);
}

}  // namespace
}  // namespace mt::client
