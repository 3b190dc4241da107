#include "common/wire/peer_wire.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/hex.h"

namespace mt::common::wire {
namespace {

using Limits = MessageDecoder::Limits;

// Hex with optional spaces -> bytes.
std::string unhex(std::string_view spaced) {
    std::string compact;
    for (char c : spaced)
        if (c != ' ') compact.push_back(c);
    auto r = from_hex(compact);
    EXPECT_TRUE(r.ok()) << spaced;
    return r.ok() ? *r : std::string();
}

struct Drained {
    std::vector<Message> messages;
    std::vector<std::uint64_t> ends;  // consumed() after each message
    std::optional<Error> error;
};

Drained drain(const std::vector<std::string>& chunks, std::optional<std::uint32_t> pieces = {},
              const Limits& limits = {}) {
    MessageDecoder d(pieces, limits);
    Drained out;
    for (const std::string& c : chunks) {
        d.feed(c);
        for (;;) {
            MessageDecoder::Step s = d.next();
            if (std::holds_alternative<MessageDecoder::NeedMore>(s)) break;
            if (auto* e = std::get_if<Error>(&s)) {
                out.error = *e;
                return out;
            }
            out.messages.push_back(std::get<Message>(std::move(s)));
            out.ends.push_back(d.consumed());
        }
    }
    return out;
}

void expect_same(const Drained& a, const Drained& b, const std::string& where) {
    EXPECT_EQ(a.messages, b.messages) << where;
    EXPECT_EQ(a.ends, b.ends) << where;
    ASSERT_EQ(a.error.has_value(), b.error.has_value()) << where;
    if (a.error) {
        EXPECT_EQ(a.error->code, b.error->code) << where;
        EXPECT_EQ(a.error->message, b.error->message) << where;
        EXPECT_EQ(a.error->offset, b.error->offset) << where;
    }
}

// Every split into two feeds, and one byte at a time, must match one feed.
Drained check_all_splits(const std::string& stream, std::optional<std::uint32_t> pieces = {},
                         const Limits& limits = {}) {
    const Drained whole = drain({stream}, pieces, limits);
    for (std::size_t i = 0; i <= stream.size(); ++i)
        expect_same(whole, drain({stream.substr(0, i), stream.substr(i)}, pieces, limits),
                    "split at " + std::to_string(i));
    std::vector<std::string> bytes;
    for (char c : stream)
        bytes.emplace_back(1, c);
    expect_same(whole, drain(bytes, pieces, limits), "byte at a time");
    return whole;
}

struct Golden {
    Message message;
    const char* hex;
};

// Hand-written wire bytes for every message type. Bitfields are for 11 pieces.
const std::vector<Golden>& goldens() {
    static const std::vector<Golden> g = {
        {KeepAlive{}, "00000000"},
        {Choke{}, "00000001 00"},
        {Unchoke{}, "00000001 01"},
        {Interested{}, "00000001 02"},
        {NotInterested{}, "00000001 03"},
        {Have{0x01020304}, "00000005 04 01020304"},
        {BitfieldMsg{std::string("\xff\xe0", 2)}, "00000003 05 ffe0"},
        {Request{1, 0x4000, 0x4000}, "0000000d 06 00000001 00004000 00004000"},
        {Piece{2, 0x8000, "abc"}, "0000000c 07 00000002 00008000 616263"},
        {Cancel{0xfffffffe, 0, 0x10}, "0000000d 08 fffffffe 00000000 00000010"},
        {Suggest{7}, "00000005 0d 00000007"},
        {HaveAll{}, "00000001 0e"},
        {HaveNone{}, "00000001 0f"},
        {Reject{3, 0x1c000, 0x4000}, "0000000d 10 00000003 0001c000 00004000"},
        {AllowedFast{0x11223344}, "00000005 11 11223344"},
        {Extended{0, "d1:v3:mte"}, "0000000b 14 00 64313a76333a6d7465"},
        {Extended{3, ""}, "00000002 14 03"},
        {Unknown{0x42, 2}, "00000003 42 0000"},
    };
    return g;
}

std::string encoded(const Message& m) {
    std::string out;
    encode(m, out);
    return out;
}

TEST(PeerWire, GoldenEncode) {
    for (const Golden& g : goldens())
        EXPECT_EQ(to_hex(encoded(g.message)), to_hex(unhex(g.hex))) << message_name(g.message);
}

TEST(PeerWire, GoldenDecode) {
    for (const Golden& g : goldens()) {
        const std::string bytes = unhex(g.hex);
        Drained d = drain({bytes}, 11);
        ASSERT_FALSE(d.error) << message_name(g.message) << ": " << d.error->message;
        ASSERT_EQ(d.messages.size(), 1u) << message_name(g.message);
        EXPECT_EQ(d.messages[0], g.message) << message_name(g.message);
        EXPECT_EQ(d.ends[0], bytes.size());
    }
}

TEST(PeerWire, EncodeAppends) {
    std::string out = "xy";
    encode(Choke{}, out);
    EXPECT_EQ(out, std::string("xy\0\0\0\1\0", 7));
}

TEST(PeerWire, RoundTripEveryType) {
    std::vector<Message> all;
    for (const Golden& g : goldens())
        all.push_back(g.message);
    all.push_back(Piece{0xffffffff, 0xffffffff, std::string(16 * 1024, '\xab')});
    all.push_back(Piece{5, 0, ""});
    all.push_back(Extended{1, std::string(16 * 1024 + 50, 'x')});
    all.push_back(Have{0});
    all.push_back(Request{0, 0, 0});
    for (const Message& m : all) {
        Drained d = drain({encoded(m)}, 11);
        ASSERT_FALSE(d.error) << message_name(m) << ": " << d.error->message;
        ASSERT_EQ(d.messages.size(), 1u);
        EXPECT_EQ(d.messages[0], m) << message_name(m);
    }
}

TEST(PeerWire, BitfieldRoundTripWithoutPieceCount) {
    const Message m = BitfieldMsg{std::string("\x12\x34\x57", 3)};
    Drained d = drain({encoded(m)});
    ASSERT_FALSE(d.error) << d.error->message;
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0], m);
}

TEST(PeerWire, PieceHeaderMatchesPieceMessage) {
    const Piece p{9, 0x4000, std::string(100, 'z')};
    std::string out;
    encode_piece_header(p.index, p.begin, static_cast<std::uint32_t>(p.block.size()), out);
    EXPECT_EQ(out.size(), kPieceHeaderSize);
    EXPECT_EQ(to_hex(out),
              "0000006d07000000090000"
              "4000");
    EXPECT_EQ(out + p.block, encoded(p));
}

TEST(PeerWire, StreamSplitAtEveryOffset) {
    // Every golden message with keep-alives between some of them.
    std::string stream;
    std::size_t count = 0;
    for (const Golden& g : goldens()) {
        stream += unhex(g.hex);
        ++count;
        if (count % 3 == 0) {
            stream += unhex("00000000");
            ++count;
        }
    }
    Drained whole = check_all_splits(stream, 11);
    ASSERT_FALSE(whole.error) << whole.error->message;
    EXPECT_EQ(whole.messages.size(), count);
    EXPECT_EQ(whole.ends.back(), stream.size());
    // Without a piece count the bitfield is not checked but still decodes.
    EXPECT_EQ(check_all_splits(stream).messages, whole.messages);
}

TEST(PeerWire, SeveralMessagesInOneFeedKeepLeftovers) {
    const std::string a = encoded(Have{1}) + encoded(KeepAlive{}) + encoded(Piece{1, 2, "xyz"});
    const std::string partial = encoded(Request{1, 2, 3}).substr(0, 7);
    MessageDecoder d;
    d.feed(a + partial);
    std::vector<Message> got;
    for (auto s = d.next(); std::holds_alternative<Message>(s); s = d.next())
        got.push_back(std::get<Message>(std::move(s)));
    EXPECT_EQ(got, (std::vector<Message>{Have{1}, KeepAlive{}, Piece{1, 2, "xyz"}}));
    EXPECT_EQ(d.consumed(), a.size());
    EXPECT_TRUE(std::holds_alternative<MessageDecoder::NeedMore>(d.next()));
    d.feed(encoded(Request{1, 2, 3}).substr(7));
    auto s = d.next();
    ASSERT_TRUE(std::holds_alternative<Message>(s));
    EXPECT_EQ(std::get<Message>(s), Message(Request{1, 2, 3}));
}

// The three 17-byte heads (length, id, 12-byte payload) are the longest the
// decoder buffers before handling a message; its head buffer was 13 bytes and
// these overran it into padding (clang's UBSan, `make fuzz` on the peer_wire
// seed corpus: "index 15 out of bounds for type 'unsigned char[13]'"). Fed one
// byte at a time with every field byte distinct, each must come back intact.
TEST(PeerWire, TwelveBytePayloadsByteByByte) {
    const std::vector<Message> want{Request{0x01020304, 0x05060708, 0x090a0b0c},
                                    Cancel{0xf1f2f3f4, 0xf5f6f7f8, 0xf9fafbfc},
                                    Reject{0x11223344, 0x55667788, 0x99aabbcc}};
    std::string stream;
    for (const auto& m : want)
        stream += encoded(m);
    std::vector<std::string> bytes;
    for (char c : stream)
        bytes.emplace_back(1, c);
    Drained d = drain(bytes);
    ASSERT_FALSE(d.error) << d.error->message;
    EXPECT_EQ(d.messages, want);
}

TEST(PeerWire, PieceBlockMovesOut) {
    MessageDecoder d;
    d.feed(encoded(Piece{4, 0, std::string(16 * 1024, 'q')}));
    auto s = d.next();
    ASSERT_TRUE(std::holds_alternative<Message>(s));
    Piece p = std::get<Piece>(std::get<Message>(std::move(s)));
    const std::string block = std::move(p.block);
    EXPECT_EQ(block, std::string(16 * 1024, 'q'));
}

TEST(PeerWire, FullBlockIsWithinTheDefaultLimit) {
    const std::string msg = encoded(Piece{0, 0, std::string(16 * 1024, 'a')});
    EXPECT_EQ(msg.size(), 16u * 1024 + 13);
    Drained d = drain({msg});
    ASSERT_FALSE(d.error) << d.error->message;
    EXPECT_EQ(d.messages.size(), 1u);
}

TEST(PeerWire, UnknownIdsAreSkipped) {
    const std::string stream =
        unhex("00000004 ff 010203") + encoded(Have{5}) + unhex("00000001 15");
    Drained d = check_all_splits(stream);
    ASSERT_FALSE(d.error) << d.error->message;
    EXPECT_EQ(d.messages, (std::vector<Message>{Unknown{0xff, 3}, Have{5}, Unknown{0x15, 0}}));
}

TEST(PeerWire, WrongLengthForEveryFixedSizeMessage) {
    const std::vector<std::pair<std::uint8_t, std::uint32_t>> fixed = {
        {0, 1},  {1, 1},    {2, 1},    {3, 1},    {4, 5},     {6, 13},
        {8, 13}, {0x0D, 5}, {0x0E, 1}, {0x0F, 1}, {0x10, 13}, {0x11, 5},
    };
    for (auto [id, good] : fixed) {
        for (std::uint32_t len : {good - 1, good + 1, good + 100}) {
            if (len == 0) continue;  // a keep-alive
            std::string head;
            head += std::string(1, static_cast<char>(len >> 24)) +
                    static_cast<char>((len >> 16) & 0xff) + static_cast<char>((len >> 8) & 0xff) +
                    static_cast<char>(len & 0xff) + static_cast<char>(id);
            // Refused as soon as the id is in: the payload is never waited for.
            Drained d = drain({encoded(Have{1}) + head});
            ASSERT_TRUE(d.error) << int(id) << " " << len;
            EXPECT_EQ(d.error->code, Errc::parse_error);
            EXPECT_NE(d.error->message.find(message_name(id)), std::string::npos)
                << d.error->message;
            EXPECT_NE(d.error->message.find("expected " + std::to_string(good)), std::string::npos)
                << d.error->message;
            EXPECT_EQ(d.error->offset, 9u);  // after the have
            EXPECT_EQ(d.messages, (std::vector<Message>{Have{1}}));
        }
    }
}

TEST(PeerWire, ShortPieceAndExtendedAreParseErrors) {
    for (const char* hex : {"00000008 07 00000000 000000", "00000001 07", "00000001 14"}) {
        Drained d = check_all_splits(unhex(hex));
        ASSERT_TRUE(d.error) << hex;
        EXPECT_EQ(d.error->code, Errc::parse_error) << hex;
        EXPECT_NE(d.error->message.find("expected at least"), std::string::npos);
    }
}

TEST(PeerWire, OversizeLengthRefusedBeforeBuffering) {
    MessageDecoder d;
    d.feed(unhex("7fffffff"));
    auto s = d.next();
    ASSERT_TRUE(std::holds_alternative<Error>(s));
    EXPECT_EQ(std::get<Error>(s).code, Errc::limit_exceeded);
    EXPECT_EQ(std::get<Error>(s).offset, 0u);
    EXPECT_NE(std::get<Error>(s).message.find("2147483647"), std::string::npos);
    // Sticky, and later bytes are ignored.
    d.feed(encoded(Choke{}));
    EXPECT_TRUE(std::holds_alternative<Error>(d.next()));
    EXPECT_TRUE(std::holds_alternative<Error>(d.next()));
}

TEST(PeerWire, PerMessageLimits) {
    Limits limits;
    limits.max_length = 100;
    limits.max_extended_length = 1000;
    struct Case {
        const char* hex;
        bool ok;
    };
    for (Case c : {Case{"00000065 07", false},     // piece: 101 > 100
                   Case{"00000064 07", true},      // piece: exactly 100
                   Case{"00000065 99", false},     // unknown id: 101 > 100
                   Case{"00000065 05", false},     // bitfield, piece count unknown
                   Case{"000003e8 14", true},      // extended: exactly 1000
                   Case{"000003e9 14", false}}) {  // extended: 1001
        Drained d = drain({unhex(c.hex)}, std::nullopt, limits);
        EXPECT_EQ(!d.error, c.ok) << c.hex;
        if (d.error) {
            EXPECT_EQ(d.error->code, Errc::limit_exceeded) << c.hex;
        }
    }
    // Over every limit: refused before the id arrives.
    Drained d = drain({unhex("000003e9")}, std::nullopt, limits);
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->code, Errc::limit_exceeded);
}

TEST(PeerWire, LargeBitfieldAllowedByPieceCount) {
    // 200,000 pieces: a 25,000-byte bitfield, over max_length but exact.
    std::string bits(25000, '\0');
    bits[0] = '\x80';
    const std::string msg = encoded(BitfieldMsg{bits});
    Drained d = drain({msg}, 200000);
    ASSERT_FALSE(d.error) << d.error->message;
    EXPECT_EQ(d.messages, (std::vector<Message>{BitfieldMsg{bits}}));
    // Without the piece count the same message is over the limit.
    Drained unknown = drain({msg});
    ASSERT_TRUE(unknown.error);
    EXPECT_EQ(unknown.error->code, Errc::limit_exceeded);
}

TEST(PeerWire, BitfieldWithSpareBitsSet) {
    Drained d = check_all_splits(encoded(Have{1}) + unhex("00000003 05 fff0"), 11);
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->code, Errc::parse_error);
    EXPECT_NE(d.error->message.find("spare bits"), std::string::npos) << d.error->message;
    EXPECT_EQ(d.error->offset, 9u);
    EXPECT_EQ(d.messages, (std::vector<Message>{Have{1}}));
}

TEST(PeerWire, BitfieldOfWrongLength) {
    for (const char* hex : {"00000002 05 ff", "00000004 05 ffe000", "00000001 05"}) {
        Drained d = check_all_splits(unhex(hex), 11);
        ASSERT_TRUE(d.error) << hex;
        EXPECT_EQ(d.error->code, Errc::parse_error);
        EXPECT_NE(d.error->message.find("for 11 pieces, expected 2"), std::string::npos)
            << d.error->message;
    }
}

TEST(PeerWire, PieceCountLearnedLater) {
    MessageDecoder d;
    d.set_piece_count(11);
    d.feed(unhex("00000002 05 ff"));
    EXPECT_TRUE(std::holds_alternative<Error>(d.next()));
}

TEST(PeerWire, MessageNames) {
    EXPECT_STREQ(message_name(Message(KeepAlive{})), "keep-alive");
    EXPECT_STREQ(message_name(Message(Reject{})), "reject request");
    EXPECT_STREQ(message_name(Message(Extended{})), "extended");
    EXPECT_STREQ(message_name(Message(Unknown{})), "unknown");
    EXPECT_STREQ(message_name(std::uint8_t{0x11}), "allowed fast");
    EXPECT_STREQ(message_name(std::uint8_t{9}), "port");
    EXPECT_STREQ(message_name(Message(PortMsg{})), "port");
    EXPECT_STREQ(message_name(std::uint8_t{0x12}), "unknown");
}

// BEP 5's PORT: length 3, id 9, the port big-endian.
TEST(PeerWire, PortMessageGoldenBytes) {
    std::string out;
    encode(Message(PortMsg{6881}), out);
    EXPECT_EQ(out, std::string("\0\0\0\x03\x09\x1a\xe1", 7));
    MessageDecoder d(std::uint32_t{10});
    d.feed(out);
    auto step = d.next();
    auto* m = std::get_if<Message>(&step);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(std::holds_alternative<PortMsg>(*m));
    EXPECT_EQ(std::get<PortMsg>(*m).port, 6881);
    // Any other length is an error.
    MessageDecoder bad(std::uint32_t{10});
    bad.feed(std::string("\0\0\0\x04\x09\x1a\xe1\x00", 8));
    EXPECT_TRUE(std::holds_alternative<common::Error>(bad.next()));
    Handshake h;
    EXPECT_FALSE(h.dht());
    h.set_dht(true);
    EXPECT_EQ(h.reserved[7], 0x01);
    EXPECT_TRUE(h.dht());
}

// ---- Handshake ---------------------------------------------------------------

const char* kHandshakeHex =
    "13 426974546f7272656e742070726f746f636f6c"  // 19 "BitTorrent protocol"
    "0000000000100004"                           // reserved: extended, fast
    "0102030405060708090a0b0c0d0e0f1011121314"   // info_hash
    "2d4d54303130302d6162636465666768696a6b6c";  // peer_id "-MT0100-abcdefghijkl"

Handshake sample_handshake() {
    Handshake h;
    h.set_fast(true);
    h.set_extended(true);
    h.info_hash = InfoHash::from_bytes(unhex("0102030405060708090a0b0c0d0e0f1011121314"));
    h.peer_id = PeerId::from_bytes("-MT0100-abcdefghijkl");
    return h;
}

TEST(Handshake, GoldenEncodeDecode) {
    std::string out;
    encode(sample_handshake(), out);
    EXPECT_EQ(out.size(), kHandshakeSize);
    EXPECT_EQ(to_hex(out), to_hex(unhex(kHandshakeHex)));

    auto h = decode_handshake(out);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(*h, sample_handshake());
    EXPECT_TRUE(h->fast());
    EXPECT_TRUE(h->extended());
}

TEST(Handshake, ReservedBits) {
    Handshake h;
    EXPECT_FALSE(h.fast());
    EXPECT_FALSE(h.extended());
    h.set_fast(true);
    EXPECT_EQ(h.reserved[7], 0x04);
    h.set_extended(true);
    EXPECT_EQ(h.reserved[5], 0x10);
    h.set_fast(false);
    EXPECT_EQ(h.reserved[7], 0);
    EXPECT_TRUE(h.extended());
}

TEST(Handshake, HeadFromFirst48Bytes) {
    const std::string full = unhex(kHandshakeHex);
    auto head = decode_handshake_head(full.substr(0, kHandshakeHeadSize));
    ASSERT_TRUE(head.ok()) << head.error().message;
    EXPECT_EQ(head->info_hash, sample_handshake().info_hash);
    EXPECT_EQ(head->reserved, sample_handshake().reserved);
    EXPECT_TRUE(head->fast());
    EXPECT_TRUE(head->extended());
    EXPECT_TRUE(decode_handshake_head(full).ok());
}

TEST(Handshake, BytesAfterTheHandshakeAreNotExamined) {
    const std::string full = unhex(kHandshakeHex) + encoded(Interested{});
    auto h = decode_handshake(full);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(*h, sample_handshake());
}

TEST(Handshake, Truncated) {
    const std::string full = unhex(kHandshakeHex);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{47}, std::size_t{67}}) {
        auto h = decode_handshake(full.substr(0, n));
        ASSERT_FALSE(h.ok()) << n;
        EXPECT_EQ(h.error().code, Errc::parse_error);
        EXPECT_NE(h.error().message.find("truncated"), std::string::npos);
    }
    auto head = decode_handshake_head(full.substr(0, 47));
    ASSERT_FALSE(head.ok());
    EXPECT_NE(head.error().message.find("of 48 bytes"), std::string::npos);
}

TEST(Handshake, WrongProtocol) {
    std::string bad_len = unhex(kHandshakeHex);
    bad_len[0] = 18;
    auto a = decode_handshake(bad_len);
    ASSERT_FALSE(a.ok());
    EXPECT_NE(a.error().message.find("length 18"), std::string::npos);

    std::string bad_name = unhex(kHandshakeHex);
    bad_name[19] = 'L';  // "BitTorrent protocoL"
    auto b = decode_handshake(bad_name);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().code, Errc::parse_error);
    EXPECT_NE(b.error().message.find("not 'BitTorrent protocol'"), std::string::npos);
    EXPECT_FALSE(decode_handshake_head(bad_name).ok());
}

}  // namespace
}  // namespace mt::common::wire
