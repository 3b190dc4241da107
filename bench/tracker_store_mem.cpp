// bench/tracker_store_mem: what the tracker's SwarmStore costs per peer entry
// and how fast it loads, without sockets or disk.
//
//   tracker_store_mem [--torrents 1000000] [--peers 10] [--v6-percent 0]
//                     [--heavy-tail] [--seed 1] [--write-state PATH]
//
// Fills a store through apply() with put changes, as a tracker does when it
// loads its snapshot and journal at start (uniform: every torrent gets
// --peers peers; --heavy-tail: sizes from a Pareto draw with four swarms of
// 10,000, about 89% of swarms of 10 or fewer, --peers the mean). Then measures
// dump() (what a snapshot walks) and a round of announces (refreshes).
// --write-state PATH: also writes the store as a tracker's seeder list file
// (the snapshot a compaction writes, with an empty journal), for measuring a
// tracker's start-up from it (bench/tracker_scale.sh).
// Prints one JSON line: peers, torrents, heap_bytes_per_peer (malloc's
// in-use bytes after - before, / peers), rss_bytes_per_peer, load_s,
// load_per_s, dump_s, refresh_us.
#include <malloc.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "tracker/change_log.h"
#include "tracker/journal.h"
#include "tracker/swarm_store.h"

namespace {

using namespace mt;
using Clock = std::chrono::steady_clock;

struct NullSequencer : tracker::Sequencer {
    std::uint64_t next = 0;
    std::uint64_t sequence(tracker::Change& c) override {
        c.seq = ++next;
        return next;
    }
};

std::size_t heap_in_use() {
    return mallinfo2().uordblks;
}

std::size_t rss_bytes() {
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return static_cast<std::size_t>(resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

common::InfoHash hash_of(std::uint32_t t) {
    common::InfoHash h;
    std::uint64_t s = 0x9e3779b97f4a7c15ULL * (t + 1);
    for (std::size_t i = 0; i < h.bytes.size(); ++i) {
        s ^= s >> 29;
        s *= 0xbf58476d1ce4e5b9ULL;
        h.bytes[i] = static_cast<std::uint8_t>(s >> 56);
    }
    return h;
}

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Options {
    std::uint32_t torrents = 1'000'000;
    std::uint32_t peers = 10;
    std::uint32_t v6_percent = 0;
    bool heavy_tail = false;
    std::uint64_t seed = 1;
    std::string write_state;
};

std::vector<std::uint32_t> swarm_sizes(const Options& o) {
    std::vector<std::uint32_t> sizes(o.torrents, o.peers);
    if (!o.heavy_tail) return sizes;
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    // Pareto with alpha 1.1, minimum 1: about 89% of draws are 10 or less;
    // scaled afterwards so the mean is --peers.
    double total = 0;
    std::vector<double> raw(o.torrents);
    for (auto& r : raw) {
        r = std::min(10000.0, 1.0 / std::pow(1.0 - u(rng), 1.0 / 1.1));
        total += r;
    }
    for (std::size_t i = 0; i < 4 && i < raw.size(); ++i) {
        total += 10000 - raw[i];
        raw[i] = 10000;
    }
    const double scale = double(o.peers) * o.torrents / total;
    for (std::size_t i = 0; i < raw.size(); ++i)
        sizes[i] = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(raw[i] * scale + 0.5));
    return sizes;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::strtoull(argv[++i], nullptr, 10) : 0ULL; };
        if (a == "--torrents")
            o.torrents = static_cast<std::uint32_t>(next());
        else if (a == "--peers")
            o.peers = static_cast<std::uint32_t>(next());
        else if (a == "--v6-percent")
            o.v6_percent = static_cast<std::uint32_t>(next());
        else if (a == "--heavy-tail")
            o.heavy_tail = true;
        else if (a == "--seed")
            o.seed = next();
        else if (a == "--write-state" && i + 1 < argc)
            o.write_state = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: tracker_store_mem [--torrents N] [--peers N] [--v6-percent P] "
                         "[--heavy-tail] [--seed S]\n");
            return 2;
        }
    }
    const std::vector<std::uint32_t> sizes = swarm_sizes(o);
    NullSequencer seq;
    tracker::StoreLimits limits;
    limits.max_torrents = o.torrents + 1;
    limits.max_peers = ~std::size_t{0};
    const std::int64_t now = 1'800'000'000'000;
    std::uint64_t peers = 0;
    const std::size_t heap0 = heap_in_use(), rss0 = rss_bytes();
    auto store = std::make_unique<tracker::SwarmStore>(1, limits, seq);
    const auto t0 = Clock::now();
    std::mt19937_64 rng(o.seed);
    for (std::uint32_t t = 0; t < o.torrents; ++t) {
        tracker::Change c;
        c.kind = tracker::Change::Kind::peer_put;
        c.origin = 2;
        c.info_hash = hash_of(t);
        for (std::uint32_t p = 0; p < sizes[t]; ++p, ++peers) {
            c.seq = peers + 1;
            c.time_ms = now - 1000;
            if (rng() % 100 < o.v6_percent) {
                std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
                std::memcpy(b.data() + 8, &peers, sizeof peers);
                c.ip = common::IpAddr::from_v6_bytes(b.data());
            } else {
                c.ip = common::IpAddr(static_cast<std::uint32_t>(0x0a000000u + (peers >> 8)));
            }
            c.port = static_cast<std::uint16_t>(1024 + (peers & 0xff));
            c.key = static_cast<std::uint32_t>(rng());
            c.left = p % 3 == 0 ? 0 : 1000;
            store->apply(c, now);
        }
    }
    const double load_s = seconds_since(t0);
    const std::size_t heap1 = heap_in_use(), rss1 = rss_bytes();
    const auto t1 = Clock::now();
    std::size_t dumped = 0;
    store->dump([&](const tracker::Change&) { ++dumped; });
    const double dump_s = seconds_since(t1);
    double write_s = 0;
    if (!o.write_state.empty()) {
        const auto tw = Clock::now();
        tracker::Clock clock;
        clock.seq[2] = peers;
        std::vector<std::string> changes;
        changes.reserve(peers);
        store->dump(
            [&](const tracker::Change& c) { changes.push_back(tracker::encode_change(c)); });
        const std::string file =
            tracker::encode_snapshot(tracker::encode_state_snapshot(clock, changes));
        changes.clear();
        changes.shrink_to_fit();
        if (auto st = common::write_file_atomic(o.write_state, file); !st) {
            std::fprintf(stderr, "tracker_store_mem: %s\n", st.error().message.c_str());
            return 1;
        }
        write_s = seconds_since(tw);
    }
    // Refresh announces of random peers of the first 10,000 torrents.
    const std::uint32_t rounds = 200000;
    const auto t2 = Clock::now();
    std::uint64_t found = 0;
    for (std::uint32_t i = 0; i < rounds; ++i) {
        tracker::AnnounceInput in;
        const std::uint32_t t = static_cast<std::uint32_t>(rng() % std::min(o.torrents, 10000u));
        in.info_hash = hash_of(t);
        in.ip = common::IpAddr(0x7f000001u);
        in.port = static_cast<std::uint16_t>(i);
        in.left = 1;
        in.numwant = 50;
        found += store->announce(in, now).peers.size();
    }
    const double refresh_s = seconds_since(t2);
    std::printf(
        "{\"peers\":%llu,\"torrents\":%u,\"v6_percent\":%u,\"heavy_tail\":%s,"
        "\"heap_bytes_per_peer\":%.1f,\"rss_bytes_per_peer\":%.1f,\"load_s\":%.2f,"
        "\"load_per_s\":%.0f,\"dump_s\":%.2f,\"dumped\":%zu,\"announce_us\":%.2f,"
        "\"peers_per_reply\":%.1f,\"write_s\":%.2f}\n",
        static_cast<unsigned long long>(peers), o.torrents, o.v6_percent,
        o.heavy_tail ? "true" : "false", double(heap1 - heap0) / double(peers),
        double(rss1 - rss0) / double(peers), load_s, double(peers) / load_s, dump_s, dumped,
        refresh_s * 1e6 / rounds, double(found) / rounds, write_s);
    return 0;
}
