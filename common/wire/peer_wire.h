// BitTorrent peer wire protocol codec (BEP 3, BEP 6 fast extension, BEP 10
// extension protocol framing). Pure: no sockets; all integers big-endian.
//
// Handshake, 68 bytes:
//   offset  size  field
//   0       1     pstrlen = 19
//   1       19    pstr = "BitTorrent protocol"
//   20      8     reserved (reserved[5] & 0x10: BEP 10; reserved[7] & 0x04: BEP 6)
//   28      20    info_hash
//   48      20    peer_id
// The first 48 bytes (the "head") can be decoded alone, so that a server can
// check the info_hash before the peer id arrives: some clients wait for our
// handshake before sending theirs.
//
// Message: u32 length | u8 id | payload (length = 1 + payload size);
// length 0 is a keep-alive and has no id.
//   id    message          payload                              BEP
//   0     choke            none                                 3
//   1     unchoke          none                                 3
//   2     interested       none                                 3
//   3     not interested   none                                 3
//   4     have             u32 piece                            3
//   5     bitfield         ceil(pieces / 8) bytes, spare bits 0 3
//   6     request          u32 index, u32 begin, u32 length     3
//   7     piece            u32 index, u32 begin, block          3
//   8     cancel           u32 index, u32 begin, u32 length     3
//   0x0D  suggest piece    u32 piece                            6
//   0x0E  have all         none                                 6
//   0x0F  have none        none                                 6
//   0x10  reject request   u32 index, u32 begin, u32 length     6
//   0x11  allowed fast     u32 piece                            6
//   20    extended         u8 extension id, payload (opaque)    10
//
// The codec checks framing only. Whether a message is allowed now (bitfield
// only first, fast messages only when both sides set the bit, a have index
// below the piece count, request lengths) is the connection's business.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/ids.h"
#include "common/result.h"

namespace mt::common::wire {

// ---- Handshake ---------------------------------------------------------------

inline constexpr std::string_view kProtocolName = "BitTorrent protocol";
inline constexpr std::size_t kHandshakeSize = 68;
inline constexpr std::size_t kHandshakeHeadSize = 48;  // up to and including info_hash

using Reserved = std::array<std::uint8_t, 8>;

struct HandshakeHead {
    Reserved reserved{};
    InfoHash info_hash;

    bool fast() const { return (reserved[7] & 0x04) != 0; }      // BEP 6
    bool extended() const { return (reserved[5] & 0x10) != 0; }  // BEP 10
    bool dht() const { return (reserved[7] & 0x01) != 0; }       // BEP 5
    friend bool operator==(const HandshakeHead&, const HandshakeHead&) = default;
};

struct Handshake {
    Reserved reserved{};
    InfoHash info_hash;
    PeerId peer_id;

    bool fast() const { return (reserved[7] & 0x04) != 0; }      // BEP 6
    bool extended() const { return (reserved[5] & 0x10) != 0; }  // BEP 10
    bool dht() const { return (reserved[7] & 0x01) != 0; }       // BEP 5
    void set_fast(bool on) { set_bit(7, 0x04, on); }
    void set_extended(bool on) { set_bit(5, 0x10, on); }
    void set_dht(bool on) { set_bit(7, 0x01, on); }
    friend bool operator==(const Handshake&, const Handshake&) = default;

  private:
    void set_bit(std::size_t byte, std::uint8_t bit, bool on) {
        reserved[byte] =
            static_cast<std::uint8_t>(on ? reserved[byte] | bit : reserved[byte] & ~bit);
    }
};

// Appends the 68-byte handshake to `out`.
void encode(const Handshake& h, std::string& out);

// Decodes the first 68 bytes of `in` (bytes after them are not examined: they
// belong to the messages that follow). Errors (parse_error): fewer than 68
// bytes; pstrlen other than 19; pstr other than "BitTorrent protocol".
Result<Handshake> decode_handshake(std::string_view in);
// The same for the first 48 bytes only (errors as above, with 48).
Result<HandshakeHead> decode_handshake_head(std::string_view in);

// ---- Messages ----------------------------------------------------------------

enum class MessageId : std::uint8_t {
    choke = 0,            // BEP 3
    unchoke = 1,          // BEP 3
    interested = 2,       // BEP 3
    not_interested = 3,   // BEP 3
    have = 4,             // BEP 3
    bitfield = 5,         // BEP 3
    request = 6,          // BEP 3
    piece = 7,            // BEP 3
    cancel = 8,           // BEP 3
    port = 9,             // BEP 5: the sender's DHT port
    suggest = 0x0D,       // BEP 6
    have_all = 0x0E,      // BEP 6
    have_none = 0x0F,     // BEP 6
    reject = 0x10,        // BEP 6
    allowed_fast = 0x11,  // BEP 6
    extended = 20,        // BEP 10
};

// "have", "reject request", ...; "unknown" for ids not in the table.
const char* message_name(std::uint8_t id);

struct KeepAlive {
    friend bool operator==(const KeepAlive&, const KeepAlive&) = default;
};
struct Choke {
    friend bool operator==(const Choke&, const Choke&) = default;
};
struct Unchoke {
    friend bool operator==(const Unchoke&, const Unchoke&) = default;
};
struct Interested {
    friend bool operator==(const Interested&, const Interested&) = default;
};
struct NotInterested {
    friend bool operator==(const NotInterested&, const NotInterested&) = default;
};
struct Have {
    std::uint32_t piece = 0;
    friend bool operator==(const Have&, const Have&) = default;
};
// The raw wire bytes; common::Bitfield::from_wire(std::move(bits), pieces)
// turns them into a Bitfield without a copy.
struct BitfieldMsg {
    std::string bits;
    friend bool operator==(const BitfieldMsg&, const BitfieldMsg&) = default;
};
struct Request {
    std::uint32_t index = 0, begin = 0, length = 0;
    friend bool operator==(const Request&, const Request&) = default;
};
struct Piece {
    std::uint32_t index = 0, begin = 0;
    std::string block;
    friend bool operator==(const Piece&, const Piece&) = default;
};
struct Cancel {
    std::uint32_t index = 0, begin = 0, length = 0;
    friend bool operator==(const Cancel&, const Cancel&) = default;
};
struct Suggest {
    std::uint32_t piece = 0;
    friend bool operator==(const Suggest&, const Suggest&) = default;
};
struct HaveAll {
    friend bool operator==(const HaveAll&, const HaveAll&) = default;
};
struct HaveNone {
    friend bool operator==(const HaveNone&, const HaveNone&) = default;
};
struct Reject {
    std::uint32_t index = 0, begin = 0, length = 0;
    friend bool operator==(const Reject&, const Reject&) = default;
};
struct AllowedFast {
    std::uint32_t piece = 0;
    friend bool operator==(const AllowedFast&, const AllowedFast&) = default;
};
// BEP 5: the UDP port of the sender's DHT node (its reserved[7] & 0x01).
struct PortMsg {
    std::uint16_t port = 0;
    friend bool operator==(const PortMsg&, const PortMsg&) = default;
};
struct Extended {
    std::uint8_t ext_id = 0;  // 0: the BEP 10 handshake
    std::string payload;      // opaque here (bencoded dict, maybe followed by data)
    friend bool operator==(const Extended&, const Extended&) = default;
};
// A message with an id not in the table. BEP 3 says to ignore it: the decoder
// skips the payload without buffering it. `length` is the payload size.
struct Unknown {
    std::uint8_t id = 0;
    std::uint32_t length = 0;
    friend bool operator==(const Unknown&, const Unknown&) = default;
};

using Message = std::variant<KeepAlive, Choke, Unchoke, Interested, NotInterested, Have,
                             BitfieldMsg, Request, Piece, Cancel, Suggest, HaveAll, HaveNone,
                             Reject, AllowedFast, PortMsg, Extended, Unknown>;

// "keep-alive", "piece", ... for logs.
const char* message_name(const Message& m);

// Appends the framed message (length prefix included) to `out`. Unknown is
// written as its id and `length` zero bytes (its payload was not kept); we
// never need to send one.
void encode(const Message& m, std::string& out);

inline constexpr std::size_t kPieceHeaderSize = 13;  // length, id, index, begin

// Appends only the 13-byte header of a piece message carrying `block_len`
// bytes, so a sender can write the block from its own buffer (writev).
// block_len must be at most 2^32 - 10 (asserted).
void encode_piece_header(std::uint32_t index, std::uint32_t begin, std::uint32_t block_len,
                         std::string& out);

// ---- Incremental decoder -----------------------------------------------------

// Turns the byte stream that follows the handshake into messages.
//
// feed() decodes eagerly: payload bytes are copied once, from the fed bytes
// straight into the message's string (a piece's block can be moved out of the
// Piece). Decoded messages wait in a queue for next(); a caller that drains
// next() until NeedMore after every feed() keeps the queue at most one read's
// worth of messages. Partial frames keep only what is needed: at most 13
// header bytes, and the payload string once the length has passed the limits.
//
// Limits apply to the length field (id + payload), checked as soon as the
// length and id are in, before anything is allocated:
//   - any length over every applicable limit: limit_exceeded as soon as the
//     four length bytes are in (0x7fffffff never waits for the id);
//   - extended: max_extended_length; bitfield with a known piece count:
//     exactly 1 + ceil(pieces / 8), else parse_error; everything else
//     (piece, unknown ids, bitfield with an unknown piece count): max_length,
//     else limit_exceeded;
//   - fixed-size messages of another length: parse_error naming the message;
//     piece shorter than 9, extended shorter than 2: parse_error;
//   - bitfield with spare bits set (piece count known): parse_error.
// Errors carry the stream offset of the bad message's length prefix. An error
// is sticky: the messages decoded before it come out of next() first, then
// the error, on every later call; bytes fed after it are ignored.
class MessageDecoder {
  public:
    struct Limits {
        // A full 16 KiB block: a piece message of 16 KiB + 13 bytes on the wire.
        std::uint32_t max_length = 16 * 1024 + 9;
        // BEP 9 metadata pieces are 16 KiB; BEP 10 handshakes are small.
        std::uint32_t max_extended_length = 1024 * 1024;
    };
    struct NeedMore {};
    using Step = std::variant<NeedMore, Message, Error>;

    MessageDecoder() = default;
    // piece_count: nullopt until the metadata is known (magnet links).
    explicit MessageDecoder(std::optional<std::uint32_t> piece_count) : piece_count_(piece_count) {}
    MessageDecoder(std::optional<std::uint32_t> piece_count, const Limits& limits)
        : limits_(limits), piece_count_(piece_count) {}

    // Once the metadata is known (BEP 9). Applies to frames whose id has not
    // arrived yet.
    void set_piece_count(std::uint32_t pieces) { piece_count_ = pieces; }

    void feed(std::string_view bytes);
    Step next();

    // Stream bytes up to the end of the last message next() returned.
    std::uint64_t consumed() const { return consumed_; }

  private:
    enum class Stage { length, id, fixed, payload, skip };

    void start_frame();
    void on_length();
    void on_id();
    void finish_fixed();
    void finish_payload();
    void emit(Message m);
    void fail(Errc code, std::string message);
    std::uint32_t length_cap() const;

    Limits limits_;
    std::optional<std::uint32_t> piece_count_;
    Stage stage_ = Stage::length;
    // The longest head read before a message is handled: length, id and the
    // 12-byte payload of request, cancel and reject (a piece's head is 13).
    static constexpr std::size_t kMaxHeadBytes = 4 + 1 + 12;
    unsigned char hdr_[kMaxHeadBytes] = {};
    std::size_t hdr_len_ = 0;       // bytes of hdr_ filled
    std::size_t hdr_need_ = 4;      // bytes hdr_ must hold before the next step
    std::uint32_t length_ = 0;      // the current frame's length field
    std::uint64_t remaining_ = 0;   // payload / skip bytes still to come
    std::string payload_;           // the current frame's variable payload
    std::uint64_t stream_pos_ = 0;  // bytes of the stream seen by feed()
    std::uint64_t frame_start_ = 0;
    std::uint64_t consumed_ = 0;
    std::deque<std::pair<Message, std::uint64_t>> ready_;  // message, stream end
    std::optional<Error> error_;
};

}  // namespace mt::common::wire
