// The web interface's security decisions, pure (no socket, no clock of its
// own): which Host and Origin headers are ours, whether a request carries
// the token (or the password), and how failed logins are slowed down.
//
// Threats (docs/ARCHITECTURE.md, "The web interface"): a page on another
// site reaching 127.0.0.1 through the user's browser (cross-site requests:
// Origin check, CSRF header on every POST, SameSite=Strict cookie), a name
// of an attacker's resolving to 127.0.0.1 (DNS rebinding: Host check), and
// guessing the token (32 random hex digits, failures slowed per address).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/wire/http.h"

namespace mt::client::web {

struct WebSecurity {
    std::string token;     // >= 32 hex digits (web_token.h)
    std::string password;  // --web-password; "" for none
    std::string host;      // the bound address as given ("127.0.0.1")
    std::uint16_t port = 0;
    // The Transmission RPC's X-Transmission-Session-Id (random per run);
    // "" turns that endpoint off (every request gets 409).
    std::string rpc_session_id;
};

// The name of the cookie carrying the token: per port, since browsers share
// cookies between the ports of one host.
std::string cookie_name(const WebSecurity& sec);

// True if `host_header` (the Host header's value) names us:
// <bound host>:<port>, localhost:<port>, 127.0.0.1:<port> or [::1]:<port>
// (case-insensitive). Anything else is a rebound name: refused.
bool host_allowed(std::string_view host_header, const WebSecurity& sec);

// True if `origin` (an Origin header's value) is http://<host_header>, the
// page itself. "null" and every other origin are refused.
bool origin_allowed(std::string_view origin, std::string_view host_header);

// The credential a request carries, if any: the cookie, `Authorization:
// Bearer <token>` or `Authorization: Basic base64(mtorrent:<token or
// password>)`. nullopt when it carries none; a string (maybe wrong) otherwise.
std::optional<std::string> presented_credential(const common::wire::HttpRequest& req,
                                                const WebSecurity& sec);

// True if `credential` is the token or (when one is set) the password;
// compared in constant time.
bool credential_ok(std::string_view credential, const WebSecurity& sec);

// The value of `name` in a Cookie header ("a=1; b=2"), if present.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// RFC 4648 base64 (padding required); nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view in);

// Failed logins per address: each failure adds 1 to a score that halves
// every kHalfLifeMs; an address whose score reaches kLimit is refused until
// it decays below. At most kMaxAddresses are tracked (the oldest dropped).
class LoginThrottle {
  public:
    static constexpr double kLimit = 5;
    static constexpr std::int64_t kHalfLifeMs = 30'000;
    static constexpr std::size_t kMaxAddresses = 4096;

    bool allowed(const std::string& addr, std::int64_t now_ms);
    void failed(const std::string& addr, std::int64_t now_ms);
    double score(const std::string& addr, std::int64_t now_ms) const;

  private:
    struct Entry {
        double score = 0;
        std::int64_t at_ms = 0;
    };
    std::map<std::string, Entry> entries_;
};

}  // namespace mt::client::web
