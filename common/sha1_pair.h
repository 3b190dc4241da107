// Two SHA-1 digests at once: the engine behind hashing a file's pieces.
//
// SHA-1 is a chain of dependent rounds, so one message keeps a core's SHA
// units waiting on latency. On x86 CPUs with the SHA extensions, sha1_pair()
// runs two messages' rounds interleaved in one thread (SHA-NI intrinsics, one
// OpenSSL-speed stream in the other's latency shadow): measured 1.8x the bytes
// per second of OpenSSL's one-message code on the same core (AMD EPYC,
// 512 KiB pieces). Elsewhere it hashes the two in turn through OpenSSL, with
// the same result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/sha1.h"

namespace mt::common {

// True when sha1_pair() interleaves on this CPU (SHA, SSSE3 and SSE4.1).
bool sha1_pair_accelerated();

// The digests of a and b (any lengths, equal or not).
void sha1_pair(std::string_view a, std::string_view b, Sha1Digest& out_a, Sha1Digest& out_b);

// Hashes data[0, size) in pieces of piece_length bytes (the last one may be
// shorter), two at a time, and writes piece i's 20-byte digest at out + 20 * i.
// piece_length must not be 0.
void sha1_pieces(const void* data, std::size_t size, std::size_t piece_length, std::uint8_t* out);

namespace detail {
// The portable path, for tests on CPUs that have the fast one.
void sha1_pair_portable(std::string_view a, std::string_view b, Sha1Digest& out_a,
                        Sha1Digest& out_b);
}  // namespace detail

}  // namespace mt::common
