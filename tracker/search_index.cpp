#include "tracker/search_index.h"

#include <algorithm>
#include <cctype>

namespace mt::tracker {

using common::InfoHash;

namespace {

std::string lower(std::string_view v) {
    std::string out(v);
    for (auto& ch : out)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
}

std::uint32_t gram(std::string_view s, std::size_t i) {
    return std::uint32_t{static_cast<unsigned char>(s[i])} << 16 |
           std::uint32_t{static_cast<unsigned char>(s[i + 1])} << 8 |
           std::uint32_t{static_cast<unsigned char>(s[i + 2])};
}

// The distinct trigrams of s.
std::vector<std::uint32_t> grams_of(std::string_view s) {
    std::vector<std::uint32_t> g;
    for (std::size_t i = 0; i + 3 <= s.size(); ++i)
        g.push_back(gram(s, i));
    std::sort(g.begin(), g.end());
    g.erase(std::unique(g.begin(), g.end()), g.end());
    return g;
}

void drop(std::vector<std::uint32_t>& list, std::uint32_t id) {
    auto it = std::find(list.begin(), list.end(), id);
    if (it == list.end()) return;
    *it = list.back();
    list.pop_back();
}

}  // namespace

void SearchIndex::add_posting(std::unordered_map<std::uint32_t, Postings>& m, std::uint32_t key,
                              std::uint32_t id) {
    m[key].push_back(id);
}

void SearchIndex::drop_posting(std::unordered_map<std::uint32_t, Postings>& m, std::uint32_t key,
                               std::uint32_t id) {
    auto it = m.find(key);
    if (it == m.end()) return;
    drop(it->second, id);
    if (it->second.empty()) m.erase(it);
}

void SearchIndex::put(const InfoHash& h, std::string_view name, std::uint64_t length) {
    erase(h);
    if (name.empty()) return;
    std::uint32_t id;
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
    } else {
        id = static_cast<std::uint32_t>(docs_.size());
        docs_.emplace_back();
    }
    Doc& d = docs_[id];
    d.info_hash = h;
    d.name = std::string(name);
    d.lower = lower(name);
    d.length = length;
    by_hash_[h] = id;
    exact_[d.lower].push_back(id);
    for (std::uint32_t g : grams_of(d.lower))
        add_posting(grams_, g, id);
}

void SearchIndex::erase(const InfoHash& h) {
    auto it = by_hash_.find(h);
    if (it == by_hash_.end()) return;
    const std::uint32_t id = it->second;
    by_hash_.erase(it);
    Doc& d = docs_[id];
    if (auto e = exact_.find(d.lower); e != exact_.end()) {
        drop(e->second, id);
        if (e->second.empty()) exact_.erase(e);
    }
    for (std::uint32_t g : grams_of(d.lower))
        drop_posting(grams_, g, id);
    d = Doc{};
    free_.push_back(id);
}

std::vector<SearchIndex::Entry> SearchIndex::find(std::string_view query, std::size_t max_hits,
                                                  std::size_t* examined) const {
    const std::string q = lower(query);
    std::size_t looked = 0;
    std::vector<std::uint32_t> exact_ids;
    std::vector<std::uint32_t> other_ids;
    if (auto e = exact_.find(q); e != exact_.end()) exact_ids = e->second;
    auto consider = [&](std::uint32_t id) {
        ++looked;
        const Doc& d = docs_[id];
        if (d.lower.size() > q.size() && d.lower.find(q) != std::string::npos)
            other_ids.push_back(id);
    };
    if (q.size() >= 3) {
        const Postings* rarest = nullptr;
        for (std::uint32_t g : grams_of(q)) {
            auto it = grams_.find(g);
            if (it == grams_.end()) {
                rarest = nullptr;
                break;
            }
            if (!rarest || it->second.size() < rarest->size()) rarest = &it->second;
        }
        if (rarest)
            for (std::uint32_t id : *rarest) {
                if (looked >= kMaxExamined) break;
                consider(id);
            }
    } else if (!q.empty()) {
        for (const auto& [h, id] : by_hash_) {
            if (looked >= kShortScan) break;
            consider(id);
        }
    }
    auto by_name = [&](std::uint32_t a, std::uint32_t b) {
        const Doc& x = docs_[a];
        const Doc& y = docs_[b];
        return x.name != y.name ? x.name < y.name : x.info_hash < y.info_hash;
    };
    std::sort(exact_ids.begin(), exact_ids.end(), by_name);
    std::sort(other_ids.begin(), other_ids.end(), [&](std::uint32_t a, std::uint32_t b) {
        const bool pa = docs_[a].lower.compare(0, q.size(), q) == 0;
        const bool pb = docs_[b].lower.compare(0, q.size(), q) == 0;
        return pa != pb ? pa : by_name(a, b);
    });
    std::vector<Entry> out;
    for (const auto* ids : {&exact_ids, &other_ids})
        for (std::uint32_t id : *ids) {
            if (out.size() >= max_hits) break;
            const Doc& d = docs_[id];
            out.push_back({d.info_hash, d.name, d.length});
        }
    if (examined) *examined = looked + exact_ids.size();
    return out;
}

std::vector<SearchIndex::Entry> SearchIndex::some(std::size_t n) const {
    std::vector<Entry> out;
    for (const auto& [h, id] : by_hash_) {
        if (out.size() >= n) break;
        const Doc& d = docs_[id];
        out.push_back({d.info_hash, d.name, d.length});
    }
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
        return a.name != b.name ? a.name < b.name : a.info_hash < b.info_hash;
    });
    return out;
}

}  // namespace mt::tracker
