#include "bench/tracker_mix/mix_main.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace mt::bench {

namespace {

std::uint32_t percentile(std::vector<std::uint32_t>& v, double q) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const auto s = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

bool bad(const std::string& why) {
    std::fprintf(stderr, "tracker_load: %s\n", why.c_str());
    return false;
}

// Targets resolved (IPv4 only: the sources are 127/8), the model's
// parameters checked, the defaults that depend on the mode set.
bool check_command(MixCommand& cmd) {
    if (const std::string why = SwarmModel::check(cmd.model); !why.empty()) return bad(why);
    if (cmd.targets.empty()) return bad("--target is needed");
    if (cmd.model.addresses % cmd.targets.size() != 0)
        return bad("--addresses must be a multiple of the number of --target options");
    for (const auto& t : cmd.targets) {
        auto ep = common::parse_endpoint(t);
        if (!ep) return bad(ep.error().message);
        auto addr = common::resolve(*ep);
        if (!addr) return bad(addr.error().message);
        if (addr->family() != AF_INET)
            return bad(t + ": the join and mix phases need IPv4 targets");
        cmd.run.targets.push_back(*addr);
    }
    if (!cmd.concurrency_given) {
        const bool open = cmd.run.rate > 0;
        // Open loop: enough room that announces lost over UDP (waiting for
        // their timeout) never hold back the ones due after them.
        cmd.run.concurrency = cmd.run.http ? (open ? 1024 : 32) : (open ? 65535 : 64);
    }
    if (cmd.run.concurrency > 65535) return bad("--concurrency must be at most 65535");
    return true;
}

// The model with the join queued or the --state loaded; nullptr (said why) if not.
std::unique_ptr<SwarmModel> load_model(MixCommand& cmd) {
    auto model = std::make_unique<SwarmModel>(cmd.model);
    if (model->slots() < cmd.model.addresses) {
        bad("fewer peers than --addresses");
        return nullptr;
    }
    if (cmd.run.join) {
        std::mt19937_64 rng(cmd.run.seed ^ 0x6a6f696eULL);
        model->begin_join(rng);
        cmd.run.count =
            cmd.count_given ? std::min(cmd.run.count, model->join_left()) : model->join_left();
        return model;
    }
    if (!cmd.count_given) cmd.run.count = 100000;
    std::string error;
    if (!cmd.state_file.empty() && access(cmd.state_file.c_str(), F_OK) == 0 &&
        !model->load(cmd.state_file, error)) {
        bad(error);
        return nullptr;
    }
    return model;
}

// rate = answered / active_s, the time from the start to the last answer
// (wall_s also counts the wait for the last timeouts).
void print_json(const MixCommand& cmd, const SwarmModel& model, MixStats& st, double wall,
                double active, double cpu) {
    const MixOptions& o = cmd.run;
    const std::uint64_t lost = o.count - std::min(o.count, st.answered + st.failures + st.timeouts);
    const std::uint32_t p50 = percentile(st.latency_us, 0.50);
    const std::uint32_t p99 = percentile(st.latency_us, 0.99);
    const std::uint32_t pmax =
        st.latency_us.empty() ? 0 : *std::max_element(st.latency_us.begin(), st.latency_us.end());
    std::string targets;
    for (const auto& t : cmd.targets)
        targets += (targets.empty() ? "" : ",") + t;
    const ModelSummary m = model.summary();
    const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::printf(
        "{\"mode\":\"%s\",\"phase\":\"%s\",\"targets\":\"%s\",\"count\":%llu,\"concurrency\":%u,"
        "\"rate_target\":%.0f,\"answered\":%llu,\"failures\":%llu,\"timeouts\":%llu,"
        "\"not_sent\":%llu,\"reconnects\":%llu,\"stale_retries\":%llu,\"udp_connects\":%llu,"
        "\"wall_s\":%.3f,\"active_s\":%.3f,\"rate\":%.0f,\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u,"
        "\"swarm_avg\":%.2f,\"gen_cpu_s\":%.3f,"
        "\"events\":{\"started\":%llu,\"stopped\":%llu,\"completed\":%llu,\"none\":%llu},"
        "\"members\":%llu,\"leechers\":%llu,"
        "\"model\":{\"torrents\":%u,\"peers\":%llu,\"slots\":%llu,\"addresses\":%u,"
        "\"big_swarms\":%u,\"big_size\":%u,\"size_p50\":%u,\"size_p90\":%u,\"size_max\":%u,"
        "\"swarms_le10\":%u,\"seed\":%llu}}\n",
        cmd.mode_name.c_str(), o.join ? "join" : "mix", targets.c_str(), u(o.count), o.concurrency,
        o.rate, u(st.answered), u(st.failures), u(st.timeouts), u(lost), u(st.reconnects),
        u(st.stale_retries), u(st.udp_connects), wall, active,
        active > 0 ? static_cast<double>(st.answered) / active : 0.0, p50, p99, pmax,
        st.answered ? static_cast<double>(st.swarm_sum) / static_cast<double>(st.answered) : 0.0,
        cpu, u(st.events[static_cast<int>(common::AnnounceEvent::started)]),
        u(st.events[static_cast<int>(common::AnnounceEvent::stopped)]),
        u(st.events[static_cast<int>(common::AnnounceEvent::completed)]),
        u(st.events[static_cast<int>(common::AnnounceEvent::none)]), u(model.members()),
        u(model.leechers()), cmd.model.torrents, u(m.initial_peers), u(m.slots),
        cmd.model.addresses, cmd.model.big_swarms, cmd.model.big_size, m.size_p50, m.size_p90,
        m.size_max, m.swarms_le10, u(cmd.model.seed));
}

}  // namespace

void print_mix_hashes(std::uint32_t torrents) {
    for (std::uint32_t t = 0; t < torrents; ++t)
        std::printf("%s\n", mix_info_hash(t).hex().c_str());
}

int mix_main(MixCommand cmd) {
    if (!check_command(cmd)) return 2;
    const std::unique_ptr<SwarmModel> model = load_model(cmd);
    if (!model) return 2;
    // A socket per source address over UDP, per connection over HTTP.
    common::raise_fd_limit((cmd.run.http ? cmd.run.concurrency : cmd.model.addresses) + 64);
    prctl(PR_SET_TIMERSLACK, 1UL);  // open loop: wake up on time, not 50 us late
    MixStats st;
    st.latency_us.reserve(static_cast<std::size_t>(cmd.run.count));
    AnnounceSource source(cmd.run, *model);
    const double cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    if (cmd.run.http)
        run_mix_http(cmd.run, source, st);
    else
        run_mix_udp(cmd.run, source, st);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    std::string error;
    if (!cmd.state_file.empty() && !model->save(cmd.state_file, error)) {
        std::fprintf(stderr, "tracker_load: %s\n", error.c_str());
        return 2;
    }
    const double active =
        st.answered ? std::chrono::duration<double>(st.last_answer - t0).count() : wall;
    print_json(cmd, *model, st, wall, active, cpu);
    if (!st.first_failure.empty())
        std::fprintf(stderr, "tracker_load: first failure: %s\n", st.first_failure.c_str());
    return st.answered == cmd.run.count && st.failures == 0 && st.timeouts == 0 ? 0 : 1;
}

}  // namespace mt::bench
