#include "tracker/service.h"

#include <cstdio>

#include "common/bencode.h"
#include "common/byte_io.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/metainfo.h"
#include "common/units.h"
#include "common/wire/search.h"
#include "common/wire/tracker_http.h"
#include "common/wire/udp_tracker.h"

namespace mt::tracker {

using common::cat;
using namespace common::wire;

namespace {

AnnounceEvent to_store_event(common::AnnounceEvent e) {
    switch (e) {
        case common::AnnounceEvent::none:
            return AnnounceEvent::none;
        case common::AnnounceEvent::completed:
            return AnnounceEvent::completed;
        case common::AnnounceEvent::started:
            return AnnounceEvent::started;
        case common::AnnounceEvent::stopped:
            return AnnounceEvent::stopped;
    }
    return AnnounceEvent::none;
}

const std::string* param(const QueryParams& params, std::string_view key) {
    for (const auto& [k, v] : params)
        if (k == key) return &v;
    return nullptr;
}

bool wants_json(const QueryParams& params) {
    const std::string* f = param(params, "format");
    return f && *f == "json";
}

}  // namespace

TrackerService::TrackerService(ServiceOptions options, SwarmStore& store, ChangeLog& changelog,
                               const Replicator* replicator, ConnectionIds& ids,
                               common::Logger& log, NowFn now)
    : opt_(std::move(options)),
      store_(store),
      changelog_(changelog),
      replicator_(replicator),
      ids_(ids),
      log_(log),
      now_(std::move(now)),
      started_ms_(now_()),
      publish_quota_(opt_.publish_quota),
      new_torrent_quota_(opt_.new_torrent_quota) {
    PageLimits& shown = opt_.page_limits;
    shown.interval_s = opt_.interval_s;
    shown.min_interval_s = opt_.min_interval_s;
    shown.default_numwant = opt_.default_numwant;
    shown.publish_quota = opt_.publish_quota.max_count;
    shown.publish_bytes_quota = opt_.publish_quota.max_bytes;
    shown.new_torrent_quota = opt_.new_torrent_quota.max_count;
    shown.quota_window_s = static_cast<std::uint32_t>(opt_.publish_quota.window_ms / 1000);
    // Tracker 1's URL first on both trackers, so that both write the same bytes.
    common::Endpoint self{opt_.self_address, 0};
    common::Endpoint other{opt_.other_address, 0};
    if (auto e = common::parse_endpoint(opt_.self_address)) self = *e;
    if (auto e = common::parse_endpoint(opt_.other_address)) other = *e;
    pair_.endpoints = opt_.self_id == 2 ? std::array{other, self} : std::array{self, other};
}

AnnounceResult TrackerService::store_announce(AnnounceInput& in, const common::IpAddr& source_ip,
                                              std::int64_t now) {
    // Charged to the address the request came from, never to a claimed ip=.
    // (A torrent that goes between the two calls is created unchecked, and
    // charged below all the same.)
    in.may_create = store_.has_torrent(in.info_hash) || new_torrent_quota_.allows(source_ip, now);
    auto r = store_.announce(in, now);
    if (r.created) new_torrent_quota_.spend(source_ip, 0, now);
    if (!in.may_create && !r.refused.empty()) ++new_torrents_refused_;
    return r;
}

void TrackerService::log_refusal(const std::string& what) {
    ++refused_;
    const std::int64_t sec = now_() / 1000;
    std::uint64_t suppressed = 0;
    {
        common::MutexLock lock(rate_mu_);
        if (sec != rate_window_s_) {
            rate_window_s_ = sec;
            rate_lines_ = 0;
            suppressed = std::exchange(rate_suppressed_, 0);
        }
        if (++rate_lines_ > 10) {
            ++rate_suppressed_;
            return;
        }
    }
    if (suppressed) log_.warn(cat(suppressed, " more refused requests not logged"));
    log_.warn(what);
}

Reply TrackerService::bencoded(std::string body, bool keep_alive, std::uint64_t ticket) {
    return {http_response(200, "text/plain", body, keep_alive), ticket, !keep_alive};
}

Reply TrackerService::failure(const std::string& reason, bool keep_alive,
                              const std::string& peer_text) {
    log_refusal(cat("refused request from ", peer_text, ": ", reason));
    return bencoded(encode_failure(reason), keep_alive);
}

Reply TrackerService::http_error(int status, const std::string& why, const std::string& peer_text) {
    log_refusal(cat("malformed HTTP request from ", peer_text, ": ", why));
    return {http_response(status, "text/plain", why + "\n", false), 0, true};
}

Reply TrackerService::handle_http(const HttpRequest& req, const common::IpAddr& peer_ip,
                                  const std::string& peer_text) {
    if (req.method == "HEAD") {
        // The same answer as GET without its body (RFC 9110 9.3.2).
        HttpRequest get = req;
        get.method = "GET";
        Reply r = route(get, peer_ip, peer_text);
        const auto end = r.bytes.find("\r\n\r\n");
        if (end != std::string::npos) r.bytes.resize(end + 4);
        return r;
    }
    return route(req, peer_ip, peer_text);
}

Reply TrackerService::route(const HttpRequest& req, const common::IpAddr& peer_ip,
                            const std::string& peer_text) {
    const bool ka = req.keep_alive();
    if (req.path == "/announce") return announce(req, peer_ip, peer_text);
    if (req.path == "/scrape") return scrape(req, peer_text);
    if (req.path == "/search") return search(req, peer_text);
    if (req.path == "/publish") return publish(req, peer_ip, peer_text);
    if (req.path == "/withdraw") return withdraw(req, peer_text);
    if (req.path == "/metainfo") return metainfo(req, peer_text);
    if (req.path == "/stats") {
        auto params = parse_query(req.query);
        const bool html = params && param(*params, "format") && *param(*params, "format") == "html";
        const bool digest = params && param(*params, "digest") && *param(*params, "digest") == "1";
        if (html) return page(req);
        return {http_response(200, "application/json", stats_json(digest), ka), 0, !ka};
    }
    if (req.path == "/") return page(req);
    return {http_response(404, "text/plain", "no such path: " + req.path + "\n", ka), 0, !ka};
}

Reply TrackerService::announce(const HttpRequest& req, const common::IpAddr& peer_ip,
                               const std::string& peer_text) {
    const bool ka = req.keep_alive();
    if (req.method != "GET") return failure("announce must be a GET request", ka, peer_text);
    auto params = parse_query(req.query);
    if (!params) return failure(params.error().message, ka, peer_text);
    auto a = parse_announce_query(*params, opt_.trust_ip);
    if (!a) return failure(a.error().message, ka, peer_text);
    ++http_announces_;
    AnnounceInput in;
    in.info_hash = a->info_hash;
    in.peer_id = a->peer_id;
    in.ip = a->ip.value_or(peer_ip);
    in.port = a->port;
    in.key = a->key;
    in.uploaded = a->uploaded;
    in.downloaded = a->downloaded;
    in.left = a->left;
    in.event = to_store_event(a->event);
    in.numwant = a->numwant < 0 ? opt_.default_numwant : static_cast<std::uint32_t>(a->numwant);
    const std::int64_t now = now_();
    http_rate_.add(now / 1000);
    auto r = store_announce(in, peer_ip, now);
    if (!r.refused.empty()) return failure(r.refused, ka, peer_text);
    if (r.refreshed) changelog_.add_touch({in.info_hash, in.ip, in.port, now, in.left});
    common::AnnounceResponse resp;
    resp.interval = opt_.interval_s;
    resp.min_interval = opt_.min_interval_s;
    resp.complete = r.complete;
    resp.incomplete = r.incomplete;
    resp.peers.reserve(r.peers.size());
    // No peer ids, compact or not (BEP 23 no_peer_id): the tracker keeps none.
    for (const auto& p : r.peers)
        resp.peers.push_back({p.ip, p.port, std::nullopt});
    return bencoded(encode_announce_response(resp, a->compact, true), ka, r.ticket);
}

Reply TrackerService::scrape(const HttpRequest& req, const std::string& peer_text) {
    const bool ka = req.keep_alive();
    auto params = parse_query(req.query);
    if (!params) return failure(params.error().message, ka, peer_text);
    auto hashes = parse_scrape_query(*params, 256);
    if (!hashes) return failure(hashes.error().message, ka, peer_text);
    ++scrapes_;
    std::vector<common::ScrapeEntry> entries;
    for (const auto& h : *hashes) {
        const auto c = store_.scrape(h);
        entries.push_back({h, c.complete, c.downloaded, c.incomplete});
    }
    return bencoded(encode_scrape_response(entries), ka);
}

Reply TrackerService::search(const HttpRequest& req, const std::string& peer_text) {
    const bool ka = req.keep_alive();
    auto params = parse_query(req.query);
    if (!params) return failure(params.error().message, ka, peer_text);
    const std::string* q = param(*params, "q");
    if (!q || q->empty()) return failure("search needs a non-empty q parameter", ka, peer_text);
    if (q->size() > 256) return failure("search text is longer than 256 bytes", ka, peer_text);
    const auto hits = store_.search(*q, 200);
    if (wants_json(*params)) {
        std::string j = "{\"query\":" + common::json_string(*q) + ",\"results\":[";
        for (std::size_t i = 0; i < hits.size(); ++i) {
            const auto& h = hits[i];
            j += cat(i ? "," : "", "{\"name\":", common::json_string(h.name), ",\"size\":", h.size,
                     ",\"info_hash\":\"", h.info_hash.hex(), "\",\"seeders\":", h.seeders,
                     ",\"leechers\":", h.leechers, "}");
        }
        j += "]}\n";
        return {http_response(200, "application/json", j, ka), 0, !ka};
    }
    return bencoded(common::wire::encode_search_reply(hits), ka);
}

Reply TrackerService::publish(const HttpRequest& req, const common::IpAddr& peer_ip,
                              const std::string& peer_text) {
    const bool ka = req.keep_alive();
    if (req.method != "POST")
        return failure("publish the .mtorrent with a POST request", ka, peer_text);
    if (req.body.size() > kMaxMetainfoBytes)
        return failure(
            cat("metainfo of ", req.body.size(), " bytes is over the limit of ", kMaxMetainfoBytes),
            ka, peer_text);
    const std::int64_t now = now_();
    // Every attempt counts, valid or not: parsing is the work a flood buys.
    if (!publish_quota_.try_spend(peer_ip, req.body.size(), now)) {
        ++publishes_refused_;
        const auto& q = publish_quota_.limits();
        return failure(cat("publish quota of your address is used up (", q.max_count, " files, ",
                           common::human_bytes(q.max_bytes), " per ", q.window_ms / 1000,
                           " s); try again later"),
                       ka, peer_text);
    }
    auto params = parse_query(req.query);
    if (!params) return failure(params.error().message, ka, peer_text);
    std::string owner;
    if (const std::string* o = param(*params, "owner")) {
        auto raw =
            o->size() == 2 * kOwnerBytes
                ? common::from_hex(*o)
                : common::Result<std::string>(common::make_error(common::Errc::parse_error, ""));
        if (!raw) return failure("owner is not 64 hex digits", ka, peer_text);
        owner = std::move(raw).value();
    }
    auto m = common::parse_metainfo(req.body);
    if (!m) return failure("invalid metainfo: " + m.error().message, ka, peer_text);
    auto served = pair_metainfo(req.body, pair_);
    if (!served) return failure("invalid metainfo: " + served.error().message, ka, peer_text);
    const auto stored = store_.publish(m->info_hash, std::move(served).value(), m->name, m->length,
                                       now, std::move(owner));
    if (!stored.refused.empty()) return failure(stored.refused, ka, peer_text);
    const auto ticket = stored.ticket;
    log_.info(cat(stored.stored ? "published " : "already published, unchanged: ", m->name, " (",
                  m->info_hash.hex(), ") from ", peer_text));
    if (wants_json(*params))
        return {http_response(200, "application/json",
                              cat("{\"info_hash\":\"", m->info_hash.hex(),
                                  "\",\"name\":", common::json_string(m->name), "}\n"),
                              ka),
                ticket, !ka};
    common::bencode::Item::Dict d;
    d["info_hash"] = std::string(m->info_hash.view());
    d["name"] = m->name;
    return bencoded(common::bencode::encode(d), ka, ticket);
}

Reply TrackerService::withdraw(const HttpRequest& req, const std::string& peer_text) {
    const bool ka = req.keep_alive();
    if (req.method != "POST") return failure("withdraw with a POST request", ka, peer_text);
    auto params = parse_query(req.query);
    if (!params) return failure(params.error().message, ka, peer_text);
    const std::string* ih = param(*params, "info_hash");
    const std::string* proof = param(*params, "proof");
    auto raw_ih =
        ih && ih->size() == 40
            ? common::from_hex(*ih)
            : common::Result<std::string>(common::make_error(common::Errc::parse_error, ""));
    if (!raw_ih) return failure("withdraw needs info_hash as 40 hex digits", ka, peer_text);
    auto raw_proof =
        proof && proof->size() == 64
            ? common::from_hex(*proof)
            : common::Result<std::string>(common::make_error(common::Errc::parse_error, ""));
    if (!raw_proof) return failure("withdraw needs proof as 64 hex digits", ka, peer_text);
    const auto h = common::InfoHash::from_bytes(*raw_ih);
    const auto r = store_.withdraw_owned(h, owner_of_proof(*raw_proof), now_());
    switch (r.status) {
        case WithdrawResult::Status::not_published:
            return failure("nothing is published for that info_hash", ka, peer_text);
        case WithdrawResult::Status::not_owner:
            return failure("only its publisher can withdraw it", ka, peer_text);
        case WithdrawResult::Status::withdrawn:
            break;
    }
    log_.info(cat("withdrawn by its publisher: ", h.hex(), " from ", peer_text));
    common::bencode::Item::Dict d;
    d["withdrawn"] = std::string(h.view());
    return bencoded(common::bencode::encode(d), ka, r.ticket);
}

Reply TrackerService::metainfo(const HttpRequest& req, const std::string& peer_text) {
    const bool ka = req.keep_alive();
    auto params = parse_query(req.query);
    if (!params) return failure(params.error().message, ka, peer_text);
    const std::string* ih = param(*params, "info_hash");
    if (!ih) return failure("metainfo needs info_hash", ka, peer_text);
    std::string raw = *ih;
    if (raw.size() == 40) {
        auto decoded = common::from_hex(raw);
        if (!decoded) return failure("info_hash is not 40 hex digits", ka, peer_text);
        raw = *decoded;
    }
    if (raw.size() != 20)
        return failure("info_hash must be 20 bytes or 40 hex digits", ka, peer_text);
    auto bytes = store_.metainfo(common::InfoHash::from_bytes(raw));
    if (!bytes)
        return {http_response(404, "text/plain", "no metainfo published for that info_hash\n", ka),
                0, !ka};
    return {http_response(200, "application/x-bittorrent", *bytes, ka), 0, !ka};
}

Reply TrackerService::handle_udp(std::string_view datagram, const common::IpAddr& ip,
                                 std::uint16_t port, bool ipv6) {
    // No amplification (the source address of a datagram may be forged): an
    // error reply is cut to the request's length, and a malformed datagram
    // is answered only if it begins with a connection id issued to its
    // source, which a forger never sees. Connect replies are 16 bytes for 16;
    // announce and scrape replies need a valid connection id.
    const auto error = [&](std::uint32_t transaction_id, std::string message) {
        std::string reply;
        encode(UdpErrorResponse{transaction_id, std::move(message)}, reply);
        if (reply.size() > datagram.size()) reply.resize(datagram.size());
        return Reply{reply.size() >= 8 ? std::move(reply) : std::string(), 0, false};
    };
    auto req = decode_udp_request(datagram);
    const std::int64_t now = now_();
    std::string out;
    if (!req) {
        log_refusal(cat("malformed UDP request from ", ip.to_url_host(), ":", port, ": ",
                        req.error().message));
        if (datagram.size() >= 16 &&
            ids_.valid(common::read_u64(datagram.data()), ip, port, now / 1000))
            return error(common::read_u32(datagram.data() + 12), req.error().message);
        return {out, 0, false};
    }
    if (auto* c = std::get_if<UdpConnectRequest>(&*req)) {
        encode(UdpConnectResponse{c->transaction_id, ids_.issue(ip, port, now / 1000)}, out);
        return {out, 0, false};
    }
    if (auto* a = std::get_if<UdpAnnounceRequest>(&*req)) {
        if (!ids_.valid(a->connection_id, ip, port, now / 1000)) {
            log_refusal(cat("UDP announce from ", ip.to_url_host(), ":", port,
                            " with an unknown connection id"));
            return error(a->transaction_id, "unknown or expired connection id");
        }
        ++udp_announces_;
        udp_rate_.add(now / 1000);
        AnnounceInput in;
        in.info_hash = a->request.info_hash;
        in.peer_id = a->request.peer_id;
        in.ip = opt_.trust_ip && a->request.ip ? *a->request.ip : ip;
        in.port = a->request.port;
        in.key = a->request.key;
        in.uploaded = a->request.uploaded;
        in.downloaded = a->request.downloaded;
        in.left = a->request.left;
        in.event = to_store_event(a->request.event);
        // BEP 15 replies must fit a datagram: at most 200 IPv4 peers (1220
        // bytes), 66 IPv6 ones (1208 bytes, within IPv6's minimum MTU), and
        // only of the datagram's family.
        const std::uint32_t most = ipv6 ? 66 : 200;
        in.numwant = std::min<std::uint32_t>(a->request.numwant < 0
                                                 ? opt_.default_numwant
                                                 : static_cast<std::uint32_t>(a->request.numwant),
                                             most);
        in.want_v4 = !ipv6;
        in.want_v6 = ipv6;
        auto r = store_announce(in, ip, now);
        if (!r.refused.empty()) {
            log_refusal(
                cat("UDP announce from ", ip.to_url_host(), ":", port, " refused: ", r.refused));
            return error(a->transaction_id, r.refused);
        }
        if (r.refreshed) changelog_.add_touch({in.info_hash, in.ip, in.port, now, in.left});
        UdpAnnounceResponse resp;
        resp.transaction_id = a->transaction_id;
        resp.ipv6 = ipv6;
        resp.response.interval = opt_.interval_s;
        resp.response.complete = r.complete;
        resp.response.incomplete = r.incomplete;
        resp.response.peers.reserve(r.peers.size());
        for (const auto& p : r.peers)
            resp.response.peers.push_back({p.ip, p.port, std::nullopt});
        encode(resp, out);
        return {out, r.ticket, false};
    }
    auto& s = std::get<UdpScrapeRequest>(*req);
    if (!ids_.valid(s.connection_id, ip, port, now / 1000))
        return error(s.transaction_id, "unknown or expired connection id");
    ++scrapes_;
    UdpScrapeResponse resp;
    resp.transaction_id = s.transaction_id;
    for (const auto& h : s.info_hashes) {
        const auto c = store_.scrape(h);
        resp.entries.push_back({h, c.complete, c.downloaded, c.incomplete});
    }
    encode(resp, out);
    return {out, 0, false};
}

std::string TrackerService::stats_json(bool with_digest) const {
    const std::int64_t now = now_();
    const auto counts = store_.counts();
    const auto cl = changelog_.stats();
    const auto clock = changelog_.clock();
    const std::uint64_t announces = http_announces_ + udp_announces_;
    double rps = 0;  // copied under the lock: two /stats at once both write it
    {
        common::MutexLock lock(rps_mu_);
        if (now - rps_at_ms_ >= 1000) {
            if (rps_at_ms_)
                rps_ = static_cast<double>(announces - rps_count_) * 1000.0 /
                       static_cast<double>(now - rps_at_ms_);
            rps_at_ms_ = now;
            rps_count_ = announces;
        }
        rps = rps_;
    }
    std::string j = "{";
    j += cat("\"tracker_id\":", int(opt_.self_id),
             ",\"address\":", common::json_string(opt_.self_address),
             ",\"other\":", common::json_string(opt_.other_address),
             ",\"uptime_s\":", (now - started_ms_) / 1000);
    j += cat(",\"torrents\":", counts.torrents, ",\"peers\":", counts.peers,
             ",\"seeders\":", counts.seeders, ",\"leechers\":", counts.peers - counts.seeders,
             ",\"published\":", counts.metainfos, ",\"tombstones\":", counts.tombstones);
    j +=
        cat(",\"announces\":{\"http\":", http_announces_.load(), ",\"udp\":", udp_announces_.load(),
            ",\"per_second\":", static_cast<std::uint64_t>(rps), "},\"scrapes\":", scrapes_.load(),
            ",\"refused\":", refused_.load(), ",\"publishes_refused\":", publishes_refused_.load(),
            ",\"new_torrents_refused\":", new_torrents_refused_.load(),
            ",\"evicted\":", counts.evicted, ",\"metainfos_expired\":", counts.metainfos_expired);
    j += cat(",\"journal\":{\"bytes\":", cl.journal_bytes, ",\"compactions\":", cl.compactions,
             ",\"syncs\":", cl.syncs, ",\"pending\":", cl.pending,
             ",\"write_failures\":", cl.write_failures, "}");
    j += cat(",\"replication\":{\"clock\":[", clock.seq[1], ",", clock.seq[2],
             "],\"own_seq\":", clock.seq[opt_.self_id], ",\"acked_seq\":", cl.acked_seq,
             ",\"lag\":", clock.seq[opt_.self_id] - std::min(cl.acked_seq, clock.seq[opt_.self_id]),
             ",\"outbox\":", cl.outbox);
    if (replicator_) {
        const auto r = replicator_->status();
        j += cat(",\"outgoing_connected\":", r.outgoing_connected ? "true" : "false",
                 ",\"incoming_connected\":", r.incoming_connected ? "true" : "false",
                 ",\"received\":", r.received, ",\"snapshots_sent\":", r.snapshots_sent,
                 ",\"snapshots_received\":", r.snapshots_received, ",\"refused\":", r.refused,
                 ",\"connects\":", r.connects, ",\"last_catch_up_ms\":", r.last_catch_up_ms,
                 ",\"last_snapshot_received_ms\":", r.last_snapshot_received_ms);
    }
    j += "}";
    if (with_digest) j += cat(",\"state_digest\":\"", store_.digest_hex(), "\"");
    j += "}\n";
    return j;
}

Reply TrackerService::page(const HttpRequest& req) {
    const bool ka = req.keep_alive();
    auto params = parse_query(req.query);
    FileList files;
    if (!params) {
        files.query_error = "The search text is not valid URL encoding: " + params.error().message;
    } else {
        const std::string* q = param(*params, "q");
        files = file_list(q ? *q : std::string());
    }
    return {http_response(200, "text/html; charset=utf-8", render_page(std::move(files)), ka,
                          status_page_headers()),
            0, !ka};
}

PairHealth TrackerService::pair_health(std::int64_t now) const {
    PairHealth p;
    const auto cl = changelog_.stats();
    const auto own = changelog_.clock().seq[opt_.self_id];
    p.lag = own - std::min(cl.acked_seq, own);
    if (!replicator_) return p;
    const auto r = replicator_->status();
    p.known = true;
    p.link_out = r.outgoing_connected;
    p.link_in = r.incoming_connected;
    if (r.last_catch_up_ms)
        p.last_catch_up_ago_s = std::max<std::int64_t>(0, now - r.last_catch_up_ms) / 1000;
    p.last_catch_up_snapshot = r.last_catch_up_snapshot;
    p.last_catch_up_changes = r.last_catch_up_changes;
    if (r.last_snapshot_received_ms)
        p.last_snapshot_in_ago_s =
            std::max<std::int64_t>(0, now - r.last_snapshot_received_ms) / 1000;
    return p;
}

AnnounceRates TrackerService::announce_rates(std::int64_t now) const {
    // The last five minutes of whole seconds, in points of 5 s.
    constexpr std::size_t kWindow = 300;
    AnnounceRates a;
    a.bucket_s = 5;
    const std::int64_t last = now / 1000 - 1;
    a.http = per_second(http_rate_.counts(last, kWindow), a.bucket_s);
    a.udp = per_second(udp_rate_.counts(last, kWindow), a.bucket_s);
    a.http_total = http_announces_.load();
    a.udp_total = udp_announces_.load();
    return a;
}

FileList TrackerService::file_list(const std::string& query) const {
    FileList l;
    l.query = query;
    if (query.empty()) {
        l.files = store_.some_published(kMaxFiles);
        return l;
    }
    if (query.size() > 256) {
        l.query_error = "The search text is longer than 256 bytes.";
        return l;
    }
    l.files = store_.search(query, kMaxFiles + 1);
    l.more = l.files.size() > kMaxFiles;
    if (l.more) l.files.resize(kMaxFiles);
    return l;
}

std::string TrackerService::stats_html(const std::string& query) const {
    return render_page(file_list(query));
}

std::string TrackerService::render_page(FileList files) const {
    const std::int64_t now = now_();
    const auto counts = store_.counts();
    PageFigures f;
    f.tracker_id = opt_.self_id;
    f.address = opt_.self_address;
    f.other_address = opt_.other_address;
    f.uptime_s = (now - started_ms_) / 1000;
    f.pair = pair_health(now);
    f.rates = announce_rates(now);
    f.swarms = {counts.torrents, counts.peers, counts.seeders, counts.peers - counts.seeders,
                counts.metainfos};
    f.files = std::move(files);
    f.limits = opt_.page_limits;
    return render_status_page(f);
}

}  // namespace mt::tracker
