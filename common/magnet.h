// Magnet links (BEP 9) and bare info hashes as a user types them.
//
//   magnet:?xt=urn:btih:<info hash>&dn=<name>&tr=<tracker URL>&x.pe=<ip:port>
//
// <info hash> is 40 hex digits or 32 base32 characters (RFC 4648, either
// case). Parameters are %-decoded ('+' is a space); `tr` and `x.pe` may
// repeat (kept in order, duplicates dropped); unknown parameters (xl, ws, as,
// kt, so, ...) are ignored. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace mt::common {

struct MagnetLink {
    InfoHash info_hash;
    std::string name;                   // dn, may be empty
    std::vector<std::string> trackers;  // tr
    std::vector<std::string> peers;     // x.pe, "host:port" as given
    friend bool operator==(const MagnetLink&, const MagnetLink&) = default;
};

// 40 hex digits or 32 base32 characters. Errors: invalid_argument saying
// which form was expected.
Result<InfoHash> parse_info_hash(std::string_view text);

// Errors (invalid_argument unless said otherwise):
//   - not starting with "magnet:?"; a bad %-escape (parse_error); more than
//     256 parameters (limit_exceeded)
//   - no xt=urn:btih: (unsupported when only a BitTorrent v2 urn:btmh: is
//     there); a btih that is not 40 hex / 32 base32; two different btih
//   - an empty tr or x.pe
Result<MagnetLink> parse_magnet(std::string_view uri);

// A magnet URI or a bare info hash (see parse_info_hash); a bare hash gives a
// MagnetLink with only info_hash set.
Result<MagnetLink> parse_magnet_or_hash(std::string_view text);

// magnet:?xt=urn:btih:<40 hex>[&dn=..][&tr=..]...[&x.pe=..]..., values
// %-escaped; parse_magnet(to_magnet_uri(m)) == m.
std::string to_magnet_uri(const MagnetLink& m);

}  // namespace mt::common
