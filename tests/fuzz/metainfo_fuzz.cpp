// Fuzz target: the metainfo parser must never crash, and whatever it accepts
// must be self-consistent and re-encode to the same bytes (canonical input)
// or to a fixed point with the same info_hash (input opened leniently).
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "client/engine/file_layout.h"
#include "common/metainfo.h"
#include "common/sha1.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mt::common;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    auto m = parse_metainfo(in);
    if (!m.ok()) return 0;
    if (m->piece_count() != piece_count_for(m->length, m->piece_length)) std::abort();
    if (m->length == 0 || m->name.empty()) std::abort();
    if (m->info_hash != InfoHash{Sha1::digest(m->info_bytes)}) std::abort();
    // Whatever paths it holds, the files land inside the destination.
    if (auto layout = mt::client::make_file_layout(*m); layout.ok()) {
        std::set<std::string> seen;
        for (const auto& f : layout->files) {
            if (f.padding) continue;
            const std::string p = "/" + f.path + "/";
            if (f.path.empty() || f.path[0] == '/' || p.find("/../") != std::string::npos ||
                p.find("/./") != std::string::npos || p.find("//") != std::string::npos)
                std::abort();
            for (unsigned char c : f.path)
                if (c < 0x20 || c == 0x7f) std::abort();
            if (!seen.insert(f.path).second) std::abort();
        }
    }
    const std::string out = encode_metainfo(*m);
    if (m->canonical) {
        if (out != in) std::abort();
        return 0;
    }
    // Opened leniently: the encoding keeps the info_hash and is a fixed point.
    auto again = parse_metainfo(out);
    if (!again.ok() || again->info_hash != m->info_hash) std::abort();
    if (encode_metainfo(*again) != out) std::abort();
    return 0;
}
