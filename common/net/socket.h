// Socket helpers over POSIX sockets (IPv4): endpoints, listen, connect with a
// timeout, full reads and writes with deadlines. EINTR is retried everywhere.
//
// Timeouts are in milliseconds; a negative timeout waits forever. Errors come
// back as values: Errc::timeout, Errc::closed (peer closed / EPIPE / reset),
// Errc::refused (ECONNREFUSED), Errc::io_error (anything else, with strerror).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/net/fd.h"
#include "common/result.h"

namespace mt::common {

struct Endpoint {
    std::string host;  // dotted IPv4 or a name resolved with getaddrinfo
    std::uint16_t port = 0;

    std::string to_string() const { return host + ":" + std::to_string(port); }
};

// Parses "host:port" (port 0..65535; host non-empty).
Result<Endpoint> parse_endpoint(std::string_view text);

// Resolves an endpoint to an IPv4 socket address.
Result<sockaddr_in> resolve(const Endpoint& ep);

std::string to_string(const sockaddr_in& addr);  // "1.2.3.4:5678"

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
Result<Fd> tcp_listen(const Endpoint& ep, int backlog = 128);
// UDP socket bound to ep.
Result<Fd> udp_bind(const Endpoint& ep);
// Connects within timeout_ms; the returned socket is blocking.
Result<Fd> tcp_connect(const Endpoint& ep, int timeout_ms);
Result<Fd> tcp_connect(const sockaddr_in& addr, int timeout_ms);
// Waits up to timeout_ms for a connection (Errc::timeout if none).
Result<Fd> accept_with_timeout(int listen_fd, int timeout_ms, sockaddr_in* peer = nullptr);

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
