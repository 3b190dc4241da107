// Per-address connection limits for the tracker's TCP port (HTTP and the
// replication link share it). Pure logic, no sockets: the front ends ask
// these what to do and act on the answer.
//
// - AddressCounter: open connections per IPv4 address, with a cap.
// - pick_victim: at the global limit, which connection to close so that a
//   newcomer gets in: one from the address holding the most, if it holds more
//   than the newcomer's address; its least recently active one.
// - admit_handshake: whether an unauthenticated replication connection may
//   start its handshake, with a per-address and a total cap, and a reserved
//   way in for the partner (it takes the place of the oldest pending one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>
#include "common/ip_addr.h"
#include "common/mutex.h"

namespace mt::tracker {

class AddressCounter {
  public:
    // per_address >= 1. IPv6 addresses count by their /64 (IpAddr::quota_key).
    explicit AddressCounter(std::size_t per_address) : per_address_(per_address) {}

    // Counts one more connection from ip; false (and nothing counted) if ip
    // already holds per_address.
    bool try_add(const common::IpAddr& ip);
    void remove(const common::IpAddr& ip);  // one that try_add counted
    std::size_t count(const common::IpAddr& ip) const;
    std::size_t addresses() const;  // addresses holding at least one
    // The most connections any one address holds (0: none). O(1): a flood
    // of newcomers from the top address is refused without a scan.
    std::size_t max_count() const;

  private:
    void move_holder(std::size_t from, std::size_t to) REQUIRES(mu_);

    const std::size_t per_address_;
    mutable common::Mutex mu_;
    std::unordered_map<common::IpAddr, std::size_t, common::IpAddrHash> counts_
        GUARDED_BY(mu_);  // no zero entries
    // count -> addresses holding that many (no zero entries, no count 0).
    std::map<std::size_t, std::size_t> holders_ GUARDED_BY(mu_);
};

struct VictimCandidate {
    int key = -1;                    // the caller's handle (a descriptor)
    common::IpAddr ip;               // its quota_key()
    std::size_t address_count = 0;   // connections its address holds
    std::int64_t last_activity = 0;  // any clock; smaller = longer ago
};

// The candidate to close so that a newcomer whose address then holds
// `newcomer_count` connections (itself included) gets in: among candidates
// whose address holds more than newcomer_count, the one whose address holds
// the most, least recently active first. Never one of the newcomer's own
// address (`newcomer_ip`): the counts are read while other threads open and
// close connections, and a stale count must not let an address evict its
// own. nullopt: none, refuse the newcomer. (Connections that must not be
// evicted are not candidates.)
std::optional<int> pick_victim(const std::vector<VictimCandidate>& candidates,
                               const common::IpAddr& newcomer_ip, std::size_t newcomer_count);

struct PendingHandshake {
    common::IpAddr ip;
    std::int64_t started_ms = 0;
};

struct HandshakeAdmission {
    bool admit = false;
    std::optional<std::size_t> evict;  // index into `pending` to end first
};

// `pending`: the replication connections not yet authenticated. A stranger
// is admitted while its address has fewer than per_address pending and fewer
// than total are pending. The partner (partner_ip; nullopt = none) is always
// admitted: at its own address's cap it evicts that address's oldest pending
// connection, at the total cap the oldest of the address with the most.
HandshakeAdmission admit_handshake(const std::vector<PendingHandshake>& pending,
                                   const common::IpAddr& ip,
                                   const std::optional<common::IpAddr>& partner_ip,
                                   std::size_t per_address, std::size_t total);

}  // namespace mt::tracker
