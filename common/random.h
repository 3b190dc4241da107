// Cryptographically strong random bytes from OpenSSL's DRBG (thread-safe),
// and a small fast generator for choices that need no secrecy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

namespace mt::common {

// Fills `size` bytes at `out`; throws std::runtime_error if OpenSSL's generator
// fails (it is seeded from the kernel, so this means the system is broken).
void random_bytes(void* out, std::size_t size);
std::string random_bytes(std::size_t size);

// SplitMix64 (Steele, Lea, Flood 2014): 8 bytes of state, for the engine's
// random choices (which piece, whom to unchoke), where std::mt19937_64's
// 2.5 KB per instance cost 5 KB per torrent. A UniformRandomBitGenerator:
// works with std::shuffle and the distributions. Not for secrets.
class SmallRng {
  public:
    using result_type = std::uint64_t;
    explicit SmallRng(std::uint64_t seed = 0) : state_(seed) {}
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
    result_type operator()() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

  private:
    std::uint64_t state_;
};

}  // namespace mt::common
