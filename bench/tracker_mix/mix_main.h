// The join and mix phases of bench/tracker_load as a command: builds the
// model (loading --state), runs the load, saves --state, prints the JSON line.
#pragma once

#include <string>
#include <vector>

#include "bench/tracker_mix/mix.h"
#include "bench/tracker_mix/swarm_model.h"

namespace mt::bench {

struct MixCommand {
    ModelParams model;
    MixOptions run;                    // targets filled in by mix_main
    std::vector<std::string> targets;  // HOST:PORT, as given
    std::string mode_name;             // udp, http-keepalive, http-close
    bool count_given = false;
    bool concurrency_given = false;
    std::string state_file;  // empty: none
};

// Exit status: 0 when every announce was answered and none failed, 1
// otherwise, 2 for a bad command line or state file.
int mix_main(MixCommand cmd);

// 40 hex digits a line: the info hashes of the join and mix phases.
void print_mix_hashes(std::uint32_t torrents);

}  // namespace mt::bench
