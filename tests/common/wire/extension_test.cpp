#include "common/wire/extension.h"

#include <gtest/gtest.h>

#include <string>

#include "common/wire/peer_wire.h"

namespace mt::common::wire {
namespace {

using namespace std::string_literals;

TEST(ExtHandshake, EncodesGolden) {
    ExtHandshake h;
    h.m["ut_metadata"] = 2;
    h.metadata_size = 31235;
    h.port = 6881;
    h.client = "mtorrent/0.1.0";
    h.reqq = 512;
    std::string out;
    encode(h, out);
    EXPECT_EQ(out,
              "d1:md11:ut_metadatai2ee13:metadata_sizei31235e1:pi6881e4:reqqi512e"
              "1:v14:mtorrent/0.1.0e");
    auto back = decode_ext_handshake(out);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, h);
    EXPECT_EQ(back->ut_metadata(), 2);
}

TEST(ExtHandshake, EncodesEmpty) {
    std::string out;
    encode(ExtHandshake{}, out);
    EXPECT_EQ(out, "d1:mdee");
    auto back = decode_ext_handshake(out);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->ut_metadata(), 0);
    EXPECT_FALSE(back->metadata_size);
}

// What libtorrent 2.0 sends (as seen on loopback), unknown keys included.
TEST(ExtHandshake, DecodesLibtorrentsIgnoringUnknownKeys) {
    const std::string lt =
        "d12:complete_agoi-1e1:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e"
        "12:ut_holepunchi4e11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei1234e4:reqqi500e"
        "11:upload_onlyi0e1:v18:libtorrent 2.0.8.06:yourip4:\x7f\x00\x00\x01"
        "e"s;
    auto h = decode_ext_handshake(lt);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(h->ut_metadata(), 2);
    EXPECT_EQ(h->m.at("ut_pex"), 1);
    EXPECT_EQ(h->m.size(), 6u);
    EXPECT_EQ(h->metadata_size, 1234u);
    EXPECT_EQ(h->reqq, 500u);
    EXPECT_EQ(h->client, "libtorrent 2.0.8.0");
    EXPECT_FALSE(h->port);
}

TEST(ExtHandshake, DisabledAndOddEntries) {
    // id 0 = disabled; a non-integer id of another extension is skipped.
    auto h = decode_ext_handshake("d1:md6:lt_fooli1ee11:ut_metadatai0eee");
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(h->ut_metadata(), 0);
    EXPECT_EQ(h->m.count("lt_foo"), 0u);
    // p 0 means absent; reqq is capped; v is cut.
    h = decode_ext_handshake("d1:pi0e4:reqqi99999999999e1:v70:" + std::string(70, 'x') + "e");
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_FALSE(h->port);
    EXPECT_EQ(h->reqq, 2147483647u);
    EXPECT_EQ(h->client.size(), 64u);
}

struct BadCase {
    const char* name;
    std::string payload;
    Errc code;
    const char* message;  // a substring of the error
};

TEST(ExtHandshake, RejectsBadInput) {
    const BadCase cases[] = {
        {"empty", "", Errc::parse_error, "extension handshake: "},
        {"not a dict", "li1ee", Errc::parse_error, "not a dictionary"},
        {"trailing", "de0:", Errc::parse_error, "extension handshake"},
        {"unsorted", "d1:pi1e1:mdee", Errc::parse_error, "extension handshake"},
        {"m a list", "d1:mlee", Errc::parse_error, "'m' must be a dictionary"},
        {"ut_metadata string", "d1:md11:ut_metadata1:xee", Errc::parse_error, "m.ut_metadata"},
        {"ut_metadata 256", "d1:md11:ut_metadatai256eee", Errc::parse_error, "m.ut_metadata"},
        {"ut_metadata -1", "d1:md11:ut_metadatai-1eee", Errc::parse_error, "m.ut_metadata"},
        {"size string", "d13:metadata_size1:1e", Errc::parse_error,
         "'metadata_size' must be an integer"},
        {"size 0", "d13:metadata_sizei0ee", Errc::parse_error, "metadata_size 0 is below 1"},
        {"size negative", "d13:metadata_sizei-5ee", Errc::parse_error, "below 1"},
        {"size over 8 MiB", "d13:metadata_sizei8388609ee", Errc::limit_exceeded,
         "metadata_size 8388609 is over the limit of 8388608"},
        {"port 65536", "d1:pi65536ee", Errc::parse_error, "p 65536 is not a port number"},
        {"reqq 0", "d4:reqqi0ee", Errc::parse_error, "reqq 0 is below 1"},
        {"v int", "d1:vi1ee", Errc::parse_error, "'v' must be a string"},
        {"too deep", "d1:x" + std::string(20, 'l') + std::string(20, 'e') + "e", Errc::parse_error,
         "extension handshake: bencode: nesting deeper than 16"},
    };
    for (const auto& c : cases) {
        auto r = decode_ext_handshake(c.payload);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message;
        EXPECT_NE(r.error().message.find(c.message), std::string::npos)
            << c.name << ": " << r.error().message;
    }
    // The largest metadata_size we take.
    auto ok = decode_ext_handshake("d13:metadata_sizei8388608ee");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->metadata_size, kMaxMetadataSize);
}

// The examples of BEP 9.
TEST(UtMetadata, GoldenVectors) {
    std::string out;
    encode(MetadataMsg{MetadataMsgType::request, 0, 0, {}}, out);
    EXPECT_EQ(out, "d8:msg_typei0e5:piecei0ee");
    out.clear();
    encode(MetadataMsg{MetadataMsgType::reject, 0, 0, {}}, out);
    EXPECT_EQ(out, "d8:msg_typei2e5:piecei0ee");
    out.clear();
    encode(MetadataMsg{MetadataMsgType::data, 0, 34256, "xxxxxxxx"}, out);
    EXPECT_EQ(out, "d8:msg_typei1e5:piecei0e10:total_sizei34256eexxxxxxxx");

    // Framed as a peer wire message: u32 length | 20 | ext id | payload.
    std::string framed;
    Extended x{kUtMetadataId, {}};
    encode(MetadataMsg{MetadataMsgType::request, 1, 0, {}}, x.payload);
    encode(Message(x), framed);
    EXPECT_EQ(framed, "\x00\x00\x00\x1b\x14\x02"s + "d8:msg_typei0e5:piecei1ee");
}

TEST(UtMetadata, RoundTrips) {
    const MetadataMsg msgs[] = {
        {MetadataMsgType::request, 0, 0, {}},
        {MetadataMsgType::request, kMaxMetadataPieces - 1, 0, {}},
        {MetadataMsgType::reject, 7, 0, {}},
        {MetadataMsgType::data, 0, 1, "d"},
        {MetadataMsgType::data, 3, kMaxMetadataSize, std::string(kMetadataPieceSize, 'e')},
        // Data that looks like bencode stays data.
        {MetadataMsgType::data, 1, 20000, "d8:msg_typei2ee"},
    };
    for (const auto& m : msgs) {
        std::string out;
        encode(m, out);
        auto back = decode_metadata_msg(out);
        ASSERT_TRUE(back.ok()) << out.substr(0, 60) << ": " << back.error().message;
        EXPECT_EQ(*back, m);
    }
}

TEST(UtMetadata, RejectsBadInput) {
    const BadCase cases[] = {
        {"empty", "", Errc::parse_error, "truncated"},
        {"truncated dict", "d8:msg_typei0e5:piecei0e", Errc::parse_error, "truncated"},
        {"huge string length", "d99999999999:x", Errc::parse_error, "too long"},
        {"string past end", "d5:ab", Errc::parse_error, "truncated"},
        {"bad start", "x", Errc::parse_error, "cannot start"},
        {"not a dict", "li0ee", Errc::parse_error, "not a dictionary"},
        {"no msg_type", "d5:piecei0ee", Errc::parse_error, "msg_type is missing"},
        {"msg_type string", "d8:msg_type1:05:piecei0ee", Errc::parse_error,
         "'msg_type' must be an integer"},
        {"unknown msg_type", "d8:msg_typei3e5:piecei0ee", Errc::unsupported, "unknown msg_type 3"},
        {"no piece", "d8:msg_typei0ee", Errc::parse_error, "piece is missing"},
        {"negative piece", "d8:msg_typei0e5:piecei-1ee", Errc::limit_exceeded,
         "piece -1 is not in 0..511"},
        {"piece 512", "d8:msg_typei0e5:piecei512ee", Errc::limit_exceeded, "piece 512"},
        {"request with data", "d8:msg_typei0e5:piecei0eexyz", Errc::parse_error,
         "3 bytes after the dictionary"},
        {"data without total_size", "d8:msg_typei1e5:piecei0eexx", Errc::parse_error,
         "without total_size"},
        {"data without bytes", "d8:msg_typei1e5:piecei0e10:total_sizei5ee", Errc::parse_error,
         "without data"},
        {"total_size 0", "d8:msg_typei1e5:piecei0e10:total_sizei0eex", Errc::limit_exceeded,
         "total_size 0"},
        {"total_size huge", "d8:msg_typei1e5:piecei0e10:total_sizei8388609eex",
         Errc::limit_exceeded, "total_size 8388609"},
        {"data over 16 KiB",
         "d8:msg_typei1e5:piecei0e10:total_sizei99999ee" + std::string(16385, 'x'),
         Errc::limit_exceeded, "16385 bytes is over 16 KiB"},
        {"non-canonical int", "d8:msg_typei00e5:piecei0ee", Errc::parse_error, "ut_metadata: "},
        {"too deep", "d1:x" + std::string(17, 'l') + std::string(17, 'e') + "e",
         Errc::limit_exceeded, "deeper than 16"},
    };
    for (const auto& c : cases) {
        auto r = decode_metadata_msg(c.payload);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message;
        EXPECT_NE(r.error().message.find(c.message), std::string::npos)
            << c.name << ": " << r.error().message;
    }
}

TEST(UtMetadata, PieceArithmetic) {
    EXPECT_EQ(metadata_piece_count(1), 1u);
    EXPECT_EQ(metadata_piece_count(16384), 1u);
    EXPECT_EQ(metadata_piece_count(16385), 2u);
    EXPECT_EQ(metadata_piece_count(kMaxMetadataSize), kMaxMetadataPieces);
    EXPECT_EQ(metadata_piece_size(16385, 0), 16384u);
    EXPECT_EQ(metadata_piece_size(16385, 1), 1u);
    EXPECT_EQ(metadata_piece_size(16385, 2), 0u);
    EXPECT_EQ(metadata_piece_size(0, 0), 0u);
}

TEST(UtMetadata, CheckDataAgainstSize) {
    const std::uint32_t size = 2 * kMetadataPieceSize + 100;
    MetadataMsg m{MetadataMsgType::data, 2, size, std::string(100, 'x')};
    EXPECT_TRUE(check_metadata_data(m, size).ok());
    m.data += "y";
    EXPECT_NE(check_metadata_data(m, size).error().message.find("101 bytes, expected 100"),
              std::string::npos);
    m = {MetadataMsgType::data, 1, size, std::string(100, 'x')};  // a short middle piece
    EXPECT_NE(check_metadata_data(m, size).error().message.find("expected 16384"),
              std::string::npos);
    m = {MetadataMsgType::data, 3, size, "x"};
    EXPECT_NE(check_metadata_data(m, size).error().message.find("past the last piece 2"),
              std::string::npos);
    m = {MetadataMsgType::data, 0, size + 1, std::string(kMetadataPieceSize, 'x')};
    EXPECT_NE(check_metadata_data(m, size).error().message.find("differs from metadata_size"),
              std::string::npos);
    m.type = MetadataMsgType::reject;
    EXPECT_FALSE(check_metadata_data(m, size).ok());
    m = {MetadataMsgType::data, 0, 1, "x"};
    EXPECT_FALSE(check_metadata_data(m, 0).ok());
}

}  // namespace
}  // namespace mt::common::wire
