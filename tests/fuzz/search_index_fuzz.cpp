// Fuzz target: the tracker's search index against a plain scan. The input is
// a program: each step puts a name, erases one, or searches, on at most 16
// info_hashes; every search must find exactly the names that contain the
// query (ASCII case-insensitive), exact names first.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "tracker/search_index.h"

namespace {

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

mt::common::InfoHash hash(std::uint8_t i) {
    mt::common::InfoHash h;
    h.bytes[0] = i;
    return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mt::tracker::SearchIndex ix;
    std::map<std::uint8_t, std::string> model;
    std::size_t i = 0;
    auto next = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
    auto text = [&]() {
        std::string s;
        for (std::size_t n = next() % 12; n > 0 && i < size; --n)
            s += static_cast<char>(next());
        return s;
    };
    for (int step = 0; step < 256 && i < size; ++step) {
        const std::uint8_t op = next() % 3;
        if (op == 0) {
            const std::uint8_t h = next() % 16;
            std::string name = text();
            ix.put(hash(h), name, 1);
            if (name.empty())
                model.erase(h);
            else
                model[h] = name;
        } else if (op == 1) {
            const std::uint8_t h = next() % 16;
            ix.erase(hash(h));
            model.erase(h);
        } else {
            const std::string q = text();
            if (q.empty()) continue;
            const std::string lq = lower(q);
            std::set<std::uint8_t> want;
            for (const auto& [h, name] : model)
                if (lower(name).find(lq) != std::string::npos) want.insert(h);
            auto hits = ix.find(q, 100);
            std::set<std::uint8_t> got;
            bool others = false;
            for (const auto& e : hits) {
                got.insert(e.info_hash.bytes[0]);
                const bool exact = lower(e.name) == lq;
                if (exact && others) std::abort();  // an exact name after a longer one
                if (!exact) others = true;
                if (model.at(e.info_hash.bytes[0]) != e.name) std::abort();
            }
            if (got != want || got.size() != hits.size()) std::abort();
        }
    }
    if (ix.size() != model.size()) std::abort();
    return 0;
}
