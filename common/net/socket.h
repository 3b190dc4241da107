// Socket helpers over POSIX sockets (IPv4 and IPv6): endpoints, listen,
// connect with a timeout, full reads and writes with deadlines. EINTR is
// retried everywhere.
//
// Timeouts are in milliseconds; a negative timeout waits forever. Errors come
// back as values: Errc::timeout, Errc::closed (peer closed / EPIPE / reset),
// Errc::refused (ECONNREFUSED), Errc::io_error (anything else, with strerror).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_addr.h"
#include "common/net/fd.h"
#include "common/result.h"

namespace mt::common {

struct Endpoint {
    // Dotted IPv4, IPv6 text without brackets, or a name resolved with
    // getaddrinfo.
    std::string host;
    std::uint16_t port = 0;

    // "1.2.3.4:5678", "[::1]:5678" or "name:5678".
    std::string to_string() const;
};

// Parses "host:port" or "[ipv6]:port" (port 0..65535; host non-empty). An
// IPv6 address needs its brackets: "::1:80" is refused as ambiguous.
Result<Endpoint> parse_endpoint(std::string_view text);

// A socket address of either family, as the socket calls take it.
struct SockAddr {
    sockaddr_storage storage{};
    socklen_t len = 0;

    static SockAddr from(const IpAddr& ip, std::uint16_t port, bool v6_socket = false);
    // From what accept/recvfrom filled in; len 0 or an unknown family gives
    // 0.0.0.0:0.
    static SockAddr from_raw(const sockaddr_storage& ss, socklen_t len);

    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    // A v4-mapped address from a dual-stack socket is IPv4 here.
    IpAddr ip() const;
    std::uint16_t port() const;
    // The family of the address on the wire: true for a real IPv6 peer,
    // false for IPv4 (also when it came mapped through a dual-stack socket).
    bool is_v6_peer() const { return !ip().is_v4(); }
};

// Resolves an endpoint (a literal of either family, or a name: the first
// address getaddrinfo gives).
Result<SockAddr> resolve(const Endpoint& ep);

// The address families a listening socket can be reached over.
struct Families {
    bool v4 = true;
    bool v6 = true;
};
// An IPv4 socket: v4; an IPv6 socket bound to "::" without IPV6_V6ONLY
// (dual stack): both; any other IPv6 socket: v6.
Families listen_families(int fd);

// The addresses of a name to try in turn, at most one per family in
// `families` (the first getaddrinfo gives of each, in its order). A literal
// gives itself whatever `families` says.
Result<std::vector<SockAddr>> resolve_per_family(const Endpoint& ep, Families families);

std::string to_string(const SockAddr& addr);  // "1.2.3.4:5678" or "[::1]:5678"

// Ignores SIGPIPE for the whole process: a write to a closed socket then fails
// with EPIPE instead of killing us. Call once from main().
void ignore_sigpipe();
// Raises this process's soft limit on open descriptors to min(hard limit,
// `want`) (never lowers it): a folder torrent keeps many files open, a swarm
// many sockets. Returns the soft limit in force afterwards.
std::uint64_t raise_fd_limit(std::uint64_t want = 16384);
// The soft limit on open descriptors now.
std::uint64_t fd_limit();

// TCP listener with SO_REUSEADDR; port 0 picks a free port (see local_port).
// "[::]" listens on both families (dual stack); another IPv6 address on
// IPv6 only. An empty host: every address of both families, or of IPv4
// alone on a system without IPv6.
Result<Fd> tcp_listen(const Endpoint& ep, int backlog = 128);
// UDP socket bound to ep.
Result<Fd> udp_bind(const Endpoint& ep);
// Connects within timeout_ms; the returned socket is blocking.
Result<Fd> tcp_connect(const Endpoint& ep, int timeout_ms);
Result<Fd> tcp_connect(const SockAddr& addr, int timeout_ms);
// Waits up to timeout_ms for a connection (Errc::timeout if none).
Result<Fd> accept_with_timeout(int listen_fd, int timeout_ms, SockAddr* peer = nullptr);

Result<std::uint16_t> local_port(int fd);
Status set_nodelay(int fd);
Status set_nonblocking(int fd, bool on);

// While one is alive on a thread, every wait of that thread (connect, read,
// write: wait_readable/wait_writable) also ends, within 50 ms, once `*flag`
// is true (Errc::timeout, "cancelled"): the owner of an exchange running on
// another thread can end it without waiting out its deadline. Scopes nest.
class CancelScope {
  public:
    explicit CancelScope(const std::atomic<bool>* flag);
    ~CancelScope();
    CancelScope(const CancelScope&) = delete;
    CancelScope& operator=(const CancelScope&) = delete;

  private:
    const std::atomic<bool>* previous_;
};

// The flag of this thread's innermost CancelScope (null: none), for work
// that hands part of an exchange to another thread.
const std::atomic<bool>* current_cancel_flag();

// Waits until fd is readable (POLLIN) or writable; Errc::timeout on expiry.
Status wait_readable(int fd, int timeout_ms);
Status wait_writable(int fd, int timeout_ms);

// Reads at most n bytes once data is there; Errc::closed on end of stream.
Result<std::size_t> read_some(int fd, void* buf, std::size_t n, int timeout_ms);
// Reads exactly n bytes; each wait for more data may take up to timeout_ms.
Status read_exact(int fd, void* buf, std::size_t n, int timeout_ms);
// Writes all of data (sockets, pipes and files); each wait up to timeout_ms.
Status write_all(int fd, std::string_view data, int timeout_ms = -1);

}  // namespace mt::common
