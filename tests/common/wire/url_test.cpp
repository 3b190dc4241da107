#include "common/wire/url.h"

#include <gtest/gtest.h>

#include <string>

namespace mt::common::wire {
namespace {

TEST(Url, EncodeEscapesAllButUnreserved) {
    EXPECT_EQ(url_encode("aZ09-._~"), "aZ09-._~");
    EXPECT_EQ(url_encode(std::string("\x00\xff /+%", 6)), "%00%FF%20%2F%2B%25");
    std::string all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    auto back = url_decode(url_encode(all));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, all);
}

TEST(Url, DecodeIsStrict) {
    EXPECT_EQ(*url_decode("a%20b%2fc"), "a b/c");
    EXPECT_EQ(*url_decode("a+b"), "a+b");
    EXPECT_EQ(*url_decode("a+b", PlusMode::space), "a b");
    for (const char* bad : {"%G1", "%", "ab%", "ab%1", "%1G"}) {
        auto r = url_decode(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, Errc::parse_error);
        EXPECT_NE(r.error().message.find("at offset"), std::string::npos);
    }
    EXPECT_EQ(url_decode("ab%1").error().offset, 2u);
}

TEST(Url, ParseQueryKeepsRepeatsInOrder) {
    auto q = parse_query("info_hash=%01%02&info_hash=ab&&x&y=a+b%21&=v");
    ASSERT_TRUE(q.ok()) << q.error().message;
    const QueryParams want = {{"info_hash", std::string("\x01\x02")},
                              {"info_hash", "ab"},
                              {"x", ""},
                              {"y", "a b!"},
                              {"", "v"}};
    EXPECT_EQ(*q, want);
    EXPECT_TRUE(parse_query("")->empty());
}

TEST(Url, ParseQueryErrors) {
    auto r = parse_query("a=1&peer_id=%G1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().offset, 12u);
    EXPECT_NE(r.error().message.find("peer_id"), std::string::npos) << r.error().message;
    EXPECT_FALSE(parse_query("a%=1").ok());
    EXPECT_EQ(parse_query("a&b&c", 2).error().code, Errc::limit_exceeded);
}

}  // namespace
}  // namespace mt::common::wire
