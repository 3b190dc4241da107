#include "client/cli/usage.h"

#include <iostream>

#include "common/text_escape.h"

namespace mt::client {

const char* client_usage() {
    return "usage: client <my_ip:port> <tracker1_ip:port> <tracker2_ip:port> <log_file> "
           "[--state-dir DIR]\n"
           "                  [--max-upload-rate KIB/S] [--max-download-rate KIB/S]\n"
           "                  [--max-peers-per-ip N] [--no-dht] [--no-pex]\n"
           "                  [--dht-bootstrap IP:PORT]...\n"
           "                  [--web 127.0.0.1:PORT [--web-password PW] [--download-dir DIR]]\n"
           "                  (the interactive client: a prompt; type help)\n"
           "       client daemon <my_ip:port> <tracker1_ip:port> <tracker2_ip:port> <log_file>\n"
           "                  --web 127.0.0.1:PORT [the options above]\n"
           "                  (the same session without a terminal: a web page and JSON API;\n"
           "                  stops on SIGTERM or SIGINT)\n"
           "       client create <file|folder> <out.mtorrent> --tracker URL [--tracker URL] "
           "[--force] "
           "[--threads N]\n"
           "       client info <x.mtorrent>\n"
           "       client get <x.mtorrent> <dest_path> [--port P] [--bind IP] [--seed-after "
           "SECONDS]\n"
           "                  [--timeout SECONDS] [--log FILE] [--progress-ms N]\n"
           "                  [--pipeline BLOCKS] [--max-peers N] [--max-peers-per-ip N]\n"
           "                  [--max-upload-rate KIB/S] [--max-download-rate KIB/S]\n"
           "                  [--only GLOB]...  (a folder torrent: only the files matched)\n"
           "                  [--peer IP:PORT]... [--no-pex]\n"
           "       client seed <x.mtorrent> <path> [--port P] [--bind IP] [--log FILE]\n"
           "                  [--max-upload-rate KIB/S] [--max-peers N] [--max-peers-per-ip N]\n"
           "                  [--no-initial-seeding]  (show every peer every piece at once)\n"
           "       client magnet <magnet-URI | info_hash> <out.mtorrent> [--tracker URL]...\n"
           "                  [--peer IP:PORT]... [--dht-bootstrap IP:PORT]... [--timeout "
           "SECONDS]\n"
           "                  [--port P] [--bind IP]\n"
           "                  [--log FILE] [--force]\n"
           "Tracker URLs are http://host:port/announce or udp://host:port.\n";
}

MetaRequest meta_request(const std::vector<std::string>& args) {
    MetaRequest r = MetaRequest::none;
    for (const auto& a : args) {
        if (a == "--") break;
        if (a == "--help" || a == "-h") return MetaRequest::help;
        if (a == "--version") r = MetaRequest::version;
    }
    return r;
}

int usage_error(const std::string& why) {
    std::cerr << "client: " << common::escape_text(why) << "\n" << client_usage();
    return 2;
}

}  // namespace mt::client
