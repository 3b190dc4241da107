// SwarmStore: the tracker's state, pure logic with no I/O.
//
// Per info_hash: the swarm (live peers and tombstones of removed ones) and,
// when a client published it, the .mtorrent with its name and size. Every
// key (a peer of a torrent, a torrent's metainfo) is a last-writer-wins
// register ordered by Version, so applying the same set of changes in any
// order, any number of times, gives the same state on both trackers.
//
// Local writes (announces that change membership, publishes, expiries) build a
// Change, apply it, and hand it to the Sequencer while the key's stripe is
// still locked: the sequencer numbers it and queues it for the journal, so
// per key the journal order, the sequence order and the apply order agree.
// Announces that only refresh a peer update it in memory and report
// `refreshed` so the caller can batch a Touch to the other tracker.
//
// A peer is keyed by its endpoint, the (ip, port) it announced from: the ip
// is the request's source address (unless the tracker trusts ip=), so a host
// can create, refresh, stop or move only entries at its own address; the
// peer_id is not stored and not part of the key, and replies carry no peer
// ids. BEP 7: an entry records the key its announce carried; an announce from
// an endpoint with no entry that carries a non-zero key recorded for another
// entry of the swarm moves that entry (a remove of the old endpoint and a
// put of the new, two sequenced changes), or removes it with
// event=stopped. Without the key an announce from elsewhere cannot touch it.
// The key is replicated and journaled with the entry, never sent to peers.
//
// Thread-safe: torrents are spread over kStripes stripes by info_hash, each
// with its own mutex; no lock is held across I/O (the sequencer only queues).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/mutex.h"
#include "common/result.h"
#include "common/wire/search.h"
#include "tracker/change.h"
#include "tracker/search_index.h"

namespace mt::tracker {

struct Torrent;  // a torrent's swarm and metainfo (swarm_store.cpp)

// Numbers a local change (sets seq) and queues it for journaling; returns the
// ticket to wait on for its durability. Called with a stripe lock held: must
// not call back into the store or block on I/O.
class Sequencer {
  public:
    virtual ~Sequencer() = default;
    virtual std::uint64_t sequence(Change& change) = 0;
};

enum class AnnounceEvent { none, completed, started, stopped };

struct AnnounceInput {
    common::InfoHash info_hash;
    common::PeerId peer_id;  // not stored and not part of the key: for the caller's logs
    common::IpAddr ip;       // the address the request came from
    std::uint16_t port = 0;
    std::uint32_t key = 0;  // BEP 7; 0 = none
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    std::uint64_t left = 0;
    AnnounceEvent event = AnnounceEvent::none;
    std::uint32_t numwant = 50;
    // The families the reply can carry: HTTP both (peers and peers6), UDP
    // only its own (BEP 15).
    bool want_v4 = true;
    bool want_v6 = true;
    // False: the announce may not create a torrent (the source's quota of new
    // torrents is used up); refused if the torrent is not known.
    bool may_create = true;
};

struct PeerEndpoint {
    common::IpAddr ip;
    std::uint16_t port = 0;
};

struct AnnounceResult {
    std::uint32_t complete = 0;    // seeders, after this announce
    std::uint32_t incomplete = 0;  // leechers
    std::vector<PeerEndpoint> peers;
    bool changed = false;  // a Change was sequenced: reply once `ticket` is durable
    std::uint64_t ticket = 0;
    bool refreshed = false;  // only last-seen/counters moved (the caller batches a Touch)
    bool moved = false;      // BEP 7: the key's entry moved here from another endpoint
    std::string refused;     // non-empty: a bound was hit; the announce was not recorded
    bool created = false;    // the announce created the torrent (charged to the source)
};

struct ScrapeCounts {
    std::uint32_t complete = 0;
    std::uint32_t downloaded = 0;  // completed events seen by this tracker
    std::uint32_t incomplete = 0;
};

using SearchHit = common::wire::SearchHit;

// A refresh of a peer that is already known: last seen and its counters.
struct Touch {
    common::InfoHash info_hash;
    common::IpAddr ip;  // the peer's endpoint
    std::uint16_t port = 0;
    std::int64_t time_ms = 0;
    std::uint64_t left = 0;  // on the wire; not kept (a seeder flag changes by versioned puts)
};

struct StoreLimits {
    // A full store evicts (see SwarmStore::announce) instead of refusing.
    std::size_t max_torrents = 1'000'000;
    std::size_t max_peers = 10'000'000;
    std::uint32_t max_numwant = 200;
    // A published metainfo whose torrent has had no live peer this long is
    // withdrawn (a replicated metainfo_remove) by expire().
    std::int64_t metainfo_ttl_ms = 86'400'000;
};

struct PublishResult {
    std::uint64_t ticket = 0;  // 0: nothing changed
    bool stored = false;       // false: a metainfo was already there (first writer wins)
    std::string refused;       // non-empty: the store is full and nothing could be evicted
};

struct WithdrawResult {
    enum class Status { withdrawn, not_published, not_owner };
    Status status = Status::not_published;
    std::uint64_t ticket = 0;  // withdrawn: the change to wait on
};

struct StoreCounts {
    std::size_t torrents = 0;  // torrents with at least one live peer or a metainfo
    std::size_t peers = 0;
    std::size_t seeders = 0;
    std::size_t metainfos = 0;
    std::size_t tombstones = 0;
    std::uint64_t evicted = 0;            // torrents evicted by a full store, since start
    std::uint64_t metainfos_expired = 0;  // published files withdrawn for lack of peers
};

class SwarmStore {
  public:
    // Many, so that a walk of the whole store (a snapshot's dump, expiry)
    // holds each lock briefly: at 10 M peers a stripe holds about 10,000.
    static constexpr std::size_t kStripes = 1024;

    SwarmStore(std::uint8_t self_origin, StoreLimits limits, Sequencer& sequencer);
    ~SwarmStore();
    SwarmStore(const SwarmStore&) = delete;
    SwarmStore& operator=(const SwarmStore&) = delete;

    // A new torrent when the store holds max_torrents first evicts one: a
    // sample of torrents of the stripe (then of other stripes) is taken and
    // the one without live peers, else least recently announced, goes, its
    // peers and metainfo removed as sequenced changes (so the other tracker
    // follows). Refused only when nothing could be evicted.
    AnnounceResult announce(const AnnounceInput& in, std::int64_t now_ms);

    // Applies a change from the journal or the other tracker. Returns true if
    // it was newer than what the key held (state changed). `now_ms` becomes the
    // peer's last-seen time, so peers loaded at start get a full timeout.
    bool apply(const Change& change, std::int64_t now_ms);
    void touch(const Touch& t);

    ScrapeCounts scrape(const common::InfoHash& h) const;
    bool has_torrent(const common::InfoHash& h) const;

    // Stores a validated .mtorrent (sequenced like an announce) unless the
    // info_hash already has one: the first writer wins, a later publish
    // changes nothing. (Replicated puts stay last-writer-wins, so two
    // publishes racing on the two trackers converge to the same bytes.)
    // `owner`: owner_of_proof() of the publisher's withdraw proof
    // (change.h), or empty.
    PublishResult publish(const common::InfoHash& h, std::string metainfo, std::string name,
                          std::uint64_t length, std::int64_t now_ms, std::string owner = {});
    // The ticket to wait on (0 if nothing changed).
    std::uint64_t withdraw(const common::InfoHash& h, std::int64_t now_ms);
    // Withdraws for its publisher: only if `owner` (owner_of_proof() of the
    // proof it sent) is the one stored with the metainfo (compared in
    // constant time).
    WithdrawResult withdraw_owned(const common::InfoHash& h, std::string_view owner,
                                  std::int64_t now_ms);
    std::optional<std::string> metainfo(const common::InfoHash& h) const;
    // Published files whose name contains `query` (ASCII case-insensitive),
    // exact names first (see SearchIndex); `examined` counts names compared.
    std::vector<SearchHit> search(std::string_view query, std::size_t max_hits,
                                  std::size_t* examined = nullptr) const;
    // Up to `n` published files, any of them (SearchIndex::some), with
    // their counts: what the tracker's page lists when nobody searched.
    std::vector<SearchHit> some_published(std::size_t n) const;

    // Removes (as sequenced changes) peers not seen for timeout_ms and
    // metainfo without a live peer for limits.metainfo_ttl_ms; forgets
    // tombstones older than tombstone_ttl_ms. Returns the peers removed.
    std::size_t expire(std::int64_t now_ms, std::int64_t timeout_ms, std::int64_t tombstone_ttl_ms);

    // Every live entry and tombstone as the Change that produced it: a full
    // snapshot that apply() turns back into the same state.
    void dump(const std::function<void(const Change&)>& visit) const;

    StoreCounts counts() const;
    // SHA-1 over the sorted live state (peers' endpoints and seeder flags,
    // metainfo bytes); equal on two trackers exactly when they agree.
    std::string digest_hex() const;

  private:
    struct Stripe;
    Stripe& stripe_for(const common::InfoHash& h) const;
    // announce() in the family (`f`: the torrent's IPv4 or IPv6 peers) of the
    // announcing address, with the stripe locked.
    template <class F>
    void announce_in(Torrent& t, F& f, const AnnounceInput& in, std::int64_t now_ms,
                     AnnounceResult& r);
    // Makes room for one torrent in stripe `held` (locked by the caller).
    bool evict_one(Stripe& held, std::int64_t now_ms);
    // Index entries with their torrents' seeders and leechers (one stripe
    // lock at a time; index_mu_ must not be held).
    std::vector<SearchHit> with_counts(std::vector<SearchIndex::Entry> found) const;
    void index_put(const common::InfoHash& h, const std::string& name, std::uint64_t length);
    void index_erase(const common::InfoHash& h);

    std::uint8_t self_;
    StoreLimits limits_;
    Sequencer& sequencer_;
    std::unique_ptr<Stripe[]> stripes_;
    std::atomic<std::size_t> torrents_{0};
    std::atomic<std::size_t> peers_{0};
    std::atomic<std::uint64_t> evicted_{0};
    std::atomic<std::uint64_t> meta_expired_{0};
    // Lock order: a stripe's mutex, then index_mu_ (search takes index_mu_
    // alone, then stripes one at a time).
    mutable common::Mutex index_mu_;
    SearchIndex index_ GUARDED_BY(index_mu_);
};

}  // namespace mt::tracker
