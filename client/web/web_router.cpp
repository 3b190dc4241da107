#include "client/web/web_router.h"

#include <algorithm>
#include <optional>

#include "client/web/web_page.h"
#include "common/metainfo.h"
#include "common/wire/url.h"

namespace mt::client::web {

using common::wire::HttpRequest;

namespace {

WebResponse json(int status, std::string body) {
    return WebResponse{status, "application/json", std::move(body), {}};
}

WebResponse denied(int status, std::string_view code, std::string_view detail) {
    return json(status, error_json(code, detail));
}

bool is_hex40(std::string_view s) {
    if (s.size() != 40) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    return true;
}

// A decimal number of at most 15 digits; nullopt for anything else.
std::optional<std::uint64_t> decimal(std::string_view s) {
    if (s.empty() || s.size() > 15) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

constexpr std::uint64_t kDefaultLogLines = 100;
constexpr std::uint64_t kMaxLogLines = 500;

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.remove_suffix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n'))
        s.remove_prefix(1);
    return std::string(s);
}

// The parameters of the query and (form-encoded) body; the first value wins.
std::string param(const HttpRequest& req, std::string_view name) {
    for (const std::string_view text : {std::string_view(req.query), std::string_view(req.body)}) {
        auto params = common::wire::parse_query(text, 64);
        if (!params) continue;
        for (const auto& [k, v] : *params)
            if (k == name) return v;
    }
    return {};
}

// A log line without our credentials (start-up logs the URL with the
// token): whoever reads the log through the API has them already, but a
// page showing the log need not show them again.
std::string redacted(std::string line, const WebSecurity& sec) {
    for (const std::string* secret : {&sec.token, &sec.password}) {
        if (secret->empty()) continue;
        for (std::size_t at = 0; (at = line.find(*secret, at)) != std::string::npos;)
            line.replace(at, secret->size(), "[hidden]");
    }
    return line;
}

void secure_headers(WebResponse& r) {
    r.headers.push_back({"Content-Security-Policy",
                         "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                         "base-uri 'none'; object-src 'none'"});
    r.headers.push_back({"X-Content-Type-Options", "nosniff"});
    r.headers.push_back({"X-Frame-Options", "DENY"});
    r.headers.push_back({"Referrer-Policy", "no-referrer"});
    r.headers.push_back({"Cache-Control", "no-store"});
}

}  // namespace

AddKind classify_add(std::string_view body) {
    const std::string t = trimmed(body);
    if (!body.empty() && body.front() == 'd') return AddKind::metainfo;
    if (t.rfind("magnet:", 0) == 0 || is_hex40(t)) return AddKind::source;
    if (!t.empty() && t.front() == '/') return AddKind::path;
    return AddKind::invalid;
}

WebResponse WebRouter::handle(const HttpRequest& req, const std::string& peer, std::int64_t now_ms,
                              bool stream_room) {
    WebResponse r = route(req, peer, now_ms, stream_room);
    secure_headers(r);
    return r;
}

WebResponse WebRouter::route(const HttpRequest& req, const std::string& peer, std::int64_t now_ms,
                             bool stream_room) {
    const std::string* host = req.find("host");
    if (!host || !host_allowed(*host, sec_))
        return denied(
            403, "BAD_HOST",
            "the Host header must name this client (127.0.0.1:" + std::to_string(sec_.port) +
                " or localhost:" + std::to_string(sec_.port) + ")");
    if (const std::string* origin = req.find("origin"); origin && !origin_allowed(*origin, *host))
        return denied(403, "BAD_ORIGIN", "requests from other sites are refused");
    if (req.method != "GET" && req.method != "POST")
        return denied(405, "METHOD_NOT_ALLOWED", "only GET and POST");
    if (req.method == "GET" && req.path == "/app.js")
        return WebResponse{200, "text/javascript; charset=utf-8", std::string(kAppJs), {}};
    if (req.method == "GET" && req.path == "/app.css")
        return WebResponse{200, "text/css; charset=utf-8", std::string(kAppCss), {}};
    if (!throttle_.allowed(peer, now_ms))
        return denied(429, "TOO_MANY_FAILURES",
                      "too many failed logins from this address; wait a minute");
    if (req.method == "GET" && req.path == "/") {
        const std::string token = param(req, "token");
        if (!token.empty()) return page_login(token, peer, now_ms);
    }
    const auto cred = presented_credential(req, sec_);
    if (!cred || !credential_ok(*cred, sec_)) {
        if (cred) throttle_.failed(peer, now_ms);
        if (req.path == "/")
            return WebResponse{401, "text/html; charset=utf-8", std::string(kLoginPage), {}};
        WebResponse r = denied(401, "UNAUTHORIZED",
                               "open the URL the client printed at start (it holds the token), "
                               "or send Authorization: Bearer <token>");
        r.headers.push_back({"WWW-Authenticate", "Basic realm=\"mtorrent\""});
        return r;
    }
    if (TransmissionRpc::is_rpc_path(req.path)) return rpc_.handle(req, now_ms);
    if (req.method == "POST") {
        const std::string* csrf = req.find("x-mtorrent-csrf");
        if (!csrf || *csrf != "1")
            return denied(403, "CSRF_HEADER_MISSING",
                          "a state-changing request needs the header X-MTorrent-CSRF: 1");
    }
    if (req.method == "GET" && req.path == "/")
        return WebResponse{200, "text/html; charset=utf-8", std::string(kIndexPage), {}};
    if (req.path == "/api/events") return events(req, stream_room);
    if (req.path.rfind("/api/", 0) == 0) return api(req);
    return denied(404, "NOT_FOUND", "no such page");
}

WebResponse WebRouter::events(const HttpRequest& req, bool stream_room) {
    if (req.method != "GET")
        return denied(405, "METHOD_NOT_ALLOWED", "/api/events is a GET resource");
    if (!stream_room)
        return denied(503, "TOO_MANY_STREAMS",
                      "too many event streams are open; poll GET /api/sync?rid=N instead");
    // A rid that is not a number: from nothing (a full update).
    history_.update(current_state());
    const SyncHistory::Diff d = history_.diff(decimal(param(req, "rid")).value_or(0));
    const StreamUpdate first{d.rid, d.changed ? d.json : std::string()};
    WebResponse r{
        200, "text/event-stream", first.json.empty() ? "" : sse_event("sync", first.json), {}};
    r.stream = true;
    r.stream_rid = first.rid;
    return r;
}

SyncHistory::State WebRouter::current_state() {
    SyncHistory::State now;
    for (const auto& v : backend_.views())
        now.emplace(transfer_id(v), transfer_json(v));
    return now;
}

StreamUpdate WebRouter::stream_update(std::uint64_t since, std::int64_t now_ms) {
    // The streams tick once a second each, at their own times: the state is
    // gathered at most every kStreamStateMs for all of them.
    if (now_ms < state_ms_ || now_ms - state_ms_ >= kStreamStateMs) {
        history_.update(current_state());
        state_ms_ = now_ms;
    }
    SyncHistory::Diff d = history_.diff(since);
    return StreamUpdate{d.rid, d.changed ? std::move(d.json) : std::string()};
}

WebResponse WebRouter::page_login(const std::string& token, const std::string& peer,
                                  std::int64_t now_ms) {
    if (!credential_ok(token, sec_)) {
        throttle_.failed(peer, now_ms);
        return WebResponse{401, "text/html; charset=utf-8", std::string(kLoginPage), {}};
    }
    WebResponse r{303, "text/plain", "logged in\n", {}};
    r.headers.push_back({"Location", "/"});
    r.headers.push_back(
        {"Set-Cookie", cookie_name(sec_) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict"});
    return r;
}

WebResponse WebRouter::api(const HttpRequest& req) {
    if (req.method == "GET") return api_get(req);
    return api_post(req);
}

WebResponse WebRouter::api_get(const HttpRequest& req) {
    const std::string& p = req.path;
    if (p == "/api/sync") {
        std::uint64_t since = 0;
        if (auto n = decimal(param(req, "rid"))) since = *n;  // anything else: a full update
        return json(200, history_.sync(since, current_state()));
    }
    if (p == "/api/torrent") return detail(param(req, "id"));
    if (p == "/api/search") {
        const std::string q = param(req, "q");
        if (q.empty()) return denied(400, "INVALID_ARGUMENTS", "q=<text> is missing");
        std::vector<common::wire::SearchHit> hits;
        const Reply r = backend_.search(q, hits);
        return json(200, r.ok ? search_json(hits) : reply_json(r));
    }
    if (p == "/api/log") {
        const std::string n = param(req, "n");
        const auto count = n.empty() ? std::optional<std::uint64_t>(kDefaultLogLines) : decimal(n);
        if (!count) return denied(400, "INVALID_ARGUMENTS", "n must be a number of lines");
        auto lines = backend_.log_tail(std::min<std::uint64_t>(*count, kMaxLogLines));
        for (auto& l : lines)
            l = redacted(std::move(l), sec_);
        return json(200, log_json(lines));
    }
    if (p == "/api/rates") return json(200, rates_json(backend_.rates()));
    if (p == "/api/add" || p == "/api/pause" || p == "/api/resume" || p == "/api/remove" ||
        p == "/api/verify")
        return denied(405, "METHOD_NOT_ALLOWED", p + " takes POST");
    return denied(404, "NOT_FOUND", "no API " + p);
}

WebResponse WebRouter::detail(const std::string& id) {
    if (!is_hex40(id))
        return denied(400, "INVALID_ARGUMENTS", "id must be an info_hash (40 hex digits)");
    const auto d = backend_.detail(id);
    if (!d) return denied(404, "NOT_FOUND", "no transfer has the info_hash " + id);
    return json(200, detail_json(*d));
}

WebResponse WebRouter::api_post(const HttpRequest& req) {
    const std::string& p = req.path;
    if (p == "/api/add") return add(req.body);
    const std::string id = param(req, "id");
    CommandKind kind = CommandKind::empty;
    if (p == "/api/pause") kind = CommandKind::pause;
    if (p == "/api/resume") kind = CommandKind::resume;
    if (p == "/api/verify") kind = CommandKind::verify;
    if (p == "/api/remove") kind = CommandKind::remove;
    if (kind == CommandKind::empty) {
        if (p == "/api/sync" || p == "/api/torrent" || p == "/api/search" || p == "/api/log" ||
            p == "/api/rates")
            return denied(405, "METHOD_NOT_ALLOWED", p + " takes GET");
        return denied(404, "NOT_FOUND", "no API " + p);
    }
    if (id.empty()) return denied(400, "INVALID_ARGUMENTS", "id=<info_hash> is missing");
    std::vector<std::string> args{id};
    if (kind == CommandKind::remove) {
        const std::string del = param(req, "delete_data");
        args.push_back(del == "1" || del == "true" ? "--delete-data" : "--keep");
    }
    return json(200, reply_json(backend_.run(kind, args)));
}

WebResponse WebRouter::add(const std::string& body) {
    switch (classify_add(body)) {
        case AddKind::metainfo: {
            auto m = common::parse_metainfo(body);
            if (!m) return denied(400, "INVALID_MTORRENT", m.error().message);
            return json(200, reply_json(backend_.add_metainfo(body)));
        }
        case AddKind::source:
            return json(200, reply_json(backend_.add_source(trimmed(body))));
        case AddKind::path:
            return json(200, reply_json(backend_.share(trimmed(body))));
        case AddKind::invalid:
            break;
    }
    return denied(400, "INVALID_ARGUMENTS",
                  "the body must be a .mtorrent file, a magnet link or info_hash, or an absolute "
                  "path to share");
}

}  // namespace mt::client::web
