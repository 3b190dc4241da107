#include "client/trackers/metadata_fetch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "client/trackers/tracker_client.h"
#include "common/clock.h"
#include "common/net/fd.h"
#include "common/net/socket.h"
#include "common/sha1.h"
#include "common/version.h"
#include "common/wire/extension.h"
#include "common/wire/peer_wire.h"

namespace mt::client {

using common::cat;
using common::mono_ms;
namespace wire = common::wire;

std::string peer_address_string(const common::PeerAddress& p) {
    return cat(p.ip.to_url_host(), ":", p.port);
}

namespace {

constexpr int kSliceMs = 250;         // how often a waiting thread looks at the stop flag
constexpr std::uint32_t kWindow = 8;  // metadata requests outstanding per peer
constexpr std::size_t kReadBuf = 64 * 1024;

enum class Outcome { ok, unreachable, no_metadata, bad, failed, stopped };

struct PeerResult {
    Outcome outcome = Outcome::failed;
    std::string reason;
    std::string info;  // ok: the info dictionary
};

PeerResult result(Outcome o, std::string reason) {
    return PeerResult{o, std::move(reason), {}};
}

// One connection to one peer, run to its end in its own thread.
class MetadataPeer {
  public:
    MetadataPeer(const common::InfoHash& info_hash, const common::PeerId& peer_id,
                 const MetadataFetchOptions& opt, std::int64_t deadline,
                 const std::atomic<bool>& stop, const common::PeerAddress& addr)
        : info_hash_(info_hash),
          peer_id_(peer_id),
          opt_(opt),
          deadline_(deadline),
          stop_(stop),
          addr_(addr),
          decoder_(std::nullopt, limits()) {}

    PeerResult run() {
        if (auto r = connect(); r.outcome != Outcome::ok) return r;
        wire::Handshake mine;
        mine.info_hash = info_hash_;
        mine.peer_id = peer_id_;
        mine.set_extended(true);
        std::string out;
        wire::encode(mine, out);
        if (auto r = write(out); r.outcome != Outcome::ok) return r;
        char hs[wire::kHandshakeSize];
        for (std::size_t got = 0; got < sizeof hs;) {
            auto n = read_some(hs + got, sizeof hs - got);
            if (!n) return pending_;
            got += *n;
        }
        auto theirs = wire::decode_handshake(std::string_view(hs, sizeof hs));
        if (!theirs) return result(Outcome::failed, "bad handshake: " + theirs.error().message);
        if (theirs->info_hash != info_hash_)
            return result(Outcome::failed, "answered with another info_hash");
        if (theirs->peer_id == peer_id_) return result(Outcome::failed, "is ourselves");
        if (!theirs->extended())
            return result(Outcome::no_metadata, "does not speak the extension protocol (BEP 10)");

        wire::ExtHandshake ext;
        ext.m[std::string(wire::kUtMetadata)] = wire::kUtMetadataId;
        if (opt_.listen_port) ext.port = opt_.listen_port;
        ext.client = common::kCreatedBy;
        send_extended(wire::kExtHandshakeId, [&](std::string& p) { wire::encode(ext, p); });
        if (auto r = write(out_); r.outcome != Outcome::ok) return r;
        out_.clear();

        std::vector<char> buf(kReadBuf);
        while (true) {
            auto n = read_some(buf.data(), buf.size());
            if (!n) return pending_;
            decoder_.feed(std::string_view(buf.data(), *n));
            while (true) {
                auto step = decoder_.next();
                if (std::holds_alternative<wire::MessageDecoder::NeedMore>(step)) break;
                if (auto* e = std::get_if<common::Error>(&step))
                    return result(Outcome::failed, "protocol error: " + e->message);
                auto* x = std::get_if<wire::Extended>(&std::get<wire::Message>(step));
                if (x == nullptr) continue;  // bitfield, have, unchoke...: not our business
                auto r = on_extended(*x);
                if (r) return std::move(*r);
            }
            if (!out_.empty()) {
                if (auto r = write(out_); r.outcome != Outcome::ok) return r;
                out_.clear();
            }
        }
    }

  private:
    static wire::MessageDecoder::Limits limits() {
        wire::MessageDecoder::Limits l;
        l.max_length = 1u << 20;  // a bitfield of a torrent with up to 8 M pieces
        l.max_extended_length = wire::kMetadataPieceSize + 1024;
        return l;
    }

    // The deadline for the next wait: idle timeout or the overall deadline.
    int wait_budget(std::int64_t since) const {
        const std::int64_t now = mono_ms();
        const std::int64_t until = std::min(deadline_, since + opt_.idle_timeout_ms);
        return static_cast<int>(std::max<std::int64_t>(0, until - now));
    }

    // Waits for `events` in slices, watching the stop flag. ok, or why not.
    PeerResult wait(short events, std::int64_t since, const char* what) {
        while (true) {
            if (stop_) return result(Outcome::stopped, "stopped");
            const int budget = wait_budget(since);
            if (budget <= 0)
                return result(Outcome::failed,
                              cat("timed out ", what, mono_ms() >= deadline_ ? " (deadline)" : ""));
            pollfd p{fd_.get(), events, 0};
            const int rc = ::poll(&p, 1, std::min(budget, kSliceMs));
            if (rc < 0 && errno != EINTR) return result(Outcome::failed, "poll failed");
            if (rc > 0) return result(Outcome::ok, "");
        }
    }

    PeerResult connect() {
        const common::SockAddr sa = common::SockAddr::from(addr_.ip, addr_.port);
        fd_ = common::Fd(::socket(sa.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!fd_.valid()) return result(Outcome::failed, "socket: " + std::string(strerror(errno)));
        if (::connect(fd_.get(), sa.get(), sa.len) != 0) {
            if (errno != EINPROGRESS)
                return result(Outcome::unreachable, "connect: " + std::string(strerror(errno)));
            const std::int64_t start = mono_ms();
            const std::int64_t until = start + opt_.connect_timeout_ms;
            while (true) {
                if (stop_) return result(Outcome::stopped, "stopped");
                const std::int64_t left = std::min(until, deadline_) - mono_ms();
                if (left <= 0) return result(Outcome::unreachable, "connect timed out");
                pollfd p{fd_.get(), POLLOUT, 0};
                const int rc =
                    ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, kSliceMs)));
                if (rc > 0) break;
                if (rc < 0 && errno != EINTR) return result(Outcome::unreachable, "poll failed");
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0)
                return result(Outcome::unreachable, "connect: " + std::string(strerror(err)));
        }
        (void)common::set_nodelay(fd_.get());
        last_recv_ = mono_ms();
        return result(Outcome::ok, "");
    }

    PeerResult write(std::string_view data) {
        const std::int64_t start = mono_ms();
        while (!data.empty()) {
            const ssize_t w = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (w > 0) {
                data.remove_prefix(static_cast<std::size_t>(w));
                continue;
            }
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (auto r = wait(POLLOUT, start, "writing"); r.outcome != Outcome::ok) return r;
                continue;
            }
            return result(Outcome::failed, "connection lost while writing");
        }
        return result(Outcome::ok, "");
    }

    // nullopt with pending_ set when the connection cannot go on.
    std::optional<std::size_t> read_some(char* buf, std::size_t n) {
        while (true) {
            const ssize_t r = ::read(fd_.get(), buf, n);
            if (r > 0) {
                last_recv_ = mono_ms();
                return static_cast<std::size_t>(r);
            }
            if (r == 0) return fail(Outcome::failed, "closed the connection");
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return fail(Outcome::failed, "connection lost: " + std::string(strerror(errno)));
            if (auto w = wait(POLLIN, last_recv_, "waiting for data"); w.outcome != Outcome::ok)
                return fail(w.outcome, w.reason);
        }
    }

    std::nullopt_t fail(Outcome o, std::string reason) {
        pending_ = result(o, std::move(reason));
        return std::nullopt;
    }

    template <class Fn>
    void send_extended(std::uint8_t id, Fn&& payload) {
        wire::Extended x{id, {}};
        payload(x.payload);
        wire::encode(wire::Message(std::move(x)), out_);
    }

    void request_more() {
        while (next_piece_ < pieces_ && outstanding_ < kWindow) {
            const std::uint32_t piece = next_piece_++;
            ++outstanding_;
            send_extended(peer_ut_metadata_, [&](std::string& p) {
                wire::encode(wire::MetadataMsg{wire::MetadataMsgType::request, piece, 0, {}}, p);
            });
        }
    }

    // nullopt: keep going.
    std::optional<PeerResult> on_extended(const wire::Extended& x) {
        if (x.ext_id == wire::kExtHandshakeId) {
            if (size_ != 0) return std::nullopt;  // a later update: we keep what we started with
            auto h = wire::decode_ext_handshake(x.payload);
            if (!h) return result(Outcome::failed, h.error().message);
            peer_ut_metadata_ = h->ut_metadata();
            if (peer_ut_metadata_ == 0)
                return result(Outcome::no_metadata, "does not offer ut_metadata (BEP 9)");
            if (!h->metadata_size)
                return result(Outcome::no_metadata,
                              "offers ut_metadata without a metadata_size (it lacks the metadata)");
            size_ = *h->metadata_size;
            pieces_ = wire::metadata_piece_count(size_);
            metadata_.assign(size_, '\0');
            got_.assign(pieces_, false);
            request_more();
            return std::nullopt;
        }
        if (x.ext_id != wire::kUtMetadataId) return std::nullopt;
        auto m = wire::decode_metadata_msg(x.payload);
        if (!m) {
            if (m.error().code == common::Errc::unsupported) return std::nullopt;  // BEP 9
            return result(Outcome::bad, m.error().message);
        }
        switch (m->type) {
            case wire::MetadataMsgType::request:
                if (peer_ut_metadata_ != 0)  // we have nothing to give yet
                    send_extended(peer_ut_metadata_, [&](std::string& p) {
                        wire::encode(
                            wire::MetadataMsg{wire::MetadataMsgType::reject, m->piece, 0, {}}, p);
                    });
                return std::nullopt;
            case wire::MetadataMsgType::reject:
                return result(Outcome::failed,
                              cat("rejected our request for metadata piece ", m->piece));
            case wire::MetadataMsgType::data:
                break;
        }
        if (size_ == 0) return result(Outcome::bad, "sent metadata before its extension handshake");
        if (auto s = wire::check_metadata_data(*m, size_); !s)
            return result(Outcome::bad, s.error().message);
        if (m->piece >= next_piece_ || got_[m->piece])
            return result(Outcome::bad, cat("sent metadata piece ", m->piece, " unasked"));
        got_[m->piece] = true;
        --outstanding_;
        ++received_;
        std::memcpy(metadata_.data() + std::size_t{m->piece} * wire::kMetadataPieceSize,
                    m->data.data(), m->data.size());
        if (received_ < pieces_) {
            request_more();
            return std::nullopt;
        }
        if (common::InfoHash{common::Sha1::digest(metadata_)} != info_hash_)
            return result(
                Outcome::bad,
                cat("sent ", size_, " bytes of metadata that do not hash to the info_hash"));
        PeerResult ok{Outcome::ok, "", std::move(metadata_)};
        return ok;
    }

    const common::InfoHash info_hash_;
    const common::PeerId peer_id_;
    const MetadataFetchOptions& opt_;
    const std::int64_t deadline_;
    const std::atomic<bool>& stop_;
    const common::PeerAddress addr_;
    common::Fd fd_;
    wire::MessageDecoder decoder_;
    std::string out_;
    std::int64_t last_recv_ = 0;
    std::uint8_t peer_ut_metadata_ = 0;
    std::uint32_t size_ = 0, pieces_ = 0, next_piece_ = 0, outstanding_ = 0, received_ = 0;
    std::string metadata_;
    std::vector<bool> got_;
    PeerResult pending_;  // why read_some() gave up
};

std::string summary(const std::vector<std::pair<Outcome, std::string>>& results) {
    std::size_t bad = 0, unreachable = 0, no_metadata = 0, failed = 0;
    for (const auto& [o, _] : results) {
        bad += o == Outcome::bad;
        unreachable += o == Outcome::unreachable;
        no_metadata += o == Outcome::no_metadata;
        failed += o == Outcome::failed;
    }
    std::string s = cat(results.size(), results.size() == 1 ? " peer" : " peers", " tried");
    std::string parts;
    auto add = [&](std::size_t n, const char* what) {
        if (n) parts += cat(parts.empty() ? ": " : ", ", n, " ", what);
    };
    add(bad, "sent bad metadata");
    add(unreachable, "unreachable");
    add(no_metadata, "without the metadata extension");
    add(failed, "failed");
    s += parts;
    std::size_t shown = 0;
    for (const auto& [o, reason] : results)
        if (o != Outcome::stopped && shown++ < 3) s += "; " + reason;
    return s;
}

}  // namespace

common::Result<std::string> fetch_metadata(const common::InfoHash& info_hash,
                                           const std::vector<common::PeerAddress>& peers,
                                           const common::PeerId& peer_id, int timeout_ms,
                                           common::Logger& log, const MetadataFetchOptions& options,
                                           MetadataFetchReport* report) {
    MetadataFetchReport local;
    MetadataFetchReport& rep = report ? *report : local;
    rep = MetadataFetchReport{};
    if (peers.empty())
        return common::make_error(common::Errc::not_found,
                                  "no peers to fetch the metadata of " + info_hash.hex() + " from");
    const std::int64_t start = mono_ms();
    const std::int64_t deadline = start + std::max(timeout_ms, 0);
    const std::size_t parallel = std::max<std::size_t>(options.max_parallel, 1);

    std::mutex mu;
    std::condition_variable cv;
    std::atomic<bool> stop{false};
    std::size_t running = 0, next = 0;
    std::optional<std::string> found;
    std::vector<std::pair<Outcome, std::string>> results;  // per finished peer
    std::vector<std::thread> threads;
    std::int64_t last_start = 0;
    bool cancelled = false;

    auto work = [&](common::PeerAddress addr) {
        const std::string where = peer_address_string(addr);
        MetadataPeer peer(info_hash, peer_id, options, deadline, stop, addr);
        PeerResult r = peer.run();
        if (r.outcome == Outcome::bad) {
            log.warn(cat("metadata: peer ", where, " dropped: ", r.reason));
        } else if (r.outcome == Outcome::ok) {
            log.info(cat("metadata: ", r.info.size(), " bytes from ", where));
        } else if (r.outcome != Outcome::stopped) {
            log.info(cat("metadata: peer ", where, ": ", r.reason));
        }
        std::lock_guard<std::mutex> lock(mu);
        --running;
        if (r.outcome == Outcome::ok && !found) {
            found = std::move(r.info);
            rep.source = where;
        } else if (r.outcome != Outcome::ok) {
            if (r.outcome == Outcome::bad) rep.bad.push_back(where);
            if (r.outcome != Outcome::stopped) rep.failures.push_back(where + ": " + r.reason);
            results.emplace_back(r.outcome, where + " " + r.reason);
        }
        cv.notify_all();
    };

    {
        std::unique_lock<std::mutex> lock(mu);
        while (true) {
            if (found) break;
            if (options.cancel && options.cancel->load()) {
                cancelled = true;
                break;
            }
            const std::int64_t now = mono_ms();
            if (now >= deadline) break;
            if (next == peers.size() && running == 0) break;
            const bool can_start = next < peers.size() && running < parallel &&
                                   (running == 0 || now - last_start >= options.stagger_ms);
            if (can_start) {
                ++running;
                ++rep.tried;
                last_start = now;
                threads.emplace_back(work, peers[next++]);
                continue;
            }
            std::int64_t wait = std::min<std::int64_t>(kSliceMs, deadline - now);
            if (next < peers.size() && running < parallel)
                wait = std::min<std::int64_t>(wait, last_start + options.stagger_ms - now);
            cv.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(wait, 1)));
        }
        stop = true;
    }
    for (auto& t : threads)
        t.join();

    if (found) return std::move(*found);
    const std::string what = "metadata of " + info_hash.hex();
    if (cancelled) return common::make_error(common::Errc::closed, what + ": cancelled");
    if (mono_ms() >= deadline)
        return common::make_error(
            common::Errc::timeout,
            cat(what, ": timed out after ", timeout_ms / 1000.0, " s (", summary(results), ")"));
    return common::make_error(common::Errc::not_found,
                              cat(what, ": no peer sent it (", summary(results), ")"));
}

common::Result<SwarmMetadataResult> fetch_metadata_from_swarm(const SwarmMetadataRequest& in,
                                                              common::Logger& log) {
    auto contains = [](const std::vector<common::PeerAddress>& v, const common::PeerAddress& p) {
        return std::any_of(v.begin(), v.end(),
                           [&](const auto& q) { return q.ip == p.ip && q.port == p.port; });
    };
    TrackerClient tc(in.trackers, in.tracker_timeout_ms, log, {}, 500, in.listen_families);
    common::AnnounceRequest req;
    req.info_hash = in.info_hash;
    req.peer_id = in.peer_id;
    req.port = in.listen_port;
    req.left = 1;  // unknown; not 0, which would make us a seeder that is sent no seeders
    req.event = common::AnnounceEvent::started;
    req.numwant = 80;

    const std::int64_t deadline = mono_ms() + in.timeout_ms;
    std::vector<common::PeerAddress> bad;  // sent bad metadata: never asked again
    std::vector<std::string> bad_names;
    std::string last_problem = "no peers yet";
    bool announced = false;
    std::optional<SwarmMetadataResult> out;
    MetadataFetchOptions fo;
    fo.listen_port = in.listen_port;
    fo.cancel = in.cancel;
    auto cancelled = [&] { return in.cancel && in.cancel->load(); };
    while (!out && !cancelled() && mono_ms() < deadline) {
        std::vector<common::PeerAddress> peers;
        for (const auto& p : in.direct)
            if (!contains(bad, p)) peers.push_back(p);
        if (tc.size() > 0) {
            auto r = tc.announce(req);
            if (r && r->failure_reason.empty()) {
                announced = true;
                req.event = common::AnnounceEvent::none;
                for (const auto& p : r->peers)
                    if (!contains(bad, p) && !contains(peers, p)) peers.push_back(p);
                if (peers.empty()) {
                    // Nobody to ask, and nobody is likely to turn up in the
                    // next seconds: say so now rather than at the deadline.
                    last_problem = "the trackers know no peer for it";
                    break;
                }
            } else {
                last_problem = r ? "tracker refused: " + r->failure_reason
                                 : "every tracker failed: " + r.error().message;
            }
        }
        if (!peers.empty()) {
            MetadataFetchReport report;
            const auto left = static_cast<int>(deadline - mono_ms());
            auto got = fetch_metadata(in.info_hash, peers, in.peer_id, std::max(left, 0), log, fo,
                                      &report);
            for (const auto& p : peers)
                if (std::find(report.bad.begin(), report.bad.end(), peer_address_string(p)) !=
                    report.bad.end()) {
                    bad.push_back(p);
                    bad_names.push_back(peer_address_string(p));
                }
            if (got) {
                out = SwarmMetadataResult{std::move(got).value(), report.source, bad_names};
                break;
            }
            last_problem = got.error().message;
        }
        // Pause a second before asking the trackers again (bounded by the deadline).
        for (int i = 0; i < 10 && !cancelled() && mono_ms() < deadline; ++i)
            std::this_thread::sleep_for(
                std::chrono::milliseconds(std::clamp<std::int64_t>(deadline - mono_ms(), 1, 100)));
    }
    if (announced) {
        req.event = common::AnnounceEvent::stopped;
        (void)tc.announce(req);
    }
    if (out) return std::move(*out);
    if (cancelled()) return common::make_error(common::Errc::closed, "cancelled");
    std::string msg = "no metadata for " + in.info_hash.hex() + " within " +
                      std::to_string(in.timeout_ms / 1000) + " s: " + last_problem;
    if (!bad_names.empty()) {
        msg += "; rejected bad metadata from";
        for (const auto& b : bad_names)
            msg += " " + b;
    }
    return common::make_error(common::Errc::not_found, msg);
}

}  // namespace mt::client
