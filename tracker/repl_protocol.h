// The replication link between the two trackers: handshake, framing and
// messages. Pure: no sockets, clocks or logs.
//
// Each tracker opens its own connection to the other and pushes its changes
// over it; the accepting side answers with acknowledgements. The link runs on
// the tracker's ordinary TCP port and is recognised by its first 8 bytes.
//
// Handshake (cleartext; S = the tracker that connected, R = the one accepting;
// mac = HMAC-SHA256 under the shared secret):
//
//   S -> R  25 B   "MTREPL01" | id_s(1) | nonce_s(16)
//   R -> S  49 B   id_r(1) | nonce_r(16) | mac("mtorrent-repl R" | id_s | id_r | nonce_s | nonce_r)
//   S -> R  32 B   mac("mtorrent-repl S" | id_s | id_r | nonce_s | nonce_r)
//
// Both sides prove they know the secret without revealing it; fresh nonces on
// both sides make every session's keys different, so nothing recorded from one
// session is accepted in another. Session keys:
//   key S->R = mac("mtorrent-key S>R" | nonces), key R->S = mac("mtorrent-key R>S" | nonces).
//
// Frames (both directions, after the handshake):
//
//   u32 length of the sealed part | AES-256-GCM(key, nonce = frame counter) of the message |
//   tag(16)
//
// The 4-byte length is authenticated as associated data. Counters start at 0
// and go up by one per frame in each direction, so a replayed, dropped,
// reordered or altered frame fails authentication and ends the session.
//
// Messages (plaintext of a frame): u8 type | body
//   1 HELLO      R->S  u64 clock1 | u64 clock2     (highest seq R holds per origin)
//   2 CHANGES    S->R  u32 n | n x (u32 len | change record, see change.h)
//   3 TOUCHES    S->R  u32 n | n x (info_hash 20 | ip 4 | port 2 | i64 time_ms | u64 left)
//   4 SNAP_BEGIN S->R  (empty) — the CHANGES that follow are a full snapshot
//   5 SNAP_END   S->R  u64 clock1 | u64 clock2     (the clock the snapshot covers)
//   6 ACK        R->S  u64 seq                      (S's changes up to seq are durable at R)
//   7 PING       both  (empty; S sends one after 2 s without traffic, R answers each)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "tracker/change.h"
#include "tracker/swarm_store.h"

namespace mt::tracker::repl {

constexpr std::string_view kMagic = "MTREPL01";
constexpr std::size_t kNonceBytes = 16;
constexpr std::size_t kHello1Bytes = 8 + 1 + kNonceBytes;
constexpr std::size_t kHello2Bytes = 1 + kNonceBytes + 32;
constexpr std::size_t kHello3Bytes = 32;
constexpr std::size_t kMaxFrameBytes = 16u << 20;

using Nonce = std::array<std::uint8_t, kNonceBytes>;

struct Keys {
    std::string send;  // 32 bytes
    std::string recv;  // 32 bytes
};

std::string encode_hello1(std::uint8_t id_s, const Nonce& nonce_s);
// Parses S's first message: Errc::parse_error if it is not the link's magic.
common::Result<std::pair<std::uint8_t, Nonce>> decode_hello1(std::string_view bytes);

std::string responder_mac(std::string_view secret, std::uint8_t id_s, std::uint8_t id_r,
                          const Nonce& ns, const Nonce& nr);
std::string initiator_mac(std::string_view secret, std::uint8_t id_s, std::uint8_t id_r,
                          const Nonce& ns, const Nonce& nr);
// `initiator` true gives S's keys (send = S->R), false gives R's.
Keys session_keys(std::string_view secret, std::uint8_t id_s, std::uint8_t id_r, const Nonce& ns,
                  const Nonce& nr, bool initiator);

// Seals and opens frames with a per-direction counter.
class FrameCipher {
  public:
    explicit FrameCipher(Keys keys) : keys_(std::move(keys)) {}
    // Appends one frame carrying `message` to `out`.
    void seal(std::string_view message, std::string& out);
    // Incremental: feed bytes, then next() until it returns NeedMore.
    void feed(std::string_view bytes) { buf_.append(bytes); }
    struct NeedMore {};
    // A message, NeedMore, or an Error (Errc::refused for a frame that fails
    // authentication, Errc::limit_exceeded for an oversized length): the
    // session must end on any error.
    std::variant<NeedMore, std::string, common::Error> next();

  private:
    Keys keys_;
    std::uint64_t send_counter_ = 0;
    std::uint64_t recv_counter_ = 0;
    std::string buf_;
};

enum class MsgType : std::uint8_t {
    hello = 1,
    changes = 2,
    touches = 3,
    snap_begin = 4,
    snap_end = 5,
    ack = 6,
    ping = 7,
    // Touches with an IPv6 peer among them: 16-byte addresses (IPv4 ones
    // mapped). A batch of IPv4 peers only still goes as `touches`.
    touches6 = 8
};

struct Hello {
    std::uint64_t clock1 = 0, clock2 = 0;
};
struct Changes {
    std::vector<Change> changes;
};
struct Touches {
    std::vector<Touch> touches;
};
struct SnapBegin {};
struct SnapEnd {
    std::uint64_t clock1 = 0, clock2 = 0;
};
struct Ack {
    std::uint64_t seq = 0;
};
struct Ping {};

using Message = std::variant<Hello, Changes, Touches, SnapBegin, SnapEnd, Ack, Ping>;

std::string encode_message(const Message& m);
// Already-encoded change records can be batched without decoding them again.
std::string encode_changes(const std::vector<std::string>& records);
common::Result<Message> decode_message(std::string_view bytes);

}  // namespace mt::tracker::repl
