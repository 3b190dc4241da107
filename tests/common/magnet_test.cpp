#include "common/magnet.h"

#include <gtest/gtest.h>

namespace mt::common {
namespace {

const char* kHex = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
// The same 20 bytes in RFC 4648 base32.
const char* kBase32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";

TEST(Magnet, ParsesAFullLink) {
    auto m = parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex +
                          "&dn=Some+File%20v1.iso&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce"
                          "&tr=udp://127.0.0.1:6970&tr=udp://127.0.0.1:6970&x.pe=127.0.0.1:5000"
                          "&xl=1234&ws=http://x/y");
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->info_hash.hex(), kHex);
    EXPECT_EQ(m->name, "Some File v1.iso");
    EXPECT_EQ(m->trackers,
              (std::vector<std::string>{"http://127.0.0.1:6969/announce", "udp://127.0.0.1:6970"}));
    EXPECT_EQ(m->peers, std::vector<std::string>{"127.0.0.1:5000"});
}

TEST(Magnet, HashForms) {
    auto a = parse_info_hash(kHex);
    auto b = parse_info_hash(kBase32);
    auto c = parse_info_hash("C12FE1C06BBA254A9DC9F519B335AA7C1367A88A");
    auto d = parse_info_hash("yex6dqdlxisuvhoj6um3gnnkpqjwpkek");
    ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(*a, *c);
    EXPECT_EQ(*a, *d);
    for (const char* bad :
         {"", "c12f", "c12fe1c06bba254a9dc9f519b335aa7c1367a88g",
          "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1", "c12fe1c06bba254a9dc9f519b335aa7c1367a88a0"}) {
        auto r = parse_info_hash(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("neither 40 hex digits nor 32 base32"), std::string::npos);
    }
    auto link = parse_magnet(std::string("MAGNET:?xt=URN:BTIH:") + kBase32);
    ASSERT_TRUE(link.ok()) << link.error().message;
    EXPECT_EQ(link->info_hash, *a);
}

TEST(Magnet, BareHashOrLink) {
    auto bare = parse_magnet_or_hash(kHex);
    ASSERT_TRUE(bare.ok());
    EXPECT_EQ(bare->info_hash.hex(), kHex);
    EXPECT_TRUE(bare->trackers.empty());
    auto link = parse_magnet_or_hash(std::string("magnet:?xt=urn:btih:") + kHex + "&tr=udp://a:1");
    ASSERT_TRUE(link.ok());
    EXPECT_EQ(link->trackers.size(), 1u);
    EXPECT_FALSE(parse_magnet_or_hash("file.mtorrent").ok());
}

TEST(Magnet, Errors) {
    const std::string xt = std::string("xt=urn:btih:") + kHex;
    struct Bad {
        std::string uri;
        Errc code;
        const char* message;
    } cases[] = {
        {"http://x/?" + xt, Errc::invalid_argument, "does not start with magnet:?"},
        {"magnet:?dn=x", Errc::invalid_argument, "no xt=urn:btih:"},
        {"magnet:?xt=urn:btih:1234", Errc::invalid_argument, "xt: info hash '1234'"},
        {"magnet:?" + xt + "&xt=urn:btih:" + std::string(40, '0'), Errc::invalid_argument,
         "two different urn:btih"},
        {"magnet:?xt=urn:btmh:1220" + std::string(64, 'a'), Errc::unsupported, "v2"},
        {"magnet:?" + xt + "&tr=", Errc::invalid_argument, "empty tr"},
        {"magnet:?" + xt + "&x.pe=", Errc::invalid_argument, "empty x.pe"},
        {"magnet:?" + xt + "&dn=%zz", Errc::parse_error, "magnet: "},
    };
    for (const auto& c : cases) {
        auto r = parse_magnet(c.uri);
        ASSERT_FALSE(r.ok()) << c.uri;
        EXPECT_EQ(r.error().code, c.code) << c.uri << ": " << r.error().message;
        EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
    }
    // The same btih twice (hex and base32) is one hash.
    EXPECT_TRUE(parse_magnet("magnet:?" + xt + "&xt=urn:btih:" + kBase32).ok());
}

TEST(Magnet, RoundTrip) {
    MagnetLink m;
    m.info_hash = *parse_info_hash(kHex);
    m.name = "a b&c=d%.bin";
    m.trackers = {"http://127.0.0.1:1/announce?x=1&y=2", "udp://h:2"};
    m.peers = {"127.0.0.1:3"};
    const std::string uri = to_magnet_uri(m);
    EXPECT_EQ(uri.substr(0, 60), std::string("magnet:?xt=urn:btih:") + kHex);
    auto back = parse_magnet(uri);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, m);
}

}  // namespace
}  // namespace mt::common
