#include "common/bencode.h"

#include <gtest/gtest.h>

#include <string>

namespace mt::common::bencode {
namespace {

TEST(Bencode, DecodesEveryType) {
    auto v = decode("d4:listli1ei-2e0:e3:numi42e3:str5:helloe");
    ASSERT_TRUE(v.ok()) << v.error().message;
    ASSERT_TRUE(v->is_dict());
    ASSERT_EQ(v->keys().size(), 3u);
    const Value* list = v->find("list");
    ASSERT_NE(list, nullptr);
    ASSERT_TRUE(list->is_list());
    ASSERT_EQ(list->items().size(), 3u);
    EXPECT_EQ(list->items()[0].as_int(), 1);
    EXPECT_EQ(list->items()[1].as_int(), -2);
    EXPECT_EQ(list->items()[2].as_string(), "");
    EXPECT_EQ(v->find("num")->as_int(), 42);
    EXPECT_EQ(v->find("str")->as_string(), "hello");
    EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(Bencode, RawSpanIsTheExactInputBytes) {
    const std::string in = "d1:ad1:bi7ee1:cl1:xee";
    auto v = decode(in);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->raw(), in);
    EXPECT_EQ(v->find("a")->raw(), "d1:bi7ee");
    EXPECT_EQ(v->find("a")->offset(), 4u);
    EXPECT_EQ(v->find("c")->raw(), "l1:xe");
}

TEST(Bencode, IntegerExtremes) {
    EXPECT_EQ(decode("i9223372036854775807e")->as_int(), INT64_MAX);
    EXPECT_EQ(decode("i-9223372036854775808e")->as_int(), INT64_MIN);
    EXPECT_EQ(decode("i0e")->as_int(), 0);
    EXPECT_FALSE(decode("i9223372036854775808e").ok());
}

TEST(Bencode, BinaryStrings) {
    const std::string in("3:\0\xff\n", 5);
    auto v = decode(in);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->as_string(), std::string("\0\xff\n", 3));
}

struct BadCase {
    const char* input;
    std::size_t offset;
    const char* message;
};

class BencodeRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(BencodeRejects, WithOffsetAndReason) {
    const BadCase& c = GetParam();
    auto v = decode(c.input);
    ASSERT_FALSE(v.ok()) << "accepted: " << c.input;
    EXPECT_EQ(v.error().code, Errc::parse_error);
    EXPECT_EQ(v.error().offset, c.offset) << v.error().message;
    EXPECT_NE(v.error().message.find(c.message), std::string::npos) << v.error().message;
    EXPECT_NE(v.error().message.find("at offset " + std::to_string(c.offset)), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BencodeRejects,
    ::testing::Values(
        BadCase{"", 0, "unexpected end of input"}, BadCase{"i03e", 1, "leading zero in integer"},
        BadCase{"i-03e", 2, "leading zero in integer"}, BadCase{"i-0e", 1, "negative zero"},
        BadCase{"ie", 1, "integer without digits"}, BadCase{"i-e", 1, "integer without digits"},
        BadCase{"i12", 3, "unexpected end of input inside an integer"},
        BadCase{"i1x2e", 2, "invalid byte 'x' in integer"},
        BadCase{"i+1e", 1, "invalid byte '+' in integer"},
        BadCase{"03:abc", 0, "leading zero in string length"},
        BadCase{"5:abc", 0, "runs past the end of input"},
        BadCase{"3abc", 1, "invalid byte 'a' in string length"},
        BadCase{"12", 2, "unexpected end of input inside a string length"},
        BadCase{"li1e", 4, "unexpected end of input inside a list"},
        BadCase{"d1:a", 4, "unexpected end of input"},
        BadCase{"d1:ai1e", 7, "unexpected end of input inside a dictionary"},
        BadCase{"d1:bi1e1:ai2ee", 7, "dictionary keys not sorted"},
        BadCase{"d1:ai1e1:ai2ee", 7, "duplicate dictionary key"},
        BadCase{"di1ei2ee", 1, "dictionary key is not a string"},
        BadCase{"i1ei2e", 3, "trailing bytes after the value"}, BadCase{"0:x", 2, "trailing bytes"},
        BadCase{"x", 0, "unexpected byte 'x'"},
        BadCase{"l\x01"
                "e",
                1, "unexpected byte 0x01"},
        BadCase{"99999999999999999999999:a", 0, "over the limit"}));

Limits lenient() {
    Limits l;
    l.canonical = false;
    return l;
}

TEST(Bencode, LenientSortsKeysAndKeepsTheRawBytes) {
    const std::string in = "d1:ci3e1:ai1e1:bd1:zi0e1:yi9eee";
    EXPECT_FALSE(decode(in).ok());
    auto v = decode(in, lenient());
    ASSERT_TRUE(v.ok()) << v.error().message;
    ASSERT_EQ(v->keys().size(), 3u);
    EXPECT_EQ(v->keys()[0], "a");
    EXPECT_EQ(v->keys()[1], "b");
    EXPECT_EQ(v->keys()[2], "c");
    EXPECT_EQ(v->find("a")->as_int(), 1);
    EXPECT_EQ(v->find("c")->as_int(), 3);
    EXPECT_EQ(v->find("b")->find("y")->as_int(), 9);  // nested dicts sorted too
    EXPECT_EQ(v->find("b")->raw(), "d1:zi0e1:yi9ee");
    EXPECT_EQ(v->raw(), in);
}

TEST(Bencode, LenientSaysWhetherItRelaxedAnything) {
    for (const char* relaxed : {"d1:bi1e1:ai2ee", "i01e", "i-0e", "02:ab", "i1e\n", "l1:ae1:x"}) {
        bool r = false;
        auto v = decode(relaxed, lenient(), &r);
        ASSERT_TRUE(v.ok()) << relaxed;
        EXPECT_TRUE(r) << relaxed;
        EXPECT_FALSE(decode(relaxed).ok()) << relaxed;
    }
    for (const char* canonical : {"d1:ai2e1:bi1ee", "i0e", "i-1e", "2:ab", "le"}) {
        bool r = true;
        ASSERT_TRUE(decode(canonical, lenient(), &r).ok()) << canonical;
        EXPECT_FALSE(r) << canonical;
    }
}

TEST(Bencode, LenientStillRefusesDuplicatesAndGarbage) {
    // A duplicate that is not next to its twin is found after sorting.
    auto dup = decode("d1:bi1e1:ai2e1:bi3ee", lenient());
    ASSERT_FALSE(dup.ok());
    EXPECT_NE(dup.error().message.find("duplicate dictionary key"), std::string::npos);
    EXPECT_FALSE(decode("d1:ai1e1:ai2ee", lenient()).ok());
    EXPECT_FALSE(decode("i1x", lenient()).ok());
    EXPECT_FALSE(decode("d1:a", lenient()).ok());
    EXPECT_FALSE(decode("i99999999999999999999e", lenient()).ok());
}

TEST(Bencode, LenientAcceptsWhatFollowsAndNonCanonicalNumbers) {
    EXPECT_FALSE(decode("d1:ai1ee\n").ok());
    for (const char* in : {"d1:ai1ee\n", "d1:ai1ee\r\n", "d1:ai1eegarbage"}) {
        auto v = decode(in, lenient());
        ASSERT_TRUE(v.ok()) << v.error().message;
        EXPECT_EQ(v->raw(), "d1:ai1ee");
    }
    EXPECT_FALSE(decode("i017e").ok());
    auto lz = decode("i017e", lenient());
    ASSERT_TRUE(lz.ok());
    EXPECT_EQ(lz->as_int(), 17);
    auto nz = decode("i-0e", lenient());
    ASSERT_TRUE(nz.ok());
    EXPECT_EQ(nz->as_int(), 0);
    auto s = decode("03:abc", lenient());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->as_string(), "abc");
}

TEST(Bencode, DepthLimit) {
    Limits limits;
    limits.max_depth = 3;
    EXPECT_TRUE(decode("llleee", limits).ok());
    auto v = decode("lllleeee", limits);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().offset, 3u);
    EXPECT_NE(v.error().message.find("nesting deeper than 3"), std::string::npos);
    // The default limit keeps a hostile nesting from exhausting the stack.
    const std::string deep(100000, 'l');
    EXPECT_FALSE(decode(deep).ok());
}

TEST(Bencode, TokenLimit) {
    Limits limits;
    limits.max_tokens = 4;
    EXPECT_TRUE(decode("li1ei2ei3ee", limits).ok());
    auto v = decode("li1ei2ei3ei4ee", limits);
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.error().message.find("more than 4 values"), std::string::npos);
    EXPECT_EQ(decode("d1:ai1e1:bi2ee", limits).error().offset, 10u);  // keys count too
}

TEST(Bencode, StringLengthLimit) {
    Limits limits;
    limits.max_string_length = 4;
    EXPECT_TRUE(decode("4:abcd", limits).ok());
    auto v = decode("5:abcde", limits);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, Errc::parse_error);
    EXPECT_NE(v.error().message.find("over the limit of 4"), std::string::npos);
}

TEST(Bencode, EveryTruncationOfAValidDocumentFails) {
    const std::string doc = "d3:bar4:spam3:fooi42e4:listl1:ai-1ed1:xi0eeee";
    ASSERT_TRUE(decode(doc).ok());
    for (std::size_t n = 0; n < doc.size(); ++n) {
        auto v = decode(doc.substr(0, n));
        ASSERT_FALSE(v.ok()) << "prefix of " << n << " bytes accepted";
        EXPECT_LE(v.error().offset, n);
    }
}

TEST(Bencode, EncoderWritesCanonicalForm) {
    Item::Dict d;
    d["zeta"] = 1;
    d["alpha"] = Item::List{Item(-7), Item("x"), Item(Item::Dict{})};
    d["b"] = std::string("\0\x01", 2);
    const std::string out = encode(Item(d));
    EXPECT_EQ(out, std::string("d5:alphali-7e1:xdee1:b2:\0\x01", 26) + "4:zetai1ee");
}

TEST(Bencode, EncoderSortsKeysAsRawBytes) {
    Item::Dict d;
    d["\xff"] = 1;
    d["a"] = 2;
    d["B"] = 3;
    EXPECT_EQ(encode(Item(d)), "d1:Bi3e1:ai2e1:\xffi1ee");
}

TEST(Bencode, RoundTripReproducesInput) {
    const char* docs[] = {"i0e", "i-12e", "0:",         "4:spam",
                          "le",  "de",    "ld1:ai1eee", "d1:a0:1:bli1ei2ee1:cd1:di-3eee"};
    for (const char* doc : docs) {
        auto v = decode(doc);
        ASSERT_TRUE(v.ok()) << doc;
        // Rebuild an Item from the tree and encode it again.
        std::function<Item(const Value&)> build = [&](const Value& x) -> Item {
            switch (x.type()) {
                case Value::Type::integer:
                    return Item(x.as_int());
                case Value::Type::string:
                    return Item(x.as_string());
                case Value::Type::list: {
                    Item::List l;
                    for (const auto& i : x.items())
                        l.push_back(build(i));
                    return Item(std::move(l));
                }
                case Value::Type::dict: {
                    Item::Dict d;
                    for (std::size_t i = 0; i < x.keys().size(); ++i)
                        d[std::string(x.keys()[i])] = build(x.items()[i]);
                    return Item(std::move(d));
                }
            }
            return Item();
        };
        EXPECT_EQ(encode(build(*v)), doc);
    }
}

TEST(Bencode, RawItemIsWrittenVerbatim) {
    Item::Dict d;
    d["k"] = Item::Raw{"li1ee"};
    EXPECT_EQ(encode(Item(d)), "d1:kli1eee");
}

TEST(Bencode, AppendHelpers) {
    std::string out;
    append_int(out, -42);
    append_string(out, "abc");
    EXPECT_EQ(out, "i-42e3:abc");
}

}  // namespace
}  // namespace mt::common::bencode
