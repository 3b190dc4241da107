#include "client/session/transfer_detail.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

// "top/a" 10 bytes, a pad of 6, "top/d/b" 20 bytes, "top/c" 0 bytes, in
// 8-byte pieces: a is in pieces 0-1, b in 2-4.
FileLayout layout() {
    FileLayout l;
    l.top = "top";
    l.files = {{"top/a", 0, 10, false},
               {"", 10, 6, true},
               {"top/d/b", 16, 20, false},
               {"top/c", 36, 0, false}};
    return l;
}

TEST(FileProgress, EachFilesShareOfThePiecesWeHave) {
    common::Bitfield have(5);
    have.set(1);  // bytes 8..15: 2 of a's
    have.set(2);  // bytes 16..23: 8 of b's
    auto files = file_progress(layout(), have, 8, {true, false, false, true}, 100);
    ASSERT_EQ(files.size(), 3u) << "pad files are never listed";
    EXPECT_EQ(files[0].index, 0u);
    EXPECT_EQ(files[0].path, "a");
    EXPECT_EQ(files[0].size, 10u);
    EXPECT_EQ(files[0].done, 2u);
    EXPECT_TRUE(files[0].selected);
    EXPECT_EQ(files[1].index, 2u) << "the metainfo's index, for select";
    EXPECT_EQ(files[1].path, "d/b");
    EXPECT_EQ(files[1].done, 8u);
    EXPECT_FALSE(files[1].selected);
    EXPECT_EQ(files[2].path, "c");
    EXPECT_EQ(files[2].done, 0u);
    // Nothing known: nothing done; an empty selection selects all.
    for (const auto& f : file_progress(layout(), common::Bitfield(), 8, {}, 100)) {
        EXPECT_EQ(f.done, 0u);
        EXPECT_TRUE(f.selected);
    }
}

TEST(FileProgress, BoundedWithTheRestCounted) {
    std::size_t omitted = 99;
    auto files = file_progress(layout(), common::Bitfield(5), 8, {}, 2, &omitted);
    EXPECT_EQ(files.size(), 2u);
    EXPECT_EQ(omitted, 1u);
    // A single file: listed by its name.
    FileLayout one;
    one.top = "movie.bin";
    one.files = {{"movie.bin", 0, 20, false}};
    common::Bitfield all(3);
    all.fill(true);
    files = file_progress(one, all, 8, {}, 10, &omitted);
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0].path, "movie.bin");
    EXPECT_EQ(files[0].done, 20u);
    EXPECT_EQ(omitted, 0u);
}

TEST(PeerFlags, LettersInOrderOnlyWhenTheyHold) {
    PeerView p;
    EXPECT_EQ(peer_flags(p), "c");  // choked by default, nothing else
    p.down_rate = 1;
    p.up_rate = 2;
    p.interested = true;
    p.incoming = true;
    p.progress = 1.0;
    EXPECT_EQ(peer_flags(p), "DUicIS");
    p.choked = false;
    p.progress = 0.99;
    EXPECT_EQ(peer_flags(p), "DUiI");
}

TEST(StatsOfPieces, CountsThePiecesItHas) {
    const auto meta =
        common::make_single_file_metainfo("f", 20, 8, std::string(60, 'h'), {}, 0, "t");
    common::Bitfield have(3);
    have.set(2);  // the last piece: 4 bytes
    const TorrentStats s = stats_of_pieces(meta, have, false);
    EXPECT_EQ(s.total, 20u);
    EXPECT_EQ(s.pieces, 3u);
    EXPECT_EQ(s.have, 1u);
    EXPECT_EQ(s.verified_bytes, 4u);
    EXPECT_FALSE(s.complete);
    EXPECT_EQ(stats_of_pieces(meta, common::Bitfield(), true).have, 0u);
}

}  // namespace
}  // namespace mt::client
