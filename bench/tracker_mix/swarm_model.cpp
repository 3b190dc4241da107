#include "bench/tracker_mix/swarm_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace mt::bench {

namespace {

std::uint64_t splitmix64(std::uint64_t& s) {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t hash_of(std::uint64_t v) {
    return splitmix64(v);
}

constexpr std::uint32_t kMaxAddresses = 254u * 256u * 254u;  // 127.1.0.1 .. 127.254.255.254
constexpr std::uint32_t kFirstPort = 1024;

// Pareto sizes (see the header), then the sizes above 10 scaled so that the
// total comes out near p.total_peers.
std::vector<std::uint32_t> draw_sizes(const ModelParams& p) {
    const double alpha = std::log10(1 / 0.11);
    const std::uint32_t cap = std::max<std::uint32_t>(11, p.big_size / 2);
    std::mt19937_64 rng(p.seed);
    std::vector<std::uint32_t> size(p.torrents);
    std::uint64_t small_sum = 0;
    for (std::uint32_t t = 0; t < p.torrents; ++t) {
        if (t < p.big_swarms) {
            size[t] = p.big_size;
            continue;
        }
        const double u = 1.0 - static_cast<double>(rng() >> 11) * 0x1p-53;  // (0, 1]
        const double x = std::ceil(std::pow(u, -1.0 / alpha));
        size[t] = x >= cap ? cap : static_cast<std::uint32_t>(x);
        if (size[t] <= 10) small_sum += size[t];
    }
    const double rest = static_cast<double>(p.total_peers) -
                        static_cast<double>(std::uint64_t{p.big_swarms} * p.big_size) -
                        static_cast<double>(small_sum);
    for (int round = 0; round < 4 && rest > 0; ++round) {
        std::uint64_t large_sum = 0;
        for (std::uint32_t t = p.big_swarms; t < p.torrents; ++t)
            if (size[t] > 10) large_sum += size[t];
        if (large_sum == 0) break;
        const double f = rest / static_cast<double>(large_sum);
        for (std::uint32_t t = p.big_swarms; t < p.torrents; ++t) {
            if (size[t] <= 10) continue;
            const double s = std::round(size[t] * f);
            size[t] = static_cast<std::uint32_t>(std::clamp(s, 11.0, static_cast<double>(cap)));
        }
    }
    return size;
}

}  // namespace

common::InfoHash mix_info_hash(std::uint32_t torrent) {
    // Another constant than tracker_load's info_hash_of: other hashes.
    std::uint64_t s = 0x6d742d6d69782d31ULL ^ (std::uint64_t{torrent} << 20);
    common::InfoHash h;
    for (std::size_t i = 0; i < h.bytes.size(); i += 8) {
        const std::uint64_t v = splitmix64(s);
        std::memcpy(h.bytes.data() + i, &v, std::min<std::size_t>(8, h.bytes.size() - i));
    }
    return h;
}

std::string SwarmModel::check(const ModelParams& p) {
    if (p.torrents <= p.big_swarms) return "--torrents must be more than --big-swarms";
    if (p.addresses == 0 || p.addresses > kMaxAddresses) return "--addresses must be 1..16516096";
    if (p.big_size < 1) return "--big-size must be at least 1";
    const std::uint64_t floor =
        std::uint64_t{p.big_swarms} * p.big_size + p.torrents - p.big_swarms;
    if (p.total_peers < floor)
        return "--total-peers is below big swarms + one peer per other torrent (" +
               std::to_string(floor) + ")";
    if (p.total_peers > 100'000'000) return "--total-peers must be at most 100000000";
    if (p.total_peers < p.addresses) return "--total-peers must be at least --addresses";
    return {};
}

SwarmModel::SwarmModel(const ModelParams& p) : p_(p), size_(draw_sizes(p)) {
    start_.resize(p_.torrents);
    std::uint64_t next = 0;
    for (std::uint32_t t = 0; t < p_.torrents; ++t) {
        start_[t] = static_cast<std::uint32_t>(next);
        next += 2 * std::uint64_t{size_[t]};
    }
    state_.assign(next, kOut);
    for (std::uint32_t t = 0; t < p_.torrents; ++t)
        for (std::uint32_t i = start_[t]; i < start_[t] + size_[t]; ++i)
            state_[i] = hash_of(i ^ (p_.seed << 32)) % 3 == 0 ? kLeecher : kSeeder;
    rebuild_lists();
}

std::uint32_t SwarmModel::ipv4_of(std::uint32_t a) {
    const std::uint32_t x = 1 + a / (256 * 254);
    const std::uint32_t y = (a / 254) % 256;
    const std::uint32_t z = 1 + a % 254;
    return (127u << 24) | (x << 16) | (y << 8) | z;
}

std::uint32_t SwarmModel::torrent_of(std::uint32_t slot) const {
    const auto it = std::upper_bound(start_.begin(), start_.end(), slot);
    return static_cast<std::uint32_t>(it - start_.begin() - 1);
}

ModelSummary SwarmModel::summary() const {
    ModelSummary s;
    std::vector<std::uint32_t> sorted = size_;
    std::sort(sorted.begin(), sorted.end());
    const auto at = [&](double q) {
        return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
    };
    for (const auto n : sorted) {
        s.initial_peers += n;
        if (n <= 10) ++s.swarms_le10;
    }
    s.slots = state_.size();
    s.size_p50 = at(0.5);
    s.size_p90 = at(0.9);
    s.size_max = sorted.back();
    return s;
}

common::AnnounceRequest SwarmModel::announce(const Draw& d) const {
    common::AnnounceRequest r;
    r.info_hash = mix_info_hash(torrent_of(d.slot));
    char id[32];
    std::snprintf(id, sizeof id, "-MB0002-%012u", d.slot);
    r.peer_id = common::PeerId::from_bytes(std::string_view(id, 20));
    r.port = static_cast<std::uint16_t>(kFirstPort + d.slot / p_.addresses);
    r.left = d.leecher ? 1000000 : 0;
    r.downloaded = d.leecher ? 0 : 1000000;
    r.event = d.event;
    r.numwant = 50;
    r.key = d.slot + 1;  // distinct within every swarm: no BEP 7 moves
    return r;
}

void SwarmModel::rebuild_lists() {
    for (auto& l : lists_)
        l.assign(p_.addresses, {});
    pos_.assign(state_.size(), 0);
    counts_[kOut] = counts_[kLeecher] = counts_[kSeeder] = 0;
    for (std::uint32_t i = 0; i < state_.size(); ++i) {
        auto& v = lists_[state_[i]][address_of(i)];
        pos_[i] = static_cast<std::uint32_t>(v.size());
        v.push_back(i);
        ++counts_[state_[i]];
    }
}

void SwarmModel::set_state(std::uint32_t slot, std::uint8_t s) {
    const std::uint32_t a = address_of(slot);
    auto& from = lists_[state_[slot]][a];
    const std::uint32_t i = pos_[slot];
    from[i] = from.back();
    pos_[from[i]] = i;
    from.pop_back();
    --counts_[state_[slot]];
    auto& to = lists_[s][a];
    pos_[slot] = static_cast<std::uint32_t>(to.size());
    to.push_back(slot);
    ++counts_[s];
    state_[slot] = s;
}

Draw SwarmModel::draw_mix(std::uint32_t address, std::mt19937_64& rng) {
    const auto pick = [&](const std::vector<std::uint32_t>& v) { return v[rng() % v.size()]; };
    const auto& outs = lists_[kOut][address];
    const auto& leechers = lists_[kLeecher][address];
    const auto& seeders = lists_[kSeeder][address];
    const std::size_t members = leechers.size() + seeders.size();
    const std::uint64_t r = rng() % 1000;
    Draw d;
    if ((r < 50 || members == 0) && !outs.empty()) {
        d = {pick(outs), common::AnnounceEvent::started, true};
        set_state(d.slot, kLeecher);
    } else if (r < 100) {
        d.slot = seeders.empty() ? pick(leechers) : pick(seeders);
        d.event = common::AnnounceEvent::stopped;
        d.leecher = state_[d.slot] == kLeecher;
        set_state(d.slot, kOut);
    } else if (r < 150 && !leechers.empty()) {
        d = {pick(leechers), common::AnnounceEvent::completed, false};
        set_state(d.slot, kSeeder);
    } else {
        const std::size_t i = rng() % members;
        d.slot = i < leechers.size() ? leechers[i] : seeders[i - leechers.size()];
        d.leecher = state_[d.slot] == kLeecher;
    }
    return d;
}

void SwarmModel::begin_join(std::mt19937_64& rng) {
    SwarmModel initial(p_);
    state_ = std::move(initial.state_);
    rebuild_lists();
    join_.assign(p_.addresses, {});
    for (std::uint32_t a = 0; a < p_.addresses; ++a) {
        auto& v = join_[a];
        v = lists_[kLeecher][a];
        v.insert(v.end(), lists_[kSeeder][a].begin(), lists_[kSeeder][a].end());
        std::sort(v.begin(), v.end());  // the same order whatever the lists' history
        std::shuffle(v.begin(), v.end(), rng);
    }
    join_left_ = members();
    join_turn_ = 0;
}

std::optional<Draw> SwarmModel::next_join(std::uint32_t address) {
    auto& q = join_[address];
    if (q.empty()) return std::nullopt;
    const std::uint32_t slot = q.back();
    q.pop_back();
    --join_left_;
    return Draw{slot, common::AnnounceEvent::started, state_[slot] == kLeecher};
}

std::optional<Draw> SwarmModel::next_join_any() {
    if (join_left_ == 0) return std::nullopt;
    for (std::uint32_t k = 0; k < p_.addresses; ++k) {
        const std::uint32_t a = (join_turn_ + k) % p_.addresses;
        if (join_[a].empty()) continue;
        join_turn_ = (a + 1) % p_.addresses;
        return next_join(a);
    }
    return std::nullopt;
}

std::string SwarmModel::header() const {
    std::ostringstream h;
    h << "mtorrent-tracker-load-state 1 torrents=" << p_.torrents
      << " total-peers=" << p_.total_peers << " big-swarms=" << p_.big_swarms
      << " big-size=" << p_.big_size << " addresses=" << p_.addresses << " model-seed=" << p_.seed
      << " slots=" << state_.size() << "\n";
    return h.str();
}

bool SwarmModel::save(const std::string& path, std::string& error) const {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << header();
        f.write(reinterpret_cast<const char*>(state_.data()),
                static_cast<std::streamsize>(state_.size()));
        if (!f) {
            error = "cannot write " + tmp;
            return false;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

bool SwarmModel::load(const std::string& path, std::string& error) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        error = "cannot read " + path;
        return false;
    }
    std::string line;
    std::getline(f, line);
    if (line + "\n" != header()) {
        error = path + " was made with other model parameters: " + line;
        return false;
    }
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                    std::istreambuf_iterator<char>());
    if (bytes.size() != state_.size() ||
        std::any_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b > kSeeder; })) {
        error = path + " is damaged (" + std::to_string(bytes.size()) + " states for " +
                std::to_string(state_.size()) + " slots)";
        return false;
    }
    state_ = std::move(bytes);
    rebuild_lists();
    return true;
}

}  // namespace mt::bench
