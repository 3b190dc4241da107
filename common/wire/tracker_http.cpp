#include "common/wire/tracker_http.h"

#include <limits>
#include <optional>

#include "common/bencode.h"
#include "common/byte_io.h"

namespace mt::common::wire {

namespace {

constexpr std::uint64_t kMaxCounter = static_cast<std::uint64_t>(INT64_MAX);

Error bad(std::string message) {
    return make_error(Errc::invalid_argument, std::move(message));
}
Error malformed(std::string message) {
    return make_error(Errc::parse_error, "tracker reply: " + std::move(message));
}

// Digits only, at most `max`; nullopt for anything else (sign, space, empty, overflow).
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (max - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

// BEP 7 leaves the key opaque and clients differ: libtorrent sends 8 hex
// digits, transmission 8 characters of [a-z0-9], aria2c 8 raw random bytes.
// Hex and decimal keep their value; anything else of 1..kMaxKeyBytes bytes is
// reduced to 32 bits with FNV-1a.
std::optional<std::uint32_t> parse_key(std::string_view s) {
    if (s.empty() || s.size() > kMaxKeyBytes) return std::nullopt;
    std::string_view h = s;
    if (h.size() > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) h.remove_prefix(2);
    if (h.size() == 8) {
        std::uint32_t v = 0;
        bool hex = true;
        for (char c : h) {
            int d = -1;
            if (c >= '0' && c <= '9') d = c - '0';
            if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
            if (d < 0) hex = false;
            v = (v << 4) | static_cast<std::uint32_t>(d & 15);
        }
        if (hex) return v;
    }
    if (auto dec = parse_decimal(s, std::numeric_limits<std::uint64_t>::max()))
        return static_cast<std::uint32_t>(*dec);
    std::uint32_t v = 2166136261u;
    for (char c : s)
        v = (v ^ static_cast<unsigned char>(c)) * 16777619u;
    return v;
}

// Finds `key`; error if it appears twice.
Result<const std::string*> lookup(const QueryParams& params, std::string_view key) {
    const std::string* found = nullptr;
    for (const auto& [k, v] : params) {
        if (k != key) continue;
        if (found) return bad(std::string(key) + " is given more than once");
        found = &v;
    }
    return found;
}

Result<std::uint64_t> required_counter(const QueryParams& params, std::string_view key) {
    auto v = lookup(params, key);
    if (!v) return v.error();
    if (!*v) return bad("missing " + std::string(key));
    auto n = parse_decimal(**v, kMaxCounter);
    if (!n) return bad(std::string(key) + " is not a non-negative integer below 2^63");
    return *n;
}

template <class Tag>
Result<Id20<Tag>> required_id(const QueryParams& params, std::string_view key) {
    auto v = lookup(params, key);
    if (!v) return v.error();
    if (!*v) return bad("missing " + std::string(key));
    if ((*v)->size() != 20)
        return bad(std::string(key) + " must be 20 bytes, got " + std::to_string((*v)->size()));
    return Id20<Tag>::from_bytes(**v);
}

// Reads a non-negative bencoded integer no larger than 2^32-1.
Result<std::uint32_t> count(const bencode::Value& dict, std::string_view key, bool required) {
    const bencode::Value* v = dict.find(key);
    if (!v) {
        if (required) return malformed("missing '" + std::string(key) + "'");
        return std::uint32_t{0};
    }
    if (!v->is_int() || v->as_int() < 0 || v->as_int() > 0xffffffffLL)
        return malformed("'" + std::string(key) + "' is not an integer in 0..2^32-1");
    return static_cast<std::uint32_t>(v->as_int());
}

std::string_view string_or_empty(const bencode::Value& dict, std::string_view key) {
    const bencode::Value* v = dict.find(key);
    return v && v->is_string() ? v->as_string() : std::string_view();
}

Result<PeerAddress> decode_peer_dict(const bencode::Value& p, std::size_t index) {
    const std::string where = "peer " + std::to_string(index) + ": ";
    if (!p.is_dict()) return malformed(where + "not a dict");
    const bencode::Value* ip = p.find("ip");
    const bencode::Value* port = p.find("port");
    if (!ip || !ip->is_string()) return malformed(where + "missing 'ip'");
    auto addr = parse_ip(ip->as_string());
    if (!addr) return malformed(where + "ip is not a dotted IPv4 or an IPv6 address");
    if (!port || !port->is_int() || port->as_int() < 1 || port->as_int() > 65535)
        return malformed(where + "port is not in 1..65535");
    PeerAddress out{*addr, static_cast<std::uint16_t>(port->as_int()), std::nullopt};
    if (const bencode::Value* id = p.find("peer id")) {
        if (!id->is_string() || id->as_string().size() != 20)
            return malformed(where + "peer id is not 20 bytes");
        out.peer_id = PeerId::from_bytes(id->as_string());
    }
    return out;
}

// BEP 23 / BEP 7 compact peers, appended to `out` (which, with them, holds
// at most max_peers).
Status decode_compact_peers(std::string_view s, bool v6, std::size_t max_peers,
                            std::vector<PeerAddress>& out) {
    const std::size_t unit = v6 ? 18 : 6;
    const char* name = v6 ? "peers6" : "peers";
    if (s.size() % unit != 0)
        return malformed("compact " + std::string(name) + " length " + std::to_string(s.size()) +
                         " is not a multiple of " + std::to_string(unit));
    if (s.size() / unit > max_peers - std::min(max_peers, out.size()))
        return make_error(Errc::limit_exceeded,
                          "tracker reply: more than " + std::to_string(max_peers) + " peers");
    for (std::size_t i = 0; i < s.size(); i += unit) {
        const auto* b = reinterpret_cast<const std::uint8_t*>(s.data() + i);
        PeerAddress p{v6 ? IpAddr::from_v6_bytes(b) : IpAddr::from_v4_bytes(b),
                      read_u16(s.data() + i + unit - 2), std::nullopt};
        if (p.port == 0)
            return malformed(std::string(name) + " " + std::to_string(i / unit) + ": port 0");
        out.push_back(p);
    }
    return {};
}

bencode::Limits reply_limits(std::string_view body, std::size_t max_items) {
    bencode::Limits l;
    l.max_depth = 8;
    l.max_tokens = 64 + 8 * max_items;
    l.max_string_length = body.size();
    return l;
}

}  // namespace

Result<std::uint32_t> parse_ipv4(std::string_view text) {
    std::uint32_t ip = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (text.empty() || text.front() != '.')
                return make_error(Errc::parse_error, "not a dotted IPv4 address");
            text.remove_prefix(1);
        }
        std::size_t n = 0;
        while (n < text.size() && n < 4 && text[n] >= '0' && text[n] <= '9')
            ++n;
        auto v = parse_decimal(text.substr(0, n), 255);
        if (!v || (n > 1 && text[0] == '0'))
            return make_error(Errc::parse_error, "not a dotted IPv4 address");
        ip = (ip << 8) | static_cast<std::uint32_t>(*v);
        text.remove_prefix(n);
    }
    if (!text.empty()) return make_error(Errc::parse_error, "not a dotted IPv4 address");
    return ip;
}

std::string format_ipv4(std::uint32_t ip) {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
           std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

Result<IpAddr> parse_ip(std::string_view text) {
    if (text.find(':') == std::string_view::npos) {
        auto v4 = parse_ipv4(text);
        if (!v4) return v4.error();
        return IpAddr(*v4);
    }
    if (auto v6 = IpAddr::parse(text)) return *v6;
    return make_error(Errc::parse_error, "not an IPv6 address");
}

// ---- Announce ----------------------------------------------------------------

// Long (about 80 lines) for a reason: one block per BEP 3 query field, in
// the order the BEP lists them; there is nothing to share between them.
Result<AnnounceRequest> parse_announce_query(const QueryParams& params, bool trust_ip) {
    AnnounceRequest req;
    auto ih = required_id<InfoHashTag>(params, "info_hash");
    if (!ih) return ih.error();
    req.info_hash = *ih;
    auto pid = required_id<PeerIdTag>(params, "peer_id");
    if (!pid) return pid.error();
    req.peer_id = *pid;

    auto port = lookup(params, "port");
    if (!port) return port.error();
    if (!*port) return bad("missing port");
    auto port_n = parse_decimal(**port, 65535);
    if (!port_n || *port_n == 0) return bad("port must be a number in 1..65535");
    req.port = static_cast<std::uint16_t>(*port_n);

    auto up = required_counter(params, "uploaded");
    if (!up) return up.error();
    auto down = required_counter(params, "downloaded");
    if (!down) return down.error();
    auto left = required_counter(params, "left");
    if (!left) return left.error();
    req.uploaded = *up;
    req.downloaded = *down;
    req.left = *left;

    auto event = lookup(params, "event");
    if (!event) return event.error();
    if (*event) {
        const std::string& e = **event;
        if (e == "started")
            req.event = AnnounceEvent::started;
        else if (e == "completed")
            req.event = AnnounceEvent::completed;
        else if (e == "stopped")
            req.event = AnnounceEvent::stopped;
        else if (!e.empty())
            return bad("event must be started, completed, stopped or empty, got '" +
                       e.substr(0, 32) + "'");
    }

    auto numwant = lookup(params, "numwant");
    if (!numwant) return numwant.error();
    if (*numwant) {
        std::string_view s = **numwant;
        const bool negative = !s.empty() && s.front() == '-';
        if (negative) s.remove_prefix(1);
        auto n = parse_decimal(s, std::numeric_limits<std::uint64_t>::max());
        if (!n) return bad("numwant is not an integer");
        req.numwant =
            negative ? -1 : static_cast<std::int32_t>(std::min<std::uint64_t>(*n, kMaxNumwant));
    }

    auto key = lookup(params, "key");
    if (!key) return key.error();
    if (*key) {
        auto k = parse_key(**key);
        if (!k) return bad("key must be 1 to " + std::to_string(kMaxKeyBytes) + " bytes");
        req.key = *k;
    }

    auto compact = lookup(params, "compact");
    if (!compact) return compact.error();
    if (*compact) {
        if (**compact != "0" && **compact != "1") return bad("compact must be 0 or 1");
        req.compact = **compact == "1";
    }

    auto no_peer_id = lookup(params, "no_peer_id");
    if (!no_peer_id) return no_peer_id.error();
    req.no_peer_id = *no_peer_id && **no_peer_id != "0";

    if (trust_ip) {
        auto ip = lookup(params, "ip");
        if (!ip) return ip.error();
        if (*ip) {
            auto addr = parse_ip(**ip);
            if (!addr) return bad("ip is not a dotted IPv4 or an IPv6 address");
            req.ip = *addr;
        }
    }
    return req;
}

std::string build_announce_query(const AnnounceRequest& req) {
    static const char* hex = "0123456789ABCDEF";
    std::string key(8, '0');
    for (int i = 0; i < 8; ++i)
        key[static_cast<std::size_t>(i)] = hex[(req.key >> (28 - 4 * i)) & 15];
    std::string q =
        "?info_hash=" + url_encode(req.info_hash.view()) +
        "&peer_id=" + url_encode(req.peer_id.view()) + "&port=" + std::to_string(req.port) +
        "&uploaded=" + std::to_string(req.uploaded) +
        "&downloaded=" + std::to_string(req.downloaded) + "&left=" + std::to_string(req.left) +
        "&compact=" + (req.compact ? "1" : "0") + "&key=" + key;
    if (req.numwant >= 0) q += "&numwant=" + std::to_string(req.numwant);
    switch (req.event) {
        case AnnounceEvent::started:
            q += "&event=started";
            break;
        case AnnounceEvent::completed:
            q += "&event=completed";
            break;
        case AnnounceEvent::stopped:
            q += "&event=stopped";
            break;
        case AnnounceEvent::none:
            break;
    }
    if (req.no_peer_id) q += "&no_peer_id=1";
    if (req.ip) q += "&ip=" + url_encode(req.ip->to_string());
    return q;
}

namespace {
// The common reply, written straight into one string: keys in bencode order
// (complete, incomplete, interval, min interval, peers, warning message).
// Profiling the tracker showed the generic Item tree costing a quarter of an
// HTTP announce.
std::string encode_compact_response(const AnnounceResponse& resp) {
    std::string out;
    std::size_t v6 = 0;
    for (const PeerAddress& p : resp.peers)
        v6 += p.ip.is_v4() ? 0 : 1;
    const std::size_t v4 = resp.peers.size() - v6;
    out.reserve(96 + v4 * 6 + v6 * 18 + resp.warning_message.size());
    out += "d8:complete";
    bencode::append_int(out, resp.complete);
    out += "10:incomplete";
    bencode::append_int(out, resp.incomplete);
    out += "8:interval";
    bencode::append_int(out, resp.interval);
    if (resp.min_interval) {
        out += "12:min interval";
        bencode::append_int(out, resp.min_interval);
    }
    out += "5:peers";
    out += std::to_string(v4 * 6);
    out += ':';
    for (const PeerAddress& p : resp.peers) {
        if (!p.ip.is_v4()) continue;
        append_u32(out, p.ip.v4());
        append_u16(out, p.port);
    }
    if (v6 != 0) {
        out += "6:peers6";
        out += std::to_string(v6 * 18);
        out += ':';
        for (const PeerAddress& p : resp.peers) {
            if (p.ip.is_v4()) continue;
            out.append(p.ip.wire_bytes());
            append_u16(out, p.port);
        }
    }
    if (!resp.warning_message.empty()) {
        out += "15:warning message";
        bencode::append_string(out, resp.warning_message);
    }
    out += 'e';
    return out;
}
}  // namespace

std::string encode_announce_response(const AnnounceResponse& resp, bool compact, bool no_peer_id) {
    if (!resp.failure_reason.empty()) return encode_failure(resp.failure_reason);
    if (compact) return encode_compact_response(resp);
    bencode::Item::Dict d;
    d["interval"] = std::int64_t{resp.interval};
    if (resp.min_interval) d["min interval"] = std::int64_t{resp.min_interval};
    d["complete"] = std::int64_t{resp.complete};
    d["incomplete"] = std::int64_t{resp.incomplete};
    if (!resp.warning_message.empty()) d["warning message"] = resp.warning_message;
    {
        bencode::Item::List list;
        list.reserve(resp.peers.size());
        for (const PeerAddress& p : resp.peers) {
            bencode::Item::Dict pd;
            pd["ip"] = p.ip.to_string();
            pd["port"] = std::int64_t{p.port};
            if (p.peer_id && !no_peer_id) pd["peer id"] = p.peer_id->view();
            list.emplace_back(std::move(pd));
        }
        d["peers"] = std::move(list);
    }
    return bencode::encode(bencode::Item(std::move(d)));
}

Result<AnnounceResponse> decode_announce_response(std::string_view body, std::size_t max_peers) {
    auto root = bencode::decode(body, reply_limits(body, max_peers));
    if (!root) return malformed(root.error().message);
    if (!root->is_dict()) return malformed("not a dict");
    AnnounceResponse out;
    if (const bencode::Value* f = root->find("failure reason")) {
        out.failure_reason = f->is_string() ? std::string(f->as_string()) : "(not a string)";
        if (out.failure_reason.empty()) out.failure_reason = "(empty failure reason)";
        return out;
    }
    out.warning_message = std::string(string_or_empty(*root, "warning message"));
    auto interval = count(*root, "interval", true);
    if (!interval) return interval.error();
    auto min_interval = count(*root, "min interval", false);
    if (!min_interval) return min_interval.error();
    auto complete = count(*root, "complete", false);
    if (!complete) return complete.error();
    auto incomplete = count(*root, "incomplete", false);
    if (!incomplete) return incomplete.error();
    out.interval = *interval;
    out.min_interval = *min_interval;
    out.complete = *complete;
    out.incomplete = *incomplete;

    const bencode::Value* peers = root->find("peers");
    if (peers && peers->is_string()) {
        if (auto s = decode_compact_peers(peers->as_string(), false, max_peers, out.peers); !s)
            return s.error();
    } else if (peers && peers->is_list()) {
        if (peers->items().size() > max_peers)
            return make_error(Errc::limit_exceeded,
                              "tracker reply: more than " + std::to_string(max_peers) + " peers");
        for (std::size_t i = 0; i < peers->items().size(); ++i) {
            auto p = decode_peer_dict(peers->items()[i], i);
            if (!p) return p.error();
            out.peers.push_back(*p);
        }
    } else if (peers) {
        return malformed("'peers' is neither a string nor a list");
    }
    if (const bencode::Value* peers6 = root->find("peers6")) {
        if (!peers6->is_string()) return malformed("'peers6' is not a string");
        if (auto s = decode_compact_peers(peers6->as_string(), true, max_peers, out.peers); !s)
            return s.error();
    }
    return out;
}

// ---- Scrape ------------------------------------------------------------------

Result<std::vector<InfoHash>> parse_scrape_query(const QueryParams& params,
                                                 std::size_t max_hashes) {
    std::vector<InfoHash> out;
    for (const auto& [k, v] : params) {
        if (k != "info_hash") continue;
        if (v.size() != 20)
            return bad("info_hash must be 20 bytes, got " + std::to_string(v.size()));
        if (out.size() >= max_hashes)
            return make_error(Errc::limit_exceeded,
                              "more than " + std::to_string(max_hashes) + " info_hash values");
        out.push_back(InfoHash::from_bytes(v));
    }
    if (out.empty()) return bad("missing info_hash");
    return out;
}

std::string build_scrape_query(const std::vector<InfoHash>& hashes) {
    std::string q;
    for (const InfoHash& h : hashes)
        q += (q.empty() ? "?info_hash=" : "&info_hash=") + url_encode(h.view());
    return q;
}

std::string encode_scrape_response(const std::vector<ScrapeEntry>& entries) {
    bencode::Item::Dict files;
    for (const ScrapeEntry& e : entries) {
        bencode::Item::Dict f;
        f["complete"] = std::int64_t{e.complete};
        f["downloaded"] = std::int64_t{e.downloaded};
        f["incomplete"] = std::int64_t{e.incomplete};
        files[std::string(e.info_hash.view())] = std::move(f);
    }
    bencode::Item::Dict root;
    root["files"] = std::move(files);
    return bencode::encode(bencode::Item(std::move(root)));
}

Result<std::vector<ScrapeEntry>> decode_scrape_response(std::string_view body,
                                                        std::size_t max_entries) {
    auto root = bencode::decode(body, reply_limits(body, max_entries));
    if (!root) return malformed(root.error().message);
    if (!root->is_dict()) return malformed("not a dict");
    if (const bencode::Value* f = root->find("failure reason"))
        return make_error(Errc::refused, "tracker refused the scrape: " +
                                             std::string(f->is_string() ? f->as_string() : ""));
    const bencode::Value* files = root->find("files");
    if (!files || !files->is_dict()) return malformed("missing 'files' dict");
    if (files->keys().size() > max_entries)
        return make_error(
            Errc::limit_exceeded,
            "tracker reply: more than " + std::to_string(max_entries) + " scrape entries");
    std::vector<ScrapeEntry> out;
    out.reserve(files->keys().size());
    for (std::size_t i = 0; i < files->keys().size(); ++i) {
        const std::string_view key = files->keys()[i];
        const bencode::Value& v = files->items()[i];
        if (key.size() != 20) return malformed("files key is not a 20-byte info_hash");
        if (!v.is_dict()) return malformed("files entry is not a dict");
        ScrapeEntry e;
        e.info_hash = InfoHash::from_bytes(key);
        auto c = count(v, "complete", true);
        if (!c) return c.error();
        auto d = count(v, "downloaded", false);
        if (!d) return d.error();
        auto inc = count(v, "incomplete", true);
        if (!inc) return inc.error();
        e.complete = *c;
        e.downloaded = *d;
        e.incomplete = *inc;
        out.push_back(e);
    }
    return out;
}

std::string encode_failure(std::string_view reason) {
    std::string out = "d14:failure reason";
    bencode::append_string(out, reason);
    out += "e";
    return out;
}

}  // namespace mt::common::wire
