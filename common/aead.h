// AES-256-GCM through OpenSSL EVP: authenticated encryption for the
// replication link. A 32-byte key; a 12-byte nonce that must never repeat
// under one key (the link uses a per-direction frame counter).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mt::common {

constexpr std::size_t kAeadKeyBytes = 32;
constexpr std::size_t kAeadTagBytes = 16;

// Appends ciphertext || 16-byte tag to `out`. `aad` is authenticated, not encrypted.
void aead_seal(std::string_view key, std::uint64_t counter, std::string_view aad,
               std::string_view plaintext, std::string& out);

// Verifies and decrypts ciphertext || tag. Errc::refused if the tag does not
// match (wrong key, wrong counter, altered bytes); nothing is returned then.
Result<std::string> aead_open(std::string_view key, std::uint64_t counter, std::string_view aad,
                              std::string_view sealed);

}  // namespace mt::common
