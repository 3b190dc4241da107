// Engine: a Mainline DHT node (BEP 5) without a socket or a clock. It takes
// datagrams and the time, and appends the datagrams to send; client/dht/node
// puts it behind a UDP socket and a thread. One owner; not thread-safe.
//
// What it does:
// - answers ping, find_node, get_peers and announce_peer (error 204 for an
//   unknown method, 203 for a bad token or a malformed query), every answer
//   carrying the querier's address (`ip`, BEP 42);
// - counts itself among the peers of the torrents it shares (add_own): a
//   get_peers for one of them gets our own address, so a two-node DHT works;
// - keeps the routing table fed by everyone it hears from, pings the
//   questionable node a full bucket names, and refreshes idle buckets;
// - runs iterative lookups: get_peers (or find_node) towards a target with
//   up to `alpha` queries in flight, closest candidates first, until the k
//   closest that answered have all been asked; a get_peers lookup then
//   announces to the k closest that gave a token, when asked to;
// - learns its own address from the `ip` of answers by vote: each claimed
//   address counts the distinct networks (/24, /64) of those that claimed
//   it, and the one with the most is ours (one liar among many cannot move
//   it); when that address is public, at least kIdVotes networks agree and
//   our id is not a BEP 42 id for it, the node takes one (the routing table
//   is rebuilt around it), so that nodes enforcing BEP 42 keep us;
// - limits what one source can make it do: queries beyond
//   Options::max_queries per 10 s from one address (one address and port
//   for local addresses) are dropped, and answers are never bigger than the
//   1,024-byte budget.
// A single address family: a node running both families runs two engines.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "client/dht/peer_store.h"
#include "client/dht/routing_table.h"
#include "client/dht/tokens.h"
#include "common/ids.h"
#include "common/wire/krpc.h"

namespace mt::client::dht {

namespace krpc = common::wire::krpc;

struct Outgoing {
    Endpoint to;
    std::string bytes;
};

struct LookupResult {
    bool done = false;
    std::vector<Endpoint> peers;  // get_peers: what was found (ours excluded)
    std::size_t queried = 0;      // nodes asked
    std::size_t answered = 0;
    std::size_t announced = 0;  // announce_peer sent to
};

struct EngineStatus {
    std::size_t nodes = 0;
    std::size_t good_nodes = 0;
    std::size_t stored_torrents = 0;
    std::size_t stored_peers = 0;
    std::size_t lookups_running = 0;
    std::uint64_t queries_in = 0;
    std::uint64_t dropped = 0;         // rate-limited or malformed datagrams
    std::optional<Endpoint> external;  // how others see us (their `ip`), by vote
    NodeId id;                         // ours (changes once to a BEP 42 id: see Engine)
};

class Engine {
  public:
    struct Options {
        NodeId id;
        Endpoint self;           // our address, if known (answers for add_own)
        bool v4 = true;          // the family this engine speaks
        bool read_only = false;  // BEP 43: queries only, nobody adds us
        std::size_t alpha = 3;   // queries in flight per lookup
        std::size_t k = 8;
        std::int64_t query_timeout_ms = 2000;
        std::int64_t lookup_timeout_ms = 30000;
        std::size_t max_queries = 250;  // per source per 10 s
        std::uint64_t seed = 1;         // randomness (tokens, transaction ids, refresh targets)
        bool one_per_ip = true;         // routing table: one entry per public address
    };
    using LookupId = std::uint64_t;
    static constexpr std::size_t kIdVotes = 3;     // networks agreeing before a new id
    static constexpr std::size_t kMaxClaims = 16;  // addresses claimed for us, kept
    static constexpr std::size_t kMaxVoters = 64;  // networks counted per address

    explicit Engine(const Options& o);

    void receive(std::string_view datagram, const Endpoint& from, std::int64_t now_ms,
                 std::vector<Outgoing>& out);
    // Timeouts, lookup steps, pings, bucket refresh, token rotation, expiry.
    void tick(std::int64_t now_ms, std::vector<Outgoing>& out);

    // A find_node for our own id to an address whose id we do not know
    // (bootstrap nodes, a peer's PORT message, the saved table).
    void bootstrap(const Endpoint& ep, std::int64_t now_ms, std::vector<Outgoing>& out);
    // A lookup of the nodes closest to our id (joining, and after bootstrap).
    LookupId find_self(std::int64_t now_ms, std::vector<Outgoing>& out);
    LookupId get_peers(const common::InfoHash& ih, bool announce, std::uint16_t port, bool seed,
                       std::int64_t now_ms, std::vector<Outgoing>& out);
    // A running or finished lookup; a finished one is forgotten once read.
    std::optional<LookupResult> result(LookupId id);

    void add_own(const common::InfoHash& ih, std::uint16_t port);
    void remove_own(const common::InfoHash& ih);

    const RoutingTable& table() const { return table_; }
    EngineStatus status(std::int64_t now_ms) const;
    const NodeId& id() const { return options_.id; }

  private:
    struct Candidate {
        NodeId id;
        Endpoint ep;
        enum class State : std::uint8_t { fresh, pending, answered, failed } state = State::fresh;
        std::string token;
    };
    struct Lookup {
        NodeId target;
        bool get_peers = false;
        bool announce = false;
        std::uint16_t port = 0;
        bool seed = false;
        std::int64_t started_ms = 0;
        std::vector<Candidate> candidates;  // nearest first
        std::vector<Endpoint> peers;
        std::size_t in_flight = 0;
        LookupResult result;
    };
    struct Transaction {
        Endpoint to;
        std::optional<NodeId> id;
        krpc::Method method = krpc::Method::ping;
        LookupId lookup = 0;
        std::int64_t sent_ms = 0;
    };

    void on_query(const krpc::Message& q, const Endpoint& from, std::int64_t now_ms,
                  std::vector<Outgoing>& out);
    void on_reply(const krpc::Message& r, const Endpoint& from, std::int64_t now_ms,
                  std::vector<Outgoing>& out);
    krpc::Message answer(const krpc::Message& q, const Endpoint& from, std::int64_t now_ms);
    void answer_get_peers(const krpc::Message& q, const Endpoint& from, std::int64_t now_ms,
                          krpc::Message& r);
    bool allow(const Endpoint& from, std::int64_t now_ms);
    void heard(const NodeId& id, const Endpoint& ep, bool replied, std::int64_t now_ms,
               std::vector<Outgoing>& out);
    void send_query(krpc::Message q, const Endpoint& to, std::optional<NodeId> id, LookupId lookup,
                    std::int64_t now_ms, std::vector<Outgoing>& out);
    LookupId start_lookup(Lookup l, std::int64_t now_ms, std::vector<Outgoing>& out);
    void add_candidates(Lookup& l, const std::vector<krpc::NodeInfo>& nodes);
    void step(LookupId id, Lookup& l, std::int64_t now_ms, std::vector<Outgoing>& out);
    bool finished(const Lookup& l, std::int64_t now_ms) const;
    void finish(Lookup& l, std::int64_t now_ms, std::vector<Outgoing>& out);
    void lookup_reply(Transaction& t, const krpc::Message* r, std::int64_t now_ms,
                      std::vector<Outgoing>& out);
    std::vector<krpc::NodeInfo> closest_infos(const NodeId& target);
    std::optional<Endpoint> own_address() const;
    NodeId random_id();
    // An answer's `ip` from `voter`: counts the vote, settles external_ and
    // takes a BEP 42 id when it is due.
    void vote_external(const common::IpAddr& claimed, const common::IpAddr& voter,
                       std::int64_t now_ms);
    void change_id(const NodeId& id, std::int64_t now_ms);

    Options options_;
    RoutingTable table_;
    Tokens tokens_;
    PeerStore store_;
    std::mt19937_64 rng_;
    std::map<std::string, Transaction> transactions_;  // by `t`
    std::uint16_t next_tid_ = 0;
    std::map<LookupId, Lookup> lookups_;
    LookupId next_lookup_ = 1;
    std::map<common::InfoHash, std::uint16_t> own_;
    struct Rate {
        std::int64_t window_ms = 0;
        std::size_t count = 0;
    };
    std::map<std::pair<common::IpAddr, std::uint16_t>, Rate> rates_;
    std::int64_t rates_window_ms_ = 0;
    std::int64_t last_rotate_ms_ = 0;
    std::int64_t last_refresh_ms_ = 0;
    std::int64_t last_expire_ms_ = 0;
    std::optional<Endpoint> external_;
    // Claimed address -> the networks (/24 or /64 prefixes) that claimed it.
    std::map<common::IpAddr, std::set<std::uint64_t>> votes_;
    std::uint64_t queries_in_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace mt::client::dht
