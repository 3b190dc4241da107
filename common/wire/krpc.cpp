#include "common/wire/krpc.h"

#include <algorithm>
#include <cstring>

#include "common/bencode.h"
#include "common/crc32c.h"

namespace mt::common::wire::krpc {
namespace {

namespace be = common::bencode;

constexpr std::size_t kNode4 = 26, kNode6 = 38;
constexpr std::size_t kMaxVersion = 16, kMaxMethodName = 32, kMaxErrorMessage = 128;

Error parse_err(const std::string& what) {
    return make_error(Errc::parse_error, "krpc: " + what);
}
Error limit_err(const std::string& what) {
    return make_error(Errc::limit_exceeded, "krpc: " + what);
}

void put_port(std::string& out, std::uint16_t port) {
    out.push_back(static_cast<char>(port >> 8));
    out.push_back(static_cast<char>(port & 0xff));
}
std::uint16_t get_port(const char* p) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) |
                                      static_cast<unsigned char>(p[1]));
}

// ---- encoding -------------------------------------------------------------------

std::string node_list(const std::vector<NodeInfo>& nodes, bool v4) {
    std::string s;
    for (const auto& n : nodes)
        if (n.ep.ip.is_v4() == v4) append_compact(s, n);
    return s;
}

be::Item query_args(const Message& m) {
    be::Item::Dict a;
    a["id"] = std::string(m.id.view());
    switch (m.method) {
        case Method::find_node:
            a["target"] = std::string(m.target.view());
            break;
        case Method::get_peers:
            a["info_hash"] = std::string(m.info_hash.view());
            break;
        case Method::announce_peer:
            a["info_hash"] = std::string(m.info_hash.view());
            a["port"] = std::int64_t{m.port};
            a["token"] = m.token;
            if (m.implied_port) a["implied_port"] = 1;
            break;
        case Method::ping:
        case Method::unknown:
            break;
    }
    if (m.method == Method::find_node || m.method == Method::get_peers) {
        be::Item::List want;
        if (m.want_v4) want.emplace_back("n4");
        if (m.want_v6) want.emplace_back("n6");
        if (!want.empty()) a["want"] = std::move(want);
    }
    return a;
}

be::Item response_body(const Message& m) {
    be::Item::Dict r;
    r["id"] = std::string(m.id.view());
    if (std::string n4 = node_list(m.nodes, true); !n4.empty()) r["nodes"] = std::move(n4);
    if (std::string n6 = node_list(m.nodes, false); !n6.empty()) r["nodes6"] = std::move(n6);
    if (m.has_token || !m.token.empty()) r["token"] = m.token;
    if (!m.values.empty()) {
        be::Item::List values;
        for (const auto& v : m.values) {
            std::string s;
            append_compact(s, v);
            values.emplace_back(std::move(s));
        }
        r["values"] = std::move(values);
    }
    return r;
}

// ---- decoding -------------------------------------------------------------------

const be::Value* typed(const be::Value& dict, std::string_view key, be::Value::Type t) {
    const be::Value* v = dict.find(key);
    return v && v->type() == t ? v : nullptr;
}

Result<std::string_view> need_string(const be::Value& dict, std::string_view key,
                                     std::size_t size = 0) {
    const be::Value* v = typed(dict, key, be::Value::Type::string);
    if (!v) return parse_err("missing or mistyped '" + std::string(key) + "'");
    if (size != 0 && v->as_string().size() != size)
        return parse_err("'" + std::string(key) + "' is not " + std::to_string(size) + " bytes");
    return v->as_string();
}

template <class Id>
Result<Id> need_id(const be::Value& dict, std::string_view key) {
    auto s = need_string(dict, key, 20);
    if (!s) return s.error();
    return Id::from_bytes(*s);
}

Method parse_method(std::string_view q) {
    if (q == "ping") return Method::ping;
    if (q == "find_node") return Method::find_node;
    if (q == "get_peers") return Method::get_peers;
    if (q == "announce_peer") return Method::announce_peer;
    return Method::unknown;
}

Result<bool> parse_nodes(std::string_view b, std::size_t entry, std::vector<NodeInfo>& out) {
    if (b.size() % entry != 0) return parse_err("a node list that is not whole entries");
    if (b.size() / entry > kMaxNodes) return limit_err("more than 32 nodes in one list");
    for (std::size_t off = 0; off < b.size(); off += entry) {
        NodeInfo n;
        n.id = NodeId::from_bytes(b.substr(off, 20));
        const auto ep = parse_compact_endpoint(b.substr(off + 20, entry - 20));
        if (ep && ep->port != 0) out.push_back({n.id, *ep});
    }
    return true;
}

Result<bool> parse_want(const be::Value& args, Message& m) {
    const be::Value* want = typed(args, "want", be::Value::Type::list);
    if (!want) return true;
    for (const auto& w : want->items()) {
        if (!w.is_string()) continue;
        if (w.as_string() == "n4") m.want_v4 = true;
        if (w.as_string() == "n6") m.want_v6 = true;
    }
    return true;
}

Result<bool> parse_query(const be::Value& top, Message& m) {
    auto q = need_string(top, "q");
    if (!q) return q.error();
    m.method = parse_method(*q);
    m.method_name = std::string(q->substr(0, kMaxMethodName));
    const be::Value* args = typed(top, "a", be::Value::Type::dict);
    if (!args) return parse_err("a query without an 'a' dictionary");
    if (m.method == Method::unknown) {
        if (auto id = need_id<NodeId>(*args, "id")) m.id = *id;
        return true;
    }
    auto id = need_id<NodeId>(*args, "id");
    if (!id) return id.error();
    m.id = *id;
    if (const be::Value* ro = typed(top, "ro", be::Value::Type::integer))
        m.read_only = ro->as_int() == 1;
    if (m.method == Method::find_node) {
        auto t = need_id<NodeId>(*args, "target");
        if (!t) return t.error();
        m.target = *t;
    }
    if (m.method == Method::get_peers || m.method == Method::announce_peer) {
        auto h = need_id<InfoHash>(*args, "info_hash");
        if (!h) return h.error();
        m.info_hash = *h;
    }
    if (m.method == Method::announce_peer) {
        const be::Value* implied = typed(*args, "implied_port", be::Value::Type::integer);
        m.implied_port = implied && implied->as_int() == 1;
        const be::Value* port = typed(*args, "port", be::Value::Type::integer);
        if (!m.implied_port && (!port || port->as_int() < 1 || port->as_int() > 65535))
            return parse_err("announce_peer without a port in 1..65535");
        if (port && port->as_int() >= 1 && port->as_int() <= 65535)
            m.port = static_cast<std::uint16_t>(port->as_int());
        auto token = need_string(*args, "token");
        if (!token) return token.error();
        if (token->size() > kMaxToken) return limit_err("a token over 64 bytes");
        m.token = std::string(*token);
    }
    return parse_want(*args, m);
}

Result<bool> parse_values(const be::Value& list, Message& m) {
    if (list.items().size() > kMaxValues) return limit_err("more than 200 values");
    for (const auto& v : list.items()) {
        if (!v.is_string()) return parse_err("a value that is not a string");
        const auto ep = parse_compact_endpoint(v.as_string());
        if (!ep) return parse_err("a value that is not 6 or 18 bytes");
        if (ep->port != 0) m.values.push_back(*ep);
    }
    return true;
}

Result<bool> parse_response(const be::Value& top, Message& m) {
    const be::Value* r = typed(top, "r", be::Value::Type::dict);
    if (!r) return parse_err("a response without an 'r' dictionary");
    auto id = need_id<NodeId>(*r, "id");
    if (!id) return id.error();
    m.id = *id;
    if (const be::Value* n = typed(*r, "nodes", be::Value::Type::string))
        if (auto ok = parse_nodes(n->as_string(), kNode4, m.nodes); !ok) return ok.error();
    if (const be::Value* n = typed(*r, "nodes6", be::Value::Type::string))
        if (auto ok = parse_nodes(n->as_string(), kNode6, m.nodes); !ok) return ok.error();
    if (const be::Value* t = typed(*r, "token", be::Value::Type::string)) {
        if (t->as_string().size() > kMaxToken) return limit_err("a token over 64 bytes");
        m.token = std::string(t->as_string());
        m.has_token = true;
    }
    if (const be::Value* v = typed(*r, "values", be::Value::Type::list))
        if (auto ok = parse_values(*v, m); !ok) return ok.error();
    return true;
}

Result<bool> parse_error_body(const be::Value& top, Message& m) {
    const be::Value* e = typed(top, "e", be::Value::Type::list);
    if (!e || e->items().empty() || !e->items()[0].is_int())
        return parse_err("an error without [code, message]");
    const std::int64_t code = e->items()[0].as_int();
    m.error_code = code < 0 || code > 100000 ? 0 : static_cast<int>(code);
    if (e->items().size() > 1 && e->items()[1].is_string())
        m.error_message = std::string(e->items()[1].as_string().substr(0, kMaxErrorMessage));
    return true;
}

Result<bool> parse_common(const be::Value& top, Message& m) {
    auto t = need_string(top, "t");
    if (!t) return t.error();
    if (t->empty() || t->size() > kMaxTransactionId)
        return limit_err("a transaction id of 0 or more than 16 bytes");
    m.transaction = std::string(*t);
    if (const be::Value* v = typed(top, "v", be::Value::Type::string))
        m.version = std::string(v->as_string().substr(0, kMaxVersion));
    if (const be::Value* ip = typed(top, "ip", be::Value::Type::string))
        m.ip = parse_compact_endpoint(ip->as_string());
    return true;
}

}  // namespace

std::string_view method_name(Method m) {
    switch (m) {
        case Method::ping:
            return "ping";
        case Method::find_node:
            return "find_node";
        case Method::get_peers:
            return "get_peers";
        case Method::announce_peer:
            return "announce_peer";
        case Method::unknown:
            break;
    }
    return "";
}

void append_compact(std::string& out, const Endpoint& ep) {
    out += ep.ip.wire_bytes();
    put_port(out, ep.port);
}

void append_compact(std::string& out, const NodeInfo& n) {
    out += n.id.view();
    append_compact(out, n.ep);
}

std::optional<Endpoint> parse_compact_endpoint(std::string_view b) {
    const auto* u = reinterpret_cast<const std::uint8_t*>(b.data());
    if (b.size() == 6) return Endpoint{IpAddr::from_v4_bytes(u), get_port(b.data() + 4)};
    if (b.size() == 18) return Endpoint{IpAddr::from_v6_bytes(u), get_port(b.data() + 16)};
    return std::nullopt;
}

void encode(const Message& m, std::string& out) {
    be::Item::Dict top;
    top["t"] = m.transaction;
    if (!m.version.empty()) top["v"] = m.version;
    if (m.ip) {
        std::string ip;
        append_compact(ip, *m.ip);
        top["ip"] = std::move(ip);
    }
    switch (m.kind) {
        case Kind::query:
            top["y"] = "q";
            top["q"] =
                m.method == Method::unknown ? m.method_name : std::string(method_name(m.method));
            top["a"] = query_args(m);
            if (m.read_only) top["ro"] = 1;
            break;
        case Kind::response:
            top["y"] = "r";
            top["r"] = response_body(m);
            break;
        case Kind::error:
            top["y"] = "e";
            top["e"] = be::Item::List{std::int64_t{m.error_code}, m.error_message};
            break;
    }
    be::encode(be::Item(std::move(top)), out);
}

std::string encode(const Message& m) {
    std::string out;
    encode(m, out);
    return out;
}

Result<Message> decode(std::string_view datagram) {
    if (datagram.size() > kMaxDatagram) return limit_err("a datagram over 1,500 bytes");
    be::Limits limits;
    limits.max_depth = 4;
    limits.max_tokens = 600;
    limits.max_string_length = kMaxDatagram;
    limits.canonical = false;  // real nodes send keys in any order
    auto top = be::decode(datagram, limits);
    if (!top) return top.error();
    if (!top->is_dict()) return parse_err("not a dictionary");
    Message m;
    if (auto ok = parse_common(*top, m); !ok) return ok.error();
    auto y = need_string(*top, "y");
    if (!y) return y.error();
    Result<bool> ok = true;
    if (*y == "q") {
        m.kind = Kind::query;
        ok = parse_query(*top, m);
    } else if (*y == "r") {
        m.kind = Kind::response;
        ok = parse_response(*top, m);
    } else if (*y == "e") {
        m.kind = Kind::error;
        ok = parse_error_body(*top, m);
    } else {
        return parse_err("'y' is not q, r or e");
    }
    if (!ok) return ok.error();
    return m;
}

std::size_t fit_values(const std::vector<Endpoint>& values, std::size_t used) {
    // "6:values" + "l" ... "e", each value "6:" + 6 bytes or "18:" + 18.
    std::size_t size = used + 8 + 2;
    std::size_t n = 0;
    for (const auto& v : values) {
        size += v.ip.is_v4() ? 8 : 21;
        if (size > kSendBudget) break;
        ++n;
    }
    return n;
}

namespace {
// The crc32c of `ip` masked as BEP 42 says, with r's low 3 bits in the top.
std::uint32_t bep42_crc(const IpAddr& ip, std::uint8_t r) {
    static constexpr std::uint8_t kMask4[4] = {0x03, 0x0f, 0x3f, 0xff};
    static constexpr std::uint8_t kMask6[8] = {0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff};
    const std::string_view raw = ip.wire_bytes();
    const bool v4 = ip.is_v4();
    const std::size_t n = v4 ? 4 : 8;
    char b[8];
    for (std::size_t i = 0; i < n; ++i)
        b[i] = static_cast<char>(static_cast<std::uint8_t>(raw[i]) & (v4 ? kMask4[i] : kMask6[i]));
    b[0] = static_cast<char>(static_cast<std::uint8_t>(b[0]) | ((r & 0x7) << 5));
    return crc32c(std::string_view(b, n));
}
}  // namespace

NodeId bep42_node_id(const IpAddr& ip, std::uint8_t r, const NodeId& rest) {
    const std::uint32_t crc = bep42_crc(ip, r);
    NodeId id = rest;
    id.bytes[0] = static_cast<std::uint8_t>(crc >> 24);
    id.bytes[1] = static_cast<std::uint8_t>(crc >> 16);
    id.bytes[2] = static_cast<std::uint8_t>(((crc >> 8) & 0xf8) | (rest.bytes[2] & 0x7));
    id.bytes[19] = r;
    return id;
}

bool bep42_valid(const NodeId& id, const IpAddr& ip) {
    if (ip.is_local()) return true;
    const std::uint32_t crc = bep42_crc(ip, id.bytes[19]);
    return id.bytes[0] == static_cast<std::uint8_t>(crc >> 24) &&
           id.bytes[1] == static_cast<std::uint8_t>(crc >> 16) &&
           (id.bytes[2] & 0xf8) == ((crc >> 8) & 0xf8);
}

}  // namespace mt::common::wire::krpc
