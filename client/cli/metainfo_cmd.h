// One-shot commands of bin/client that run without a session:
//   create <file> <out.mtorrent> --tracker URL [--tracker URL] [--force] [--threads N]
//   info <x.mtorrent>
// Each returns the process exit code: 0 success, 1 failure (reason on
// stderr), 2 wrong arguments (usage on stderr).
#pragma once

#include <string>
#include <vector>

namespace mt::client {

int run_create(const std::vector<std::string>& args);
int run_info(const std::vector<std::string>& args);
// get/seed run a swarm session in this process (client/transfer_cmd.cpp).
int run_get(const std::vector<std::string>& args);
int run_seed(const std::vector<std::string>& args);
// magnet fetches a .mtorrent's info dictionary from peers (client/magnet_cmd.cpp).
int run_magnet(const std::vector<std::string>& args);

// The usage text of the one-shot commands.
const char* oneshot_usage();

}  // namespace mt::client
