#include "tracker/change.h"

#include <gtest/gtest.h>

#include "common/hex.h"

namespace mt::tracker {
namespace {

Change sample(Change::Kind kind) {
    Change c;
    c.kind = kind;
    c.origin = 2;
    c.seq = 0x0102030405060708ull;
    c.time_ms = 1700000000123;
    c.info_hash = common::InfoHash::from_bytes("AAAAAAAAAAAAAAAAAAAA");
    if (kind == Change::Kind::peer_put || kind == Change::Kind::peer_remove) {
        c.ip = 0x7f000001;
        c.port = 6881;
    }
    if (kind == Change::Kind::peer_put) {
        c.key = 0x0a0b0c0d;
        c.left = 5;
        c.uploaded = 6;
        c.downloaded = 7;
    }
    if (kind == Change::Kind::metainfo_put) c.metainfo = "d4:infodee";
    return c;
}

TEST(Change, GoldenPeerPut) {
    const std::string bytes = encode_change(sample(Change::Kind::peer_put));
    ASSERT_EQ(bytes.size(), 38u + 34u);
    EXPECT_EQ(bytes.substr(0, 18), std::string("\x05\x02\x01\x02\x03\x04\x05\x06\x07\x08"
                                               "\x00\x00\x01\x8b\xcf\xe5\x68\x7b",
                                               18));
    // ip, port, key
    EXPECT_EQ(bytes.substr(38, 10), std::string("\x7f\x00\x00\x01\x1a\xe1\x0a\x0b\x0c\x0d", 10));
}

TEST(Change, GoldenPeerRemoveIsItsEndpoint) {
    const std::string bytes = encode_change(sample(Change::Kind::peer_remove));
    ASSERT_EQ(bytes.size(), 38u + 6u);
    EXPECT_EQ(bytes[0], '\x06');
    EXPECT_EQ(bytes.substr(38), std::string("\x7f\x00\x00\x01\x1a\xe1", 6));
}

// IPv6 peers: kinds 8 and 9 with a 16-byte address; a mapped IPv4
// address in them would be a second spelling of an IPv4 key and is refused.
TEST(Change, GoldenIpv6PeerRecords) {
    Change put = sample(Change::Kind::peer_put);
    put.ip = *common::IpAddr::parse("2001:db8::5");
    const std::string bytes = encode_change(put);
    ASSERT_EQ(bytes.size(), 38u + 46u);
    EXPECT_EQ(bytes[0], '\x08');
    EXPECT_EQ(bytes.substr(38, 18),
              std::string(
                  "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x1a\xe1", 18));
    auto back = decode_change(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, put);
    Change rm = sample(Change::Kind::peer_remove);
    rm.ip = put.ip;
    const std::string rm_bytes = encode_change(rm);
    ASSERT_EQ(rm_bytes.size(), 38u + 18u);
    EXPECT_EQ(rm_bytes[0], '\x09');
    EXPECT_EQ(decode_change(rm_bytes).value(), rm);
    std::string mapped = bytes;
    mapped.replace(38, 16, std::string("\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01", 16));
    EXPECT_FALSE(decode_change(mapped).ok());
}

// Journals and snapshots written when peers were keyed by peer id.
TEST(Change, ReadsTheOldPeerRecords) {
    std::string head(
        "\x01\x02\x00\x00\x00\x00\x00\x00\x00\x09"
        "\x00\x00\x01\x8b\xcf\xe5\x68\x7b",
        18);
    head += std::string(20, 'A');  // info_hash
    const std::string peer_id = "-MT0100-abcdefghijkl";
    std::string put = head + peer_id + std::string("\x7f\x00\x00\x01\x1a\xe1", 6) +
                      std::string(7, '\0') + "\x05" + std::string(16, '\0');
    auto p = decode_change(put);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->kind, Change::Kind::peer_put);
    EXPECT_EQ(p->ip, 0x7f000001u);
    EXPECT_EQ(p->port, 6881);
    EXPECT_EQ(p->key, 0u);
    EXPECT_EQ(p->left, 5u);
    EXPECT_EQ(p->seq, 9u);
    std::string remove = head + peer_id;
    remove[0] = 2;
    auto r = decode_change(remove);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->kind, Change::Kind::peer_remove);
    EXPECT_EQ(r->ip, 0u);
    EXPECT_EQ(r->port, 0);
    EXPECT_FALSE(decode_change(remove + "x").ok());
    EXPECT_FALSE(decode_change(put.substr(0, put.size() - 1)).ok());
}

TEST(Change, RoundTripsEveryKind) {
    for (auto kind : {Change::Kind::peer_put, Change::Kind::peer_remove, Change::Kind::metainfo_put,
                      Change::Kind::metainfo_remove}) {
        const Change c = sample(kind);
        auto back = decode_change(encode_change(c));
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(*back, c) << change_kind_name(kind);
    }
}

// A metainfo_put with its publisher's owner mark: kind 7 on the wire, owner
// before the length; read back as a metainfo_put with the owner.
TEST(Change, OwnedMetainfoPut) {
    Change c = sample(Change::Kind::metainfo_put);
    c.owner = std::string(32, 'o');
    const std::string bytes = encode_change(c);
    ASSERT_EQ(bytes.size(), 38u + 32u + 4u + c.metainfo.size());
    EXPECT_EQ(bytes[0], '\x07');
    EXPECT_EQ(bytes.substr(38, 32), c.owner);
    auto back = decode_change(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, c);
    for (std::size_t n = 0; n < bytes.size(); ++n)
        EXPECT_FALSE(decode_change(bytes.substr(0, n)).ok()) << "prefix " << n;
    std::string huge = bytes;
    huge[70] = '\x7f';
    EXPECT_NE(decode_change(huge).error().message.find("over the limit"), std::string::npos);
}

// The owner of a proof, as the client computes it too
// (common/publisher_mark.h, shared with the client; Python's hmac gives the same).
TEST(Change, OwnerOfProofGolden) {
    std::string proof;
    for (int i = 0; i < 32; ++i)
        proof.push_back(static_cast<char>(i));
    EXPECT_EQ(common::to_hex(owner_of_proof(proof)),
              "122c82d6a98a77e10ea2c7d63e774e715898a4a7db1c88a38cd99aac9441cd78");
}

TEST(Change, RejectsMalformed) {
    const std::string good = encode_change(sample(Change::Kind::peer_put));
    for (std::size_t n = 0; n < good.size(); ++n)
        EXPECT_FALSE(decode_change(good.substr(0, n)).ok()) << "prefix " << n;
    EXPECT_NE(decode_change(good + "x").error().message.find("trailing bytes"), std::string::npos);
    std::string bad_kind = good;
    bad_kind[0] = 10;
    EXPECT_NE(decode_change(bad_kind).error().message.find("unknown kind 10"), std::string::npos);
    std::string bad_origin = good;
    bad_origin[1] = 3;
    EXPECT_NE(decode_change(bad_origin).error().message.find("origin 3"), std::string::npos);
    std::string meta = encode_change(sample(Change::Kind::metainfo_put));
    meta[38] = '\x7f';  // a length field of ~2 GiB must not be trusted
    EXPECT_NE(decode_change(meta).error().message.find("over the limit"), std::string::npos);
}

TEST(Version, OrdersByTimeThenOriginThenSeq) {
    EXPECT_LT((Version{1, 2, 9}), (Version{2, 1, 1}));
    EXPECT_LT((Version{1, 1, 9}), (Version{1, 2, 1}));
    EXPECT_LT((Version{1, 1, 1}), (Version{1, 1, 2}));
    EXPECT_FALSE((Version{1, 1, 1}) < (Version{1, 1, 1}));
}

}  // namespace
}  // namespace mt::tracker
