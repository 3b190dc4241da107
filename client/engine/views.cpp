#include "client/engine/views.h"

#include <algorithm>

namespace mt::client {

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
