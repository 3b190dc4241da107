// TrackerService: what the tracker answers, independent of sockets.
//
// The HTTP and UDP front ends turn bytes into requests, call handle_http() or
// handle_udp() and send back the reply, once the reply's ticket is durable
// (a reply that reports a membership change must not go out before the change
// is in the journal).
//
// HTTP routes (GET unless said):
//   /announce   BEP 3 announce, compact (BEP 23) or dictionary peers
//   /scrape     BEP 48 scrape (one or more info_hash)
//   /search     ?q=TEXT[&format=json]: published files whose name contains TEXT
//   /publish    POST a .mtorrent as the body: validated, served with the pair's
//               own tracker URLs (tracker/pair_metainfo.h), kept and
//               replicated; a later publish of the same info_hash changes
//               nothing. Per source address at most publish_quota.max_count
//               publishes and max_bytes bytes per window. ?owner=(64 hex):
//               owner_of_proof() of the publisher's withdraw proof (change.h).
//   /withdraw   POST ?info_hash=(40 hex)&proof=(64 hex): its publisher takes
//               a published file back (a replicated metainfo_remove)
//   /metainfo   ?info_hash=(20 bytes URL-escaped, or 40 hex digits): the .mtorrent
//   /stats      JSON; &digest=1 adds the state digest; ?format=html: the page
//   /           the tracker's page (tracker/status_page.h); ?q=TEXT searches
//               the published files
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "common/log.h"
#include "common/mutex.h"
#include "common/wire/http.h"
#include "tracker/address_quota.h"
#include "tracker/change_log.h"
#include "tracker/connection_ids.h"
#include "tracker/pair_metainfo.h"
#include "tracker/rate_ring.h"
#include "tracker/replicator.h"
#include "tracker/status_page.h"
#include "tracker/swarm_store.h"

namespace mt::tracker {

struct ServiceOptions {
    std::uint32_t interval_s = 1800;
    std::uint32_t min_interval_s = 60;
    std::uint32_t default_numwant = 50;
    bool trust_ip = false;
    std::string self_address;  // for /stats
    std::string other_address;
    std::uint8_t self_id = 1;
    QuotaLimits publish_quota{200, 32ull << 20, 600'000, 262'144};
    // Announces (HTTP and UDP) that create a torrent, per source address.
    QuotaLimits new_torrent_quota{2000, 0, 600'000, 262'144};
    // Shown on the page: the limits the front ends, the store and main
    // enforce (the service fills in its own: intervals, numwant, quotas).
    PageLimits page_limits;
};

struct Reply {
    std::string bytes;
    std::uint64_t ticket = 0;  // send once ChangeLog::durable_ticket() >= ticket
    bool close = false;        // close the connection after sending
};

class TrackerService {
  public:
    using NowFn = std::function<std::int64_t()>;  // wall clock, ms

    TrackerService(ServiceOptions options, SwarmStore& store, ChangeLog& changelog,
                   const Replicator* replicator, ConnectionIds& ids, common::Logger& log,
                   NowFn now);

    Reply handle_http(const common::wire::HttpRequest& req, const common::IpAddr& peer_ip,
                      const std::string& peer_text);
    // An HTTP request the parser refused (status 400, 413, 431, ...).
    Reply http_error(int status, const std::string& why, const std::string& peer_text);
    // Empty bytes: nothing to send (not a tracker datagram). `ipv6`: it came
    // over IPv6 (the reply carries IPv6 peers only, BEP 15).
    Reply handle_udp(std::string_view datagram, const common::IpAddr& ip, std::uint16_t port,
                     bool ipv6 = false);

    std::string stats_json(bool with_digest) const;
    // The page (tracker/status_page.h); `query`: the search text, raw bytes
    // (empty: a sample of the published files). Bounded: the store's counts
    // (what /stats costs) and at most kMaxFiles + 1 files.
    std::string stats_html(const std::string& query = {}) const;

    // A bound was hit or a request refused: logged at most a few times per
    // second, with a count of what was left out.
    void log_refusal(const std::string& what);

  private:
    Reply route(const common::wire::HttpRequest& req, const common::IpAddr& peer_ip,
                const std::string& peer_text);
    Reply announce(const common::wire::HttpRequest& req, const common::IpAddr& peer_ip,
                   const std::string& peer_text);
    Reply scrape(const common::wire::HttpRequest& req, const std::string& peer_text);
    Reply search(const common::wire::HttpRequest& req, const std::string& peer_text);
    Reply withdraw(const common::wire::HttpRequest& req, const std::string& peer_text);
    Reply publish(const common::wire::HttpRequest& req, const common::IpAddr& peer_ip,
                  const std::string& peer_text);
    // The store's announce, with the source's quota of new torrents applied.
    AnnounceResult store_announce(AnnounceInput& in, const common::IpAddr& source_ip,
                                  std::int64_t now);
    Reply metainfo(const common::wire::HttpRequest& req, const std::string& peer_text);
    Reply page(const common::wire::HttpRequest& req);
    PairHealth pair_health(std::int64_t now) const;
    AnnounceRates announce_rates(std::int64_t now) const;
    FileList file_list(const std::string& query) const;
    std::string render_page(FileList files) const;
    Reply bencoded(std::string body, bool keep_alive, std::uint64_t ticket = 0);
    Reply failure(const std::string& reason, bool keep_alive, const std::string& peer_text);

    ServiceOptions opt_;
    SwarmStore& store_;
    ChangeLog& changelog_;
    const Replicator* replicator_;
    ConnectionIds& ids_;
    common::Logger& log_;
    NowFn now_;
    const std::int64_t started_ms_;
    PairTrackers pair_;
    AddressQuota publish_quota_;
    AddressQuota new_torrent_quota_;

    std::atomic<std::uint64_t> http_announces_{0};
    std::atomic<std::uint64_t> udp_announces_{0};
    RateRing http_rate_;  // announces per second, for the page's graph
    RateRing udp_rate_;
    std::atomic<std::uint64_t> scrapes_{0};
    std::atomic<std::uint64_t> refused_{0};
    std::atomic<std::uint64_t> publishes_refused_{0};     // over quota
    std::atomic<std::uint64_t> new_torrents_refused_{0};  // over quota

    common::Mutex rate_mu_;
    std::int64_t rate_window_s_ GUARDED_BY(rate_mu_) = 0;
    int rate_lines_ GUARDED_BY(rate_mu_) = 0;
    std::uint64_t rate_suppressed_ GUARDED_BY(rate_mu_) = 0;
    mutable common::Mutex rps_mu_;
    mutable std::int64_t rps_at_ms_ GUARDED_BY(rps_mu_) = 0;
    mutable std::uint64_t rps_count_ GUARDED_BY(rps_mu_) = 0;
    mutable double rps_ GUARDED_BY(rps_mu_) = 0;
};

}  // namespace mt::tracker
