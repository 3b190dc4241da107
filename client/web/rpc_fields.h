// Transmission's torrent fields (RPC spec, "torrent-get") computed from one
// of our transfers. Pure.
//
//   id                 our small integer for the transfer (transmission_rpc.h)
//   name, hashString   the metainfo's name (a lookup: its query), info_hash
//   status             0 stopped (paused, or failed), 2 checking (verify
//                      hashing), 4 downloading (also finding the metainfo),
//                      6 seeding; we never report 1, 3 or 5 (no queues)
//   error, errorString 3 ("local error") and the text when the transfer
//                      stopped on an error or a lookup failed; else 0, ""
//   eta                seconds left at the current rate; -1 when done or unknown
//   isFinished         false: we have no seed-ratio goal that ends seeding
//   leftUntilDone, sizeWhenDone, totalSize, haveValid, haveUnchecked (0),
//   percentDone (0..1), rateDownload, rateUpload (bytes/s, integers),
//   uploadedEver, downloadedEver, uploadRatio (uploaded / size),
//   peersConnected; peersSendingToUs / peersGettingFromUs are the connected
//   peers while data flows that way (we do not count them per direction)
//   and 0 otherwise; pieceCount, downloadDir, queuePosition (0),
//   recheckProgress (0), corruptEver (bytes of pieces that failed)
// Strings go through web_json.h's json_str (escaped for a page and a terminal).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "client/session/reply_format.h"

namespace mt::client::web {

enum class RpcStatus { stopped = 0, checking = 2, downloading = 4, seeding = 6 };
RpcStatus rpc_status(const TransferView& v);

// Field `name` of the transfer as JSON text ("" for a field we do not know:
// the reply leaves it out, as Transmission does with unknown names).
std::string rpc_field(std::string_view name, const TransferView& v, int id,
                      const std::string& download_dir);

// The fields `transmission-remote -l` asks for (used when a torrent-get
// names none).
const std::vector<std::string>& rpc_list_fields();

}  // namespace mt::client::web
