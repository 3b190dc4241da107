// Cryptographically strong random bytes from OpenSSL's DRBG (thread-safe).
#pragma once

#include <cstddef>
#include <string>

namespace mt::common {

// Fills `size` bytes at `out`; throws std::runtime_error if OpenSSL's generator
// fails (it is seeded from the kernel, so this means the system is broken).
void random_bytes(void* out, std::size_t size);
std::string random_bytes(std::size_t size);

}  // namespace mt::common
