#include "common/json_value.h"

#include <gtest/gtest.h>

namespace mt::common {
namespace {

using Type = JsonValue::Type;

TEST(JsonValue, ParsesTheTransmissionRequestShape) {
    auto v = parse_json(
        R"({"arguments":{"fields":["id","name"],"ids":[1,"ab"]},"method":"torrent-get","tag":4})");
    ASSERT_TRUE(v) << v.error().message;
    ASSERT_TRUE(v->is(Type::object));
    ASSERT_NE(v->find("method"), nullptr);
    EXPECT_EQ(v->find("method")->string, "torrent-get");
    EXPECT_TRUE(v->find("tag")->integral);
    EXPECT_EQ(v->find("tag")->integer, 4);
    const JsonValue* args = v->find("arguments");
    ASSERT_NE(args, nullptr);
    ASSERT_EQ(args->find("fields")->items.size(), 2u);
    EXPECT_EQ(args->find("fields")->items[1].string, "name");
    EXPECT_EQ(args->find("ids")->items[0].integer, 1);
    EXPECT_EQ(args->find("ids")->items[1].string, "ab");
    EXPECT_EQ(v->find("nothing"), nullptr);
    EXPECT_EQ(args->find("ids")->find("x"), nullptr);  // not an object
}

TEST(JsonValue, Scalars) {
    EXPECT_TRUE(parse_json(" null ")->is(Type::null));
    EXPECT_TRUE(parse_json("true")->boolean);
    EXPECT_FALSE(parse_json("false")->boolean);
    auto n = parse_json("-12.5e1");
    ASSERT_TRUE(n);
    EXPECT_DOUBLE_EQ(n->number, -125.0);
    EXPECT_FALSE(n->integral);
    auto big = parse_json("123456789012345678901234");  // beyond int64: a double only
    ASSERT_TRUE(big);
    EXPECT_FALSE(big->integral);
    EXPECT_EQ(parse_json("-9223372036854775808")->integer, INT64_MIN);
    EXPECT_EQ(parse_json("0")->integer, 0);
}

TEST(JsonValue, StringEscapes) {
    auto s = parse_json(R"("a\"b\\c\/d\n\t\u00e9\ud83d\ude00")");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->string, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(JsonValue, RefusesBadSyntax) {
    for (const char* bad : {"",
                            "{",
                            "[1,]",
                            "{\"a\":1,}",
                            "{'a':1}",
                            "01",
                            "1.",
                            "1e",
                            "-",
                            "+1",
                            "NaN",
                            "Infinity",
                            "[1] x",
                            "\"abc",
                            "\"\\x\"",
                            "\"\\ud800\"",
                            "\"\\udc00\"",
                            "\"\\ud800\\u0041\"",
                            "\"\\u12g4\"",
                            "\"a\nb\"",
                            "{\"a\" 1}",
                            "{1:2}",
                            "nul",
                            "tru",
                            "1e400",
                            "// c\n1",
                            "[1 2]"}) {
        auto v = parse_json(bad);
        EXPECT_FALSE(v) << "accepted: " << bad;
        if (!v) {
            EXPECT_EQ(v.error().code, Errc::parse_error);
            EXPECT_NE(v.error().message.find("JSON"), std::string::npos) << v.error().message;
        }
    }
}

TEST(JsonValue, Limits) {
    JsonLimits lim;
    lim.max_depth = 3;
    EXPECT_TRUE(parse_json("[[[1]]]", lim));
    EXPECT_FALSE(parse_json("[[[[1]]]]", lim));
    // Deep nesting far past the default limit is refused, not a stack overflow.
    EXPECT_FALSE(parse_json(std::string(100000, '[')));
    lim = {};
    lim.max_values = 4;
    EXPECT_TRUE(parse_json("[1,2,3]", lim));
    EXPECT_FALSE(parse_json("[1,2,3,4]", lim));
    lim = {};
    lim.max_bytes = 5;
    EXPECT_TRUE(parse_json("[1,2]", lim));
    EXPECT_FALSE(parse_json("[1, 2]", lim));
}

TEST(JsonValue, DuplicateKeysKeepTheFirstForFind) {
    auto v = parse_json(R"({"a":1,"a":2})");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->members.size(), 2u);
    EXPECT_EQ(v->find("a")->integer, 1);
}

TEST(JsonValue, RoundTrips) {
    for (const char* text :
         {"null", "[true,false]", "{\"k\":[1,-2.5,1.0,1e+300,\"\\u0001\\\"x\"],\"e\":{}}", "[]",
          "\"\xff\xfe raw bytes\"", "12345678901234567890123", "-0.0"}) {
        auto v = parse_json(text);
        ASSERT_TRUE(v) << text;
        auto again = parse_json(to_json(*v));
        ASSERT_TRUE(again) << to_json(*v);
        EXPECT_EQ(*again, *v) << text << " -> " << to_json(*v);
    }
    EXPECT_EQ(to_json(*parse_json(" { \"a\" : [ 1 , 2.5 ] } ")), "{\"a\":[1,2.5]}");
}

}  // namespace
}  // namespace mt::common
