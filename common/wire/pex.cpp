#include "common/wire/pex.h"

#include "common/bencode.h"

namespace mt::common::wire {
namespace {

namespace be = common::bencode;

std::string compact(const std::vector<PexPeer>& peers, bool v4) {
    std::string s;
    for (const auto& p : peers) {
        if (p.ip.is_v4() != v4) continue;
        s += p.ip.wire_bytes();
        s.push_back(static_cast<char>(p.port >> 8));
        s.push_back(static_cast<char>(p.port & 0xff));
    }
    return s;
}

std::string flags_of(const std::vector<PexPeer>& peers, bool v4) {
    std::string s;
    for (const auto& p : peers)
        if (p.ip.is_v4() == v4) s.push_back(static_cast<char>(p.flags));
    return s;
}

// Appends the peers of `list` (entries of `entry` bytes) with flags from `f`
// (ignored unless one byte per peer).
Result<bool> parse_list(const be::Value& dict, std::string_view key, std::string_view fkey,
                        std::size_t entry, std::vector<PexPeer>& out) {
    const be::Value* v = dict.find(key);
    if (!v) return true;
    if (!v->is_string())
        return make_error(Errc::parse_error, "ut_pex: '" + std::string(key) + "' is not a string");
    const std::string_view b = v->as_string();
    if (b.size() % entry != 0)
        return make_error(Errc::parse_error,
                          "ut_pex: '" + std::string(key) + "' is not whole entries");
    const std::size_t n = b.size() / entry;
    if (n > kMaxPexList)
        return make_error(Errc::limit_exceeded, "ut_pex: more than 500 peers in one list");
    std::string_view flags;
    if (const be::Value* f = fkey.empty() ? nullptr : dict.find(fkey);
        f && f->is_string() && f->as_string().size() == n)
        flags = f->as_string();
    for (std::size_t i = 0; i < n; ++i) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(b.data() + i * entry);
        PexPeer peer;
        peer.ip = entry == 6 ? IpAddr::from_v4_bytes(p) : IpAddr::from_v6_bytes(p);
        peer.port = static_cast<std::uint16_t>((p[entry - 2] << 8) | p[entry - 1]);
        peer.flags = flags.empty() ? 0 : static_cast<std::uint8_t>(flags[i]);
        if (peer.port != 0) out.push_back(peer);
    }
    return true;
}

}  // namespace

void encode(const PexMessage& m, std::string& out) {
    be::Item::Dict d;
    d["added"] = compact(m.added, true);
    d["added.f"] = flags_of(m.added, true);
    d["dropped"] = compact(m.dropped, true);
    if (std::string a6 = compact(m.added, false); !a6.empty()) {
        d["added6"] = std::move(a6);
        d["added6.f"] = flags_of(m.added, false);
    }
    if (std::string d6 = compact(m.dropped, false); !d6.empty()) d["dropped6"] = std::move(d6);
    be::encode(be::Item(std::move(d)), out);
}

Result<PexMessage> decode_pex(std::string_view payload) {
    if (payload.size() > kMaxPexPayload)
        return make_error(Errc::limit_exceeded, "ut_pex: a message over 16 KiB");
    be::Limits limits;
    limits.max_depth = 2;
    limits.max_tokens = 64;
    limits.max_string_length = kMaxPexPayload;
    limits.canonical = false;  // clients in the wild order keys as they like
    auto v = be::decode(payload, limits);
    if (!v) return v.error();
    if (!v->is_dict()) return make_error(Errc::parse_error, "ut_pex: not a dictionary");
    PexMessage m;
    for (auto r : {parse_list(*v, "added", "added.f", 6, m.added),
                   parse_list(*v, "added6", "added6.f", 18, m.added),
                   parse_list(*v, "dropped", "", 6, m.dropped),
                   parse_list(*v, "dropped6", "", 18, m.dropped)})
        if (!r) return r.error();
    return m;
}

}  // namespace mt::common::wire
