#include "client/cli/metainfo_cmd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "client/cli/usage.h"
#include "client/create/metainfo_builder.h"
#include "client/engine/file_layout.h"
#include "common/file_util.h"
#include "common/hex.h"
#include "common/metainfo.h"
#include "common/net/socket.h"
#include "common/options.h"
#include "common/text_escape.h"
#include "common/units.h"

namespace mt::client {

using common::escape_text;

int run_create(const std::vector<std::string>& args) {
    CreateOptions options;
    bool force = false;
    unsigned threads = 0;
    std::vector<std::string> dht_node_args;
    common::Options o;
    o.list("--tracker|-t", &options.trackers)
        .list("--dht-node", &dht_node_args)
        .flag("--force", &force)
        .number("--threads", &threads, 1, 256);
    auto parsed = o.parse(args);
    if (!parsed) return usage_error(parsed.error().message);
    const std::vector<std::string>& positional = *parsed;
    if (threads != 0) options.hash.threads = threads;
    if (positional.size() != 2)
        return usage_error("create takes a file or folder and an output path");
    if (options.trackers.empty()) return usage_error("create needs at least one --tracker URL");
    std::vector<common::DhtNode> nodes;
    for (const auto& n : dht_node_args) {
        auto ep = common::parse_endpoint(n);
        if (!ep || ep->port == 0) return usage_error("--dht-node wants HOST:PORT, not '" + n + "'");
        nodes.push_back({ep->host, ep->port});
    }
    const std::string& file = positional[0];
    const std::string& out = positional[1];

    const bool tty = ::isatty(STDERR_FILENO);
    std::mutex progress_mu;
    std::uint64_t total_size = 0;
    if (tty) {
        options.hash.progress = [&](std::uint64_t done) {
            std::lock_guard<std::mutex> lock(progress_mu);
            if (total_size)
                std::fprintf(stderr, "\rhashing %s: %3.0f%%", escape_text(file).c_str(),
                             100.0 * done / total_size);
        };
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0) {
            if (S_ISREG(st.st_mode)) total_size = static_cast<std::uint64_t>(st.st_size);
            if (S_ISDIR(st.st_mode))
                if (auto listing = list_folder(file)) total_size = listing->total;
        }
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> skipped;
    auto m = create_metainfo(file, options, &skipped);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (!m) {
        std::cerr << "client: create failed: " << escape_text(m.error().message) << "\n";
        return 1;
    }
    common::set_dht_nodes(*m, nodes);  // top level: the info_hash stays
    if (auto s = common::write_file_atomic_new(out, common::encode_metainfo(*m), force,
                                               /*durable=*/false);
        !s) {
        std::cerr << "client: create failed: " << escape_text(s.error().message) << "\n";
        return 1;
    }
    std::printf(
        "created %s\n  name:      %s\n  size:      %llu bytes (%s)\n  pieces:    %zu of %s\n"
        "  info_hash: %s\n  hashed in: %.3f s (%s)\n",
        escape_text(out).c_str(), escape_text(m->name).c_str(),
        static_cast<unsigned long long>(m->length), common::human_bytes(m->length).c_str(),
        m->piece_count(), common::human_bytes(m->piece_length).c_str(), m->info_hash.hex().c_str(),
        secs, common::human_rate(secs > 0 ? m->length / secs : 0).c_str());
    if (m->multi_file()) std::printf("  files:     %zu\n", m->files.size());
    if (!skipped.empty()) {
        // Symbolic links are not followed; sockets, FIFOs and devices are
        // not files to share.
        std::printf("  skipped:   %zu (symbolic links and other non-regular files):\n",
                    skipped.size());
        constexpr std::size_t kShown = 10;
        for (std::size_t i = 0; i < skipped.size() && i < kShown; ++i)
            std::printf("    %s\n", escape_text(skipped[i]).c_str());
        if (skipped.size() > kShown) std::printf("    and %zu more\n", skipped.size() - kShown);
    }
    return 0;
}

int run_info(const std::vector<std::string>& args) {
    // No options, but the one parser: "unknown option --x", and `--` before
    // a path that starts with a dash.
    auto positional = common::Options{}.parse(args);
    if (!positional) return usage_error(positional.error().message);
    if (positional->size() != 1) return usage_error("info takes one .mtorrent path");
    auto m = common::load_metainfo((*positional)[0]);
    if (!m) {
        std::cerr << "client: " << escape_text(m.error().message) << "\n";
        return 1;
    }
    // Every string of a .mtorrent is the publisher's: escaped before it
    // reaches the terminal (common/text_escape.h).
    std::printf("name:          %s\n", escape_text(m->name).c_str());
    std::printf("size:          %llu bytes (%s)\n", static_cast<unsigned long long>(m->length),
                common::human_bytes(m->length).c_str());
    std::printf("piece length:  %llu (%s)\n", static_cast<unsigned long long>(m->piece_length),
                common::human_bytes(m->piece_length).c_str());
    std::printf("pieces:        %zu\n", m->piece_count());
    std::printf("info_hash:     %s\n", m->info_hash.hex().c_str());
    const auto trackers = m->trackers();
    for (std::size_t i = 0; i < trackers.size(); ++i)
        std::printf("tracker %zu:     %s\n", i + 1, escape_text(trackers[i]).c_str());
    if (trackers.empty()) std::printf("trackers:      none\n");
    for (const auto& n : common::dht_nodes(*m))
        std::printf("dht node:      %s:%u\n", escape_text(n.host).c_str(), unsigned{n.port});
    if (!m->created_by.empty())
        std::printf("created by:    %s\n", escape_text(m->created_by).c_str());
    if (m->creation_date)
        std::printf("creation date: %s\n", common::iso8601_utc(m->creation_date).c_str());
    if (!m->comment.empty()) std::printf("comment:       %s\n", escape_text(m->comment).c_str());
    std::printf("private:       %s\n", m->is_private ? "yes" : "no");
    if (m->multi_file()) {
        std::printf("files:         %zu\n", m->files.size());
        for (const auto& f : m->files) {
            std::printf("  %s  %llu%s\n", escape_text(common::join_path(f.path)).c_str(),
                        static_cast<unsigned long long>(f.length), f.padding ? " (padding)" : "");
        }
    }
    // Where a download would write what the paths do not allow as they are.
    auto layout = make_file_layout(*m);
    if (!layout) {
        std::printf("cannot download: %s\n", escape_text(layout.error().message).c_str());
    } else {
        for (const auto& r : layout->repairs)
            std::printf("repaired:      %s\n", escape_text(r).c_str());
    }
    return 0;
}

}  // namespace mt::client
