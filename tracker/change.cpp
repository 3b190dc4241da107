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
    common::append_u8(out, owned ? kOwnedMetainfoPut : static_cast<std::uint8_t>(c.kind));
    common::append_u8(out, c.origin);
    common::append_u64(out, c.seq);
    common::append_u64(out, static_cast<std::uint64_t>(c.time_ms));
    out.append(c.info_hash.view());
    switch (c.kind) {
        case Change::Kind::peer_put:
            common::append_u32(out, c.ip);
            common::append_u16(out, c.port);
            common::append_u32(out, c.key);
            common::append_u64(out, c.left);
            common::append_u64(out, c.uploaded);
            common::append_u64(out, c.downloaded);
            break;
        case Change::Kind::peer_remove:
            common::append_u32(out, c.ip);
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
    if (kind < 1 || kind > kOwnedMetainfoPut) return bad("unknown kind " + std::to_string(kind), 0);
    if (c.origin != 1 && c.origin != 2)
        return bad("origin " + std::to_string(c.origin) + " is not 1 or 2", 1);
    if (c.seq == 0) return bad("sequence number 0", 2);
    c.time_ms = static_cast<std::int64_t>(time);
    c.info_hash = common::InfoHash::from_bytes(hash);
    std::string_view peer_id;
    if (kind == kOldPeerPut) {
        c.kind = Change::Kind::peer_put;
        if (!r.bytes(20, peer_id) || !r.u32(c.ip) || !r.u16(c.port) || !r.u64(c.left) ||
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
    c.kind = static_cast<Change::Kind>(kind);
    switch (c.kind) {
        case Change::Kind::peer_put:
            if (!r.u32(c.ip) || !r.u16(c.port) || !r.u32(c.key) || !r.u64(c.left) ||
                !r.u64(c.uploaded) || !r.u64(c.downloaded))
                return bad("peer_put record is short", data.size());
            break;
        case Change::Kind::peer_remove:
            if (!r.u32(c.ip) || !r.u16(c.port))
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
