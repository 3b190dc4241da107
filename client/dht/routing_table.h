// RoutingTable: the Kademlia table of a Mainline DHT node (BEP 5). Pure: no
// sockets, no clock of its own (every call takes `now_ms`), one owner (the
// node's thread); not thread-safe.
//
// Nodes are kept in 160 buckets by the length of the prefix their id shares
// with ours (bucket i: distance in [2^(159-i), 2^(160-i))), at most
// kBucketSize live nodes each, plus a replacement cache of as many. This is
// the fully split table: the far buckets hold what BEP 5's splitting keeps,
// and the near ones fill only as far as the network is dense.
//
// A node is good when it answered one of our queries within kGoodMs; a node
// that only queried us, or has been silent longer, is questionable; after
// kBadFails queries unanswered in a row it is bad and the first to go. A
// full bucket takes a newcomer only in the place of a bad node; otherwise
// the newcomer waits in the replacement cache and heard_from() names the
// longest-silent questionable node for the caller to ping (its failure
// frees the place).
//
// Protection (as libtorrent): a known id that shows up from another address
// is ignored (no hijacking an entry), and with Options::one_per_ip a public
// address holds one entry (local addresses are exempt: tests and LANs run
// many nodes on one address).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/wire/krpc.h"

namespace mt::client::dht {

using common::wire::krpc::Endpoint;
using common::wire::krpc::NodeId;
using common::wire::krpc::NodeInfo;

struct Node {
    NodeId id;
    Endpoint ep;
    bool answered = false;           // it answered one of our queries
    std::int64_t last_reply_ms = 0;  // when it last did
    std::int64_t last_seen_ms = 0;   // any message from it
    int fails = 0;                   // our queries it left unanswered, in a row
};

// XOR distance, compared as a big-endian 160-bit number.
bool closer(const NodeId& target, const NodeId& a, const NodeId& b);
// Bits `a` and `b` share from the top (160 when equal).
int common_prefix_bits(const NodeId& a, const NodeId& b);

class RoutingTable {
  public:
    static constexpr std::size_t kBucketSize = 8;
    static constexpr std::int64_t kGoodMs = 15 * 60 * 1000;
    static constexpr std::int64_t kRefreshMs = 15 * 60 * 1000;
    static constexpr int kBadFails = 2;

    struct Options {
        bool one_per_ip = true;
    };

    explicit RoutingTable(const NodeId& self) : RoutingTable(self, Options{}) {}
    RoutingTable(const NodeId& self, Options options);

    const NodeId& self() const { return self_; }

    // A message from `id` at `ep`: `replied` when it answered our query
    // (it is then good), otherwise it queried us. Returns a questionable
    // node to ping when the newcomer had to wait for a full bucket.
    std::optional<Node> heard_from(const NodeId& id, const Endpoint& ep, bool replied,
                                   std::int64_t now_ms);
    // Our query to `id` at `ep` went unanswered. A node that turns bad is
    // replaced by the best of its bucket's replacement cache.
    void failed(const NodeId& id, const Endpoint& ep);

    // Up to `k` nodes closest to `target`, nearest first; bad nodes only
    // when there is nothing else.
    std::vector<Node> closest(const NodeId& target, std::size_t k) const;

    // Targets to look up: one random id in each bucket nobody has been heard
    // from in for kRefreshMs (of the buckets that could hold anyone: those
    // up to one past the deepest non-empty one). `rnd` supplies random bytes.
    std::vector<NodeId> refresh_targets(std::int64_t now_ms, const NodeId& rnd) const;

    std::size_t size() const;
    std::size_t good(std::int64_t now_ms) const;
    std::vector<Node> nodes() const;  // every live node, bucket by bucket

    // The table as a compact list (id + address per node, good ones first),
    // for the state folder; parse_saved() reads it back (at most `max`).
    std::string save(std::int64_t now_ms) const;
    static std::vector<NodeInfo> parse_saved(std::string_view bytes, std::size_t max = 1000);

  private:
    struct Bucket {
        std::vector<Node> live;
        std::vector<Node> replacements;  // newest last
        std::int64_t last_changed_ms = 0;
    };
    Bucket& bucket_for(const NodeId& id);
    bool ip_taken(const common::IpAddr& ip, const NodeId& except) const;
    std::optional<Node> admit(Bucket& b, const Node& n, std::int64_t now_ms);

    NodeId self_;
    Options options_;
    std::array<Bucket, 160> buckets_;
};

}  // namespace mt::client::dht
