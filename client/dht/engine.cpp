#include "client/dht/engine.h"

#include <algorithm>

namespace mt::client::dht {
namespace {

constexpr std::size_t kMaxCandidates = 64;
constexpr std::size_t kMaxTransactions = 4096;
constexpr std::size_t kMaxLookupPeers = 500;
constexpr std::size_t kMaxRateKeys = 10000;
constexpr std::int64_t kRateWindowMs = 10000;
constexpr std::int64_t kRefreshCheckMs = 60000;
constexpr std::int64_t kExpireMs = 60000;

bool same_family(const Endpoint& ep, bool v4) {
    return ep.ip.is_v4() == v4;
}

NodeId as_node_id(const common::InfoHash& ih) {
    return NodeId::from_bytes(ih.view());
}

}  // namespace

Engine::Engine(const Options& o)
    : options_(o),
      table_(o.id, RoutingTable::Options{o.one_per_ip}),
      tokens_(Tokens::Secret{}),
      rng_(o.seed) {
    Tokens::Secret s;
    for (auto& b : s)
        b = static_cast<std::uint8_t>(rng_());
    tokens_ = Tokens(s);
}

NodeId Engine::random_id() {
    NodeId id;
    for (auto& b : id.bytes)
        b = static_cast<std::uint8_t>(rng_());
    return id;
}

// ---- incoming -----------------------------------------------------------------------

void Engine::receive(std::string_view datagram, const Endpoint& from, std::int64_t now_ms,
                     std::vector<Outgoing>& out) {
    if (from.port == 0 || !same_family(from, options_.v4)) return;
    auto m = krpc::decode(datagram);
    if (!m) {
        ++dropped_;
        return;
    }
    if (m->kind == krpc::Kind::query) {
        if (options_.read_only || !allow(from, now_ms)) {
            ++dropped_;
            return;
        }
        on_query(*m, from, now_ms, out);
    } else {
        on_reply(*m, from, now_ms, out);
    }
}

bool Engine::allow(const Endpoint& from, std::int64_t now_ms) {
    if (now_ms - rates_window_ms_ >= kRateWindowMs) {
        rates_.clear();
        rates_window_ms_ = now_ms;
    }
    // Local addresses run many nodes on one address: one key per port there.
    const auto key = std::make_pair(from.ip, from.ip.is_local() ? from.port : std::uint16_t{0});
    auto it = rates_.find(key);
    if (it == rates_.end()) {
        if (rates_.size() >= kMaxRateKeys) return false;
        it = rates_.emplace(key, Rate{now_ms, 0}).first;
    }
    return ++it->second.count <= options_.max_queries;
}

void Engine::on_query(const krpc::Message& q, const Endpoint& from, std::int64_t now_ms,
                      std::vector<Outgoing>& out) {
    ++queries_in_;
    if (q.method != krpc::Method::unknown && !q.read_only) heard(q.id, from, false, now_ms, out);
    out.push_back({from, krpc::encode(answer(q, from, now_ms))});
}

krpc::Message Engine::answer(const krpc::Message& q, const Endpoint& from, std::int64_t now_ms) {
    krpc::Message r;
    r.kind = krpc::Kind::response;
    r.transaction = q.transaction;
    r.id = options_.id;
    r.ip = from;
    const auto fail = [&](int code, const char* text) {
        r.kind = krpc::Kind::error;
        r.error_code = code;
        r.error_message = text;
        return r;
    };
    switch (q.method) {
        case krpc::Method::ping:
            break;
        case krpc::Method::find_node:
            r.nodes = closest_infos(q.target);
            break;
        case krpc::Method::get_peers:
            answer_get_peers(q, from, now_ms, r);
            break;
        case krpc::Method::announce_peer:
            if (!tokens_.check(q.token, from.ip)) return fail(krpc::kProtocolError, "bad token");
            store_.announce(q.info_hash, {from.ip, q.implied_port ? from.port : q.port}, false,
                            now_ms);
            break;
        case krpc::Method::unknown:
            return fail(krpc::kMethodUnknown, "method unknown");
    }
    return r;
}

void Engine::answer_get_peers(const krpc::Message& q, const Endpoint& from, std::int64_t now_ms,
                              krpc::Message& r) {
    r.token = tokens_.make(from.ip);
    r.has_token = true;
    r.nodes = closest_infos(as_node_id(q.info_hash));
    std::vector<Endpoint> peers =
        store_.get(q.info_hash, options_.v4, krpc::kMaxValues, now_ms, rng_());
    if (auto own = own_.find(q.info_hash); own != own_.end()) {
        if (const auto me = own_address())
            peers.insert(peers.begin(), Endpoint{me->ip, own->second});
    }
    if (peers.empty()) return;
    const std::size_t used = krpc::encode(r).size();
    peers.resize(krpc::fit_values(peers, used));
    r.values = std::move(peers);
}

std::optional<Endpoint> Engine::own_address() const {
    if (options_.self.port != 0 && !options_.self.ip.is_unspecified()) return options_.self;
    return external_;
}

void Engine::on_reply(const krpc::Message& m, const Endpoint& from, std::int64_t now_ms,
                      std::vector<Outgoing>& out) {
    auto it = transactions_.find(m.transaction);
    if (it == transactions_.end() || it->second.to != from) {
        ++dropped_;  // not ours, or a spoof from elsewhere: the query stays open
        return;
    }
    Transaction t = it->second;
    transactions_.erase(it);
    const bool response = m.kind == krpc::Kind::response;
    if (response && t.id && *t.id != m.id) {
        table_.failed(*t.id, t.to);  // another node at that address now
    } else if (response && !m.read_only) {
        heard(m.id, from, true, now_ms, out);
    }
    if (response && m.ip && !m.ip->ip.is_unspecified() && same_family(*m.ip, options_.v4))
        vote_external(m.ip->ip, from.ip, now_ms);
    if (t.lookup != 0) {
        lookup_reply(t, response ? &m : nullptr, now_ms, out);
    } else if (response && t.method == krpc::Method::find_node && !t.id) {
        // A bootstrap node answered: join through a lookup of our own id.
        find_self(now_ms, out);
    }
}

void Engine::vote_external(const common::IpAddr& claimed, const common::IpAddr& voter,
                           std::int64_t now_ms) {
    // One vote per network: a /24 (IPv4) or a /64 (IPv6) of voters.
    const std::uint64_t network = voter.is_v4() ? voter.v4() >> 8 : voter.high();
    if (!votes_.count(claimed) && votes_.size() >= kMaxClaims) {
        auto fewest = votes_.begin();
        for (auto it = votes_.begin(); it != votes_.end(); ++it)
            if (it->second.size() < fewest->second.size()) fewest = it;
        if (external_ && fewest->first == external_->ip) return;  // never the current one
        votes_.erase(fewest);
    }
    auto& voters = votes_[claimed];
    if (voters.size() < kMaxVoters) voters.insert(network);
    const std::size_t current = external_ ? votes_[external_->ip].size() : 0;
    if (!external_ || (claimed != external_->ip && voters.size() > current))
        external_ = Endpoint{claimed, 0};
    const auto& ip = external_->ip;
    if (ip.is_local() || votes_[ip].size() < kIdVotes || krpc::bep42_valid(options_.id, ip)) return;
    const NodeId rest = random_id();
    change_id(krpc::bep42_node_id(ip, static_cast<std::uint8_t>(rng_()), rest), now_ms);
}

void Engine::change_id(const NodeId& id, std::int64_t now_ms) {
    const std::vector<Node> nodes = table_.nodes();
    options_.id = id;
    table_ = RoutingTable(id, RoutingTable::Options{options_.one_per_ip});
    for (const auto& n : nodes)
        table_.heard_from(n.id, n.ep,
                          n.answered && now_ms - n.last_reply_ms < RoutingTable::kGoodMs, now_ms);
}

void Engine::heard(const NodeId& id, const Endpoint& ep, bool replied, std::int64_t now_ms,
                   std::vector<Outgoing>& out) {
    const auto ping = table_.heard_from(id, ep, replied, now_ms);
    if (!ping) return;
    for (const auto& [tid, t] : transactions_)
        if (t.to == ping->ep) return;  // already asked
    krpc::Message q;
    q.method = krpc::Method::ping;
    send_query(std::move(q), ping->ep, ping->id, 0, now_ms, out);
}

// ---- outgoing -----------------------------------------------------------------------

void Engine::send_query(krpc::Message q, const Endpoint& to, std::optional<NodeId> id,
                        LookupId lookup, std::int64_t now_ms, std::vector<Outgoing>& out) {
    if (transactions_.size() >= kMaxTransactions) return;
    std::string tid;
    do {
        ++next_tid_;
        tid = {static_cast<char>(next_tid_ >> 8), static_cast<char>(next_tid_ & 0xff)};
    } while (transactions_.count(tid) != 0);
    q.kind = krpc::Kind::query;
    q.transaction = tid;
    q.id = options_.id;
    q.read_only = options_.read_only;
    transactions_[tid] = Transaction{to, id, q.method, lookup, now_ms};
    out.push_back({to, krpc::encode(q)});
}

void Engine::bootstrap(const Endpoint& ep, std::int64_t now_ms, std::vector<Outgoing>& out) {
    if (ep.port == 0 || !same_family(ep, options_.v4)) return;
    krpc::Message q;
    q.method = krpc::Method::find_node;
    q.target = options_.id;
    send_query(std::move(q), ep, std::nullopt, 0, now_ms, out);
}

std::vector<krpc::NodeInfo> Engine::closest_infos(const NodeId& target) {
    std::vector<krpc::NodeInfo> out;
    for (const auto& n : table_.closest(target, options_.k))
        if (n.fails < RoutingTable::kBadFails) out.push_back({n.id, n.ep});
    return out;
}

// ---- lookups ------------------------------------------------------------------------

Engine::LookupId Engine::find_self(std::int64_t now_ms, std::vector<Outgoing>& out) {
    for (const auto& [id, l] : lookups_)
        if (!l.get_peers && l.target == options_.id && !l.result.done) return id;
    Lookup l;
    l.target = options_.id;
    return start_lookup(std::move(l), now_ms, out);
}

Engine::LookupId Engine::get_peers(const common::InfoHash& ih, bool announce, std::uint16_t port,
                                   bool seed, std::int64_t now_ms, std::vector<Outgoing>& out) {
    Lookup l;
    l.target = as_node_id(ih);
    l.get_peers = true;
    l.announce = announce;
    l.port = port;
    l.seed = seed;
    // What others announced to us counts too (a small DHT may have told
    // only us).
    l.peers = store_.get(ih, options_.v4, kMaxLookupPeers, now_ms, 0);
    return start_lookup(std::move(l), now_ms, out);
}

Engine::LookupId Engine::start_lookup(Lookup l, std::int64_t now_ms, std::vector<Outgoing>& out) {
    l.started_ms = now_ms;
    std::vector<krpc::NodeInfo> seeds;
    for (const auto& n : table_.closest(l.target, 2 * options_.k))
        seeds.push_back({n.id, n.ep});
    add_candidates(l, seeds);
    const LookupId id = next_lookup_++;
    auto& stored = lookups_.emplace(id, std::move(l)).first->second;
    step(id, stored, now_ms, out);
    return id;
}

void Engine::add_candidates(Lookup& l, const std::vector<krpc::NodeInfo>& nodes) {
    for (const auto& n : nodes) {
        if (n.id == options_.id || !same_family(n.ep, options_.v4)) continue;
        const bool known =
            std::any_of(l.candidates.begin(), l.candidates.end(),
                        [&](const Candidate& c) { return c.id == n.id || c.ep == n.ep; });
        if (known) continue;
        Candidate c;
        c.id = n.id;
        c.ep = n.ep;
        l.candidates.push_back(std::move(c));
    }
    std::stable_sort(
        l.candidates.begin(), l.candidates.end(),
        [&](const Candidate& a, const Candidate& b) { return closer(l.target, a.id, b.id); });
    // Keep the nearest; never drop one that is being asked.
    while (l.candidates.size() > kMaxCandidates &&
           l.candidates.back().state != Candidate::State::pending)
        l.candidates.pop_back();
}

// The first k candidates that have not failed: the lookup's frontier.
void Engine::step(LookupId id, Lookup& l, std::int64_t now_ms, std::vector<Outgoing>& out) {
    std::size_t seen = 0;
    for (auto& c : l.candidates) {
        if (l.in_flight >= options_.alpha || seen >= options_.k) break;
        if (c.state == Candidate::State::failed) continue;
        ++seen;
        if (c.state != Candidate::State::fresh) continue;
        krpc::Message q;
        q.method = l.get_peers ? krpc::Method::get_peers : krpc::Method::find_node;
        q.target = l.target;
        q.info_hash = common::InfoHash::from_bytes(l.target.view());
        c.state = Candidate::State::pending;
        ++l.in_flight;
        ++l.result.queried;
        send_query(std::move(q), c.ep, c.id, id, now_ms, out);
    }
    if (finished(l, now_ms)) finish(l, now_ms, out);
}

bool Engine::finished(const Lookup& l, std::int64_t now_ms) const {
    if (l.result.done) return false;
    if (now_ms - l.started_ms >= options_.lookup_timeout_ms) return true;
    if (l.in_flight > 0) return false;
    std::size_t seen = 0;
    for (const auto& c : l.candidates) {
        if (c.state == Candidate::State::failed) continue;
        if (c.state == Candidate::State::fresh) return false;
        if (++seen >= options_.k) break;
    }
    return true;
}

void Engine::finish(Lookup& l, std::int64_t now_ms, std::vector<Outgoing>& out) {
    l.result.done = true;
    l.result.peers = l.peers;
    if (!l.get_peers || !l.announce) return;
    std::size_t sent = 0;
    for (const auto& c : l.candidates) {
        if (sent >= options_.k) break;
        if (c.state != Candidate::State::answered || c.token.empty()) continue;
        krpc::Message q;
        q.method = krpc::Method::announce_peer;
        q.info_hash = common::InfoHash::from_bytes(l.target.view());
        q.port = l.port;
        q.implied_port = l.port == 0;
        q.token = c.token;
        send_query(std::move(q), c.ep, c.id, 0, now_ms, out);
        ++sent;
    }
    l.result.announced = sent;
}

void Engine::lookup_reply(Transaction& t, const krpc::Message* r, std::int64_t now_ms,
                          std::vector<Outgoing>& out) {
    auto it = lookups_.find(t.lookup);
    if (it == lookups_.end()) return;
    Lookup& l = it->second;
    if (l.in_flight > 0) --l.in_flight;
    auto c = std::find_if(l.candidates.begin(), l.candidates.end(),
                          [&](const Candidate& x) { return x.ep == t.to; });
    if (c != l.candidates.end()) {
        if (r) {
            c->state = Candidate::State::answered;
            c->token = r->token;
        } else {
            c->state = Candidate::State::failed;
        }
    }
    if (r && !l.result.done) {
        ++l.result.answered;
        for (const auto& v : r->values)
            if (l.peers.size() < kMaxLookupPeers &&
                std::find(l.peers.begin(), l.peers.end(), v) == l.peers.end())
                l.peers.push_back(v);
        add_candidates(l, r->nodes);
    }
    if (!l.result.done) step(t.lookup, l, now_ms, out);
}

std::optional<LookupResult> Engine::result(LookupId id) {
    auto it = lookups_.find(id);
    if (it == lookups_.end()) return std::nullopt;
    LookupResult r = it->second.result;
    if (!r.done) r.peers = it->second.peers;
    if (r.done) lookups_.erase(it);
    return r;
}

// ---- time ---------------------------------------------------------------------------

void Engine::tick(std::int64_t now_ms, std::vector<Outgoing>& out) {
    std::vector<std::string> expired;
    for (const auto& [tid, t] : transactions_)
        if (now_ms - t.sent_ms >= options_.query_timeout_ms) expired.push_back(tid);
    for (const auto& tid : expired) {
        Transaction t = transactions_[tid];
        transactions_.erase(tid);
        if (t.id) table_.failed(*t.id, t.to);
        if (t.lookup != 0) lookup_reply(t, nullptr, now_ms, out);
    }
    for (auto it = lookups_.begin(); it != lookups_.end();) {
        Lookup& l = it->second;
        if (finished(l, now_ms)) finish(l, now_ms, out);
        // Lookups nobody reads (refresh, joining) go when done.
        const bool internal = !l.get_peers;
        it = l.result.done && internal ? lookups_.erase(it) : std::next(it);
    }
    if (now_ms - last_rotate_ms_ >= Tokens::kRotateMs) {
        last_rotate_ms_ = now_ms;
        Tokens::Secret s;
        for (auto& b : s)
            b = static_cast<std::uint8_t>(rng_());
        tokens_.rotate(s);
    }
    if (now_ms - last_refresh_ms_ >= kRefreshCheckMs && table_.size() > 0) {
        last_refresh_ms_ = now_ms;
        std::size_t started = 0;
        for (const auto& target : table_.refresh_targets(now_ms, random_id())) {
            if (++started > 3) break;
            Lookup l;
            l.target = target;
            start_lookup(std::move(l), now_ms, out);
        }
    }
    if (now_ms - last_expire_ms_ >= kExpireMs) {
        last_expire_ms_ = now_ms;
        store_.expire(now_ms);
    }
}

void Engine::add_own(const common::InfoHash& ih, std::uint16_t port) {
    own_[ih] = port;
}

void Engine::remove_own(const common::InfoHash& ih) {
    own_.erase(ih);
}

EngineStatus Engine::status(std::int64_t now_ms) const {
    EngineStatus s;
    s.nodes = table_.size();
    s.good_nodes = table_.good(now_ms);
    s.stored_torrents = store_.torrents();
    s.stored_peers = store_.peers();
    for (const auto& [id, l] : lookups_)
        s.lookups_running += l.result.done ? 0 : 1;
    s.queries_in = queries_in_;
    s.dropped = dropped_;
    s.external = external_;
    s.id = options_.id;
    return s;
}

}  // namespace mt::client::dht
