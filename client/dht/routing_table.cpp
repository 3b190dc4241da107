#include "client/dht/routing_table.h"

#include <algorithm>

namespace mt::client::dht {

bool closer(const NodeId& target, const NodeId& a, const NodeId& b) {
    for (std::size_t i = 0; i < 20; ++i) {
        const std::uint8_t da = a.bytes[i] ^ target.bytes[i];
        const std::uint8_t db = b.bytes[i] ^ target.bytes[i];
        if (da != db) return da < db;
    }
    return false;
}

int common_prefix_bits(const NodeId& a, const NodeId& b) {
    for (int i = 0; i < 20; ++i) {
        const auto x = static_cast<std::uint8_t>(a.bytes[i] ^ b.bytes[i]);
        if (x == 0) continue;
        int bits = 0;
        for (std::uint8_t m = 0x80; (x & m) == 0; m >>= 1)
            ++bits;
        return i * 8 + bits;
    }
    return 160;
}

namespace {
bool is_bad(const Node& n) {
    return n.fails >= RoutingTable::kBadFails;
}
bool is_good(const Node& n, std::int64_t now_ms) {
    return !is_bad(n) && n.answered && now_ms - n.last_reply_ms < RoutingTable::kGoodMs;
}
}  // namespace

RoutingTable::RoutingTable(const NodeId& self, Options options) : self_(self), options_(options) {}

RoutingTable::Bucket& RoutingTable::bucket_for(const NodeId& id) {
    return buckets_[static_cast<std::size_t>(std::min(common_prefix_bits(self_, id), 159))];
}

bool RoutingTable::ip_taken(const common::IpAddr& ip, const NodeId& except) const {
    if (!options_.one_per_ip || ip.is_local()) return false;
    for (const auto& b : buckets_)
        for (const auto& n : b.live)
            if (n.ep.ip == ip && n.id != except) return true;
    return false;
}

std::optional<Node> RoutingTable::heard_from(const NodeId& id, const Endpoint& ep, bool replied,
                                             std::int64_t now_ms) {
    if (id == self_ || ep.port == 0) return std::nullopt;
    Bucket& b = bucket_for(id);
    for (auto& n : b.live) {
        if (n.id != id) continue;
        if (n.ep != ep) return std::nullopt;  // a known id from elsewhere: ignored
        n.last_seen_ms = now_ms;
        if (replied) {
            n.answered = true;
            n.last_reply_ms = now_ms;
            n.fails = 0;
        }
        b.last_changed_ms = now_ms;
        return std::nullopt;
    }
    if (ip_taken(ep.ip, id)) return std::nullopt;
    Node n{id, ep, replied, replied ? now_ms : 0, now_ms, 0};
    return admit(b, n, now_ms);
}

std::optional<Node> RoutingTable::admit(Bucket& b, const Node& n, std::int64_t now_ms) {
    b.last_changed_ms = now_ms;
    if (b.live.size() < kBucketSize) {
        b.live.push_back(n);
        return std::nullopt;
    }
    auto bad = std::find_if(b.live.begin(), b.live.end(), is_bad);
    if (bad != b.live.end()) {
        *bad = n;
        return std::nullopt;
    }
    auto& rep = b.replacements;
    rep.erase(std::remove_if(rep.begin(), rep.end(),
                             [&](const Node& r) { return r.id == n.id || r.ep == n.ep; }),
              rep.end());
    if (rep.size() >= kBucketSize) rep.erase(rep.begin());
    rep.push_back(n);
    // The longest-silent questionable node, for the caller to ping.
    const Node* worst = nullptr;
    for (const auto& l : b.live)
        if (!is_good(l, now_ms) && (!worst || l.last_seen_ms < worst->last_seen_ms)) worst = &l;
    return worst ? std::optional<Node>(*worst) : std::nullopt;
}

void RoutingTable::failed(const NodeId& id, const Endpoint& ep) {
    Bucket& b = bucket_for(id);
    auto it = std::find_if(b.live.begin(), b.live.end(),
                           [&](const Node& n) { return n.id == id && n.ep == ep; });
    if (it == b.live.end()) return;
    ++it->fails;
    if (!is_bad(*it) || b.replacements.empty()) return;
    // The replacement that answered us most recently, else the newest.
    auto best = std::max_element(
        b.replacements.begin(), b.replacements.end(), [](const Node& x, const Node& y) {
            return x.answered != y.answered ? y.answered : x.last_reply_ms < y.last_reply_ms;
        });
    if (!best->answered) best = std::prev(b.replacements.end());
    *it = *best;
    b.replacements.erase(best);
}

std::vector<Node> RoutingTable::closest(const NodeId& target, std::size_t k) const {
    std::vector<Node> all = nodes();
    std::sort(all.begin(), all.end(), [&](const Node& a, const Node& b) {
        if (is_bad(a) != is_bad(b)) return !is_bad(a);
        return closer(target, a.id, b.id);
    });
    if (all.size() > k) all.resize(k);
    return all;
}

std::vector<NodeId> RoutingTable::refresh_targets(std::int64_t now_ms, const NodeId& rnd) const {
    std::size_t deepest = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i)
        if (!buckets_[i].live.empty()) deepest = i;
    std::vector<NodeId> out;
    for (std::size_t i = 0; i <= std::min<std::size_t>(deepest + 1, 159); ++i) {
        if (now_ms - buckets_[i].last_changed_ms < kRefreshMs) continue;
        // Our first i bits, bit i flipped, the rest random: an id of bucket i.
        NodeId t = rnd;
        for (std::size_t bit = 0; bit <= i; ++bit) {
            const std::size_t byte = bit / 8;
            const auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
            const bool want =
                bit < i ? (self_.bytes[byte] & mask) != 0 : (self_.bytes[byte] & mask) == 0;
            t.bytes[byte] =
                static_cast<std::uint8_t>(want ? t.bytes[byte] | mask : t.bytes[byte] & ~mask);
        }
        out.push_back(t);
    }
    return out;
}

std::size_t RoutingTable::size() const {
    std::size_t n = 0;
    for (const auto& b : buckets_)
        n += b.live.size();
    return n;
}

std::size_t RoutingTable::good(std::int64_t now_ms) const {
    std::size_t n = 0;
    for (const auto& b : buckets_)
        n += static_cast<std::size_t>(std::count_if(
            b.live.begin(), b.live.end(), [&](const Node& x) { return is_good(x, now_ms); }));
    return n;
}

std::vector<Node> RoutingTable::nodes() const {
    std::vector<Node> out;
    for (const auto& b : buckets_)
        out.insert(out.end(), b.live.begin(), b.live.end());
    return out;
}

std::string RoutingTable::save(std::int64_t now_ms) const {
    std::vector<Node> all = nodes();
    std::stable_partition(all.begin(), all.end(),
                          [&](const Node& n) { return is_good(n, now_ms); });
    std::string out;
    for (const auto& n : all) {
        if (is_bad(n)) continue;
        out.push_back(n.ep.ip.is_v4() ? '4' : '6');
        common::wire::krpc::append_compact(out, NodeInfo{n.id, n.ep});
    }
    return out;
}

std::vector<NodeInfo> RoutingTable::parse_saved(std::string_view bytes, std::size_t max) {
    std::vector<NodeInfo> out;
    while (!bytes.empty() && out.size() < max) {
        const std::size_t addr = bytes[0] == '4' ? 6 : bytes[0] == '6' ? 18 : 0;
        if (addr == 0 || bytes.size() < 1 + 20 + addr) break;  // damaged: keep what came before
        NodeInfo n;
        n.id = NodeId::from_bytes(bytes.substr(1, 20));
        const auto ep = common::wire::krpc::parse_compact_endpoint(bytes.substr(21, addr));
        if (ep && ep->port != 0) out.push_back({n.id, *ep});
        bytes.remove_prefix(1 + 20 + addr);
    }
    return out;
}

}  // namespace mt::client::dht
