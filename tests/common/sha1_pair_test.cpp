#include "common/sha1_pair.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/hex.h"
#include "common/sha1.h"

namespace mt::common {
namespace {

std::string random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s)
        c = static_cast<char>(rng());
    return s;
}

TEST(Sha1Pair, Rfc3174VectorsInBothLanes) {
    const std::string abc = "abc";
    const std::string long56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const std::string million(1000000, 'a');
    Sha1Digest a, b;
    sha1_pair(abc, long56, a, b);
    EXPECT_EQ(to_hex(a), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(to_hex(b), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha1_pair(million, "", a, b);
    EXPECT_EQ(to_hex(a), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    EXPECT_EQ(to_hex(b), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_pair("", million, a, b);
    EXPECT_EQ(to_hex(a), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(to_hex(b), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// Every length around the padding boundaries (55/56/63/64 bytes into a
// block), in both lanes, against OpenSSL one message at a time.
TEST(Sha1Pair, MatchesOpenSslForEveryShortLengthPair) {
    const std::string data = random_bytes(300, 1);
    for (std::size_t la = 0; la <= 200; la += 1)
        for (std::size_t lb : {std::size_t{0}, std::size_t{55}, std::size_t{56}, std::size_t{63},
                               std::size_t{64}, std::size_t{65}, std::size_t{119}, std::size_t{120},
                               std::size_t{128}, std::size_t{200}, la}) {
            const std::string_view a = std::string_view(data).substr(0, la);
            const std::string_view b = std::string_view(data).substr(100 - lb / 2, lb);
            Sha1Digest da, db;
            sha1_pair(a, b, da, db);
            ASSERT_EQ(da, Sha1::digest(a)) << "a " << la << " b " << lb;
            ASSERT_EQ(db, Sha1::digest(b)) << "a " << la << " b " << lb;
        }
}

TEST(Sha1Pair, LongMessagesOfDifferentLengths) {
    const std::string big = random_bytes((1u << 20) + 777, 2);
    const std::string_view v(big);
    for (auto [la, lb] : std::vector<std::pair<std::size_t, std::size_t>>{
             {1u << 19, 1u << 19}, {1u << 20, 3}, {5, (1u << 20) + 777}, {65537, 524287}}) {
        Sha1Digest da, db;
        sha1_pair(v.substr(0, la), v.substr(big.size() - lb), da, db);
        EXPECT_EQ(da, Sha1::digest(v.substr(0, la))) << la;
        EXPECT_EQ(db, Sha1::digest(v.substr(big.size() - lb))) << lb;
    }
}

TEST(Sha1Pair, PortablePathAgrees) {
    const std::string data = random_bytes(4096, 3);
    Sha1Digest a1, b1, a2, b2;
    sha1_pair(std::string_view(data).substr(0, 1000), data, a1, b1);
    detail::sha1_pair_portable(std::string_view(data).substr(0, 1000), data, a2, b2);
    EXPECT_EQ(a1, a2);
    EXPECT_EQ(b1, b2);
}

TEST(Sha1Pieces, EveryPieceCountAndShortLastPiece) {
    const std::string data = random_bytes(10 * 1024 + 123, 4);
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1024}, std::size_t{2048},
                             std::size_t{3 * 1024}, std::size_t{3 * 1024 + 1},
                             std::size_t{7 * 1024 + 5}, data.size()}) {
        const std::size_t pieces = (size + 1023) / 1024;
        std::string out(pieces * 20, '\0');
        sha1_pieces(data.data(), size, 1024, reinterpret_cast<std::uint8_t*>(out.data()));
        for (std::size_t i = 0; i < pieces; ++i) {
            const auto want = Sha1::digest(std::string_view(data).substr(
                i * 1024, std::min<std::size_t>(1024, size - i * 1024)));
            ASSERT_EQ(std::string_view(out).substr(i * 20, 20),
                      std::string_view(reinterpret_cast<const char*>(want.data()), 20))
                << "size " << size << " piece " << i;
        }
    }
}

// The CPU check reads CPUID itself (so that clang 14 builds it): it must agree
// with the kernel's view of the same three features.
TEST(Sha1Pair, AcceleratedMatchesCpuinfo) {
#if defined(__x86_64__) || defined(__i386__)
    std::ifstream f("/proc/cpuinfo");
    if (!f) GTEST_SKIP() << "no /proc/cpuinfo";
    std::string line, flags;
    while (std::getline(f, line))
        if (line.rfind("flags", 0) == 0) {
            flags = line + " ";
            break;
        }
    if (flags.empty()) GTEST_SKIP() << "no flags line in /proc/cpuinfo";
    const bool want = flags.find(" sha_ni ") != std::string::npos &&
                      flags.find(" sse4_1 ") != std::string::npos &&
                      flags.find(" ssse3 ") != std::string::npos;
    EXPECT_EQ(sha1_pair_accelerated(), want);
#else
    EXPECT_FALSE(sha1_pair_accelerated());
#endif
}

}  // namespace
}  // namespace mt::common
