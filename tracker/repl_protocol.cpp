#include "tracker/repl_protocol.h"

#include <algorithm>
#include <cstring>

#include "common/aead.h"
#include "common/byte_io.h"
#include "common/hmac_sha256.h"

namespace mt::tracker::repl {

using common::Errc;
using common::make_error;

std::string encode_hello1(std::uint8_t id_s, const Nonce& nonce_s) {
    std::string out(kMagic);
    out.push_back(static_cast<char>(id_s));
    out.append(reinterpret_cast<const char*>(nonce_s.data()), nonce_s.size());
    return out;
}

common::Result<std::pair<std::uint8_t, Nonce>> decode_hello1(std::string_view bytes) {
    if (bytes.size() != kHello1Bytes || bytes.substr(0, kMagic.size()) != kMagic)
        return make_error(Errc::parse_error, "not a replication handshake");
    Nonce n{};
    std::memcpy(n.data(), bytes.data() + 9, n.size());
    return std::make_pair(static_cast<std::uint8_t>(bytes[8]), n);
}

namespace {
// A touch on the wire: info_hash(20) ip(4) port(2) time_ms(8) left(8); in
// a touches6 message ip(16).
constexpr std::size_t kTouchBytes = 42;
constexpr std::size_t kTouch6Bytes = 54;

std::string mac(std::string_view secret, std::string_view label, std::uint8_t id_s,
                std::uint8_t id_r, const Nonce& ns, const Nonce& nr) {
    common::HmacSha256 h(secret);
    h.update(label);
    const char ids[2] = {static_cast<char>(id_s), static_cast<char>(id_r)};
    h.update(std::string_view(ids, 2));
    h.update(std::string_view(reinterpret_cast<const char*>(ns.data()), ns.size()));
    h.update(std::string_view(reinterpret_cast<const char*>(nr.data()), nr.size()));
    const auto d = h.finish();
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}
}  // namespace

std::string responder_mac(std::string_view secret, std::uint8_t id_s, std::uint8_t id_r,
                          const Nonce& ns, const Nonce& nr) {
    return mac(secret, "mtorrent-repl R", id_s, id_r, ns, nr);
}

std::string initiator_mac(std::string_view secret, std::uint8_t id_s, std::uint8_t id_r,
                          const Nonce& ns, const Nonce& nr) {
    return mac(secret, "mtorrent-repl S", id_s, id_r, ns, nr);
}

Keys session_keys(std::string_view secret, std::uint8_t id_s, std::uint8_t id_r, const Nonce& ns,
                  const Nonce& nr, bool initiator) {
    std::string s_to_r = mac(secret, "mtorrent-key S>R", id_s, id_r, ns, nr);
    std::string r_to_s = mac(secret, "mtorrent-key R>S", id_s, id_r, ns, nr);
    if (initiator) return {std::move(s_to_r), std::move(r_to_s)};
    return {std::move(r_to_s), std::move(s_to_r)};
}

void FrameCipher::seal(std::string_view message, std::string& out) {
    char len[4];
    common::store_u32(len, static_cast<std::uint32_t>(message.size() + common::kAeadTagBytes));
    out.append(len, 4);
    common::aead_seal(keys_.send, send_counter_++, std::string_view(len, 4), message, out);
}

std::variant<FrameCipher::NeedMore, std::string, common::Error> FrameCipher::next() {
    if (buf_.size() < 4) return NeedMore{};
    const std::uint32_t len = common::read_u32(buf_.data());
    if (len > kMaxFrameBytes + common::kAeadTagBytes || len < common::kAeadTagBytes)
        return make_error(Errc::limit_exceeded,
                          "replication frame length " + std::to_string(len) + " is out of bounds");
    if (buf_.size() < 4 + static_cast<std::size_t>(len)) return NeedMore{};
    auto plain = common::aead_open(keys_.recv, recv_counter_, std::string_view(buf_.data(), 4),
                                   std::string_view(buf_).substr(4, len));
    if (!plain)
        return make_error(Errc::refused, "replication frame refused: " + plain.error().message);
    ++recv_counter_;
    buf_.erase(0, 4 + static_cast<std::size_t>(len));
    return std::move(plain).value();
}

namespace {
struct Encoder {
    std::string& out;
    void operator()(const Hello& h) const {
        common::append_u8(out, static_cast<std::uint8_t>(MsgType::hello));
        common::append_u64(out, h.clock1);
        common::append_u64(out, h.clock2);
    }
    void operator()(const Changes& c) const {
        std::vector<std::string> records;
        for (const auto& ch : c.changes)
            records.push_back(encode_change(ch));
        out += encode_changes(records);
    }
    void operator()(const Touches& t) const {
        const bool v6 = std::any_of(t.touches.begin(), t.touches.end(),
                                    [](const Touch& x) { return !x.ip.is_v4(); });
        common::append_u8(out,
                          static_cast<std::uint8_t>(v6 ? MsgType::touches6 : MsgType::touches));
        common::append_u32(out, static_cast<std::uint32_t>(t.touches.size()));
        for (const auto& x : t.touches) {
            out.append(x.info_hash.view());
            if (v6)
                out.append(reinterpret_cast<const char*>(x.ip.bytes().data()), 16);
            else
                common::append_u32(out, x.ip.v4());
            common::append_u16(out, x.port);
            common::append_u64(out, static_cast<std::uint64_t>(x.time_ms));
            common::append_u64(out, x.left);
        }
    }
    void operator()(const SnapBegin&) const {
        common::append_u8(out, static_cast<std::uint8_t>(MsgType::snap_begin));
    }
    void operator()(const SnapEnd& s) const {
        common::append_u8(out, static_cast<std::uint8_t>(MsgType::snap_end));
        common::append_u64(out, s.clock1);
        common::append_u64(out, s.clock2);
    }
    void operator()(const Ack& a) const {
        common::append_u8(out, static_cast<std::uint8_t>(MsgType::ack));
        common::append_u64(out, a.seq);
    }
    void operator()(const Ping&) const {
        common::append_u8(out, static_cast<std::uint8_t>(MsgType::ping));
    }
};
}  // namespace

std::string encode_message(const Message& m) {
    std::string out;
    std::visit(Encoder{out}, m);
    return out;
}

std::string encode_changes(const std::vector<std::string>& records) {
    std::string out;
    common::append_u8(out, static_cast<std::uint8_t>(MsgType::changes));
    common::append_u32(out, static_cast<std::uint32_t>(records.size()));
    for (const auto& r : records) {
        common::append_u32(out, static_cast<std::uint32_t>(r.size()));
        out += r;
    }
    return out;
}

namespace {
// The body of a touches (IPv4 addresses) or touches6 (16-byte ones) message.
common::Result<Touches> decode_touches(common::ByteReader& r, bool v6) {
    auto bad = [](const char* why) { return make_error(Errc::parse_error, why); };
    std::uint32_t n = 0;
    if (!r.u32(n)) return bad("short touch batch");
    if (n > r.remaining() / (v6 ? kTouch6Bytes : kTouchBytes))
        return bad("touch count larger than the frame");
    Touches t;
    t.touches.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::string_view h, ip6;
        std::uint32_t ip4 = 0;
        std::uint16_t port = 0;
        std::uint64_t time = 0, left = 0;
        if (!r.bytes(20, h) || !(v6 ? r.bytes(16, ip6) : r.u32(ip4)) || !r.u16(port) ||
            !r.u64(time) || !r.u64(left))
            return bad("short touch");
        const common::IpAddr ip =
            v6 ? common::IpAddr::from_v6_bytes(reinterpret_cast<const std::uint8_t*>(ip6.data()))
               : common::IpAddr(ip4);
        t.touches.push_back(
            {common::InfoHash::from_bytes(h), ip, port, static_cast<std::int64_t>(time), left});
    }
    return t;
}
}  // namespace

common::Result<Message> decode_message(std::string_view bytes) {
    auto bad = [](const std::string& why) {
        return make_error(Errc::parse_error, "replication message: " + why);
    };
    common::ByteReader r(bytes);
    std::uint8_t type = 0;
    if (!r.u8(type)) return bad("empty");
    Message m;
    switch (static_cast<MsgType>(type)) {
        case MsgType::hello: {
            Hello h;
            if (!r.u64(h.clock1) || !r.u64(h.clock2)) return bad("short hello");
            m = h;
            break;
        }
        case MsgType::snap_end: {
            SnapEnd s;
            if (!r.u64(s.clock1) || !r.u64(s.clock2)) return bad("short snapshot end");
            m = s;
            break;
        }
        case MsgType::ack: {
            Ack a;
            if (!r.u64(a.seq)) return bad("short ack");
            m = a;
            break;
        }
        case MsgType::snap_begin:
            m = SnapBegin{};
            break;
        case MsgType::ping:
            m = Ping{};
            break;
        case MsgType::changes: {
            std::uint32_t n = 0;
            if (!r.u32(n)) return bad("short change batch");
            if (n > r.remaining() / 42) return bad("change count larger than the frame");
            Changes c;
            c.changes.reserve(n);
            for (std::uint32_t i = 0; i < n; ++i) {
                std::uint32_t len = 0;
                std::string_view rec;
                if (!r.u32(len) || !r.bytes(len, rec))
                    return bad("change " + std::to_string(i) + " is short");
                auto ch = decode_change(rec);
                if (!ch) return bad(ch.error().message);
                c.changes.push_back(std::move(ch).value());
            }
            m = std::move(c);
            break;
        }
        case MsgType::touches:
        case MsgType::touches6: {
            auto t = decode_touches(r, static_cast<MsgType>(type) == MsgType::touches6);
            if (!t) return bad(t.error().message);
            m = std::move(t).value();
            break;
        }
        default:
            return bad("unknown type " + std::to_string(type));
    }
    if (r.remaining() != 0) return bad("trailing bytes");
    return m;
}

}  // namespace mt::tracker::repl
