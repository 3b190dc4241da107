// SearchIndex: published names found by substring without scanning them all.
//
// Beside the exact lower-cased names, every name is listed under each of its
// trigrams (three consecutive lower-cased bytes). A query of three bytes or
// more examines only the names of its rarest trigram, so its cost follows the
// number of names that share the query's text, not the number of names (and
// never more than kMaxExamined, however many names share it); a shorter
// query examines at most kShortScan names. Exact matches always come
// first (found by the exact-name map), so a flood of longer names that
// contain a file's name cannot push the file out of the result window.
//
// Not thread-safe: SwarmStore guards it with its own mutex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ids.h"

namespace mt::tracker {

class SearchIndex {
  public:
    static constexpr std::size_t kShortScan = 2000;
    static constexpr std::size_t kMaxExamined = 10000;

    struct Entry {
        common::InfoHash info_hash;
        std::string name;
        std::uint64_t length = 0;
    };

    // Adds or replaces the name of `h`.
    void put(const common::InfoHash& h, std::string_view name, std::uint64_t length);
    void erase(const common::InfoHash& h);

    // Names containing `query` (ASCII case-insensitive): exact matches, then
    // names starting with it, then the others; by name, then info_hash, within
    // each group; at most max_hits. `examined` (if given) is set to the number
    // of names compared with the query.
    std::vector<Entry> find(std::string_view query, std::size_t max_hits,
                            std::size_t* examined = nullptr) const;

    // Up to `n` names, whichever come first (no order; the tracker's page
    // lists them when nobody searched), sorted by name. Looks at n names.
    std::vector<Entry> some(std::size_t n) const;

    std::size_t size() const { return by_hash_.size(); }

  private:
    struct Doc {
        common::InfoHash info_hash;
        std::string name;
        std::string lower;
        std::uint64_t length = 0;
    };
    using Postings = std::vector<std::uint32_t>;

    static void add_posting(std::unordered_map<std::uint32_t, Postings>& m, std::uint32_t key,
                            std::uint32_t id);
    static void drop_posting(std::unordered_map<std::uint32_t, Postings>& m, std::uint32_t key,
                             std::uint32_t id);

    std::vector<Doc> docs_;
    std::vector<std::uint32_t> free_;
    std::unordered_map<common::InfoHash, std::uint32_t> by_hash_;
    std::unordered_map<std::string, Postings> exact_;
    std::unordered_map<std::uint32_t, Postings> grams_;
};

}  // namespace mt::tracker
