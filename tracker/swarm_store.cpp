#include "tracker/swarm_store.h"

#include <algorithm>
#include <cctype>
#include <random>

#include "common/hex.h"
#include "common/hmac_sha256.h"
#include "common/metainfo.h"
#include "common/sha1.h"
#include "tracker/peer_index.h"

namespace mt::tracker {

using common::InfoHash;

namespace {

// The address of an entry, by family: 4 bytes for IPv4, 16 for IPv6. Most
// peers are IPv4, and the address is the largest field of an entry.
struct V4 {
    std::uint32_t a = 0;
    static V4 of(const common::IpAddr& ip) { return {ip.v4()}; }
    common::IpAddr ip() const { return common::IpAddr(a); }
};
struct V6 {
    common::IpAddr a;
    static V6 of(const common::IpAddr& ip) { return {ip}; }
    common::IpAddr ip() const { return a; }
};

// A peer of one family: 32 bytes for IPv4, 48 for IPv6. The endpoint is the
// key; the peer id is not kept, nor are its byte counters (nothing reads
// them: replies and scrapes need only whether it is a seeder). Last seen is
// kept in seconds, rounded up, so expiry may be up to a second late and is
// never early. The version (time, origin, sequence) orders replicated
// changes and is kept whole.
template <class Addr>
struct Peer {
    Addr addr;
    std::uint32_t key = 0;          // BEP 7, 0 = none: proves the peer across an address change
    std::uint32_t last_seen_s = 0;  // wall clock seconds
    std::uint16_t port = 0;
    std::uint8_t origin = 0;  // of the version
    bool is_seeder = false;
    std::int64_t time_ms = 0;  // of the version
    std::uint64_t seq = 0;     // of the version

    bool seeder() const { return is_seeder; }
    common::IpAddr ip() const { return addr.ip(); }
    Endpoint endpoint() const { return make_endpoint(addr.ip(), port); }
    Version version() const { return {time_ms, origin, seq}; }
    void set_version(const Version& v) {
        time_ms = v.time_ms;
        origin = v.origin;
        seq = v.seq;
    }
    std::int64_t last_seen_ms() const { return std::int64_t{last_seen_s} * 1000; }
    void seen(std::int64_t now_ms) {
        last_seen_s = static_cast<std::uint32_t>(std::max<std::int64_t>(0, now_ms + 999) / 1000);
    }
};
using Peer4 = Peer<V4>;
using Peer6 = Peer<V6>;
static_assert(sizeof(Peer4) == 32);
static_assert(sizeof(Peer6) == 48);

// A peer's entry from what announced it (AnnounceInput) or replicated it
// (Change): both name these fields alike. Its version is set by the caller.
template <class P, class Source>
P entry_from(const Source& s, std::int64_t now_ms) {
    P e;
    e.addr = decltype(e.addr)::of(s.ip);
    e.port = s.port;
    e.key = s.key;
    e.is_seeder = s.left == 0;
    e.seen(now_ms);
    return e;
}

struct MetaEntry {
    std::string bytes;  // empty when removed
    std::string name;
    std::uint64_t length = 0;
    Version version;
    bool removed = false;
    std::int64_t last_alive = 0;  // last time the torrent had a live peer (or was published)
    std::string owner;            // SHA-256 of the publisher's withdraw proof; empty: none
};

std::minstd_rand& rng() {
    thread_local std::minstd_rand r(std::random_device{}());
    return r;
}

// Swarms of up to kIndexFrom peers are searched by a scan of their array
// (which select_peers reads anyway): under callgrind a refresh announce costs
// fewer instructions that way up to 16 peers and 2% more at 32, and the
// swarm saves the index's 8 to 16 bytes a peer. Bigger swarms get a PeerIndex,
// dropped again below kIndexFrom / 2 so that one at the boundary does not
// rebuild it again and again.
constexpr std::size_t kIndexFrom = 32;

// Room for n peers and a quarter more, plus one: 1, 2, 3, 4, 6, 8, 11, 14, ...
// Doubling leaves 30% to 45% of the entries of swarms of 10 to 200 peers
// unused (a 10-peer swarm has 16 slots); this leaves about 12%, for more
// (cheap) reallocations of a trivially copyable array, and a lone peer, the
// commonest swarm, gets exactly one slot.
std::size_t grown_capacity(std::size_t n) {
    return n + n / 4 + 1;
}

// The peers of one address family of a torrent, with their indexes once
// the swarm is big. Counts (seeders) are the torrent's business.
template <class P>
struct Family {
    // Positions by endpoint and by BEP 7 key, kept in step with `peers`.
    struct Indexes {
        PeerIndex by_endpoint;
        KeyIndex by_key;
        Indexes(const std::vector<P>& p, std::uint32_t n) : by_endpoint(p, n), by_key(p, n) {}
    };

    std::vector<P> peers;
    std::unique_ptr<Indexes> index;  // past kIndexFrom peers only

    std::uint32_t position(const Endpoint& id) const {
        if (index) return index->by_endpoint.find(id, peers);
        const auto a = decltype(P::addr)::of(id.ip);
        for (std::size_t i = 0; i < peers.size(); ++i)
            if (peers[i].port == id.port && peers[i].addr.a == a.a)
                return static_cast<std::uint32_t>(i);
        return PeerIndex::kNotFound;
    }
    P* find(const Endpoint& id) {
        const std::uint32_t pos = position(id);
        return pos == PeerIndex::kNotFound ? nullptr : &peers[pos];
    }
    // An entry that recorded BEP 7 key `key` (not 0). Asked only for an
    // announce from an endpoint the swarm does not hold.
    const P* find_key(std::uint32_t key) const {
        if (index) {
            const std::uint32_t pos = index->by_key.find(key, peers);
            return pos == PeerIndex::kNotFound ? nullptr : &peers[pos];
        }
        for (const auto& p : peers)
            if (p.key == key) return &p;
        return nullptr;
    }
    void insert(const P& e) {
        if (peers.size() == peers.capacity()) peers.reserve(grown_capacity(peers.size()));
        peers.push_back(e);
        const auto pos = static_cast<std::uint32_t>(peers.size() - 1);
        if (index) {
            index->by_endpoint.insert(e.endpoint(), pos, peers);
            index->by_key.insert(e.key, pos, peers);
        } else if (peers.size() > kIndexFrom) {
            index = std::make_unique<Indexes>(peers, static_cast<std::uint32_t>(peers.size()));
        }
    }
    // `e`, an entry of `peers`, takes the state of `from` (same endpoint).
    void update(P& e, const P& from) {
        const std::uint32_t seen = std::max(e.last_seen_s, from.last_seen_s);
        const std::uint32_t old_key = e.key;
        const auto pos = static_cast<std::uint32_t>(&e - peers.data());
        if (index && old_key != from.key) index->by_key.erase(old_key, pos, peers);
        e = from;
        e.last_seen_s = seen;
        if (index && old_key != e.key) index->by_key.insert(e.key, pos, peers);
    }
    // Takes out the entry at `id`; false if there was none.
    bool erase(const Endpoint& id, bool* was_seeder) {
        const std::uint32_t pos = position(id);
        if (pos == PeerIndex::kNotFound) return false;
        *was_seeder = peers[pos].seeder();
        const auto last = static_cast<std::uint32_t>(peers.size() - 1);
        if (index) {
            index->by_endpoint.erase(id, pos, peers);
            index->by_key.erase(peers[pos].key, pos, peers);
        }
        if (pos != last) {
            peers[pos] = peers[last];
            if (index) {
                index->by_endpoint.move(peers[pos].endpoint(), last, pos);
                index->by_key.move(peers[pos].key, last, pos);
            }
        }
        peers.pop_back();
        if (index && peers.size() < kIndexFrom / 2) index.reset();
        shrink();
        return true;
    }
    // Gives back memory once a swarm has lost half its peers.
    void shrink() {
        if (peers.empty()) {
            std::vector<P>().swap(peers);
        } else if (peers.capacity() >= 2 * peers.size() + 8) {
            std::vector<P> fit;
            fit.reserve(grown_capacity(peers.size()));
            fit.assign(peers.begin(), peers.end());
            peers.swap(fit);
        }
    }
};

// What few torrents have: IPv6 peers, tombstones, a published metainfo. One
// pointer in every torrent instead of one per part.
struct Extras {
    using Tombstones = std::unordered_map<Endpoint, Version, EndpointHash>;
    Family<Peer6> v6;
    std::unique_ptr<Tombstones> tombstones;  // null when there are none
    std::unique_ptr<MetaEntry> meta;

    bool empty() const { return v6.peers.empty() && !tombstones && !meta; }
};

}  // namespace

// 56 bytes, and its map node 96: most torrents are small swarms of IPv4 peers
// with no tombstones and no published metainfo, and each byte here is paid
// per torrent.
struct Torrent {
    Family<Peer4> v4;
    std::unique_ptr<Extras> extras;  // null when it would be empty
    std::uint32_t seeders = 0;
    std::uint32_t completed = 0;
    std::int64_t last_active = 0;  // last announce, refresh or publish: what eviction goes by

    std::size_t peer_count() const {
        return v4.peers.size() + (extras ? extras->v6.peers.size() : 0);
    }
    bool no_peers() const { return peer_count() == 0; }
    bool empty() const { return v4.peers.empty() && !extras; }
    MetaEntry* meta() const { return extras ? extras->meta.get() : nullptr; }
    bool published() const { return meta() && !meta()->removed; }
    std::size_t tombstone_count() const {
        return extras && extras->tombstones ? extras->tombstones->size() : 0;
    }
    Extras& ensure_extras() {
        if (!extras) extras = std::make_unique<Extras>();
        return *extras;
    }
    // Frees the extras once nothing is in them.
    void tidy() {
        if (extras && extras->empty()) extras.reset();
    }
    void set_meta(MetaEntry m) { ensure_extras().meta = std::make_unique<MetaEntry>(std::move(m)); }
    void drop_meta() {
        if (extras) extras->meta.reset();
        tidy();
    }

    // The version a key currently holds: live entry or tombstone.
    std::optional<Version> version_of(const Endpoint& id) const {
        if (id.ip.is_v4()) {
            if (const std::uint32_t pos = v4.position(id); pos != PeerIndex::kNotFound)
                return v4.peers[pos].version();
        } else if (extras) {
            if (const std::uint32_t pos = extras->v6.position(id); pos != PeerIndex::kNotFound)
                return extras->v6.peers[pos].version();
        }
        if (extras && extras->tombstones) {
            if (auto it = extras->tombstones->find(id); it != extras->tombstones->end())
                return it->second;
        }
        return std::nullopt;
    }
    template <class P>
    void insert(Family<P>& f, const P& e) {
        if (extras && extras->tombstones && extras->tombstones->erase(e.endpoint()) &&
            extras->tombstones->empty())
            extras->tombstones.reset();
        if (e.seeder()) ++seeders;
        f.insert(e);
    }
    template <class P>
    void update(Family<P>& f, P& e, const P& from) {
        if (e.seeder()) --seeders;
        f.update(e, from);
        if (e.seeder()) ++seeders;
    }
    // Removes the entry at `id` (if any) and leaves a tombstone of version v;
    // true if there was an entry.
    bool remove(const Endpoint& id, const Version& v) {
        bool seeder = false;
        const bool had =
            id.ip.is_v4() ? v4.erase(id, &seeder) : extras && extras->v6.erase(id, &seeder);
        if (had && seeder) --seeders;
        auto& x = ensure_extras();
        if (!x.tombstones) x.tombstones = std::make_unique<Extras::Tombstones>();
        (*x.tombstones)[id] = v;
        return had;
    }
    // Calls f(family) for the IPv4 peers and, if any, the IPv6 ones.
    template <class F>
    void each_family(F&& f) const {
        f(v4);
        if (extras) f(extras->v6);
    }
};

struct SwarmStore::Stripe {
    mutable std::mutex mu;
    std::unordered_map<InfoHash, Torrent> torrents;
};

SwarmStore::SwarmStore(std::uint8_t self_origin, StoreLimits limits, Sequencer& sequencer)
    : self_(self_origin), limits_(limits), sequencer_(sequencer), stripes_(new Stripe[kStripes]) {}

SwarmStore::~SwarmStore() = default;

SwarmStore::Stripe& SwarmStore::stripe_for(const InfoHash& h) const {
    return stripes_[((std::size_t{h.bytes[18]} << 8) | h.bytes[19]) % kStripes];
}

namespace {

// A change of a peer's entry. An entry keeps no byte counters: `left` says
// only seeder (0) or not (1); the announce path puts the request's own
// counters in instead.
template <class P>
Change peer_change(Change::Kind kind, const InfoHash& h, const P& e, std::uint8_t origin,
                   std::int64_t now) {
    Change c;
    c.kind = kind;
    c.origin = origin;
    c.time_ms = now;
    c.info_hash = h;
    c.ip = e.ip();
    c.port = e.port;
    c.key = e.key;
    c.left = e.seeder() ? 0 : 1;
    return c;
}

// Up to `want` peers of the families the reply can carry, from a random
// place on (IPv4 then IPv6, wrapping around), never the asker, and no
// seeders for a seeder.
void select_peers(const Torrent& t, const AnnounceInput& in, bool asker_is_seeder,
                  std::uint32_t want, std::vector<PeerEndpoint>& out) {
    const std::size_t n4 = in.want_v4 ? t.v4.peers.size() : 0;
    const std::size_t n6 = in.want_v6 && t.extras ? t.extras->v6.peers.size() : 0;
    const std::size_t n = n4 + n6;
    if (n == 0 || want == 0) return;
    out.reserve(std::min<std::size_t>(want, n));
    const std::size_t start = rng()() % n;
    auto take = [&](const auto& p) {
        if (p.port == in.port && p.ip() == in.ip) return;  // never the asker
        if (asker_is_seeder && p.seeder()) return;         // a seeder only needs leechers
        out.push_back({p.ip(), p.port});
    };
    for (std::size_t i = 0; i < n && out.size() < want; ++i) {
        const std::size_t k = (start + i) % n;
        if (k < n4)
            take(t.v4.peers[k]);
        else
            take(t.extras->v6.peers[k - n4]);
    }
}

}  // namespace

// The announce's part in the peer's family (under the stripe lock that
// announce() holds): insert, update, move or remove the entry, record the
// change, sample the reply.
template <class F>
void SwarmStore::announce_in(Torrent& t, F& f, const AnnounceInput& in, std::int64_t now_ms,
                             AnnounceResult& r) {
    using P = typename decltype(f.peers)::value_type;
    const Endpoint ep = make_endpoint(in.ip, in.port);
    P* existing = f.find(ep);
    // BEP 7: no entry here, but the key of one elsewhere in this address family:
    // that peer's new address.
    const P* holder = !existing && in.key != 0 ? f.find_key(in.key) : nullptr;

    if (in.event == AnnounceEvent::stopped) {
        // A peer unknown here still gets a tombstone: the other tracker may
        // hold an older put of it that has not reached us yet (one of us was
        // down), and only a newer remove outranks it there.
        P gone;
        gone.addr = decltype(gone.addr)::of(in.ip);
        gone.port = in.port;
        const P& target = existing ? *existing : holder ? *holder : gone;
        Change c = peer_change(Change::Kind::peer_remove, in.info_hash, target, self_, now_ms);
        r.ticket = sequencer_.sequence(c);
        if (t.remove(target.endpoint(), c.version())) --peers_;
        r.changed = true;
        return;
    }
    P e = entry_from<P>(in, now_ms);
    if (in.event == AnnounceEvent::completed) ++t.completed;
    // An event (started, completed) is a membership statement and always
    // gets a new version: the other tracker may still hold a remove of
    // this peer, newer than the entry here, that has not reached us yet.
    if (existing && in.event == AnnounceEvent::none && existing->key == e.key &&
        existing->seeder() == e.seeder()) {
        // Only a refresh: nothing any other peer would see differently.
        e.set_version(existing->version());
        t.update(f, *existing, e);
        r.refreshed = true;
    } else if (!existing && !holder && peers_.load() >= limits_.max_peers) {
        r.refused =
            "tracker is full: peer limit of " + std::to_string(limits_.max_peers) + " reached";
        return;
    } else {
        if (holder) {
            // The move: the old endpoint's remove, then the new one's put.
            Change gone =
                peer_change(Change::Kind::peer_remove, in.info_hash, *holder, self_, now_ms);
            sequencer_.sequence(gone);
            t.remove(holder->endpoint(), gone.version());
            --peers_;
            r.moved = true;
        }
        Change c = peer_change(Change::Kind::peer_put, in.info_hash, e, self_, now_ms);
        c.left = in.left;
        c.uploaded = in.uploaded;
        c.downloaded = in.downloaded;
        r.ticket = sequencer_.sequence(c);
        e.set_version(c.version());
        if (existing) {
            t.update(f, *existing, e);
        } else {
            t.insert(f, e);
            ++peers_;
        }
        r.changed = true;
    }
    select_peers(t, in, e.seeder(), std::min(in.numwant, limits_.max_numwant), r.peers);
}

AnnounceResult SwarmStore::announce(const AnnounceInput& in, std::int64_t now_ms) {
    AnnounceResult r;
    Stripe& s = stripe_for(in.info_hash);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.torrents.find(in.info_hash);
    if (it == s.torrents.end()) {
        if (in.event == AnnounceEvent::stopped &&
            (!in.may_create || torrents_.load() >= limits_.max_torrents))
            return r;  // no room for a tombstone, and nothing to remove
        if (!in.may_create) {
            r.refused = "too many new torrents from your address; try again later";
            return r;
        }
        if (torrents_.load() >= limits_.max_torrents && !evict_one(s, now_ms)) {
            r.refused = "tracker is full: torrent limit of " +
                        std::to_string(limits_.max_torrents) + " reached";
            return r;
        }
        it = s.torrents.emplace(in.info_hash, Torrent{}).first;
        ++torrents_;
        r.created = true;
    }
    Torrent& t = it->second;
    t.last_active = now_ms;
    if (in.ip.is_v4())
        announce_in(t, t.v4, in, now_ms, r);
    else
        announce_in(t, t.ensure_extras().v6, in, now_ms, r);
    t.tidy();
    r.complete = t.seeders;
    r.incomplete = static_cast<std::uint32_t>(t.peer_count()) - t.seeders;
    if (t.empty()) {
        s.torrents.erase(it);
        --torrents_;
    }
    return r;
}
bool SwarmStore::apply(const Change& c, std::int64_t now_ms) {
    Stripe& s = stripe_for(c.info_hash);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.torrents.find(c.info_hash);
    if (it == s.torrents.end()) {
        it = s.torrents.emplace(c.info_hash, Torrent{}).first;
        ++torrents_;
    }
    Torrent& t = it->second;
    t.last_active = std::max(t.last_active, now_ms);
    const Version v = c.version();
    bool changed = false;
    switch (c.kind) {
        case Change::Kind::peer_put:
        case Change::Kind::peer_remove: {
            const Endpoint ep = make_endpoint(c.ip, c.port);
            const auto held = t.version_of(ep);
            if (held && !(*held < v)) break;  // not newer: already applied or superseded
            changed = true;
            if (c.kind == Change::Kind::peer_remove) {
                if (t.remove(ep, v)) --peers_;
                break;
            }
            auto put = [&](auto& f) {
                using P = typename std::decay_t<decltype(f.peers)>::value_type;
                P e = entry_from<P>(c, now_ms);
                e.set_version(v);
                if (P* existing = f.find(ep)) {
                    t.update(f, *existing, e);
                } else {
                    t.insert(f, e);
                    ++peers_;
                }
            };
            if (c.ip.is_v4())
                put(t.v4);
            else
                put(t.ensure_extras().v6);
            break;
        }
        case Change::Kind::metainfo_put:
        case Change::Kind::metainfo_remove: {
            if (t.meta() && !(t.meta()->version < v)) break;
            changed = true;
            MetaEntry m;
            m.version = v;
            m.removed = c.kind == Change::Kind::metainfo_remove;
            m.last_alive = now_ms;
            if (!m.removed) {
                // Name and size come from the bytes, validated when they were published.
                if (auto parsed = common::parse_metainfo(c.metainfo)) {
                    m.name = parsed->name;
                    m.length = parsed->length;
                }
                m.bytes = c.metainfo;
                m.owner = c.owner;
                index_put(c.info_hash, m.name, m.length);
            } else {
                index_erase(c.info_hash);
            }
            t.set_meta(std::move(m));
            break;
        }
    }
    t.tidy();
    if (t.empty()) {
        s.torrents.erase(it);
        --torrents_;
    }
    return changed;
}

void SwarmStore::touch(const Touch& tc) {
    Stripe& s = stripe_for(tc.info_hash);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.torrents.find(tc.info_hash);
    if (it == s.torrents.end()) return;
    Torrent& t = it->second;
    t.last_active = std::max(t.last_active, tc.time_ms);
    const Endpoint ep = make_endpoint(tc.ip, tc.port);
    auto refresh = [&](auto& f) {
        if (auto* e = f.find(ep)) {
            const std::uint32_t before = e->last_seen_s;
            e->seen(tc.time_ms);
            e->last_seen_s = std::max(before, e->last_seen_s);
        }
    };
    if (tc.ip.is_v4())
        refresh(t.v4);
    else if (t.extras)
        refresh(t.extras->v6);
}

bool SwarmStore::has_torrent(const InfoHash& h) const {
    Stripe& s = stripe_for(h);
    std::lock_guard<std::mutex> lock(s.mu);
    return s.torrents.count(h) != 0;
}

ScrapeCounts SwarmStore::scrape(const InfoHash& h) const {
    Stripe& s = stripe_for(h);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.torrents.find(h);
    if (it == s.torrents.end()) return {};
    const Torrent& t = it->second;
    return {t.seeders, t.completed, static_cast<std::uint32_t>(t.peer_count()) - t.seeders};
}

PublishResult SwarmStore::publish(const InfoHash& h, std::string metainfo, std::string name,
                                  std::uint64_t length, std::int64_t now_ms, std::string owner) {
    PublishResult r;
    Stripe& s = stripe_for(h);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.torrents.find(h);
    if (it == s.torrents.end()) {
        if (torrents_.load() >= limits_.max_torrents && !evict_one(s, now_ms)) {
            r.refused = "tracker is full: torrent limit of " +
                        std::to_string(limits_.max_torrents) + " reached";
            return r;
        }
        it = s.torrents.emplace(h, Torrent{}).first;
        ++torrents_;
    }
    Torrent& t = it->second;
    t.last_active = std::max(t.last_active, now_ms);
    if (t.published()) return r;  // the first writer wins
    Change c;
    c.kind = Change::Kind::metainfo_put;
    c.origin = self_;
    c.time_ms = now_ms;
    c.info_hash = h;
    c.metainfo = metainfo;
    c.owner = owner;
    r.ticket = sequencer_.sequence(c);
    r.stored = true;
    index_put(h, name, length);
    t.set_meta(MetaEntry{std::move(metainfo), std::move(name), length, c.version(), false, now_ms,
                         std::move(owner)});
    return r;
}

WithdrawResult SwarmStore::withdraw_owned(const InfoHash& h, std::string_view owner,
                                          std::int64_t now_ms) {
    WithdrawResult r;
    {
        Stripe& s = stripe_for(h);
        std::lock_guard<std::mutex> lock(s.mu);
        auto it = s.torrents.find(h);
        if (it == s.torrents.end() || !it->second.published()) {
            r.status = WithdrawResult::Status::not_published;
            return r;
        }
        const std::string& held = it->second.meta()->owner;
        if (held.empty() || !common::constant_time_equal(held, owner)) {
            r.status = WithdrawResult::Status::not_owner;
            return r;
        }
    }
    // (A publish of the same info_hash in between changes nothing: the
    // first writer still holds it.)
    r.ticket = withdraw(h, now_ms);
    r.status = WithdrawResult::Status::withdrawn;
    return r;
}

std::uint64_t SwarmStore::withdraw(const InfoHash& h, std::int64_t now_ms) {
    Stripe& s = stripe_for(h);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.torrents.find(h);
    if (it == s.torrents.end() || !it->second.published()) return 0;
    Change c;
    c.kind = Change::Kind::metainfo_remove;
    c.origin = self_;
    c.time_ms = now_ms;
    c.info_hash = h;
    const std::uint64_t ticket = sequencer_.sequence(c);
    it->second.set_meta(MetaEntry{{}, {}, 0, c.version(), true, now_ms, {}});
    index_erase(h);
    return ticket;
}

std::optional<std::string> SwarmStore::metainfo(const InfoHash& h) const {
    Stripe& s = stripe_for(h);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.torrents.find(h);
    if (it == s.torrents.end() || !it->second.published()) return std::nullopt;
    return it->second.meta()->bytes;
}

std::vector<SearchHit> SwarmStore::search(std::string_view query, std::size_t max_hits,
                                          std::size_t* examined) const {
    std::vector<SearchIndex::Entry> found;
    {
        common::MutexLock lock(index_mu_);
        found = index_.find(query, max_hits, examined);
    }
    return with_counts(std::move(found));
}

std::vector<SearchHit> SwarmStore::some_published(std::size_t n) const {
    std::vector<SearchIndex::Entry> found;
    {
        common::MutexLock lock(index_mu_);
        found = index_.some(n);
    }
    return with_counts(std::move(found));
}

std::vector<SearchHit> SwarmStore::with_counts(std::vector<SearchIndex::Entry> found) const {
    std::vector<SearchHit> hits;
    hits.reserve(found.size());
    for (auto& f : found) {
        SearchHit h;
        h.info_hash = f.info_hash;
        h.name = std::move(f.name);
        h.size = f.length;
        Stripe& s = stripe_for(h.info_hash);
        std::lock_guard<std::mutex> lock(s.mu);
        if (auto it = s.torrents.find(h.info_hash); it != s.torrents.end()) {
            h.seeders = it->second.seeders;
            h.leechers = it->second.peer_count() - it->second.seeders;
        }
        hits.push_back(std::move(h));
    }
    return hits;
}

void SwarmStore::index_put(const InfoHash& h, const std::string& name, std::uint64_t length) {
    common::MutexLock lock(index_mu_);
    index_.put(h, name, length);
}

void SwarmStore::index_erase(const InfoHash& h) {
    common::MutexLock lock(index_mu_);
    index_.erase(h);
}

namespace {

// Eviction prefers a torrent without live peers, then the least recently active.
bool better_victim(const Torrent& a, const Torrent& b) {
    if (a.no_peers() != b.no_peers()) return a.no_peers();
    return a.last_active < b.last_active;
}

// The best victim among up to kSample torrents of `m` from a random bucket on.
template <class Map>
typename Map::iterator sample_victim(Map& m) {
    constexpr int kSample = 16;
    if (m.empty()) return m.end();
    const std::size_t nb = m.bucket_count();
    std::size_t b = rng()() % nb;
    const typename Map::value_type* best = nullptr;
    int seen = 0;
    for (std::size_t i = 0; i < nb && i < 1024 && seen < kSample; ++i, b = (b + 1) % nb)
        for (auto lit = m.begin(b); lit != m.end(b); ++lit) {
            ++seen;
            if (!best || better_victim(lit->second, best->second)) best = &*lit;
        }
    // (A map with many empty buckets left by erasures may show none in 1024.)
    return best ? m.find(best->first) : m.begin();
}

}  // namespace

bool SwarmStore::evict_one(Stripe& held, std::int64_t now_ms) {
    // A sample from the held stripe and from up to kOther other non-empty
    // stripes that are free right now (try_lock never waits, so no lock order
    // is at stake): about 150 torrents, the oldest of which goes.
    constexpr std::size_t kOther = 8;
    std::vector<std::unique_lock<std::mutex>> locks;
    std::vector<Stripe*> stripes{&held};
    const std::size_t first = rng()() % kStripes;
    for (std::size_t i = 0; i < kStripes && stripes.size() < 1 + kOther; ++i) {
        Stripe& o = stripes_[(first + i) % kStripes];
        if (&o == &held) continue;
        std::unique_lock<std::mutex> l(o.mu, std::try_to_lock);
        if (!l.owns_lock() || o.torrents.empty()) continue;
        locks.push_back(std::move(l));
        stripes.push_back(&o);
    }
    Stripe* from = nullptr;
    decltype(held.torrents)::iterator victim;
    for (Stripe* st : stripes) {
        auto v = sample_victim(st->torrents);
        if (v == st->torrents.end()) continue;
        if (!from || better_victim(v->second, victim->second)) {
            from = st;
            victim = v;
        }
    }
    if (!from) return false;
    const InfoHash& h = victim->first;
    Torrent& t = victim->second;
    // Sequenced removes, so that the other tracker drops the same entries.
    t.each_family([&](const auto& f) {
        for (const auto& p : f.peers) {
            Change c = peer_change(Change::Kind::peer_remove, h, p, self_, now_ms);
            sequencer_.sequence(c);
            --peers_;
        }
    });
    if (t.published()) {
        Change c;
        c.kind = Change::Kind::metainfo_remove;
        c.origin = self_;
        c.time_ms = now_ms;
        c.info_hash = h;
        sequencer_.sequence(c);
        index_erase(h);
    }
    from->torrents.erase(victim);
    --torrents_;
    ++evicted_;
    return true;
}

std::size_t SwarmStore::expire(std::int64_t now_ms, std::int64_t timeout_ms,
                               std::int64_t tombstone_ttl_ms) {
    std::size_t removed = 0;
    for (std::size_t i = 0; i < kStripes; ++i) {
        Stripe& s = stripes_[i];
        std::lock_guard<std::mutex> lock(s.mu);
        for (auto it = s.torrents.begin(); it != s.torrents.end();) {
            Torrent& t = it->second;
            std::vector<Change> stale;
            t.each_family([&](const auto& f) {
                for (const auto& p : f.peers)
                    if (now_ms - p.last_seen_ms() > timeout_ms)
                        stale.push_back(
                            peer_change(Change::Kind::peer_remove, it->first, p, self_, now_ms));
            });
            for (auto& c : stale) {
                sequencer_.sequence(c);
                t.remove(make_endpoint(c.ip, c.port), c.version());
                --peers_;
                ++removed;
            }
            if (t.extras && t.extras->tombstones) {
                auto& tombs = *t.extras->tombstones;
                for (auto tb = tombs.begin(); tb != tombs.end();)
                    tb = now_ms - tb->second.time_ms > tombstone_ttl_ms ? tombs.erase(tb)
                                                                        : std::next(tb);
                if (tombs.empty()) t.extras->tombstones.reset();
            }
            if (t.published()) {
                if (!t.no_peers()) {
                    t.meta()->last_alive = now_ms;
                } else if (now_ms - t.meta()->last_alive > limits_.metainfo_ttl_ms) {
                    Change c;
                    c.kind = Change::Kind::metainfo_remove;
                    c.origin = self_;
                    c.time_ms = now_ms;
                    c.info_hash = it->first;
                    sequencer_.sequence(c);
                    t.set_meta(MetaEntry{{}, {}, 0, c.version(), true, now_ms, {}});
                    index_erase(it->first);
                    ++meta_expired_;
                }
            }
            if (t.meta() && t.meta()->removed &&
                now_ms - t.meta()->version.time_ms > tombstone_ttl_ms)
                t.drop_meta();
            t.tidy();
            if (t.empty()) {
                it = s.torrents.erase(it);
                --torrents_;
            } else {
                ++it;
            }
        }
    }
    return removed;
}

void SwarmStore::dump(const std::function<void(const Change&)>& visit) const {
    for (std::size_t i = 0; i < kStripes; ++i) {
        std::lock_guard<std::mutex> lock(stripes_[i].mu);
        for (const auto& [h, t] : stripes_[i].torrents) {
            t.each_family([&, &h = h](const auto& f) {
                for (const auto& p : f.peers) {
                    Change c = peer_change(Change::Kind::peer_put, h, p, p.origin, p.time_ms);
                    c.seq = p.seq;
                    visit(c);
                }
            });
            if (t.tombstone_count() != 0) {
                for (const auto& [ep, v] : *t.extras->tombstones) {
                    Change c;
                    c.kind = Change::Kind::peer_remove;
                    c.origin = v.origin;
                    c.seq = v.seq;
                    c.time_ms = v.time_ms;
                    c.info_hash = h;
                    c.ip = ep.ip;
                    c.port = ep.port;
                    visit(c);
                }
            }
            if (const MetaEntry* m = t.meta()) {
                Change c;
                c.kind = m->removed ? Change::Kind::metainfo_remove : Change::Kind::metainfo_put;
                c.origin = m->version.origin;
                c.seq = m->version.seq;
                c.time_ms = m->version.time_ms;
                c.info_hash = h;
                c.metainfo = m->bytes;
                c.owner = m->owner;
                visit(c);
            }
        }
    }
}

StoreCounts SwarmStore::counts() const {
    StoreCounts c;
    for (std::size_t i = 0; i < kStripes; ++i) {
        std::lock_guard<std::mutex> lock(stripes_[i].mu);
        for (const auto& [h, t] : stripes_[i].torrents) {
            if (!t.no_peers() || t.published()) ++c.torrents;
            c.peers += t.peer_count();
            c.seeders += t.seeders;
            c.tombstones += t.tombstone_count();
            if (t.published()) ++c.metainfos;
        }
    }
    c.evicted = evicted_.load();
    c.metainfos_expired = meta_expired_.load();
    return c;
}

std::string SwarmStore::digest_hex() const {
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < kStripes; ++i) {
        std::lock_guard<std::mutex> lock(stripes_[i].mu);
        for (const auto& [h, t] : stripes_[i].torrents) {
            t.each_family([&, &h = h](const auto& f) {
                for (const auto& p : f.peers) {
                    const common::IpAddr ip = p.ip();
                    lines.push_back(h.hex() + " " +
                                    (ip.is_v4() ? std::to_string(ip.v4()) : ip.to_string()) + ":" +
                                    std::to_string(p.port) + (p.seeder() ? " S" : " L"));
                }
            });
            if (t.published())
                lines.push_back(
                    h.hex() + " M " + common::to_hex(common::Sha1::digest(t.meta()->bytes)) +
                    (t.meta()->owner.empty() ? "" : " O " + common::to_hex(t.meta()->owner)));
        }
    }
    std::sort(lines.begin(), lines.end());
    common::Sha1 sha;
    for (const auto& l : lines) {
        sha.update(l);
        sha.update("\n");
    }
    return common::to_hex(sha.finish());
}

}  // namespace mt::tracker
