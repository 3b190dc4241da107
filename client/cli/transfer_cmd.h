// One-shot transfers: `get <x.mtorrent> <dest>` and `seed <x.mtorrent>
// <path>` run a swarm (client/engine/) in this process, without a session or
// saved state. Exit code 0 success, 1 failure, 2 wrong arguments.
#pragma once

#include <string>
#include <vector>

namespace mt::client {

int run_get(const std::vector<std::string>& args);
int run_seed(const std::vector<std::string>& args);

}  // namespace mt::client
