// bench/sha1_speed: SHA-1 throughput in memory, the ceiling for hashing a
// file's pieces once reading costs nothing.
//
//   sha1_speed [--threads N (default: cores)] [--piece-kib 512] [--mib 4]
//
// Every thread hashes its own --mib MiB buffer (4 MiB: what a hashing thread
// of `client create` reads at a time) (pieces of --piece-kib KiB)
// over and over for about 2 s, two ways: OpenSSL one piece at a time (what
// `openssl speed -multi N sha1` measures) and common::sha1_pieces (two
// pieces at a time, interleaved SHA-NI lanes when the CPU has them). Prints
// one JSON line with MiB/s for both, all threads together.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/sha1.h"
#include "common/sha1_pair.h"

namespace {

using Clock = std::chrono::steady_clock;

// MiB/s of `threads` threads each running hash_all(buffer) for ~2 s.
template <typename F>
double measure(unsigned threads, std::size_t bytes, F hash_all) {
    std::atomic<std::uint64_t> total{0};
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            std::string buf(bytes, '\0');
            for (std::size_t i = 0; i < bytes; ++i)
                buf[i] = static_cast<char>((i * 2654435761u + t) >> 13);
            std::uint64_t done = 0;
            const auto t0 = Clock::now();
            while (Clock::now() - t0 < std::chrono::seconds(2)) {
                hash_all(buf);
                done += bytes;
            }
            total += done;
        });
    for (auto& th : pool)
        th.join();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    return static_cast<double>(total.load()) / 1048576.0 / secs;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::size_t piece = 512 * 1024, mib = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const unsigned long v = std::strtoul(argv[i + 1], nullptr, 10);
        if (a == "--threads" && v > 0)
            threads = static_cast<unsigned>(v);
        else if (a == "--piece-kib" && v > 0)
            piece = v * 1024;
        else if (a == "--mib" && v > 0)
            mib = v;
        else {
            std::fprintf(stderr, "usage: sha1_speed [--threads N] [--piece-kib K] [--mib M]\n");
            return 2;
        }
    }
    const std::size_t bytes = mib * 1048576;
    const double openssl = measure(threads, bytes, [&](const std::string& buf) {
        mt::common::Sha1 sha;
        for (std::size_t off = 0; off < buf.size(); off += piece) {
            sha.update(buf.data() + off, std::min(piece, buf.size() - off));
            (void)sha.finish();
        }
    });
    const double pairs = measure(threads, bytes, [&](const std::string& buf) {
        std::vector<std::uint8_t> out((buf.size() / piece + 1) * 20);
        mt::common::sha1_pieces(buf.data(), buf.size(), piece, out.data());
    });
    std::printf(
        "{\"threads\": %u, \"piece_kib\": %zu, \"openssl_mib_s\": %.0f, \"pairs_mib_s\": %.0f, "
        "\"sha_ni_lanes\": %s}\n",
        threads, piece / 1024, openssl, pairs,
        mt::common::sha1_pair_accelerated() ? "true" : "false");
    return 0;
}
