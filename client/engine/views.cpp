#include "client/engine/views.h"

#include <algorithm>
#include <utility>

namespace mt::client {

std::string client_from_peer_id(const common::PeerId& id) {
    const std::string_view v = id.view();
    auto alnum = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    };
    if (v.size() < 8 || v[0] != '-' || v[7] != '-' ||
        !std::all_of(v.begin() + 1, v.begin() + 7, alnum))
        return "";
    static const std::pair<const char*, const char*> kKnown[] = {
        {"AZ", "Vuze"},     {"BT", "BitTorrent"},   {"DE", "Deluge"},
        {"KT", "KTorrent"}, {"LT", "libtorrent"},   {"lt", "libTorrent (rakshasa)"},
        {"MT", "mtorrent"}, {"qB", "qBittorrent"},  {"TR", "Transmission"},
        {"UT", "uTorrent"}, {"UM", "uTorrent Mac"}, {"WW", "WebTorrent"}};
    const std::string code(v.substr(1, 2));
    std::string name = code;
    for (const auto& [c, n] : kKnown)
        if (code == c) name = n;
    std::string version{v[3], '.', v[4], '.', v[5]};
    if (v[6] != '0') version += std::string(".") + v[6];
    return name + " " + version;
}

const char* to_string(DropReason r) {
    switch (r) {
        case DropReason::none:
            return "none";
        case DropReason::stopping:
            return "closed by us";
        case DropReason::handshake_failed:
            return "handshake failed";
        case DropReason::not_attached:
            return "not attached";
        case DropReason::peer_closed:
            return "closed by the peer";
        case DropReason::io_error:
            return "socket error";
        case DropReason::protocol_error:
            return "protocol error";
        case DropReason::bad_requests:
            return "too many invalid requests";
        case DropReason::unrequested_blocks:
            return "too many unrequested blocks";
        case DropReason::output_not_drained:
            return "does not read what it asks for";
        case DropReason::write_stalled:
            return "took nothing we sent";
        case DropReason::idle:
            return "silent";
        case DropReason::banned:
            return "banned";
        case DropReason::kCount:
            break;
    }
    return "?";
}

std::string format_drop_counts(const std::vector<std::uint64_t>& counts) {
    std::vector<std::pair<std::uint64_t, std::size_t>> seen;  // count, reason
    for (std::size_t i = 0; i < counts.size() && i < static_cast<std::size_t>(DropReason::kCount);
         ++i)
        if (counts[i] > 0 && i != static_cast<std::size_t>(DropReason::none))
            seen.emplace_back(counts[i], i);
    if (seen.empty()) return "";
    std::stable_sort(seen.begin(), seen.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string out = "connections ended:";
    for (std::size_t k = 0; k < seen.size(); ++k)
        out += (k ? ", " : " ") + std::to_string(seen[k].first) + " " +
               to_string(static_cast<DropReason>(seen[k].second));
    return out;
}

}  // namespace mt::client
