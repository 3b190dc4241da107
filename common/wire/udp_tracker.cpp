#include "common/wire/udp_tracker.h"

#include <cassert>
#include <cstdint>

#include "common/byte_io.h"

namespace mt::common::wire {

namespace {

constexpr std::uint64_t kMaxCounter = static_cast<std::uint64_t>(INT64_MAX);

Error udp_error(Errc code, const std::string& what, std::size_t offset) {
    return make_error(code, "udp tracker: " + what + " (offset " + std::to_string(offset) + ")",
                      offset);
}

Error wrong_size(const char* what, std::size_t got, std::size_t offset) {
    return udp_error(Errc::parse_error,
                     std::string(what) + " has wrong length " + std::to_string(got), offset);
}

void header(std::string& out, UdpAction action, std::uint32_t txid) {
    append_u32(out, static_cast<std::uint32_t>(action));
    append_u32(out, txid);
}

Result<UdpRequest> decode_announce(std::string_view d) {
    if (d.size() < kUdpAnnounceRequestSize)
        return wrong_size("announce request", d.size(), d.size());
    const char* p = d.data();
    UdpAnnounceRequest m;
    m.connection_id = read_u64(p);
    m.transaction_id = read_u32(p + 12);
    AnnounceRequest& r = m.request;
    r.info_hash = InfoHash::from_bytes(d.substr(16, 20));
    r.peer_id = PeerId::from_bytes(d.substr(36, 20));
    r.downloaded = read_u64(p + 56);
    r.left = read_u64(p + 64);
    r.uploaded = read_u64(p + 72);
    const std::size_t counters[] = {56, 64, 72};
    for (std::size_t off : counters)
        if (read_u64(p + off) > kMaxCounter)
            return udp_error(Errc::parse_error, "announce counter above 2^63-1", off);
    const std::uint32_t event = read_u32(p + 80);
    if (event > 3)
        return udp_error(Errc::parse_error, "announce event " + std::to_string(event), 80);
    r.event = static_cast<AnnounceEvent>(event);
    if (const std::uint32_t ip = read_u32(p + 84); ip != 0) r.ip = IpAddr(ip);
    r.key = read_u32(p + 88);
    r.numwant = static_cast<std::int32_t>(read_u32(p + 92));
    r.port = read_u16(p + 96);
    if (r.port == 0) return udp_error(Errc::parse_error, "announce port 0", 96);
    r.compact = true;
    r.no_peer_id = false;
    return UdpRequest(std::move(m));
}

Result<UdpRequest> decode_scrape(std::string_view d) {
    const std::size_t body = d.size() - kUdpScrapeRequestHeader;
    if (body == 0 || body % 20 != 0) return wrong_size("scrape request", d.size(), d.size());
    if (body / 20 > kUdpMaxScrapeHashes)
        return udp_error(
            Errc::limit_exceeded,
            "scrape request for more than " + std::to_string(kUdpMaxScrapeHashes) + " torrents",
            kUdpScrapeRequestHeader);
    UdpScrapeRequest m;
    m.connection_id = read_u64(d.data());
    m.transaction_id = read_u32(d.data() + 12);
    m.info_hashes.reserve(body / 20);
    for (std::size_t off = kUdpScrapeRequestHeader; off < d.size(); off += 20)
        m.info_hashes.push_back(InfoHash::from_bytes(d.substr(off, 20)));
    return UdpRequest(std::move(m));
}

}  // namespace

// ---- Encoding ------------------------------------------------------------------

void encode(const UdpConnectRequest& m, std::string& out) {
    append_u64(out, kUdpProtocolId);
    header(out, UdpAction::connect, m.transaction_id);
}

void encode(const UdpConnectResponse& m, std::string& out) {
    header(out, UdpAction::connect, m.transaction_id);
    append_u64(out, m.connection_id);
}

void encode(const UdpAnnounceRequest& m, std::string& out) {
    const AnnounceRequest& r = m.request;
    assert(r.uploaded <= kMaxCounter && r.downloaded <= kMaxCounter && r.left <= kMaxCounter);
    append_u64(out, m.connection_id);
    header(out, UdpAction::announce, m.transaction_id);
    out.append(r.info_hash.view());
    out.append(r.peer_id.view());
    append_u64(out, r.downloaded);
    append_u64(out, r.left);
    append_u64(out, r.uploaded);
    append_u32(out, static_cast<std::uint32_t>(r.event));
    append_u32(out, r.ip && r.ip->is_v4() ? r.ip->v4() : 0);
    append_u32(out, r.key);
    append_u32(out, static_cast<std::uint32_t>(r.numwant));
    append_u16(out, r.port);
}

void encode(const UdpAnnounceResponse& m, std::string& out) {
    header(out, UdpAction::announce, m.transaction_id);
    append_u32(out, m.response.interval);
    append_u32(out, m.response.incomplete);
    append_u32(out, m.response.complete);
    for (const PeerAddress& p : m.response.peers) {
        if (p.ip.is_v4() == m.ipv6) continue;  // the other family has no room here
        out.append(p.ip.wire_bytes());
        append_u16(out, p.port);
    }
}

void encode(const UdpScrapeRequest& m, std::string& out) {
    assert(!m.info_hashes.empty() && m.info_hashes.size() <= kUdpMaxScrapeHashes);
    append_u64(out, m.connection_id);
    header(out, UdpAction::scrape, m.transaction_id);
    for (const InfoHash& h : m.info_hashes)
        out.append(h.view());
}

void encode(const UdpScrapeResponse& m, std::string& out) {
    header(out, UdpAction::scrape, m.transaction_id);
    for (const ScrapeEntry& e : m.entries) {
        append_u32(out, e.complete);
        append_u32(out, e.downloaded);
        append_u32(out, e.incomplete);
    }
}

void encode(const UdpErrorResponse& m, std::string& out) {
    header(out, UdpAction::error, m.transaction_id);
    out.append(std::string_view(m.message).substr(0, kUdpMaxErrorMessage));
}

std::string encode_udp_request(const UdpRequest& m) {
    std::string out;
    std::visit([&out](const auto& msg) { encode(msg, out); }, m);
    return out;
}

std::string encode_udp_response(const UdpResponse& m) {
    std::string out;
    std::visit([&out](const auto& msg) { encode(msg, out); }, m);
    return out;
}

// ---- Decoding ------------------------------------------------------------------

Result<UdpRequest> decode_udp_request(std::string_view d) {
    if (d.size() < 16) return wrong_size("request", d.size(), d.size());
    const std::uint32_t action = read_u32(d.data() + 8);
    switch (static_cast<UdpAction>(action)) {
        case UdpAction::connect:
            if (d.size() != kUdpConnectSize) return wrong_size("connect request", d.size(), 16);
            if (read_u64(d.data()) != kUdpProtocolId)
                return udp_error(Errc::parse_error, "connect request without the protocol id", 0);
            return UdpRequest(UdpConnectRequest{read_u32(d.data() + 12)});
        case UdpAction::announce:
            return decode_announce(d);
        case UdpAction::scrape:
            return decode_scrape(d);
        case UdpAction::error:
            break;
    }
    return udp_error(Errc::unsupported, "unknown request action " + std::to_string(action), 8);
}

Result<UdpResponse> decode_udp_response(std::string_view d, std::size_t max_peers, bool ipv6) {
    if (d.size() < 8) return wrong_size("response", d.size(), d.size());
    const char* p = d.data();
    const std::uint32_t action = read_u32(p);
    const std::uint32_t txid = read_u32(p + 4);
    switch (static_cast<UdpAction>(action)) {
        case UdpAction::connect:
            if (d.size() != kUdpConnectSize) return wrong_size("connect response", d.size(), 8);
            return UdpResponse(UdpConnectResponse{txid, read_u64(p + 8)});
        case UdpAction::announce: {
            const std::size_t unit = ipv6 ? 18 : 6;
            if (d.size() < kUdpAnnounceResponseHeader || (d.size() - 20) % unit != 0)
                return wrong_size("announce response", d.size(), 8);
            const std::size_t n = (d.size() - 20) / unit;
            if (n > max_peers)
                return udp_error(
                    Errc::limit_exceeded,
                    "announce response with more than " + std::to_string(max_peers) + " peers", 20);
            UdpAnnounceResponse m;
            m.transaction_id = txid;
            m.ipv6 = ipv6;
            m.response.interval = read_u32(p + 8);
            m.response.incomplete = read_u32(p + 12);
            m.response.complete = read_u32(p + 16);
            m.response.peers.reserve(n);
            for (std::size_t off = 20; off < d.size(); off += unit) {
                const auto* b = reinterpret_cast<const std::uint8_t*>(p + off);
                m.response.peers.push_back(
                    PeerAddress{ipv6 ? IpAddr::from_v6_bytes(b) : IpAddr::from_v4_bytes(b),
                                read_u16(p + off + unit - 2),
                                {}});
            }
            return UdpResponse(std::move(m));
        }
        case UdpAction::scrape: {
            if ((d.size() - 8) % 12 != 0) return wrong_size("scrape response", d.size(), 8);
            if ((d.size() - 8) / 12 > kUdpMaxScrapeHashes)
                return udp_error(Errc::limit_exceeded, "scrape response with too many entries", 8);
            UdpScrapeResponse m;
            m.transaction_id = txid;
            for (std::size_t off = 8; off < d.size(); off += 12) {
                ScrapeEntry e;
                e.complete = read_u32(p + off);
                e.downloaded = read_u32(p + off + 4);
                e.incomplete = read_u32(p + off + 8);
                m.entries.push_back(e);
            }
            return UdpResponse(std::move(m));
        }
        case UdpAction::error:
            if (d.size() - 8 > kUdpMaxErrorMessage)
                return udp_error(Errc::limit_exceeded, "error message too long", 8);
            return UdpResponse(UdpErrorResponse{txid, std::string(d.substr(8))});
    }
    return udp_error(Errc::unsupported, "unknown response action " + std::to_string(action), 0);
}

}  // namespace mt::common::wire
