// bin/tracker: one of the two replicated mtorrent trackers.
//
// The tracker service itself is the subject of the next milestone; until it
// lands this binary only validates its arguments and says so.
#include <cstring>
#include <iostream>

#include "common/net/socket.h"
#include "common/version.h"

namespace {
const char* kUsage =
    "usage: tracker <my_ip:port> <other_ip:port> <seederlist_file> <log_file> [options]\n";
}

int main(int argc, char** argv) {
    if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::cout << "mtorrent tracker " << mt::common::kVersion << "\n" << kUsage;
        return 0;
    }
    if (argc < 5) {
        std::cerr << kUsage;
        return 2;
    }
    for (int i = 1; i <= 2; ++i)
        if (auto ep = mt::common::parse_endpoint(argv[i]); !ep) {
            std::cerr << "tracker: " << ep.error().message << "\n" << kUsage;
            return 2;
        }
    std::cerr << "tracker: the tracker service is not implemented yet\n";
    return 1;
}
