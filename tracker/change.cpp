#include "tracker/change.h"

#include "common/byte_io.h"

namespace mt::tracker {

using common::ByteReader;
using common::Errc;
using common::make_error;

namespace {
// The records of trackers that keyed peers by peer id (change.h).
constexpr std::uint8_t kOldPeerPut = 1;
constexpr std::uint8_t kOldPeerRemove = 2;
// A metainfo_put with an owner (change.h).
constexpr std::uint8_t kOwnedMetainfoPut = 7;
// Peer records of IPv6 peers (change.h).
constexpr std::uint8_t kPeerPut6 = 8;
constexpr std::uint8_t kPeerRemove6 = 9;
constexpr std::uint8_t kLastKind = kPeerRemove6;

void append_ip(std::string& out, const common::IpAddr& ip) {
    if (ip.is_v4())
        common::append_u32(out, ip.v4());
    else
        out.append(ip.wire_bytes());
}

bool read_ip(ByteReader& r, bool v6, common::IpAddr& ip) {
    if (!v6) {
        std::uint32_t v4 = 0;
        if (!r.u32(v4)) return false;
        ip = common::IpAddr(v4);
        return true;
    }
    std::string_view b;
    if (!r.bytes(16, b)) return false;
    ip = common::IpAddr::from_v6_bytes(reinterpret_cast<const std::uint8_t*>(b.data()));
    // A mapped IPv4 address in a v6 record would be a second spelling of a key.
    return !ip.is_v4();
}

std::uint8_t wire_kind(const Change& c) {
    const bool v6 = !c.ip.is_v4();
    switch (c.kind) {
        case Change::Kind::peer_put:
            return v6 ? kPeerPut6 : static_cast<std::uint8_t>(c.kind);
        case Change::Kind::peer_remove:
            return v6 ? kPeerRemove6 : static_cast<std::uint8_t>(c.kind);
        case Change::Kind::metainfo_put:
            return c.owner.empty() ? static_cast<std::uint8_t>(c.kind) : kOwnedMetainfoPut;
        case Change::Kind::metainfo_remove:
            break;
    }
    return static_cast<std::uint8_t>(c.kind);
}
}  // namespace

bool operator==(const Change& a, const Change& b) {
    return a.kind == b.kind && a.origin == b.origin && a.seq == b.seq && a.time_ms == b.time_ms &&
           a.info_hash == b.info_hash && a.ip == b.ip && a.port == b.port && a.key == b.key &&
           a.left == b.left && a.uploaded == b.uploaded && a.downloaded == b.downloaded &&
           a.metainfo == b.metainfo && a.owner == b.owner;
}

const char* change_kind_name(Change::Kind k) {
    switch (k) {
        case Change::Kind::peer_put:
            return "peer_put";
        case Change::Kind::peer_remove:
            return "peer_remove";
        case Change::Kind::metainfo_put:
            return "metainfo_put";
        case Change::Kind::metainfo_remove:
            return "metainfo_remove";
    }
    return "unknown";
}

void encode_change(const Change& c, std::string& out) {
    const bool owned = c.kind == Change::Kind::metainfo_put && !c.owner.empty();
    common::append_u8(out, wire_kind(c));
    common::append_u8(out, c.origin);
    common::append_u64(out, c.seq);
    common::append_u64(out, static_cast<std::uint64_t>(c.time_ms));
    out.append(c.info_hash.view());
    switch (c.kind) {
        case Change::Kind::peer_put:
            append_ip(out, c.ip);
            common::append_u16(out, c.port);
            common::append_u32(out, c.key);
            common::append_u64(out, c.left);
            common::append_u64(out, c.uploaded);
            common::append_u64(out, c.downloaded);
            break;
        case Change::Kind::peer_remove:
            append_ip(out, c.ip);
            common::append_u16(out, c.port);
            break;
        case Change::Kind::metainfo_put:
            if (owned) out.append(c.owner);
            common::append_u32(out, static_cast<std::uint32_t>(c.metainfo.size()));
            out.append(c.metainfo);
            break;
        case Change::Kind::metainfo_remove:
            break;
    }
}

std::string encode_change(const Change& c) {
    std::string out;
    encode_change(c, out);
    return out;
}

common::Result<Change> decode_change(std::string_view data) {
    auto bad = [&](const std::string& why, std::size_t at) {
        return make_error(Errc::parse_error,
                          "change record: " + why + " at offset " + std::to_string(at), at);
    };
    ByteReader r(data);
    Change c;
    std::uint8_t kind = 0;
    std::uint64_t time = 0;
    std::string_view hash;
    if (!r.u8(kind) || !r.u8(c.origin) || !r.u64(c.seq) || !r.u64(time) || !r.bytes(20, hash))
        return bad("record shorter than its 38-byte header", data.size());
    if (kind < 1 || kind > kLastKind) return bad("unknown kind " + std::to_string(kind), 0);
    if (c.origin != 1 && c.origin != 2)
        return bad("origin " + std::to_string(c.origin) + " is not 1 or 2", 1);
    if (c.seq == 0) return bad("sequence number 0", 2);
    c.time_ms = static_cast<std::int64_t>(time);
    c.info_hash = common::InfoHash::from_bytes(hash);
    std::string_view peer_id;
    if (kind == kOldPeerPut) {
        c.kind = Change::Kind::peer_put;
        if (!r.bytes(20, peer_id) || !read_ip(r, false, c.ip) || !r.u16(c.port) || !r.u64(c.left) ||
            !r.u64(c.uploaded) || !r.u64(c.downloaded))
            return bad("old peer_put record is short", data.size());
        if (r.remaining() != 0) return bad("trailing bytes", r.position());
        return c;
    }
    if (kind == kOldPeerRemove) {
        c.kind = Change::Kind::peer_remove;
        if (!r.bytes(20, peer_id)) return bad("old peer_remove record is short", data.size());
        if (r.remaining() != 0) return bad("trailing bytes", r.position());
        return c;
    }
    if (kind == kOwnedMetainfoPut) {
        std::string_view owner;
        if (!r.bytes(kOwnerBytes, owner)) return bad("metainfo_put record is short", data.size());
        c.owner = std::string(owner);
        kind = static_cast<std::uint8_t>(Change::Kind::metainfo_put);
    }
    const bool v6 = kind == kPeerPut6 || kind == kPeerRemove6;
    if (kind == kPeerPut6) kind = static_cast<std::uint8_t>(Change::Kind::peer_put);
    if (kind == kPeerRemove6) kind = static_cast<std::uint8_t>(Change::Kind::peer_remove);
    c.kind = static_cast<Change::Kind>(kind);
    switch (c.kind) {
        case Change::Kind::peer_put:
            if (!read_ip(r, v6, c.ip) || !r.u16(c.port) || !r.u32(c.key) || !r.u64(c.left) ||
                !r.u64(c.uploaded) || !r.u64(c.downloaded))
                return bad("peer_put record is short", data.size());
            break;
        case Change::Kind::peer_remove:
            if (!read_ip(r, v6, c.ip) || !r.u16(c.port))
                return bad("peer_remove record is short", data.size());
            break;
        case Change::Kind::metainfo_put: {
            std::uint32_t len = 0;
            std::string_view bytes;
            if (!r.u32(len)) return bad("metainfo_put record is short", data.size());
            if (len > kMaxMetainfoBytes)
                return bad("metainfo of " + std::to_string(len) + " bytes is over the limit",
                           r.position() - 4);
            if (!r.bytes(len, bytes)) return bad("metainfo_put record is short", data.size());
            c.metainfo = std::string(bytes);
            break;
        }
        case Change::Kind::metainfo_remove:
            break;
    }
    if (r.remaining() != 0) return bad("trailing bytes", r.position());
    return c;
}

}  // namespace mt::tracker
