#include "common/sha1_pair.h"

#include <algorithm>
#include <cstring>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define MT_SHA1_X86 1
#endif

namespace mt::common {

namespace detail {

void sha1_pair_portable(std::string_view a, std::string_view b, Sha1Digest& out_a,
                        Sha1Digest& out_b) {
    out_a = Sha1::digest(a);
    out_b = Sha1::digest(b);
}

}  // namespace detail

#ifdef MT_SHA1_X86
namespace {

constexpr std::uint32_t kInit[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};

#define MT_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))
#define MT_SHA_INLINE __attribute__((target("sha,sse4.1,ssse3"), always_inline)) inline

// One message's SHA-NI registers: ABCD, the two E registers the rounds
// alternate between, the four message-schedule words and the state saved at
// the start of a block.
struct Lane {
    __m128i abcd, e0, e1, m[4], abcd_saved, e0_saved;
};

// Four rounds, group G of the block's 20 (Intel's SHA-NI SHA-1 sequence,
// written once for every group): the schedule loads words 0-15, then derives
// W[16..79] with sha1msg1/xor/sha1msg2 as far ahead as later groups need.
template <int G>
MT_SHA_INLINE void group(Lane& s, const std::uint8_t* block, __m128i bswap) {
    constexpr int cur = G % 4, next = (G + 1) % 4, after = (G + 2) % 4, last = (G + 3) % 4;
    constexpr int func = G / 5;
    if constexpr (G < 4)
        s.m[cur] = _mm_shuffle_epi8(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * G)), bswap);
    if constexpr (G == 0) {
        s.e0 = _mm_add_epi32(s.e0, s.m[0]);
        s.e1 = s.abcd;
        s.abcd = _mm_sha1rnds4_epu32(s.abcd, s.e0, 0);
        return;
    }
    if constexpr (G % 2 == 0) {
        s.e0 = _mm_sha1nexte_epu32(s.e0, s.m[cur]);
        s.e1 = s.abcd;
    } else {
        s.e1 = _mm_sha1nexte_epu32(s.e1, s.m[cur]);
        s.e0 = s.abcd;
    }
    if constexpr (G >= 3 && G <= 18) s.m[next] = _mm_sha1msg2_epu32(s.m[next], s.m[cur]);
    if constexpr (G % 2 == 0)
        s.abcd = _mm_sha1rnds4_epu32(s.abcd, s.e0, func);
    else
        s.abcd = _mm_sha1rnds4_epu32(s.abcd, s.e1, func);
    if constexpr (G >= 1 && G <= 16) s.m[last] = _mm_sha1msg1_epu32(s.m[last], s.m[cur]);
    if constexpr (G >= 2 && G <= 17) s.m[after] = _mm_xor_si128(s.m[after], s.m[cur]);
}

template <int... G>
MT_SHA_INLINE void block_rounds(Lane& s, const std::uint8_t* block, __m128i bswap,
                                std::integer_sequence<int, G...>) {
    s.abcd_saved = s.abcd;
    s.e0_saved = s.e0;
    (group<G>(s, block, bswap), ...);
    s.e0 = _mm_sha1nexte_epu32(s.e0, s.e0_saved);
    s.abcd = _mm_add_epi32(s.abcd, s.abcd_saved);
}

MT_SHA_INLINE void lane_load(Lane& s, const std::uint32_t state[5]) {
    s.abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0x1B);
    s.e0 = _mm_set_epi32(static_cast<int>(state[4]), 0, 0, 0);
}

MT_SHA_INLINE void lane_store(const Lane& s, std::uint32_t state[5]) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_shuffle_epi32(s.abcd, 0x1B));
    state[4] = static_cast<std::uint32_t>(_mm_extract_epi32(s.e0, 3));
}

MT_SHA_INLINE __m128i bswap_mask() {
    return _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
}

using Groups = std::make_integer_sequence<int, 20>;

MT_SHA_TARGET void blocks1(std::uint32_t state[5], const std::uint8_t* p, std::size_t blocks) {
    Lane s;
    lane_load(s, state);
    const __m128i bswap = bswap_mask();
    for (std::size_t i = 0; i < blocks; ++i)
        block_rounds(s, p + 64 * i, bswap, Groups{});
    lane_store(s, state);
}

// The point of it all: both lanes' rounds in one loop body, so that the core
// runs one lane's independent instructions while the other's wait.
MT_SHA_TARGET void blocks2(std::uint32_t sa[5], const std::uint8_t* a, std::uint32_t sb[5],
                           const std::uint8_t* b, std::size_t blocks) {
    Lane x, y;
    lane_load(x, sa);
    lane_load(y, sb);
    const __m128i bswap = bswap_mask();
    for (std::size_t i = 0; i < blocks; ++i) {
        block_rounds(x, a + 64 * i, bswap, Groups{});
        block_rounds(y, b + 64 * i, bswap, Groups{});
    }
    lane_store(x, sa);
    lane_store(y, sb);
}

// The final one or two blocks: the tail, 0x80, zeros, the bit length.
void finish(std::uint32_t state[5], const std::uint8_t* tail, std::size_t tail_len,
            std::uint64_t total_len, Sha1Digest& out) {
    std::uint8_t pad[128] = {};
    std::memcpy(pad, tail, tail_len);
    pad[tail_len] = 0x80;
    const std::size_t blocks = tail_len + 1 + 8 <= 64 ? 1 : 2;
    const std::uint64_t bits = total_len * 8;
    for (int i = 0; i < 8; ++i)
        pad[blocks * 64 - 1 - static_cast<std::size_t>(i)] =
            static_cast<std::uint8_t>(bits >> (8 * i));
    blocks1(state, pad, blocks);
    for (int i = 0; i < 5; ++i)
        for (int k = 0; k < 4; ++k)
            out[static_cast<std::size_t>(4 * i + k)] =
                static_cast<std::uint8_t>(state[i] >> (24 - 8 * k));
}

// CPUID directly: clang before 15 rejects __builtin_cpu_supports("sha"),
// which kept `make fuzz` from building. Leaf 1 ECX: bit 9 SSSE3, bit 19
// SSE4.1; leaf 7 EBX: bit 29 SHA.
bool cpu_has_sha() {
    static const bool has = [] {
        unsigned a = 0, b = 0, c = 0, d = 0;
        if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
        const bool sse = (c & (1u << 9)) != 0 && (c & (1u << 19)) != 0;
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
        return sse && (b & (1u << 29)) != 0;
    }();
    return has;
}

}  // namespace

bool sha1_pair_accelerated() {
    return cpu_has_sha();
}

void sha1_pair(std::string_view a, std::string_view b, Sha1Digest& out_a, Sha1Digest& out_b) {
    if (!cpu_has_sha()) return detail::sha1_pair_portable(a, b, out_a, out_b);
    std::uint32_t sa[5], sb[5];
    std::memcpy(sa, kInit, sizeof sa);
    std::memcpy(sb, kInit, sizeof sb);
    const auto* pa = reinterpret_cast<const std::uint8_t*>(a.data());
    const auto* pb = reinterpret_cast<const std::uint8_t*>(b.data());
    const std::size_t na = a.size() / 64, nb = b.size() / 64, both = std::min(na, nb);
    blocks2(sa, pa, sb, pb, both);
    blocks1(sa, pa + 64 * both, na - both);
    blocks1(sb, pb + 64 * both, nb - both);
    finish(sa, pa + 64 * na, a.size() % 64, a.size(), out_a);
    finish(sb, pb + 64 * nb, b.size() % 64, b.size(), out_b);
}

#else  // not x86

bool sha1_pair_accelerated() {
    return false;
}

void sha1_pair(std::string_view a, std::string_view b, Sha1Digest& out_a, Sha1Digest& out_b) {
    detail::sha1_pair_portable(a, b, out_a, out_b);
}

#endif

void sha1_pieces(const void* data, std::size_t size, std::size_t piece_length, std::uint8_t* out) {
    const std::string_view all(static_cast<const char*>(data), size);
    const std::size_t pieces = size == 0 ? 0 : (size + piece_length - 1) / piece_length;
    auto piece = [&](std::size_t i) {
        return all.substr(i * piece_length, std::min(piece_length, size - i * piece_length));
    };
    std::size_t i = 0;
    for (; i + 1 < pieces; i += 2) {
        Sha1Digest da, db;
        sha1_pair(piece(i), piece(i + 1), da, db);
        std::memcpy(out + 20 * i, da.data(), 20);
        std::memcpy(out + 20 * (i + 1), db.data(), 20);
    }
    if (i < pieces) {
        const auto d = Sha1::digest(piece(i));
        std::memcpy(out + 20 * i, d.data(), 20);
    }
}

}  // namespace mt::common
