// BEP 10 (extension protocol) handshake and BEP 9 (ut_metadata) messages.
// Pure: no sockets. These are the payloads of the peer wire's `extended`
// message (id 20, see peer_wire.h), which carries `u8 extension id | payload`.
//
// Extension handshake (extension id 0), a bencoded dictionary:
//   key            value                                      we
//   m              {extension name: u8 id}; id 0 = disabled    send {ut_metadata: 2}
//   metadata_size  bytes of the info dictionary (BEP 9)        send when we have it
//   p              our TCP listen port                        send when known
//   v              client name and version                     "mtorrent/<version>"
//   reqq           request messages queued without dropping    send
// Unknown keys (yourip, ipv4, ipv6, complete_ago, upload_only, ...) are
// ignored. The ids in `m` are the ones the SENDER wants to receive: we send a
// peer's ut_metadata messages with the id from ITS handshake, and it sends
// ours with kUtMetadataId.
//
// ut_metadata message (extension id as agreed above):
//   offset  content
//   0       bencoded dict {msg_type: 0 request | 1 data | 2 reject, piece: i,
//                          total_size: metadata_size (data only)}
//   n       data only: the raw metadata piece, to the end of the message
// Metadata piece i covers bytes [i * 16 KiB, min((i + 1) * 16 KiB, size)):
// every piece is 16 KiB except the last, which holds the remainder.
//
// Limits (checked before anything is allocated): metadata_size in
// 1..kMaxMetadataSize (8 MiB: 512 pieces, about 160 GiB of file in 512 KiB
// pieces); piece index below kMaxMetadataPieces; a data piece of 1..16 KiB;
// bencoding at most 16 deep and 10,000 values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mt::common::wire {

inline constexpr std::uint8_t kExtHandshakeId = 0;  // BEP 10: extension id of the handshake
inline constexpr std::uint8_t kUtMetadataId = 2;    // the id we assign to ut_metadata
inline constexpr std::string_view kUtMetadata = "ut_metadata";
inline constexpr std::uint32_t kMetadataPieceSize = 16 * 1024;  // BEP 9
inline constexpr std::uint32_t kMaxMetadataSize = 8u * 1024 * 1024;
inline constexpr std::uint32_t kMaxMetadataPieces = kMaxMetadataSize / kMetadataPieceSize;

// ---- Extension handshake (BEP 10) --------------------------------------------

struct ExtHandshake {
    std::map<std::string, std::uint8_t> m;  // entries with id 0 are kept (0 = disabled)
    std::optional<std::uint32_t> metadata_size;
    std::optional<std::uint16_t> port;  // "p"
    std::string client;                 // "v"
    std::optional<std::uint32_t> reqq;

    // The id the peer wants its ut_metadata messages sent with; 0 if it does
    // not speak ut_metadata (absent or disabled).
    std::uint8_t ut_metadata() const;
    friend bool operator==(const ExtHandshake&, const ExtHandshake&) = default;
};

// Appends the bencoded dictionary (the payload after the extension id).
void encode(const ExtHandshake& h, std::string& out);

// Errors:
//   parse_error: not one canonical bencoded dictionary (the bencode error,
//     nesting deeper than 16 or more than 10,000 values included); `m` not a dictionary;
//     m.ut_metadata not an integer in 0..255; `metadata_size`, `p` or `reqq`
//     not an integer; `p` outside 0..65535 (0 = absent); `reqq` below 1;
//     `metadata_size` below 1; `v` not a string
//   limit_exceeded: `metadata_size` over kMaxMetadataSize
// Other entries of `m` that are not integers in 0..255 are skipped (an
// extension we do not speak cannot hurt us); `reqq` above 2^31 - 1 is capped
// there; `v` is cut to 64 bytes.
Result<ExtHandshake> decode_ext_handshake(std::string_view payload);

// ---- ut_metadata (BEP 9) ------------------------------------------------------

enum class MetadataMsgType : std::uint8_t { request = 0, data = 1, reject = 2 };

struct MetadataMsg {
    MetadataMsgType type = MetadataMsgType::request;
    std::uint32_t piece = 0;
    std::uint32_t total_size = 0;  // data only
    std::string data;              // data only: the piece's bytes
    friend bool operator==(const MetadataMsg&, const MetadataMsg&) = default;
};

// Appends the message (dict, then for data the piece bytes). total_size is
// written for data only; data must be empty for request and reject.
void encode(const MetadataMsg& m, std::string& out);

// Errors:
//   unsupported: a msg_type other than 0, 1, 2 (BEP 9: ignore the message)
//   parse_error: no complete bencoded dictionary at the start; msg_type or
//     piece missing or not an integer; bytes after the dictionary of a
//     request or reject; a data message without total_size or without bytes
//   limit_exceeded: piece outside 0..kMaxMetadataPieces-1; total_size outside
//     1..kMaxMetadataSize; a data piece over 16 KiB; the dictionary nested
//     deeper than 16 or holding more than 10,000 values
// The piece number and size are checked against a known metadata_size with
// check_metadata_data().
Result<MetadataMsg> decode_metadata_msg(std::string_view payload);

// Pieces of a metadata of `size` bytes: ceil(size / 16 KiB).
std::uint32_t metadata_piece_count(std::uint32_t size);
// Bytes of piece `piece` (0 if out of range).
std::uint32_t metadata_piece_size(std::uint32_t size, std::uint32_t piece);

// A data message fits a metadata of `size` bytes: its total_size is `size`,
// its piece is in range and its length is exactly that piece's size.
// Errors: parse_error naming the mismatch.
Status check_metadata_data(const MetadataMsg& m, std::uint32_t size);

}  // namespace mt::common::wire
