// One-shot commands of bin/client on metainfo files:
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

}  // namespace mt::client
