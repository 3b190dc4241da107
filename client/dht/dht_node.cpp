#include "client/dht/dht_node.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/random.h"

namespace mt::client::dht {
namespace {

constexpr std::int64_t kSaveEveryMs = 5 * 60 * 1000;
constexpr std::size_t kMaxSavedBytes = 64 * 1024;
constexpr int kTickMs = 50;

NodeId make_id(const common::IpAddr& bind_ip) {
    NodeId id;
    common::random_bytes(id.bytes.data(), id.bytes.size());
    // BEP 42 for a public address; local ones are exempt.
    if (!bind_ip.is_local() && !bind_ip.is_unspecified())
        id = krpc::bep42_node_id(bind_ip, id.bytes[19], id);
    return id;
}

}  // namespace

common::Result<std::unique_ptr<DhtNode>> DhtNode::start(const Options& o) {
    const auto ip = common::IpAddr::parse(o.bind.host);
    if (!ip)
        return common::make_error(common::Errc::invalid_argument,
                                  "dht: bind to a literal address, not '" + o.bind.host + "'");
    auto sock = common::udp_bind(o.bind);
    if (!sock) return sock.error();
    auto port = common::local_port(sock->get());
    if (!port) return port.error();
    if (auto nb = common::set_nonblocking(sock->get(), true); !nb) return nb.error();
    Engine::Options eo;
    eo.id = make_id(*ip);
    eo.self = Endpoint{*ip, *port};
    eo.v4 = ip->is_v4();
    eo.read_only = o.read_only;
    eo.max_queries = o.max_queries;
    common::random_bytes(&eo.seed, sizeof eo.seed);
    std::unique_ptr<DhtNode> n(new DhtNode(std::move(*sock), eo, o));
    n->port_ = *port;
    std::vector<Outgoing> out;
    const std::int64_t now = common::mono_ms();
    if (!o.state_file.empty()) {
        if (auto saved = common::read_file(o.state_file, kMaxSavedBytes))
            for (const auto& info : RoutingTable::parse_saved(*saved))
                n->engine_.bootstrap(info.ep, now, out);
    }
    for (const auto& b : o.bootstrap) {
        const auto bip = common::IpAddr::parse(b.host);
        if (bip) n->engine_.bootstrap(Endpoint{*bip, b.port}, now, out);
    }
    n->send_all(out);
    n->thread_ = std::thread([p = n.get()] { p->run(); });
    return n;
}

DhtNode::DhtNode(common::Fd sock, const Engine::Options& eo, const Options& o)
    : sock_(std::move(sock)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      v6_(!eo.v4),
      options_(o),
      engine_(eo) {
    common::MutexLock lock(mu_);
    status_.id = eo.id;
}

DhtNode::~DhtNode() {
    stop();
}

void DhtNode::stop() {
    if (stopping_.exchange(true)) return;
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    save_table(common::mono_ms());
}

void DhtNode::post(std::function<void(std::int64_t, std::vector<Outgoing>&)> cmd) {
    {
        common::MutexLock lock(mu_);
        commands_.push_back(std::move(cmd));
    }
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
}

void DhtNode::add_node(const Endpoint& ep) {
    post([this, ep](std::int64_t now, std::vector<Outgoing>& out) {
        engine_.bootstrap(ep, now, out);
    });
}

void DhtNode::add_own(const common::InfoHash& ih, std::uint16_t port) {
    post([this, ih, port](std::int64_t, std::vector<Outgoing>&) { engine_.add_own(ih, port); });
}

void DhtNode::remove_own(const common::InfoHash& ih) {
    post([this, ih](std::int64_t, std::vector<Outgoing>&) { engine_.remove_own(ih); });
}

LookupResult DhtNode::get_peers(const common::InfoHash& ih, bool announce, std::uint16_t port,
                                int timeout_ms, const std::atomic<bool>* cancel) {
    auto w = std::make_shared<Waiter>();
    w->info_hash = ih;
    post([this, w, ih, announce, port](std::int64_t now, std::vector<Outgoing>& out) {
        waiters_.emplace_back(engine_.get_peers(ih, announce, port, false, now, out), w);
    });
    const std::int64_t end = common::mono_ms() + timeout_ms;
    std::unique_lock<std::mutex> lock(w->mu);
    while (!w->done && !stopping_.load() && !(cancel && cancel->load())) {
        const std::int64_t left = end - common::mono_ms();
        if (left <= 0) break;
        w->cv.wait_for(lock, std::chrono::milliseconds(std::min<std::int64_t>(left, 100)));
    }
    return w->result;
}

DhtNode::LastLookup DhtNode::last_lookup() const {
    common::MutexLock lock(mu_);
    return last_;
}

EngineStatus DhtNode::status() const {
    common::MutexLock lock(mu_);
    return status_;
}

void DhtNode::run() {
    std::vector<Outgoing> out;
    std::int64_t last_save = common::mono_ms();
    while (!stopping_.load()) {
        pollfd fds[2] = {{sock_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
        (void)::poll(fds, 2, kTickMs);
        if (fds[1].revents & POLLIN) {
            std::uint64_t v;
            (void)!::read(wake_.get(), &v, sizeof v);
        }
        const std::int64_t now = common::mono_ms();
        if (fds[0].revents & POLLIN) receive_all(now, out);
        run_commands(now, out);
        engine_.tick(now, out);
        send_all(out);
        update_waiters();
        {
            common::MutexLock lock(mu_);
            status_ = engine_.status(now);
        }
        if (now - last_save >= kSaveEveryMs) {
            last_save = now;
            save_table(now);
        }
    }
    common::MutexLock lock(mu_);
    commands_.clear();
}

void DhtNode::receive_all(std::int64_t now, std::vector<Outgoing>& out) {
    char buf[krpc::kMaxDatagram + 1];
    for (int i = 0; i < 256; ++i) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        const ssize_t n =
            ::recvfrom(sock_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ss), &len);
        if (n < 0) return;  // EAGAIN: drained
        const auto from = common::SockAddr::from_raw(ss, len);
        engine_.receive(std::string_view(buf, static_cast<std::size_t>(n)),
                        Endpoint{from.ip(), from.port()}, now, out);
        send_all(out);
    }
}

void DhtNode::send_all(std::vector<Outgoing>& out) {
    for (const auto& o : out) {
        const auto to = common::SockAddr::from(o.to.ip, o.to.port, v6_);
        (void)::sendto(sock_.get(), o.bytes.data(), o.bytes.size(), MSG_DONTWAIT, to.get(), to.len);
    }
    out.clear();
}

void DhtNode::run_commands(std::int64_t now, std::vector<Outgoing>& out) {
    std::deque<std::function<void(std::int64_t, std::vector<Outgoing>&)>> cmds;
    {
        common::MutexLock lock(mu_);
        cmds.swap(commands_);
    }
    for (auto& c : cmds)
        c(now, out);
}

void DhtNode::update_waiters() {
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        auto r = engine_.result(it->first);
        Waiter& w = *it->second;
        {
            std::lock_guard<std::mutex> lock(w.mu);
            if (r) w.result = *r;
            w.done = !r || r->done;
        }
        if (w.done) {
            if (r) {
                common::MutexLock lock(mu_);
                last_ = {true, w.info_hash, r->peers.size(), r->queried, common::mono_ms()};
            }
            w.cv.notify_all();
            it = waiters_.erase(it);
        } else {
            ++it;
        }
    }
}

void DhtNode::save_table(std::int64_t now) {
    if (options_.state_file.empty()) return;
    // Only the owner thread touches the engine; after the thread ends, stop()
    // is the owner.
    if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) return;
    (void)common::write_file_atomic(options_.state_file, engine_.table().save(now), 0600);
}

}  // namespace mt::client::dht
