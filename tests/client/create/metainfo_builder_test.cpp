#include "client/create/metainfo_builder.h"

#include <gtest/gtest.h>
#include <unistd.h>

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
    EXPECT_NE(create_metainfo("/tmp", options()).error().message.find("not a regular file"),
              std::string::npos);
}

}  // namespace
}  // namespace mt::client
