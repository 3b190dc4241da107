#include "tracker/repl_protocol.h"

#include <gtest/gtest.h>

namespace mt::tracker::repl {
namespace {

const std::string kSecret = "shared secret of the pair";
const Nonce kNs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const Nonce kNr = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

TEST(ReplProtocol, HelloRoundTripAndMagic) {
    const std::string h = encode_hello1(1, kNs);
    ASSERT_EQ(h.size(), kHello1Bytes);
    EXPECT_EQ(h.substr(0, 8), "MTREPL01");
    auto back = decode_hello1(h);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->first, 1);
    EXPECT_EQ(back->second, kNs);
    EXPECT_FALSE(decode_hello1("GET /announce?info_hash=").ok());
}

TEST(ReplProtocol, MacsDependOnSecretRoleAndNonces) {
    const auto r = responder_mac(kSecret, 1, 2, kNs, kNr);
    EXPECT_EQ(r.size(), 32u);
    EXPECT_NE(r, initiator_mac(kSecret, 1, 2, kNs, kNr));
    EXPECT_NE(r, responder_mac("other secret", 1, 2, kNs, kNr));
    EXPECT_NE(r, responder_mac(kSecret, 1, 2, kNr, kNs));
    EXPECT_NE(r, responder_mac(kSecret, 2, 1, kNs, kNr));
}

TEST(ReplProtocol, FramesFlowBothWays) {
    FrameCipher s(session_keys(kSecret, 1, 2, kNs, kNr, true));
    FrameCipher r(session_keys(kSecret, 1, 2, kNs, kNr, false));
    std::string wire;
    s.seal(encode_message(Hello{5, 6}), wire);
    s.seal(encode_message(Ack{9}), wire);
    // Delivered one byte at a time.
    std::vector<std::string> got;
    for (char c : wire) {
        r.feed(std::string_view(&c, 1));
        while (true) {
            auto m = r.next();
            if (std::holds_alternative<FrameCipher::NeedMore>(m)) break;
            ASSERT_TRUE(std::holds_alternative<std::string>(m));
            got.push_back(std::get<std::string>(m));
        }
    }
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(std::get<Hello>(decode_message(got[0]).value()).clock2, 6u);
    EXPECT_EQ(std::get<Ack>(decode_message(got[1]).value()).seq, 9u);
    std::string back;
    r.seal(encode_message(Ping{}), back);
    s.feed(back);
    EXPECT_TRUE(std::holds_alternative<std::string>(s.next()));
}

TEST(ReplProtocol, ReplayedForgedOrOtherSessionFramesAreRefused) {
    FrameCipher s(session_keys(kSecret, 1, 2, kNs, kNr, true));
    std::string f1, f2;
    s.seal(encode_message(Ack{1}), f1);
    s.seal(encode_message(Ack{2}), f2);
    {  // replay: the same frame twice
        FrameCipher r(session_keys(kSecret, 1, 2, kNs, kNr, false));
        r.feed(f1);
        EXPECT_TRUE(std::holds_alternative<std::string>(r.next()));
        r.feed(f1);
        auto m = r.next();
        ASSERT_TRUE(std::holds_alternative<common::Error>(m));
        EXPECT_EQ(std::get<common::Error>(m).code, common::Errc::refused);
    }
    {  // reordering
        FrameCipher r(session_keys(kSecret, 1, 2, kNs, kNr, false));
        r.feed(f2);
        EXPECT_TRUE(std::holds_alternative<common::Error>(r.next()));
    }
    {  // another session (other nonces) or a wrong secret
        Nonce other = kNr;
        other[0] ^= 1;
        FrameCipher r(session_keys(kSecret, 1, 2, kNs, other, false));
        r.feed(f1);
        EXPECT_TRUE(std::holds_alternative<common::Error>(r.next()));
        FrameCipher w(session_keys("wrong", 1, 2, kNs, kNr, false));
        w.feed(f1);
        EXPECT_TRUE(std::holds_alternative<common::Error>(w.next()));
    }
    {  // an oversized length is refused before anything is buffered
        FrameCipher r(session_keys(kSecret, 1, 2, kNs, kNr, false));
        r.feed(std::string("\x7f\xff\xff\xff", 4));
        auto m = r.next();
        ASSERT_TRUE(std::holds_alternative<common::Error>(m));
        EXPECT_EQ(std::get<common::Error>(m).code, common::Errc::limit_exceeded);
    }
}

TEST(ReplProtocol, MessagesRoundTrip) {
    Change c;
    c.kind = Change::Kind::peer_put;
    c.origin = 1;
    c.seq = 42;
    c.time_ms = 77;
    c.port = 6881;
    Touch t{common::InfoHash::from_bytes("AAAAAAAAAAAAAAAAAAAA"), 0x7f000002, 6882, 99, 5};
    const std::vector<Message> msgs = {Hello{1, 2},   Changes{{c, c}}, Touches{{t}}, SnapBegin{},
                                       SnapEnd{3, 4}, Ack{5},          Ping{}};
    for (const auto& m : msgs) {
        auto back = decode_message(encode_message(m));
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(back->index(), m.index());
    }
    auto ch = std::get<Changes>(decode_message(encode_message(Changes{{c}})).value());
    EXPECT_EQ(ch.changes.at(0), c);
    auto tt = std::get<Touches>(decode_message(encode_message(Touches{{t}})).value());
    EXPECT_EQ(tt.touches.at(0).time_ms, 99);
    EXPECT_EQ(tt.touches.at(0).ip, t.ip);
    EXPECT_EQ(tt.touches.at(0).port, t.port);
    EXPECT_EQ(tt.touches.at(0).left, 5u);
    // A batch with an IPv6 peer goes as touches6, IPv4 ones in it mapped.
    Touch t6 = t;
    t6.ip = *common::IpAddr::parse("2001:db8::9");
    const std::string enc6 = encode_message(Touches{{t, t6}});
    EXPECT_EQ(enc6[0], static_cast<char>(MsgType::touches6));
    auto back6 = std::get<Touches>(decode_message(enc6).value());
    ASSERT_EQ(back6.touches.size(), 2u);
    EXPECT_EQ(back6.touches[0].ip, t.ip);
    EXPECT_EQ(back6.touches[1].ip, t6.ip);
    EXPECT_EQ(back6.touches[1].port, 6882);
    EXPECT_FALSE(decode_message(enc6.substr(0, enc6.size() - 1)).ok());
}

TEST(ReplProtocol, MalformedMessages) {
    EXPECT_FALSE(decode_message("").ok());
    EXPECT_FALSE(decode_message("\x09").ok());
    EXPECT_FALSE(decode_message(std::string("\x06\x00", 2)).ok());
    EXPECT_FALSE(decode_message(encode_message(Ping{}) + "x").ok());
    // A batch claiming four billion changes in a few bytes.
    EXPECT_FALSE(decode_message(std::string("\x02\xff\xff\xff\xff", 5)).ok());
}

}  // namespace
}  // namespace mt::tracker::repl
