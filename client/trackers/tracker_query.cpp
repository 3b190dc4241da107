#include "client/trackers/tracker_query.h"

#include "client/trackers/tracker_transport.h"
#include "common/bencode.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/wire/url.h"

namespace mt::client {

using common::cat;
using common::Errc;
using common::make_error;
namespace bencode = common::bencode;

namespace {

common::Result<bencode::Value> decode_reply_dict(std::string_view body, const char* what) {
    bencode::Limits limits;
    limits.max_depth = 8;
    limits.max_tokens = 100000;
    auto v = bencode::decode(body, limits);
    if (!v) return make_error(Errc::parse_error, cat(what, " reply: ", v.error().message));
    if (!v->is_dict())
        return make_error(Errc::parse_error, cat(what, " reply is not a dictionary"));
    if (const auto* f = v->find("failure reason"); f && f->is_string())
        return make_error(Errc::refused, std::string(f->as_string()));
    return v;
}

}  // namespace

common::Result<common::InfoHash> decode_publish_reply(std::string_view body) {
    auto v = decode_reply_dict(body, "publish");
    if (!v) return v.error();
    const auto* ih = v->find("info_hash");
    if (!ih || !ih->is_string() || ih->as_string().size() != 20)
        return make_error(Errc::parse_error, "publish reply has no 20-byte info_hash");
    return common::InfoHash::from_bytes(ih->as_string());
}

TrackerQuery::TrackerQuery(std::vector<common::Endpoint> trackers, int timeout_ms,
                           common::Logger& log, Exchange exchange)
    : trackers_(std::move(trackers)),
      timeout_ms_(timeout_ms),
      log_(log),
      exchange_(std::move(exchange)),
      rotation_(
          [this] {
              std::vector<std::string> urls;
              for (const auto& t : trackers_)
                  urls.push_back("http://" + t.to_string());
              return urls;
          }(),
          log) {
    if (!exchange_)
        exchange_ = [](const common::Endpoint& t, std::string_view request, int timeout) {
            return http_exchange(t.host, t.port, request, timeout);
        };
}

template <class T, class Accept>
common::Result<T> TrackerQuery::ask(const std::string& what, const std::string& target_or_request,
                                    bool is_full_request, Accept accept) {
    if (trackers_.empty()) return make_error(Errc::not_found, "no tracker configured");
    const std::size_t start = rotation_.current();
    common::Error last = make_error(Errc::not_found, what + ": no tracker has it");
    std::string failures;  // every tracker's, when none answered
    bool any_not_found = false;
    for (std::size_t k = 0; k < trackers_.size(); ++k) {
        const std::size_t i = (start + k) % trackers_.size();
        const auto& t = trackers_[i];
        const std::string request =
            is_full_request ? target_or_request
                            : common::wire::http_get_request(t.host, target_or_request, false);
        auto resp = exchange_(t, request, timeout_ms_);
        common::Result<T> r = resp ? accept(*resp) : common::Result<T>(resp.error());
        const bool answered = resp.ok() && (r.ok() || r.error().code == Errc::not_found ||
                                            r.error().code == Errc::refused);
        if (answered) {
            rotation_.succeeded(i, common::wall_ms());
            rotation_.make_current(i, "failed");
        } else {
            rotation_.failed(i, common::wall_ms(), r.error().message);
        }
        if (r) return r;
        if (r.error().code == Errc::not_found) {
            any_not_found = true;
            continue;  // the other tracker may have it already
        }
        if (answered) return r.error();  // the tracker said no: asking the other changes nothing
        log_.warn(cat(what, " at ", rotation_.url(i), " failed: ", r.error().message));
        last = r.error();
        if (last.code == Errc::refused) last.code = Errc::io_error;  // refused: the tracker's word
        failures += cat(failures.empty() ? "" : "; ", "tracker ", i + 1, " (", t.to_string(),
                        "): ", r.error().message);
    }
    if (any_not_found) return make_error(Errc::not_found, what + ": no tracker has it");
    if (trackers_.size() > 1) last.message = "no tracker answered: " + failures;
    return last;
}

common::Result<std::vector<SearchHit>> TrackerQuery::search(std::string_view text) {
    const std::string target = "/search?q=" + common::wire::url_encode(text);
    return ask<std::vector<SearchHit>>(
        "search", target, false,
        [](const common::wire::HttpResponse& r) -> common::Result<std::vector<SearchHit>> {
            if (r.status != 200)
                return make_error(Errc::io_error, cat("search answered HTTP ", r.status));
            return common::wire::decode_search_reply(r.body);
        });
}

common::Result<std::string> TrackerQuery::metainfo(const common::InfoHash& info_hash) {
    const std::string target = "/metainfo?info_hash=" + info_hash.hex();
    return ask<std::string>("metainfo " + info_hash.hex(), target, false,
                            [](const common::wire::HttpResponse& r) -> common::Result<std::string> {
                                if (r.status == 404)
                                    return make_error(Errc::not_found, "not published");
                                if (r.status != 200)
                                    return make_error(Errc::io_error,
                                                      cat("metainfo answered HTTP ", r.status));
                                return r.body;
                            });
}

common::Result<common::InfoHash> TrackerQuery::publish(std::string_view mtorrent_bytes,
                                                       std::string_view owner) {
    // The Host header differs per tracker only in name; one request text
    // serves both (HTTP/1.1 requires a Host header, not that it match).
    const std::string host = trackers_.empty() ? std::string() : trackers_[0].to_string();
    const std::string target =
        owner.empty() ? std::string("/publish") : "/publish?owner=" + common::to_hex(owner);
    std::string request =
        cat("POST ", target, " HTTP/1.1\r\nHost: ", host,
            "\r\nContent-Type: application/x-bittorrent\r\nContent-Length: ", mtorrent_bytes.size(),
            "\r\nConnection: close\r\n\r\n");
    request += mtorrent_bytes;
    return ask<common::InfoHash>(
        "publish", request, true,
        [](const common::wire::HttpResponse& r) -> common::Result<common::InfoHash> {
            if (r.status != 200)
                return make_error(Errc::io_error, cat("publish answered HTTP ", r.status));
            return decode_publish_reply(r.body);
        });
}

common::Status TrackerQuery::withdraw(const common::InfoHash& info_hash, std::string_view proof) {
    const std::string host = trackers_.empty() ? std::string() : trackers_[0].to_string();
    const std::string request =
        cat("POST /withdraw?info_hash=", info_hash.hex(), "&proof=", common::to_hex(proof),
            " HTTP/1.1\r\nHost: ", host, "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    auto r = ask<bool>("withdraw", request, true,
                       [](const common::wire::HttpResponse& resp) -> common::Result<bool> {
                           if (resp.status != 200)
                               return make_error(Errc::io_error,
                                                 cat("withdraw answered HTTP ", resp.status));
                           auto v = decode_reply_dict(resp.body, "withdraw");
                           if (!v) return v.error();
                           return true;
                       });
    if (!r) return r.error();
    return {};
}

std::vector<TrackerStatus> TrackerQuery::status() const {
    return rotation_.status();
}

}  // namespace mt::client
