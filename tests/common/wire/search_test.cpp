#include "common/wire/search.h"

#include <gtest/gtest.h>

namespace mt::common::wire {
namespace {

TEST(SearchReply, RoundTrip) {
    SearchHit h;
    h.name = "a.bin";
    h.size = 42;
    h.info_hash = InfoHash::from_bytes(std::string(20, 'x'));
    h.seeders = 2;
    h.leechers = 1;
    auto r = decode_search_reply(encode_search_reply({h, h}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].name, "a.bin");
    EXPECT_EQ((*r)[0].size, 42u);
    EXPECT_EQ((*r)[0].info_hash, h.info_hash);
    EXPECT_EQ((*r)[0].seeders, 2u);
    EXPECT_EQ((*r)[1].leechers, 1u);
    EXPECT_EQ(decode_search_reply("d5:filesle").error().code, Errc::parse_error);
    EXPECT_EQ(decode_search_reply("d5:files1:xe").error().code, Errc::parse_error);
    EXPECT_TRUE(decode_search_reply("d5:fileslee").ok());
    auto refused = decode_search_reply("d14:failure reason4:nopee");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::refused);
    EXPECT_EQ(refused.error().message, "nope");
    EXPECT_FALSE(decode_search_reply("d5:filesld4:name1:aeee").ok());  // fields missing
    EXPECT_FALSE(decode_search_reply("le").ok());
}

TEST(SearchReply, EmptyAndGolden) {
    EXPECT_EQ(encode_search_reply({}), "d5:fileslee");
    SearchHit h;
    h.name = "a";
    h.size = 1;
    h.info_hash = InfoHash::from_bytes(std::string(20, 'i'));
    EXPECT_EQ(encode_search_reply({h}),
              "d5:filesld9:info_hash20:iiiiiiiiiiiiiiiiiiii8:leechersi0e4:name1:a7:seedersi0e4:"
              "sizei1eeee");
}

}  // namespace
}  // namespace mt::common::wire
