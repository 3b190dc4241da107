#include "tracker/udp_server.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/net/socket.h"

namespace mt::tracker {

using common::cat;

namespace {
constexpr int kBatch = 64;
constexpr std::size_t kMaxDatagram = 2048;
}  // namespace

UdpServer::UdpServer(common::Fd socket, TrackerService& service, ChangeLog& changelog,
                     common::Logger& log, std::size_t max_parked)
    : sock_(std::move(socket)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      service_(service),
      changelog_(changelog),
      log_(log),
      max_parked_(max_parked) {
    (void)common::set_nonblocking(sock_.get(), true);
    const int wfd = wake_.get();
    changelog_.add_listener([wfd] {
        const std::uint64_t one = 1;
        (void)!::write(wfd, &one, sizeof one);
    });
}

UdpServer::~UdpServer() {
    stop();
}

void UdpServer::start() {
    thread_ = std::thread([this] { run(); });
}

void UdpServer::stop() {
    stopping_ = true;
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    if (thread_.joinable()) thread_.join();
}

void UdpServer::run() {
    std::vector<Out> ready;
    while (!stopping_) {
        pollfd fds[2] = {{sock_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
        const int rc = ::poll(fds, 2, parked_.empty() ? 500 : 50);
        if (rc < 0 && errno != EINTR) {
            log_.error(cat("UDP poll failed: ", std::strerror(errno)));
            break;
        }
        if (fds[1].revents & POLLIN) {
            std::uint64_t v;
            (void)!::read(wake_.get(), &v, sizeof v);
        }
        if (fds[0].revents & POLLIN) receive_batch(ready);
        const std::uint64_t durable = changelog_.durable_ticket();
        while (!parked_.empty() && parked_.front().ticket <= durable) {
            ready.push_back(std::move(parked_.front()));
            parked_.pop_front();
        }
        send_all(ready);
    }
}

void UdpServer::receive_batch(std::vector<Out>& ready) {
    static thread_local char bufs[kBatch][kMaxDatagram];
    for (int round = 0; round < 16; ++round) {
        mmsghdr msgs[kBatch];
        iovec iov[kBatch];
        sockaddr_storage addrs[kBatch];
        std::memset(msgs, 0, sizeof msgs);
        for (int i = 0; i < kBatch; ++i) {
            iov[i] = {bufs[i], kMaxDatagram};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &addrs[i];
            msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
        }
        const int n = ::recvmmsg(sock_.get(), msgs, kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) return;
        const std::uint64_t durable = changelog_.durable_ticket();
        for (int i = 0; i < n; ++i) {
            const common::SockAddr from =
                common::SockAddr::from_raw(addrs[i], msgs[i].msg_hdr.msg_namelen);
            Reply r = service_.handle_udp(std::string_view(bufs[i], msgs[i].msg_len), from.ip(),
                                          from.port(), from.is_v6_peer());
            if (r.bytes.empty()) continue;
            if (r.ticket <= durable) {
                ready.push_back({from, std::move(r.bytes), r.ticket});
            } else if (parked_.size() < max_parked_) {
                parked_.push_back({from, std::move(r.bytes), r.ticket});
            } else {
                service_.log_refusal(
                    "UDP reply queue full: dropping a reply (the client will retry)");
            }
        }
        if (n < kBatch) return;
    }
}

void UdpServer::send_all(std::vector<Out>& ready) {
    std::size_t done = 0;
    while (done < ready.size()) {
        const std::size_t n = std::min<std::size_t>(kBatch, ready.size() - done);
        mmsghdr msgs[kBatch];
        iovec iov[kBatch];
        std::memset(msgs, 0, sizeof msgs);
        for (std::size_t i = 0; i < n; ++i) {
            Out& o = ready[done + i];
            iov[i] = {o.bytes.data(), o.bytes.size()};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &o.to.storage;
            msgs[i].msg_hdr.msg_namelen = o.to.len;
        }
        const int sent = ::sendmmsg(sock_.get(), msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
        if (sent <= 0) {
            if (errno == EINTR) continue;
            break;  // socket buffer full: the clients retransmit
        }
        done += static_cast<std::size_t>(sent);
    }
    ready.clear();
}

}  // namespace mt::tracker
