#include "client/trackers/tracker_transport.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "common/net/socket.h"
#include "common/random.h"
#include "common/wire/tracker_http.h"
#include "common/wire/udp_tracker.h"

namespace mt::client {

using common::Errc;
using common::make_error;
using namespace common::wire;

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

common::Error with_context(const common::Error& e, const std::string& what) {
    return make_error(e.code, what + ": " + e.message);
}

// The exchange with one address of the tracker's; `where` names it in errors.
common::Result<HttpResponse> http_exchange_at(const common::SockAddr& to, const std::string& where,
                                              std::string_view request, int timeout_ms,
                                              std::size_t max_body) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    auto fd = common::tcp_connect(to, timeout_ms);
    if (!fd) return with_context(fd.error(), where);
    if (auto s = common::set_nonblocking(fd->get(), true); !s) return s.error();
    if (auto s = common::write_all(fd->get(), request, remaining_ms(deadline)); !s)
        return with_context(s.error(), where);
    HttpResponseParser::Limits limits;
    limits.max_body_bytes = max_body;
    HttpResponseParser parser(limits);
    char buf[16384];
    while (true) {
        auto step = parser.next();
        if (auto* r = std::get_if<HttpResponse>(&step)) return std::move(*r);
        if (auto* e = std::get_if<common::Error>(&step)) return with_context(*e, where);
        const int left = remaining_ms(deadline);
        if (left == 0)
            return make_error(Errc::timeout, where + ": no complete answer within " +
                                                 std::to_string(timeout_ms) + " ms");
        auto n = common::read_some(fd->get(), buf, sizeof buf, left);
        if (!n) {
            if (n.error().code == Errc::closed) {
                parser.finish();
                continue;
            }
            return with_context(n.error(), where);
        }
        parser.feed(std::string_view(buf, *n));
    }
}

std::string tracker_where(const common::TrackerUrl& url) {
    return (url.scheme == common::TrackerUrl::Scheme::udp ? "tracker udp://" : "tracker ") +
           common::Endpoint{url.host, url.port}.to_string();
}

}  // namespace

common::Result<HttpResponse> http_exchange(const std::string& host, std::uint16_t port,
                                           std::string_view request, int timeout_ms,
                                           std::size_t max_body) {
    const std::string where = "tracker " + common::Endpoint{host, port}.to_string();
    auto addr = common::resolve(common::Endpoint{host, port});
    if (!addr) return with_context(addr.error(), where);
    return http_exchange_at(*addr, where, request, timeout_ms, max_body);
}

common::Result<common::AnnounceResponse> http_announce(const common::TrackerUrl& url,
                                                       const common::AnnounceRequest& req,
                                                       int timeout_ms) {
    auto addr = common::resolve(common::Endpoint{url.host, url.port});
    if (!addr) return with_context(addr.error(), tracker_where(url));
    return http_announce(*addr, url, req, timeout_ms);
}

common::Result<common::AnnounceResponse> http_announce(const common::SockAddr& to,
                                                       const common::TrackerUrl& url,
                                                       const common::AnnounceRequest& req,
                                                       int timeout_ms) {
    // build_announce_query starts with '?'; a URL that has a query already gets '&'.
    std::string query = build_announce_query(req);
    if (url.path.find('?') != std::string::npos) query[0] = '&';
    const std::string target = url.path + query;
    const std::string where = tracker_where(url);
    auto resp = http_exchange_at(to, where, http_get_request(url.host, target, false), timeout_ms,
                                 4u << 20);
    if (!resp) return resp.error();
    if (resp->status != 200)
        return make_error(Errc::refused, where + " answered HTTP " + std::to_string(resp->status));
    auto a = decode_announce_response(resp->body, 2000);
    if (!a) return with_context(a.error(), where);
    if (!a->failure_reason.empty())
        return make_error(Errc::refused, where + " refused: " + a->failure_reason);
    return a;
}

common::Result<common::AnnounceResponse> udp_announce(const common::TrackerUrl& url,
                                                      const common::AnnounceRequest& req,
                                                      int timeout_ms) {
    auto addr = common::resolve(common::Endpoint{url.host, url.port});
    if (!addr) return with_context(addr.error(), tracker_where(url));
    return udp_announce(*addr, url, req, timeout_ms);
}

common::Result<common::AnnounceResponse> udp_announce(const common::SockAddr& to,
                                                      const common::TrackerUrl& url,
                                                      const common::AnnounceRequest& req,
                                                      int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    const std::string where = tracker_where(url);
    const common::SockAddr* addr = &to;
    common::Fd fd(::socket(addr->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return common::errno_error("socket", errno);
    if (::connect(fd.get(), addr->get(), addr->len) != 0) return common::errno_error(where, errno);

    auto exchange = [&](const std::string& pkt, std::uint32_t tx) -> common::Result<UdpResponse> {
        if (::send(fd.get(), pkt.data(), pkt.size(), 0) < 0)
            return common::errno_error(where, errno);
        char buf[4096];
        while (true) {
            const int left = remaining_ms(deadline);
            if (left == 0)
                return make_error(Errc::timeout, where + ": no answer within " +
                                                     std::to_string(timeout_ms) + " ms");
            auto n = common::read_some(fd.get(), buf, sizeof buf, left);
            if (!n) {
                // ECONNREFUSED: an ICMP port unreachable, the tracker is down.
                return with_context(n.error(), where);
            }
            auto r = decode_udp_response(std::string_view(buf, *n), 2000, addr->is_v6_peer());
            if (!r) continue;  // not for us: keep waiting until the deadline
            const auto rtx = std::visit([](const auto& m) { return m.transaction_id; }, *r);
            if (rtx != tx) continue;
            if (auto* e = std::get_if<UdpErrorResponse>(&*r))
                return make_error(Errc::refused, where + " refused: " + e->message);
            return r;
        }
    };

    std::uint32_t tx = 0;
    common::random_bytes(&tx, sizeof tx);
    std::string pkt;
    encode(UdpConnectRequest{tx}, pkt);
    auto c = exchange(pkt, tx);
    if (!c) return c.error();
    const auto* conn = std::get_if<UdpConnectResponse>(&*c);
    if (!conn)
        return make_error(Errc::parse_error, where + " answered connect with something else");
    UdpAnnounceRequest a;
    a.connection_id = conn->connection_id;
    common::random_bytes(&a.transaction_id, sizeof a.transaction_id);
    a.request = req;
    pkt.clear();
    encode(a, pkt);
    auto r = exchange(pkt, a.transaction_id);
    if (!r) return r.error();
    auto* ar = std::get_if<UdpAnnounceResponse>(&*r);
    if (!ar) return make_error(Errc::parse_error, where + " answered announce with something else");
    return ar->response;
}

common::Result<common::AnnounceResponse> merge_family_answers(
    std::vector<common::Result<common::AnnounceResponse>> answers) {
    common::Result<common::AnnounceResponse>* base = nullptr;
    for (auto& a : answers) {
        if (!a) continue;
        if (base == nullptr) {
            base = &a;
            continue;
        }
        auto& b = **base;
        for (const auto& p : a->peers)
            if (std::find_if(b.peers.begin(), b.peers.end(), [&](const common::PeerAddress& q) {
                    return q.ip == p.ip && q.port == p.port;
                }) == b.peers.end())
                b.peers.push_back(p);
        if (a->interval != 0 && (b.interval == 0 || a->interval < b.interval))
            b.interval = a->interval;
        b.min_interval = std::max(b.min_interval, a->min_interval);
        b.complete = std::max(b.complete, a->complete);
        b.incomplete = std::max(b.incomplete, a->incomplete);
        if (b.warning_message.empty()) b.warning_message = a->warning_message;
    }
    if (base != nullptr) return std::move(*base);
    if (answers.empty()) return make_error(Errc::not_found, "no address to announce to");
    return std::move(answers.front());
}

common::Result<common::AnnounceResponse> announce_to_each(
    const std::vector<common::SockAddr>& addrs, const common::TrackerUrl& url,
    const common::AnnounceRequest& req, int timeout_ms) {
    struct Shared {
        std::mutex mu;
        std::condition_variable cv;
        std::vector<std::optional<common::Result<common::AnnounceResponse>>> answers;
        std::atomic<bool> stop{false};
    } sh;
    sh.answers.resize(addrs.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < addrs.size(); ++i)
        threads.emplace_back([&, i] {
            const common::CancelScope scope(&sh.stop);
            auto r = url.scheme == common::TrackerUrl::Scheme::udp
                         ? udp_announce(addrs[i], url, req, timeout_ms)
                         : http_announce(addrs[i], url, req, timeout_ms);
            std::lock_guard<std::mutex> lock(sh.mu);
            sh.answers[i] = std::move(r);
            sh.cv.notify_all();
        });
    const std::atomic<bool>* outer = common::current_cancel_flag();
    std::optional<Clock::time_point> give_up;  // set once an answer is a success
    {
        std::unique_lock<std::mutex> lock(sh.mu);
        while (true) {
            std::size_t done = 0;
            for (const auto& a : sh.answers)
                if (a) {
                    ++done;
                    if (*a && !give_up)
                        give_up = Clock::now() + std::chrono::milliseconds(kFamilyGraceMs);
                }
            if (done == sh.answers.size() || (give_up && Clock::now() >= *give_up) ||
                (outer && outer->load()))
                break;
            sh.cv.wait_for(lock, std::chrono::milliseconds(50));
        }
    }
    sh.stop.store(true);
    for (auto& t : threads)
        t.join();
    std::vector<common::Result<common::AnnounceResponse>> answers;
    for (auto& a : sh.answers)
        answers.push_back(std::move(*a));
    return merge_family_answers(std::move(answers));
}

common::Result<common::AnnounceResponse> announce_once(const common::TrackerUrl& url,
                                                       const common::AnnounceRequest& req,
                                                       int timeout_ms, common::Families families) {
    auto addrs = common::resolve_per_family(common::Endpoint{url.host, url.port}, families);
    if (!addrs) return with_context(addrs.error(), tracker_where(url));
    if (addrs->size() == 1)
        return url.scheme == common::TrackerUrl::Scheme::udp
                   ? udp_announce(addrs->front(), url, req, timeout_ms)
                   : http_announce(addrs->front(), url, req, timeout_ms);
    return announce_to_each(*addrs, url, req, timeout_ms);
}

}  // namespace mt::client
