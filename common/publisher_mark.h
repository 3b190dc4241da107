// A publisher's withdraw proof and the owner mark the trackers keep of it
// (docs/PROTOCOL.md, POST /withdraw). Pure; both sides of the protocol use
// these, so the client's mark and the tracker's check cannot drift apart.
#pragma once

#include <string>
#include <string_view>

#include "common/ids.h"

namespace mt::common {

// The proof for one file: HMAC-SHA256 under the secret in the publisher's
// state folder over "withdraw <hex info_hash>" (so a proof shown for one
// file says nothing of the others). 32 bytes.
std::string publisher_proof(std::string_view secret, const InfoHash& info_hash);

// What a publish carries and the trackers keep: HMAC-SHA256 keyed by the
// proof over "mtorrent publisher" (one-way: the mark, replicated and
// journaled, never lets anyone withdraw). 32 bytes.
std::string owner_of_proof(std::string_view proof);

}  // namespace mt::common
