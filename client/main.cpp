// bin/client: the mtorrent client.
#include <iostream>
#include <string>
#include <vector>

#include "client/cli/interactive_cmd.h"
#include "client/cli/magnet_cmd.h"
#include "client/cli/metainfo_cmd.h"
#include "client/cli/transfer_cmd.h"
#include "client/cli/usage.h"
#include "common/net/socket.h"
#include "common/version.h"

int main(int argc, char** argv) {
    mt::common::ignore_sigpipe();
    mt::common::raise_fd_limit();  // folders keep files open, swarms sockets
    if (argc < 2) {
        std::cerr << "mtorrent client " << mt::common::kVersion << "\n"
                  << mt::client::client_usage();
        return 2;
    }
    const std::string cmd = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    // `client --help`, and `client <command> ... --help` for any command.
    switch (mt::client::meta_request(std::vector<std::string>(argv + 1, argv + argc))) {
        case mt::client::MetaRequest::help:
            std::cout << "mtorrent client " << mt::common::kVersion << "\n"
                      << mt::client::client_usage();
            return 0;
        case mt::client::MetaRequest::version:
            std::cout << "mtorrent client " << mt::common::kVersion << "\n";
            return 0;
        case mt::client::MetaRequest::none:
            break;
    }
    try {
        if (mt::client::looks_like_endpoint(cmd))
            return mt::client::run_interactive(std::vector<std::string>(argv + 1, argv + argc));
        if (cmd == "daemon") return mt::client::run_daemon(args);
        if (cmd == "create") return mt::client::run_create(args);
        if (cmd == "info") return mt::client::run_info(args);
        if (cmd == "get") return mt::client::run_get(args);
        if (cmd == "seed") return mt::client::run_seed(args);
        if (cmd == "magnet") return mt::client::run_magnet(args);
    } catch (const std::exception& e) {
        std::cerr << "client: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "client: unknown command '" << cmd << "'\n" << mt::client::client_usage();
    return 2;
}
