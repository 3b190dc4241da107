#include "common/wire/udp_tracker.h"

#include <gtest/gtest.h>

#include <string>

namespace mt::common::wire {
namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int v : b)
        s.push_back(static_cast<char>(v));
    return s;
}

template <class T>
T decoded_request(const std::string& d) {
    auto r = decode_udp_request(d);
    EXPECT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(std::holds_alternative<T>(*r));
    return std::get<T>(*r);
}

template <class T>
T decoded_response(const std::string& d) {
    auto r = decode_udp_response(d);
    EXPECT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(std::holds_alternative<T>(*r));
    return std::get<T>(*r);
}

const std::string kConnectRequest =
    bytes({0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef});

TEST(UdpTracker, ConnectGolden) {
    EXPECT_EQ(encode_udp_request(UdpConnectRequest{0xdeadbeef}), kConnectRequest);
    EXPECT_EQ(decoded_request<UdpConnectRequest>(kConnectRequest).transaction_id, 0xdeadbeefu);

    const std::string reply =
        bytes({0, 0, 0, 0, 0, 0, 0, 7, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});
    const UdpConnectResponse m{7, 0x0102030405060708ULL};
    EXPECT_EQ(encode_udp_response(m), reply);
    EXPECT_EQ(decoded_response<UdpConnectResponse>(reply), m);
}

UdpAnnounceRequest sample_announce() {
    UdpAnnounceRequest m;
    m.connection_id = 0x1122334455667788ULL;
    m.transaction_id = 0x01020304;
    m.request.info_hash = InfoHash::from_bytes(std::string(20, 'I'));
    m.request.peer_id = PeerId::from_bytes(std::string(20, 'P'));
    m.request.downloaded = 0x100;
    m.request.left = 0x200;
    m.request.uploaded = 0x300;
    m.request.event = AnnounceEvent::started;
    m.request.ip = std::nullopt;
    m.request.key = 0xcafebabe;
    m.request.numwant = -1;
    m.request.port = 6881;
    return m;
}

const std::string kAnnounceRequest =
    bytes({0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 1, 1, 2, 3, 4}) +
    std::string(20, 'I') + std::string(20, 'P') +
    bytes({0,    0,    0,    0,    0, 0, 0x01, 0x00,  // downloaded
           0,    0,    0,    0,    0, 0, 0x02, 0x00,  // left
           0,    0,    0,    0,    0, 0, 0x03, 0x00,  // uploaded
           0,    0,    0,    2,                       // event started
           0,    0,    0,    0,                       // ip
           0xca, 0xfe, 0xba, 0xbe,                    // key
           0xff, 0xff, 0xff, 0xff,                    // num_want -1
           0x1a, 0xe1});                              // port 6881

TEST(UdpTracker, AnnounceRequestGolden) {
    ASSERT_EQ(kAnnounceRequest.size(), 98u);
    EXPECT_EQ(encode_udp_request(sample_announce()), kAnnounceRequest);
    EXPECT_EQ(decoded_request<UdpAnnounceRequest>(kAnnounceRequest), sample_announce());
    // BEP 41 options after the fixed part are ignored.
    EXPECT_EQ(decoded_request<UdpAnnounceRequest>(kAnnounceRequest +
                                                  bytes({2, 5, 'h', 'e', 'l', 'l', 'o'})),
              sample_announce());
}

TEST(UdpTracker, AnnounceRequestRoundTrips) {
    UdpAnnounceRequest m = sample_announce();
    for (AnnounceEvent e :
         {AnnounceEvent::none, AnnounceEvent::completed, AnnounceEvent::stopped}) {
        m.request.event = e;
        m.request.ip = 0x0a000001;
        m.request.numwant = 30;
        m.request.uploaded = 0x7fffffffffffffffULL;
        EXPECT_EQ(decoded_request<UdpAnnounceRequest>(encode_udp_request(m)), m);
    }
}

TEST(UdpTracker, AnnounceResponseGolden) {
    UdpAnnounceResponse m;
    m.transaction_id = 9;
    m.response.interval = 1800;
    m.response.incomplete = 3;
    m.response.complete = 5;
    m.response.peers = {{0x0a000001, 6881, std::nullopt}, {0xc0a80102, 80, std::nullopt}};
    const std::string want = bytes({0, 0, 0, 1, 0,  0, 0, 9, 0,    0,    0x07, 0x08, 0, 0, 0, 3,
                                    0, 0, 0, 5, 10, 0, 0, 1, 0x1a, 0xe1, 192,  168,  1, 2, 0, 80});
    EXPECT_EQ(encode_udp_response(m), want);
    EXPECT_EQ(decoded_response<UdpAnnounceResponse>(want), m);
}

// BEP 15 over IPv6: 18-byte entries, and only the IPv6 peers.
TEST(UdpTracker, AnnounceResponseOverIpv6Golden) {
    UdpAnnounceResponse m;
    m.transaction_id = 9;
    m.ipv6 = true;
    m.response.interval = 1800;
    m.response.peers = {{0x0a000001, 6881, std::nullopt},
                        {*IpAddr::parse("2001:db8::2"), 80, std::nullopt}};
    const std::string want =
        bytes({0, 0,    0,    1,    0,    0, 0, 9, 0, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0,
               0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0,    0,    0, 0, 0, 0, 2, 0, 80});
    EXPECT_EQ(encode_udp_response(m), want);
    auto back = decode_udp_response(want, 100, true);
    ASSERT_TRUE(back.ok()) << back.error().message;
    auto& r = std::get<UdpAnnounceResponse>(*back);
    ASSERT_EQ(r.response.peers.size(), 1u);
    EXPECT_EQ(r.response.peers[0].ip.to_string(), "2001:db8::2");
    EXPECT_EQ(r.response.peers[0].port, 80);
    // Over IPv4 the same peers give only the IPv4 one.
    m.ipv6 = false;
    auto v4 = decode_udp_response(encode_udp_response(m), 100, false);
    ASSERT_TRUE(v4.ok());
    ASSERT_EQ(std::get<UdpAnnounceResponse>(*v4).response.peers.size(), 1u);
    EXPECT_TRUE(std::get<UdpAnnounceResponse>(*v4).response.peers[0].ip.is_v4());
    // 6-byte entries read as IPv6 do not fit 18.
    EXPECT_FALSE(decode_udp_response(encode_udp_response(m), 100, true).ok());
}

TEST(UdpTracker, ScrapeGolden) {
    UdpScrapeRequest req{
        0x42,
        0x99,
        {InfoHash::from_bytes(std::string(20, 'a')), InfoHash::from_bytes(std::string(20, 'b'))}};
    const std::string want_req = bytes({0, 0, 0, 0, 0, 0, 0, 0x42, 0, 0, 0, 2, 0, 0, 0, 0x99}) +
                                 std::string(20, 'a') + std::string(20, 'b');
    EXPECT_EQ(encode_udp_request(req), want_req);
    EXPECT_EQ(decoded_request<UdpScrapeRequest>(want_req), req);

    UdpScrapeResponse resp{0x99, {{InfoHash{}, 1, 2, 3}, {InfoHash{}, 4, 5, 6}}};
    const std::string want_resp = bytes({0, 0, 0, 2, 0, 0, 0, 0x99, 0, 0, 0, 1, 0, 0, 0, 2,
                                         0, 0, 0, 3, 0, 0, 0, 4,    0, 0, 0, 5, 0, 0, 0, 6});
    EXPECT_EQ(encode_udp_response(resp), want_resp);
    EXPECT_EQ(decoded_response<UdpScrapeResponse>(want_resp), resp);
}

TEST(UdpTracker, ErrorGolden) {
    UdpErrorResponse m{5, "bad connection id"};
    const std::string want = bytes({0, 0, 0, 3, 0, 0, 0, 5}) + "bad connection id";
    EXPECT_EQ(encode_udp_response(m), want);
    EXPECT_EQ(decoded_response<UdpErrorResponse>(want), m);
    EXPECT_EQ(decoded_response<UdpErrorResponse>(bytes({0, 0, 0, 3, 0, 0, 0, 5})).message, "");
}

TEST(UdpTracker, MaxScrapeRoundTrips) {
    UdpScrapeRequest req{1, 2, std::vector<InfoHash>(kUdpMaxScrapeHashes)};
    const std::string d = encode_udp_request(req);
    EXPECT_EQ(d.size(), 16 + 20 * kUdpMaxScrapeHashes);
    EXPECT_EQ(decoded_request<UdpScrapeRequest>(d), req);
    auto over = decode_udp_request(d + std::string(20, 'x'));
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().code, Errc::limit_exceeded);
}

struct BadDatagram {
    const char* name;
    std::string data;
    Errc code;
    const char* message;
};

class UdpRequestRejects : public ::testing::TestWithParam<BadDatagram> {};

TEST_P(UdpRequestRejects, WithReason) {
    auto r = decode_udp_request(GetParam().data);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, GetParam().code);
    EXPECT_NE(r.error().message.find(GetParam().message), std::string::npos) << r.error().message;
}

std::string with_byte(std::string s, std::size_t at, int v) {
    s[at] = static_cast<char>(v);
    return s;
}

INSTANTIATE_TEST_SUITE_P(
    Table, UdpRequestRejects,
    ::testing::Values(
        BadDatagram{"Empty", "", Errc::parse_error, "request has wrong length 0"},
        BadDatagram{"Short", kConnectRequest.substr(0, 15), Errc::parse_error, "wrong length 15"},
        BadDatagram{"LongConnect", kConnectRequest + "x", Errc::parse_error,
                    "connect request has wrong length 17"},
        BadDatagram{"NoProtocolId", with_byte(kConnectRequest, 0, 1), Errc::parse_error,
                    "protocol id"},
        BadDatagram{"ShortAnnounce", kAnnounceRequest.substr(0, 97), Errc::parse_error,
                    "announce request has wrong length 97"},
        BadDatagram{"AnnounceHeaderOnly", kAnnounceRequest.substr(0, 16), Errc::parse_error,
                    "announce request has wrong length 16"},
        BadDatagram{"BadEvent", with_byte(kAnnounceRequest, 83, 4), Errc::parse_error,
                    "announce event 4"},
        BadDatagram{"PortZero", with_byte(with_byte(kAnnounceRequest, 96, 0), 97, 0),
                    Errc::parse_error, "port 0"},
        BadDatagram{"HugeCounter", with_byte(kAnnounceRequest, 56, 0x80), Errc::parse_error,
                    "above 2^63-1"},
        BadDatagram{"EmptyScrape", with_byte(kConnectRequest, 11, 2), Errc::parse_error,
                    "scrape request has wrong length 16"},
        BadDatagram{"RaggedScrape", with_byte(kConnectRequest, 11, 2) + std::string(19, 'a'),
                    Errc::parse_error, "scrape request has wrong length 35"},
        BadDatagram{"ErrorAction", with_byte(kConnectRequest, 11, 3), Errc::unsupported,
                    "unknown request action 3"},
        BadDatagram{"UnknownAction", with_byte(kConnectRequest, 8, 1), Errc::unsupported,
                    "unknown request action"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(UdpTracker, ResponseRejects) {
    auto code = [](const std::string& d, std::size_t max_peers = 2000) {
        auto r = decode_udp_response(d, max_peers);
        EXPECT_FALSE(r.ok());
        return r.ok() ? Errc::invalid_argument : r.error().code;
    };
    EXPECT_EQ(code(bytes({0, 0, 0, 0, 0, 0, 0})), Errc::parse_error);
    EXPECT_EQ(code(bytes({0, 0, 0, 0, 0, 0, 0, 1})), Errc::parse_error);  // short connect
    const std::string ann = bytes({0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1});
    EXPECT_EQ(code(ann.substr(0, 19)), Errc::parse_error);
    EXPECT_EQ(code(ann + "12345"), Errc::parse_error);  // not a multiple of 6
    EXPECT_EQ(code(ann + "123456123456", 1), Errc::limit_exceeded);
    EXPECT_EQ(code(bytes({0, 0, 0, 2, 0, 0, 0, 1}) + "12345678901"), Errc::parse_error);
    EXPECT_EQ(code(bytes({0, 0, 0, 3, 0, 0, 0, 1}) + std::string(2000, 'e')), Errc::limit_exceeded);
    EXPECT_EQ(code(bytes({0, 0, 0, 9, 0, 0, 0, 1})), Errc::unsupported);
}

}  // namespace
}  // namespace mt::common::wire
