#include "common/net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace mt::common {

std::string Endpoint::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Endpoint> parse_endpoint(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
        return make_error(Errc::invalid_argument,
                          "address '" + std::string(text) + "' is not of the form ip:port");
    const auto port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
        return make_error(Errc::invalid_argument, "port '" + std::string(port_text) + "' in '" +
                                                      std::string(text) +
                                                      "' is not a number from 0 to 65535");
    std::string_view host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']' || host.find(':') == std::string_view::npos)
            return make_error(Errc::invalid_argument,
                              "address '" + std::string(text) + "' is not of the form [ipv6]:port");
        host = host.substr(1, host.size() - 2);
        if (!IpAddr::parse(host))
            return make_error(Errc::invalid_argument, "'" + std::string(host) + "' in '" +
                                                          std::string(text) +
                                                          "' is not an IPv6 address");
    } else if (host.find(':') != std::string_view::npos ||
               host.find(']') != std::string_view::npos) {
        return make_error(Errc::invalid_argument,
                          "address '" + std::string(text) +
                              "': an IPv6 address needs brackets, as in [::1]:6969");
    }
    return Endpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

SockAddr SockAddr::from(const IpAddr& ip, std::uint16_t port, bool v6_socket) {
    SockAddr a;
    if (ip.is_v4() && !v6_socket) {
        auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(ip.v4());
        a.len = sizeof(sockaddr_in);
    } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        std::memcpy(&in6->sin6_addr, ip.bytes().data(), 16);
        a.len = sizeof(sockaddr_in6);
    }
    return a;
}

SockAddr SockAddr::from_raw(const sockaddr_storage& ss, socklen_t len) {
    SockAddr a;
    if ((ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) ||
        (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6))) {
        a.storage = ss;
        a.len = ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        return a;
    }
    return from(IpAddr(), 0);
}

IpAddr SockAddr::ip() const {
    if (storage.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
        return IpAddr::from_v6_bytes(in6->sin6_addr.s6_addr);
    }
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    return IpAddr(ntohl(in->sin_addr.s_addr));
}

std::uint16_t SockAddr::port() const {
    if (storage.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

Result<SockAddr> resolve(const Endpoint& ep) {
    if (auto ip = IpAddr::parse(ep.host)) {
        // An IPv6 literal stays IPv6 even when it is a mapped IPv4 address.
        return SockAddr::from(*ip, ep.port, ep.host.find(':') != std::string::npos);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(ep.host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || res == nullptr)
        return make_error(Errc::not_found,
                          "cannot resolve '" + ep.host + "': " + ::gai_strerror(rc));
    sockaddr_storage ss{};
    std::memcpy(&ss, res->ai_addr, std::min<std::size_t>(res->ai_addrlen, sizeof ss));
    SockAddr addr = SockAddr::from_raw(ss, res->ai_addrlen);
    ::freeaddrinfo(res);
    if (addr.storage.ss_family == AF_INET6)
        reinterpret_cast<sockaddr_in6*>(&addr.storage)->sin6_port = htons(ep.port);
    else
        reinterpret_cast<sockaddr_in*>(&addr.storage)->sin_port = htons(ep.port);
    return addr;
}

Families listen_families(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 || ss.ss_family != AF_INET6)
        return {true, false};
    int v6only = 0;
    socklen_t olen = sizeof v6only;
    ::getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
    const auto& a = reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
    return {v6only == 0 && IN6_IS_ADDR_UNSPECIFIED(&a), true};
}

Result<std::vector<SockAddr>> resolve_per_family(const Endpoint& ep, Families families) {
    if (IpAddr::parse(ep.host)) {
        auto one = resolve(ep);
        if (!one) return one.error();
        return std::vector<SockAddr>{*one};
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(ep.host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || res == nullptr)
        return make_error(Errc::not_found,
                          "cannot resolve '" + ep.host + "': " + ::gai_strerror(rc));
    std::vector<SockAddr> out;
    bool have4 = false, have6 = false;
    for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        const bool is6 = ai->ai_family == AF_INET6;
        if ((ai->ai_family != AF_INET && !is6) || (is6 ? have6 : have4) ||
            !(is6 ? families.v6 : families.v4))
            continue;
        (is6 ? have6 : have4) = true;
        sockaddr_storage ss{};
        std::memcpy(&ss, ai->ai_addr, std::min<std::size_t>(ai->ai_addrlen, sizeof ss));
        SockAddr addr = SockAddr::from_raw(ss, ai->ai_addrlen);
        if (is6)
            reinterpret_cast<sockaddr_in6*>(&addr.storage)->sin6_port = htons(ep.port);
        else
            reinterpret_cast<sockaddr_in*>(&addr.storage)->sin_port = htons(ep.port);
        out.push_back(addr);
    }
    ::freeaddrinfo(res);
    if (out.empty())
        return make_error(Errc::not_found,
                          "'" + ep.host + "' has no address of a family we listen on");
    return out;
}

std::string to_string(const SockAddr& addr) {
    return addr.ip().to_url_host() + ":" + std::to_string(addr.port());
}

std::uint64_t fd_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 1024;
    return r.rlim_cur == RLIM_INFINITY ? (1u << 20) : static_cast<std::uint64_t>(r.rlim_cur);
}

std::uint64_t raise_fd_limit(std::uint64_t want) {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 1024;
    const rlim_t target = r.rlim_max == RLIM_INFINITY ? want : std::min<rlim_t>(r.rlim_max, want);
    if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < target) {
        r.rlim_cur = target;
        (void)::setrlimit(RLIMIT_NOFILE, &r);
    }
    return fd_limit();
}

void ignore_sigpipe() {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &sa, nullptr);
}

namespace {
Result<Fd> make_socket(int family, int type) {
    Fd fd(::socket(family, type | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return errno_error("socket", errno);
    return fd;
}
// "[::]" takes IPv4 too (dual stack, whatever the system default); a
// specific IPv6 address only IPv6.
void set_v6only(int fd, const SockAddr& addr) {
    if (addr.family() != AF_INET6) return;
    const int v6only = addr.ip().is_unspecified() && !addr.ip().is_v4() ? 0 : 1;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
}
}  // namespace

Result<Fd> tcp_listen(const Endpoint& ep, int backlog) {
    if (ep.host.empty()) {
        const bool has_v6 = Fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)).valid();
        return tcp_listen(Endpoint{has_v6 ? "::" : "0.0.0.0", ep.port}, backlog);
    }
    auto addr = resolve(ep);
    if (!addr) return addr.error();
    auto fd = make_socket(addr->family(), SOCK_STREAM);
    if (!fd) return fd.error();
    const int one = 1;
    ::setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    set_v6only(fd->get(), *addr);
    if (::bind(fd->get(), addr->get(), addr->len) != 0)
        return errno_error("cannot listen on " + ep.to_string(), errno);
    if (::listen(fd->get(), backlog) != 0)
        return errno_error("cannot listen on " + ep.to_string(), errno);
    return std::move(fd).value();
}

Result<Fd> udp_bind(const Endpoint& ep) {
    auto addr = resolve(ep);
    if (!addr) return addr.error();
    auto fd = make_socket(addr->family(), SOCK_DGRAM);
    if (!fd) return fd.error();
    set_v6only(fd->get(), *addr);
    if (::bind(fd->get(), addr->get(), addr->len) != 0)
        return errno_error("cannot bind UDP " + ep.to_string(), errno);
    return std::move(fd).value();
}

Result<Fd> tcp_connect(const Endpoint& ep, int timeout_ms) {
    auto addr = resolve(ep);
    if (!addr) return addr.error();
    return tcp_connect(*addr, timeout_ms);
}

Result<Fd> tcp_connect(const SockAddr& addr, int timeout_ms) {
    auto fd = make_socket(addr.family(), SOCK_STREAM);
    if (!fd) return fd.error();
    const std::string what = "connect to " + to_string(addr);
    if (auto s = set_nonblocking(fd->get(), true); !s) return s.error();
    if (::connect(fd->get(), addr.get(), addr.len) != 0) {
        if (errno != EINPROGRESS) return errno_error(what, errno);
        if (auto s = wait_writable(fd->get(), timeout_ms); !s)
            return make_error(s.error().code, what + ": " + s.error().message);
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return errno_error(what, err);
    }
    if (auto s = set_nonblocking(fd->get(), false); !s) return s.error();
    return std::move(fd).value();
}

Result<Fd> accept_with_timeout(int listen_fd, int timeout_ms, SockAddr* peer) {
    if (auto s = wait_readable(listen_fd, timeout_ms); !s) return s.error();
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int c;
    do {
        c = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    } while (c < 0 && errno == EINTR);
    if (c < 0) return errno_error("accept", errno);
    if (peer) *peer = SockAddr::from_raw(addr, len);
    return Fd(c);
}

Result<std::uint16_t> local_port(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return errno_error("getsockname", errno);
    return SockAddr::from_raw(addr, len).port();
}

Status set_nodelay(int fd) {
    const int one = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        return errno_error("setsockopt TCP_NODELAY", errno);
    return {};
}

Status set_nonblocking(int fd, bool on) {
    const int flags = ::fcntl(fd, F_GETFL, 0);
    if (flags < 0) return errno_error("fcntl", errno);
    const int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (want != flags && ::fcntl(fd, F_SETFL, want) != 0) return errno_error("fcntl", errno);
    return {};
}

namespace {
thread_local const std::atomic<bool>* tl_cancel = nullptr;

Status wait_for(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    constexpr int kSliceMs = 50;  // how soon a cancelled wait notices
    int left = timeout_ms;
    while (true) {
        const bool sliced = tl_cancel != nullptr;
        if (sliced && tl_cancel->load()) return make_error(Errc::timeout, "cancelled");
        const int wait = sliced && (left < 0 || left > kSliceMs) ? kSliceMs : left;
        const int rc = ::poll(&p, 1, wait);
        if (rc > 0) return {};
        if (rc == 0) {
            if (left >= 0) left -= wait;
            if (left == 0)
                return make_error(Errc::timeout,
                                  "timed out after " + std::to_string(timeout_ms) + " ms");
            continue;  // a slice of a longer wait
        }
        if (errno != EINTR) return errno_error("poll", errno);
        // EINTR: wait again (the deadline restarts; callers use short timeouts)
    }
}
}  // namespace

CancelScope::CancelScope(const std::atomic<bool>* flag) : previous_(tl_cancel) {
    tl_cancel = flag;
}

CancelScope::~CancelScope() {
    tl_cancel = previous_;
}

const std::atomic<bool>* current_cancel_flag() {
    return tl_cancel;
}

Status wait_readable(int fd, int timeout_ms) {
    return wait_for(fd, POLLIN, timeout_ms);
}
Status wait_writable(int fd, int timeout_ms) {
    return wait_for(fd, POLLOUT, timeout_ms);
}

Result<std::size_t> read_some(int fd, void* buf, std::size_t n, int timeout_ms) {
    while (true) {
        if (timeout_ms >= 0) {
            if (auto s = wait_readable(fd, timeout_ms); !s) return s.error();
        }
        const ssize_t r = ::read(fd, buf, n);
        if (r > 0) return static_cast<std::size_t>(r);
        if (r == 0) return make_error(Errc::closed, "connection closed by peer");
        if (errno == EINTR || errno == EAGAIN) continue;
        return errno_error("read", errno);
    }
}

Status read_exact(int fd, void* buf, std::size_t n, int timeout_ms) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        auto r = read_some(fd, p, n, timeout_ms);
        if (!r) return r.error();
        p += *r;
        n -= *r;
    }
    return {};
}

Status write_all(int fd, std::string_view data, int timeout_ms) {
    while (!data.empty()) {
        const ssize_t w = ::write(fd, data.data(), data.size());
        if (w > 0) {
            data.remove_prefix(static_cast<std::size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            if (auto s = wait_writable(fd, timeout_ms); !s) return s.error();
            continue;
        }
        return errno_error("write", w < 0 ? errno : EIO);
    }
    return {};
}

}  // namespace mt::common
