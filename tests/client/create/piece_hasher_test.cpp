#include "client/create/piece_hasher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>

#include "common/file_util.h"
#include "common/metainfo.h"
#include "common/sha1.h"

namespace mt::client {
namespace {

using common::kPieceLength;

std::string pattern(std::uint64_t n) {
    std::string s(n, '\0');
    std::uint32_t x = 12345;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

std::string reference_pieces(const std::string& data, std::uint64_t pl) {
    std::string out;
    for (std::uint64_t off = 0; off < data.size(); off += pl) {
        const auto d = common::Sha1::digest(std::string_view(data).substr(off, pl));
        out.append(reinterpret_cast<const char*>(d.data()), d.size());
    }
    return out;
}

class PieceHasherSizes : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(PieceHasherSizes, MatchesASerialReference) {
    const std::uint64_t size = GetParam();
    const std::string path =
        ::testing::TempDir() + "mt_ph_" + std::to_string(::getpid()) + "_" + std::to_string(size);
    const std::string data = pattern(size);
    ASSERT_TRUE(common::write_file_atomic(path, data).ok());
    for (unsigned threads : {1u, 2u, 3u}) {
        for (std::uint64_t chunk : {kPieceLength, 3 * kPieceLength, std::uint64_t{4} << 20}) {
            HashOptions o;
            o.threads = threads;
            o.chunk_bytes = chunk;
            auto r = hash_file_pieces(path, size, kPieceLength, o);
            ASSERT_TRUE(r.ok()) << r.error().message;
            EXPECT_EQ(*r, reference_pieces(data, kPieceLength))
                << "threads " << threads << " chunk " << chunk;
        }
    }
    ::unlink(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(AroundPieceBoundaries, PieceHasherSizes,
                         ::testing::Values(1, kPieceLength - 1, kPieceLength, kPieceLength + 1,
                                           9 * kPieceLength + 777, 20 * kPieceLength));

TEST(PieceHasher, FilesAreOneStream) {
    // Sizes around the piece and chunk boundaries, empty files among them.
    const std::vector<std::uint64_t> sizes = {
        0, 1, kPieceLength - 1, 0, kPieceLength + 1, 3 * kPieceLength, 17, 0};
    std::vector<HashSource> files;
    std::string all;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const std::string path = ::testing::TempDir() + "mt_ph_stream_" +
                                 std::to_string(::getpid()) + "_" + std::to_string(i);
        const std::string data = pattern(sizes[i] + i).substr(i);
        ASSERT_TRUE(common::write_file_atomic(path, data).ok());
        files.push_back({path, sizes[i]});
        all += data;
    }
    for (unsigned threads : {1u, 3u}) {
        for (std::uint64_t chunk : {kPieceLength, 2 * kPieceLength}) {
            HashOptions o;
            o.threads = threads;
            o.chunk_bytes = chunk;
            auto r = hash_pieces(files, kPieceLength, o);
            ASSERT_TRUE(r.ok()) << r.error().message;
            EXPECT_EQ(*r, reference_pieces(all, kPieceLength))
                << "threads " << threads << " chunk " << chunk;
        }
    }
    // A file that shrank is named in the error.
    ASSERT_TRUE(common::write_file_atomic(files[4].path, "short").ok());
    auto r = hash_pieces(files, kPieceLength);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(files[4].path + " changed while hashing"), std::string::npos)
        << r.error().message;
    for (const auto& f : files)
        ::unlink(f.path.c_str());
}

TEST(PieceHasher, ReportsProgressToTheEnd) {
    const std::string path = ::testing::TempDir() + "mt_ph_progress_" + std::to_string(::getpid());
    const std::uint64_t size = 10 * kPieceLength + 3;
    ASSERT_TRUE(common::write_file_atomic(path, pattern(size)).ok());
    std::atomic<std::uint64_t> max_seen{0};
    HashOptions o;
    o.chunk_bytes = kPieceLength;
    o.progress = [&](std::uint64_t done) {
        std::uint64_t prev = max_seen.load();
        while (done > prev && !max_seen.compare_exchange_weak(prev, done)) {
        }
    };
    ASSERT_TRUE(hash_file_pieces(path, size, kPieceLength, o).ok());
    EXPECT_EQ(max_seen.load(), size);
    ::unlink(path.c_str());
}

TEST(PieceHasher, FileShorterThanExpected) {
    const std::string path = ::testing::TempDir() + "mt_ph_short_" + std::to_string(::getpid());
    ASSERT_TRUE(common::write_file_atomic(path, pattern(1000)).ok());
    auto r = hash_file_pieces(path, 2000, kPieceLength);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("changed while hashing"), std::string::npos);
    ::unlink(path.c_str());
}

TEST(PieceHasher, MissingFile) {
    auto r = hash_file_pieces("/nonexistent/file", 10, kPieceLength);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, common::Errc::not_found);
}

TEST(PieceHasher, Cancel) {
    const std::string path = ::testing::TempDir() + "mt_ph_cancel_" + std::to_string(::getpid());
    ASSERT_TRUE(common::write_file_atomic(path, pattern(4 * kPieceLength)).ok());
    std::atomic<bool> cancel{true};
    HashOptions o;
    o.cancel = &cancel;
    EXPECT_FALSE(hash_file_pieces(path, 4 * kPieceLength, kPieceLength, o).ok());
    ::unlink(path.c_str());
}

}  // namespace
}  // namespace mt::client
