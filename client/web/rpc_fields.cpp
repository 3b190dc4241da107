#include "client/web/rpc_fields.h"

#include <cstdio>

#include "client/web/web_json.h"

namespace mt::client::web {

namespace {

std::string real(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

std::string integer(std::uint64_t v) {
    return std::to_string(v);
}

std::uint64_t left_until_done(const TorrentStats& s) {
    if (s.complete) return 0;
    return s.total > s.verified_bytes ? s.total - s.verified_bytes : 0;
}

std::int64_t eta_seconds(const TorrentStats& s) {
    const std::uint64_t left = left_until_done(s);
    if (left == 0 || s.down_rate < 1) return -1;
    return static_cast<std::int64_t>(static_cast<double>(left) / s.down_rate);
}

double percent_done(const TorrentStats& s) {
    if (s.complete) return 1.0;
    if (s.total == 0) return 0.0;
    return static_cast<double>(s.verified_bytes) / static_cast<double>(s.total);
}

std::string error_text(const TransferView& v) {
    if (!v.stats.error.empty()) return v.stats.error;
    return v.state == '!' ? v.note : std::string();
}

// The fields that are plain numbers of the stats.
std::string stats_field(std::string_view f, const TorrentStats& s) {
    if (f == "leftUntilDone") return integer(left_until_done(s));
    if (f == "sizeWhenDone" || f == "totalSize") return integer(s.total);
    if (f == "haveValid") return integer(s.complete ? s.total : s.verified_bytes);
    if (f == "percentDone") return real(percent_done(s));
    if (f == "rateDownload") return integer(static_cast<std::uint64_t>(s.down_rate));
    if (f == "rateUpload") return integer(static_cast<std::uint64_t>(s.up_rate));
    if (f == "uploadedEver") return integer(s.uploaded);
    if (f == "downloadedEver") return integer(s.downloaded);
    if (f == "corruptEver") return integer(s.wasted);
    if (f == "peersConnected") return integer(s.peers);
    if (f == "peersSendingToUs") return integer(s.down_rate >= 1 ? s.peers : 0);
    if (f == "peersGettingFromUs") return integer(s.up_rate >= 1 ? s.peers : 0);
    if (f == "pieceCount") return integer(s.pieces);
    if (f == "eta") return std::to_string(eta_seconds(s));
    if (f == "uploadRatio")
        return real(s.total == 0 ? 0.0
                                 : static_cast<double>(s.uploaded) / static_cast<double>(s.total));
    if (f == "haveUnchecked" || f == "queuePosition") return "0";
    if (f == "recheckProgress") return "0.0";
    return {};
}

}  // namespace

RpcStatus rpc_status(const TransferView& v) {
    switch (v.state) {
        case 'S':
            return RpcStatus::seeding;
        case 'D':
        case 'M':
            return RpcStatus::downloading;
        case 'V':
            return RpcStatus::checking;
        default:
            return RpcStatus::stopped;
    }
}

std::string rpc_field(std::string_view f, const TransferView& v, int id,
                      const std::string& download_dir) {
    if (f == "id") return std::to_string(id);
    if (f == "name") return json_str(v.name.empty() ? v.label : v.name);
    if (f == "hashString") return json_str(v.info_hash);
    if (f == "status") return std::to_string(static_cast<int>(rpc_status(v)));
    if (f == "error") return error_text(v).empty() ? "0" : "3";
    if (f == "errorString") return json_str(error_text(v));
    if (f == "isFinished") return "false";
    if (f == "downloadDir") return json_str(download_dir);
    return stats_field(f, v.stats);
}

const std::vector<std::string>& rpc_list_fields() {
    static const std::vector<std::string> fields{
        "error",        "errorString",        "eta",
        "id",           "isFinished",         "leftUntilDone",
        "name",         "peersGettingFromUs", "peersSendingToUs",
        "rateDownload", "rateUpload",         "sizeWhenDone",
        "status",       "uploadRatio"};
    return fields;
}

}  // namespace mt::client::web
