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

// 72 bytes: the Version's fields are stored apart so that its origin fits in
// the padding after the port. The endpoint is the key; the peer id is not kept.
// The address takes 16 bytes (IPv4 mapped, see common/ip_addr.h).
struct PeerEntry {
    common::IpAddr ip;
    std::uint16_t port = 0;
    std::uint8_t origin = 0;  // of the version
    std::uint32_t key = 0;    // BEP 7, 0 = none: proves the peer across an address change
    std::uint64_t left = 0;
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    std::int64_t last_seen = 0;
    std::int64_t time_ms = 0;  // of the version
    std::uint64_t seq = 0;     // of the version

    bool seeder() const { return left == 0; }
    Endpoint endpoint() const { return make_endpoint(ip, port); }
    Version version() const { return {time_ms, origin, seq}; }
    void set_version(const Version& v) {
        time_ms = v.time_ms;
        origin = v.origin;
        seq = v.seq;
    }
};
static_assert(sizeof(PeerEntry) == 72);

// A peer's entry from what announced it (AnnounceInput) or replicated it
// (Change): both name these fields alike. Its version is set by the caller.
template <class Source>
PeerEntry entry_from(const Source& s, std::int64_t now_ms) {
    PeerEntry e;
    e.ip = s.ip;
    e.port = s.port;
    e.key = s.key;
    e.left = s.left;
    e.uploaded = s.uploaded;
    e.downloaded = s.downloaded;
    e.last_seen = now_ms;
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

}  // namespace

// Everything but the peer array is allocated only when used: most torrents are
// small swarms with no tombstones and no published metainfo, and each byte here
// is paid per torrent.
struct Torrent {
    using Tombstones = std::unordered_map<Endpoint, Version, EndpointHash>;
    // Positions by endpoint and by BEP 7 key, kept in step with `peers`.
    struct Indexes {
        PeerIndex by_endpoint;
        KeyIndex by_key;
        Indexes(const std::vector<PeerEntry>& p, std::uint32_t n)
            : by_endpoint(p, n), by_key(p, n) {}
    };

    std::vector<PeerEntry> peers;
    std::unique_ptr<Indexes> index;          // past kIndexFrom peers only
    std::unique_ptr<Tombstones> tombstones;  // null when there are none
    std::unique_ptr<MetaEntry> meta;
    std::uint32_t seeders = 0;
    std::uint32_t completed = 0;
    std::int64_t last_active = 0;  // last announce, refresh or publish: what eviction goes by

    bool empty() const { return peers.empty() && !tombstones && !meta; }
    bool published() const { return meta && !meta->removed; }
    std::size_t tombstone_count() const { return tombstones ? tombstones->size() : 0; }

    std::uint32_t position(Endpoint id) const {
        if (index) return index->by_endpoint.find(id, peers);
        for (std::size_t i = 0; i < peers.size(); ++i)
            if (peers[i].port == id.port && peers[i].ip == id.ip)
                return static_cast<std::uint32_t>(i);
        return PeerIndex::kNotFound;
    }
    PeerEntry* find(Endpoint id) {
        const std::uint32_t pos = position(id);
        return pos == PeerIndex::kNotFound ? nullptr : &peers[pos];
    }
    // An entry of the family of `ip` that recorded BEP 7 key `key` (not 0).
    // Asked only for an announce from an endpoint the swarm does not hold.
    const PeerEntry* find_key(std::uint32_t key, const common::IpAddr& ip) const {
        const std::uint64_t wanted = family_key(key, ip);
        if (index) {
            const std::uint32_t pos = index->by_key.find(wanted, peers);
            return pos == PeerIndex::kNotFound ? nullptr : &peers[pos];
        }
        for (const auto& p : peers)
            if (ByKey::of(p) == wanted) return &p;
        return nullptr;
    }
    // The version a key currently holds: live entry or tombstone.
    std::optional<Version> version_of(Endpoint id) const {
        if (const std::uint32_t pos = position(id); pos != PeerIndex::kNotFound)
            return peers[pos].version();
        if (tombstones) {
            if (auto it = tombstones->find(id); it != tombstones->end()) return it->second;
        }
        return std::nullopt;
    }
    void insert(const PeerEntry& e) {
        if (tombstones && tombstones->erase(e.endpoint()) && tombstones->empty())
            tombstones.reset();
        if (e.seeder()) ++seeders;
        if (peers.size() == peers.capacity()) peers.reserve(grown_capacity(peers.size()));
        peers.push_back(e);
        const auto pos = static_cast<std::uint32_t>(peers.size() - 1);
        if (index) {
            index->by_endpoint.insert(e.endpoint(), pos, peers);
            index->by_key.insert(ByKey::of(e), pos, peers);
        } else if (peers.size() > kIndexFrom) {
            index = std::make_unique<Indexes>(peers, static_cast<std::uint32_t>(peers.size()));
        }
    }
    // `e`, an entry of `peers`, takes the state of `from` (same endpoint).
    void update(PeerEntry& e, const PeerEntry& from) {
        if (e.seeder()) --seeders;
        const std::int64_t seen = std::max(e.last_seen, from.last_seen);
        const std::uint64_t old_key = ByKey::of(e);  // `from` has the same endpoint, so family
        const auto pos = static_cast<std::uint32_t>(&e - peers.data());
        if (index && old_key != ByKey::of(from)) index->by_key.erase(old_key, pos, peers);
        e = from;
        e.last_seen = seen;
        if (index && old_key != ByKey::of(e)) index->by_key.insert(ByKey::of(e), pos, peers);
        if (e.seeder()) ++seeders;
    }
    void remove(Endpoint id, const Version& v) {
        if (const std::uint32_t pos = position(id); pos != PeerIndex::kNotFound) {
            if (peers[pos].seeder()) --seeders;
            const auto last = static_cast<std::uint32_t>(peers.size() - 1);
            if (index) {
                index->by_endpoint.erase(id, pos, peers);
                index->by_key.erase(ByKey::of(peers[pos]), pos, peers);
            }
            if (pos != last) {
                peers[pos] = peers[last];
                if (index) {
                    index->by_endpoint.move(peers[pos].endpoint(), last, pos);
                    index->by_key.move(ByKey::of(peers[pos]), last, pos);
                }
            }
            peers.pop_back();
            if (index && peers.size() < kIndexFrom / 2) index.reset();
            shrink();
        }
        if (!tombstones) tombstones = std::make_unique<Tombstones>();
        (*tombstones)[id] = v;
    }
    // Gives back memory once a swarm has lost half its peers.
    void shrink() {
        if (peers.empty()) {
            std::vector<PeerEntry>().swap(peers);
        } else if (peers.capacity() >= 2 * peers.size() + 8) {
            std::vector<PeerEntry> fit;
            fit.reserve(grown_capacity(peers.size()));
            fit.assign(peers.begin(), peers.end());
            peers.swap(fit);
        }
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
    return stripes_[h.bytes[19] % kStripes];
}

namespace {

Change peer_change(Change::Kind kind, const InfoHash& h, const PeerEntry& e, std::uint8_t origin,
                   std::int64_t now) {
    Change c;
    c.kind = kind;
    c.origin = origin;
    c.time_ms = now;
    c.info_hash = h;
    c.ip = e.ip;
    c.port = e.port;
    c.key = e.key;
    c.left = e.left;
    c.uploaded = e.uploaded;
    c.downloaded = e.downloaded;
    return c;
}

void select_peers(const Torrent& t, const AnnounceInput& in, bool asker_is_seeder,
                  std::uint32_t want, std::vector<PeerEndpoint>& out) {
    const std::size_t n = t.peers.size();
    if (n == 0 || want == 0) return;
    out.reserve(std::min<std::size_t>(want, n));
    const std::size_t start = rng()() % n;
    for (std::size_t i = 0; i < n && out.size() < want; ++i) {
        const PeerEntry& p = t.peers[(start + i) % n];
        if (p.ip == in.ip && p.port == in.port) continue;         // never the asker
        if (asker_is_seeder && p.seeder()) continue;              // a seeder only needs leechers
        if (!(p.ip.is_v4() ? in.want_v4 : in.want_v6)) continue;  // no room in the reply
        out.push_back({p.ip, p.port});
    }
}

}  // namespace

// Long (about 100 lines) for a reason: it is the hot path, and every step
// (find or create the torrent, insert, update or remove the peer, count,
// sample the reply, record the change) happens under one stripe lock that
// is taken once; split into functions, each would need the lock passed in
// and the reader would have to reassemble the one critical section.
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
    const Endpoint ep = make_endpoint(in.ip, in.port);
    PeerEntry* existing = t.find(ep);
    // BEP 7: no entry here, but the key of one elsewhere in this address family:
    // that peer's new address.
    const PeerEntry* holder = !existing && in.key != 0 ? t.find_key(in.key, in.ip) : nullptr;

    if (in.event == AnnounceEvent::stopped) {
        // A peer unknown here still gets a tombstone: the other tracker may
        // hold an older put of it that has not reached us yet (one of us was
        // down), and only a newer remove outranks it there.
        PeerEntry gone;
        gone.ip = in.ip;
        gone.port = in.port;
        const PeerEntry& target = existing ? *existing : holder ? *holder : gone;
        Change c = peer_change(Change::Kind::peer_remove, in.info_hash, target, self_, now_ms);
        r.ticket = sequencer_.sequence(c);
        if (existing || holder) --peers_;
        t.remove(target.endpoint(), c.version());
        r.changed = true;
    } else {
        PeerEntry e = entry_from(in, now_ms);
        if (in.event == AnnounceEvent::completed) ++t.completed;
        // An event (started, completed) is a membership statement and always
        // gets a new version: the other tracker may still hold a remove of
        // this peer, newer than the entry here, that has not reached us yet.
        if (existing && in.event == AnnounceEvent::none && existing->key == e.key &&
            existing->seeder() == e.seeder()) {
            // Only a refresh: nothing any other peer would see differently.
            e.set_version(existing->version());
            t.update(*existing, e);
            r.refreshed = true;
        } else if (!existing && !holder && peers_.load() >= limits_.max_peers) {
            r.refused =
                "tracker is full: peer limit of " + std::to_string(limits_.max_peers) + " reached";
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
            r.ticket = sequencer_.sequence(c);
            e.set_version(c.version());
            if (existing) {
                t.update(*existing, e);
            } else {
                t.insert(e);
                ++peers_;
            }
            r.changed = true;
        }
        if (r.refused.empty()) {
            const std::uint32_t want = std::min(in.numwant, limits_.max_numwant);
            select_peers(t, in, e.seeder(), want, r.peers);
        }
    }
    r.complete = t.seeders;
    r.incomplete = static_cast<std::uint32_t>(t.peers.size()) - t.seeders;
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
                if (t.find(ep)) --peers_;
                t.remove(ep, v);
                break;
            }
            PeerEntry e = entry_from(c, now_ms);
            e.set_version(v);
            if (PeerEntry* existing = t.find(ep)) {
                t.update(*existing, e);
            } else {
                t.insert(e);
                ++peers_;
            }
            break;
        }
        case Change::Kind::metainfo_put:
        case Change::Kind::metainfo_remove: {
            if (t.meta && !(t.meta->version < v)) break;
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
            t.meta = std::make_unique<MetaEntry>(std::move(m));
            break;
        }
    }
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
    it->second.last_active = std::max(it->second.last_active, tc.time_ms);
    if (PeerEntry* e = it->second.find(make_endpoint(tc.ip, tc.port))) {
        if (tc.time_ms > e->last_seen) {
            e->last_seen = tc.time_ms;
            // left may move within leecher (or stay within seeder) state only.
            if ((tc.left == 0) == e->seeder()) e->left = tc.left;
        }
    }
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
    return {t.seeders, t.completed, static_cast<std::uint32_t>(t.peers.size()) - t.seeders};
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
    t.meta = std::make_unique<MetaEntry>(MetaEntry{std::move(metainfo), std::move(name), length,
                                                   c.version(), false, now_ms, std::move(owner)});
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
        const std::string& held = it->second.meta->owner;
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
    if (it == s.torrents.end() || !it->second.meta || it->second.meta->removed) return 0;
    Change c;
    c.kind = Change::Kind::metainfo_remove;
    c.origin = self_;
    c.time_ms = now_ms;
    c.info_hash = h;
    const std::uint64_t ticket = sequencer_.sequence(c);
    it->second.meta =
        std::make_unique<MetaEntry>(MetaEntry{{}, {}, 0, c.version(), true, now_ms, {}});
    index_erase(h);
    return ticket;
}

std::optional<std::string> SwarmStore::metainfo(const InfoHash& h) const {
    Stripe& s = stripe_for(h);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.torrents.find(h);
    if (it == s.torrents.end() || !it->second.meta || it->second.meta->removed) return std::nullopt;
    return it->second.meta->bytes;
}

std::vector<SearchHit> SwarmStore::search(std::string_view query, std::size_t max_hits,
                                          std::size_t* examined) const {
    std::vector<SearchIndex::Entry> found;
    {
        common::MutexLock lock(index_mu_);
        found = index_.find(query, max_hits, examined);
    }
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
            h.leechers = it->second.peers.size() - it->second.seeders;
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
    if (a.peers.empty() != b.peers.empty()) return a.peers.empty();
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
    for (const auto& p : t.peers) {
        Change c = peer_change(Change::Kind::peer_remove, h, p, self_, now_ms);
        sequencer_.sequence(c);
        --peers_;
    }
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
            std::vector<PeerEntry> stale;
            for (const auto& p : t.peers)
                if (now_ms - p.last_seen > timeout_ms) stale.push_back(p);
            for (const auto& p : stale) {
                Change c = peer_change(Change::Kind::peer_remove, it->first, p, self_, now_ms);
                sequencer_.sequence(c);
                t.remove(p.endpoint(), c.version());
                --peers_;
                ++removed;
            }
            if (t.tombstones) {
                auto& tombs = *t.tombstones;
                for (auto tb = tombs.begin(); tb != tombs.end();)
                    tb = now_ms - tb->second.time_ms > tombstone_ttl_ms ? tombs.erase(tb)
                                                                        : std::next(tb);
                if (tombs.empty()) t.tombstones.reset();
            }
            if (t.published()) {
                if (!t.peers.empty()) {
                    t.meta->last_alive = now_ms;
                } else if (now_ms - t.meta->last_alive > limits_.metainfo_ttl_ms) {
                    Change c;
                    c.kind = Change::Kind::metainfo_remove;
                    c.origin = self_;
                    c.time_ms = now_ms;
                    c.info_hash = it->first;
                    sequencer_.sequence(c);
                    t.meta = std::make_unique<MetaEntry>(
                        MetaEntry{{}, {}, 0, c.version(), true, now_ms, {}});
                    index_erase(it->first);
                    ++meta_expired_;
                }
            }
            if (t.meta && t.meta->removed && now_ms - t.meta->version.time_ms > tombstone_ttl_ms)
                t.meta.reset();
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
            for (const auto& p : t.peers) {
                Change c = peer_change(Change::Kind::peer_put, h, p, p.origin, p.time_ms);
                c.seq = p.seq;
                visit(c);
            }
            if (t.tombstones) {
                for (const auto& [ep, v] : *t.tombstones) {
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
            if (t.meta) {
                Change c;
                c.kind =
                    t.meta->removed ? Change::Kind::metainfo_remove : Change::Kind::metainfo_put;
                c.origin = t.meta->version.origin;
                c.seq = t.meta->version.seq;
                c.time_ms = t.meta->version.time_ms;
                c.info_hash = h;
                c.metainfo = t.meta->bytes;
                c.owner = t.meta->owner;
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
            if (!t.peers.empty() || (t.meta && !t.meta->removed)) ++c.torrents;
            c.peers += t.peers.size();
            c.seeders += t.seeders;
            c.tombstones += t.tombstone_count();
            if (t.meta && !t.meta->removed) ++c.metainfos;
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
            for (const auto& p : t.peers)
                lines.push_back(h.hex() + " " +
                                (p.ip.is_v4() ? std::to_string(p.ip.v4()) : p.ip.to_string()) +
                                ":" + std::to_string(p.port) + (p.seeder() ? " S" : " L"));
            if (t.meta && !t.meta->removed)
                lines.push_back(
                    h.hex() + " M " + common::to_hex(common::Sha1::digest(t.meta->bytes)) +
                    (t.meta->owner.empty() ? "" : " O " + common::to_hex(t.meta->owner)));
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
