// UdpServer: the BEP 15 front end. One thread drains the socket with
// recvmmsg() in batches, answers through TrackerService and sends the replies
// with sendmmsg(). A reply that reports a membership change waits (bounded)
// until the change is durable; the ChangeLog wakes the thread after a flush.
// It sends exactly what TrackerService::handle_udp returns, nothing of its
// own: that function keeps every reply to a source that has not proved its
// address (no valid connection id) at most as long as the request.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <deque>
#include <string>
#include <thread>

#include "common/log.h"
#include "common/net/fd.h"
#include "common/net/socket.h"
#include "tracker/change_log.h"
#include "tracker/service.h"

namespace mt::tracker {

class UdpServer {
  public:
    UdpServer(common::Fd socket, TrackerService& service, ChangeLog& changelog, common::Logger& log,
              std::size_t max_parked = 65536);
    ~UdpServer();
    UdpServer(const UdpServer&) = delete;
    UdpServer& operator=(const UdpServer&) = delete;

    void start();
    void stop();

  private:
    struct Out {
        common::SockAddr to;
        std::string bytes;
        std::uint64_t ticket;
    };
    void run();
    void receive_batch(std::vector<Out>& ready);
    void send_all(std::vector<Out>& ready);

    common::Fd sock_;
    common::Fd wake_;
    TrackerService& service_;
    ChangeLog& changelog_;
    common::Logger& log_;
    const std::size_t max_parked_;
    std::deque<Out> parked_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace mt::tracker
