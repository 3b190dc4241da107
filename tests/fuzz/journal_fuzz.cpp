// Fuzz target: the tracker's snapshot and journal file decoders
// (tracker/journal.h) must never crash on a damaged file, and a scan must
// keep only bytes that re-frame to the same records.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tracker/journal.h"

using namespace mt::tracker;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto p = decode_snapshot(in)) {
        if (encode_snapshot(*p) != in) std::abort();
    }
    const JournalScan scan = scan_journal(in);
    if (scan.valid_end > size) std::abort();
    if (scan.damage == JournalScan::Damage::none && scan.valid_end != size) std::abort();
    if (scan.valid_end > 0) {
        // The valid prefix is the header followed by exactly the records found.
        std::string framed;
        for (const auto& r : scan.records)
            encode_record(r, framed);
        if (framed.size() > scan.valid_end) std::abort();
        const std::size_t header = scan.valid_end - framed.size();
        if (in.substr(header, framed.size()) != framed) std::abort();
        if (in.substr(0, kJournalMagic.size()) != kJournalMagic) std::abort();
    }
    return 0;
}
