// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit pseudo-random
// function for short inputs, a MAC where 64 bits are enough and the input is a
// few bytes (per-request tokens). About 100x cheaper than an HMAC-SHA256 made
// through OpenSSL's EVP_MAC for a 6-byte input.
//
// Key: 16 bytes, read as two little-endian u64 (k0 = bytes 0..7). Output as in
// the reference implementation: the 8 output bytes read little-endian.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace mt::common {

using SipKey = std::array<std::uint8_t, 16>;

std::uint64_t siphash24(const SipKey& key, std::string_view data);

}  // namespace mt::common
