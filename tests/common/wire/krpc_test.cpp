#include "common/wire/krpc.h"

#include <gtest/gtest.h>

#include "common/hex.h"

namespace mt::common::wire::krpc {
namespace {

NodeId id_of(std::string_view s) {
    return NodeId::from_bytes(s);
}

// The examples of BEP 5, byte for byte.
constexpr std::string_view kPing = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
constexpr std::string_view kPong = "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
constexpr std::string_view kError = "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";
constexpr std::string_view kFindNode =
    "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
constexpr std::string_view kGetPeers =
    "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:"
    "y1:qe";
constexpr std::string_view kPeersReply =
    "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re";
constexpr std::string_view kAnnounce =
    "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:"
    "porti6881e5:"
    "token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";

TEST(Krpc, Bep5ExamplesDecode) {
    auto ping = decode(kPing);
    ASSERT_TRUE(ping) << ping.error().message;
    EXPECT_EQ(ping->kind, Kind::query);
    EXPECT_EQ(ping->method, Method::ping);
    EXPECT_EQ(ping->transaction, "aa");
    EXPECT_EQ(ping->id, id_of("abcdefghij0123456789"));

    auto pong = decode(kPong);
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->kind, Kind::response);
    EXPECT_EQ(pong->id, id_of("mnopqrstuvwxyz123456"));

    auto err = decode(kError);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->kind, Kind::error);
    EXPECT_EQ(err->error_code, kGenericError);
    EXPECT_EQ(err->error_message, "A Generic Error Ocurred");

    auto find = decode(kFindNode);
    ASSERT_TRUE(find);
    EXPECT_EQ(find->method, Method::find_node);
    EXPECT_EQ(find->target, id_of("mnopqrstuvwxyz123456"));

    auto gp = decode(kGetPeers);
    ASSERT_TRUE(gp);
    EXPECT_EQ(gp->method, Method::get_peers);
    EXPECT_EQ(gp->info_hash, InfoHash::from_bytes("mnopqrstuvwxyz123456"));

    auto values = decode(kPeersReply);
    ASSERT_TRUE(values);
    EXPECT_TRUE(values->has_token);
    EXPECT_EQ(values->token, "aoeusnth");
    ASSERT_EQ(values->values.size(), 2u);
    EXPECT_EQ(values->values[0].ip, IpAddr::parse("97.120.106.101"));  // "axje"
    EXPECT_EQ(values->values[0].port, ('.' << 8) | 'u');

    auto ann = decode(kAnnounce);
    ASSERT_TRUE(ann);
    EXPECT_EQ(ann->method, Method::announce_peer);
    EXPECT_TRUE(ann->implied_port);
    EXPECT_EQ(ann->port, 6881);
    EXPECT_EQ(ann->token, "aoeusnth");
}

TEST(Krpc, Bep5ExamplesEncodeByteForByte) {
    for (std::string_view golden :
         {kPing, kPong, kError, kFindNode, kGetPeers, kPeersReply, kAnnounce}) {
        auto m = decode(golden);
        ASSERT_TRUE(m) << golden;
        EXPECT_EQ(encode(*m), golden);
    }
}

TEST(Krpc, NodesOfBothFamiliesRoundTrip) {
    Message m;
    m.kind = Kind::response;
    m.transaction = "xy";
    m.id = id_of("01234567890123456789");
    m.nodes.push_back({id_of("aaaaaaaaaaaaaaaaaaaa"), {*IpAddr::parse("192.0.2.1"), 6881}});
    m.nodes.push_back({id_of("bbbbbbbbbbbbbbbbbbbb"), {*IpAddr::parse("2001:db8::1"), 51413}});
    m.ip = Endpoint{*IpAddr::parse("198.51.100.7"), 4000};
    const std::string wire = encode(m);
    EXPECT_NE(wire.find("5:nodes26:"), std::string::npos);
    EXPECT_NE(wire.find("6:nodes638:"), std::string::npos);
    auto back = decode(wire);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->nodes, m.nodes);
    ASSERT_TRUE(back->ip);
    EXPECT_EQ(*back->ip, *m.ip);
}

TEST(Krpc, KeysInAnyOrderAndUnknownKeysAreAccepted) {
    // `y` before `t`, an unknown key `zz`, a client version.
    auto m = decode("d1:y1:q1:t2:aa2:zzi1e1:q4:ping1:v4:LT011:ad2:id20:abcdefghij0123456789ee");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->method, Method::ping);
    EXPECT_EQ(m->version, "LT01");
}

TEST(Krpc, UnknownMethodIsKeptForError204) {
    auto m = decode("d1:ad2:id20:abcdefghij0123456789e1:q3:put1:t2:aa1:y1:qe");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->method, Method::unknown);
    EXPECT_EQ(m->method_name, "put");
}

TEST(Krpc, WantListIsRead) {
    auto m = decode(
        "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n42:n6ee1:q9:"
        "find_node1:t2:aa1:y1:qe");
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->want_v4);
    EXPECT_TRUE(m->want_v6);
}

TEST(Krpc, MalformedAndOversizedMessagesAreRefused) {
    const std::string_view bad[] = {
        "",
        "i1e",
        "d1:t2:aae",                                                    // no y
        "d1:t2:aa1:y1:xe",                                              // y not q/r/e
        "d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe",      // id of 19 bytes
        "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t0:1:y1:qe",       // empty t
        "d1:rd2:id20:mnopqrstuvwxyz1234565:nodes3:abce1:t2:aa1:y1:re",  // not whole nodes
        "d1:q9:find_node1:t2:aa1:y1:qe",                                // no a
        "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token1:"
        "xe1:q13:announce_peer1:t2:aa1:y1:qe",  // port 0 without implied_port
        "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t17:aaaaaaaaaaaaaaaaa1:y1:qe",  // long t
        "d1:ad1:ad1:ad1:ad1:ai1eeeeee1:q4:ping1:t2:aa1:y1:qe",  // nested too deep
    };
    for (std::string_view b : bad)
        EXPECT_FALSE(decode(b)) << b;
    EXPECT_FALSE(decode(std::string(kMaxDatagram + 1, 'd')));
    // 33 nodes in one list.
    std::string many =
        "d1:rd2:id20:mnopqrstuvwxyz1234565:nodes858:" + std::string(858, 'x') + "e1:t2:aa1:y1:re";
    auto m = decode(many);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, Errc::limit_exceeded);
}

TEST(Krpc, FitValuesStaysWithinTheBudget) {
    std::vector<Endpoint> v4(300, Endpoint{*IpAddr::parse("192.0.2.1"), 1});
    const std::size_t used = 120;
    const std::size_t n = fit_values(v4, used);
    EXPECT_GT(n, 80u);
    Message m;
    m.kind = Kind::response;
    m.transaction = "aa";
    m.token = "12345678";
    m.values.assign(v4.begin(), v4.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_LE(encode(m).size(), kSendBudget);
}

// BEP 42's table: IP, rand, and the node id's first three bytes (the last
// three bits of the third are random) and last byte.
TEST(Krpc, Bep42NodeIdsMatchTheSpecTable) {
    struct Row {
        const char* ip;
        std::uint8_t r;
        const char* prefix;
    };
    const Row rows[] = {{"124.31.75.21", 1, "5fbfbf"},
                        {"21.75.31.124", 86, "5a3ce9"},
                        {"65.23.51.170", 22, "a5d432"},
                        {"84.124.73.14", 65, "1b0321"},
                        {"43.213.53.83", 90, "e56f6c"}};
    for (const auto& row : rows) {
        const IpAddr ip = *IpAddr::parse(row.ip);
        NodeId rest;
        rest.bytes[2] = static_cast<std::uint8_t>(from_hex(row.prefix).value()[2]) & 0x7;
        const NodeId id = bep42_node_id(ip, row.r, rest);
        EXPECT_EQ(id.hex().substr(0, 6), row.prefix) << row.ip;
        EXPECT_EQ(id.bytes[19], row.r);
        EXPECT_TRUE(bep42_valid(id, ip));
        NodeId wrong = id;
        wrong.bytes[0] ^= 0x80;
        EXPECT_FALSE(bep42_valid(wrong, ip));
    }
    // Local addresses are exempt.
    EXPECT_TRUE(bep42_valid(NodeId{}, *IpAddr::parse("127.0.0.1")));
    EXPECT_TRUE(bep42_valid(NodeId{}, *IpAddr::parse("192.168.1.1")));
    // IPv6 ids are made and checked the same way.
    const IpAddr v6 = *IpAddr::parse("2001:db8:1:2::3");
    EXPECT_TRUE(bep42_valid(bep42_node_id(v6, 5, NodeId{}), v6));
}

}  // namespace
}  // namespace mt::common::wire::krpc
