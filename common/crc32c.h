// CRC-32C (Castagnoli): the checksum of mtorrent's on-disk files.
//
// Polynomial 0x1EDC6F41, used in its reflected form 0x82F63B78, initial value
// and final XOR 0xFFFFFFFF (the iSCSI / ext4 / LevelDB variant, RFC 3720
// appendix B.4). Table-driven, slicing-by-8; no CPU-specific instructions.
#pragma once

#include <cstdint>
#include <string_view>

namespace mt::common {

// Returns the CRC-32C of `data`. Chainable: passing the CRC of a prefix as
// `crc` continues it, so crc32c(b, crc32c(a)) == crc32c(a + b). Pure; safe to
// call from any thread.
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0);

}  // namespace mt::common
