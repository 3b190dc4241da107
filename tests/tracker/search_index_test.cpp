#include "tracker/search_index.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mt::tracker {
namespace {

using common::InfoHash;

InfoHash hash(std::uint32_t i) {
    InfoHash h;
    for (int b = 0; b < 4; ++b)
        h.bytes[b] = static_cast<std::uint8_t>(i >> (8 * b));
    return h;
}

std::string random_name(std::mt19937& rng) {
    static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string s;
    const int n = 8 + static_cast<int>(rng() % 16);
    for (int i = 0; i < n; ++i)
        s += kChars[rng() % (sizeof kChars - 1)];
    return s + (rng() % 2 ? ".mkv" : ".pdf");
}

TEST(SearchIndex, FindsSubstringsCaseInsensitively) {
    SearchIndex ix;
    ix.put(hash(1), "Ubuntu-24.04.iso", 10);
    ix.put(hash(2), "debian.iso", 20);
    auto hits = ix.find("UBUNTU", 10);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].name, "Ubuntu-24.04.iso");
    EXPECT_EQ(hits[0].length, 10u);
    EXPECT_EQ(ix.find(".iso", 10).size(), 2u);
    EXPECT_EQ(ix.find(".iso", 1).size(), 1u);
    EXPECT_EQ(ix.find("i", 10).size(), 2u);  // short queries too
    EXPECT_TRUE(ix.find("fedora", 10).empty());
    EXPECT_TRUE(ix.find("iso.", 10).empty());  // every trigram there, not the text
}

TEST(SearchIndex, ExactNamesComeFirstThenPrefixes) {
    SearchIndex ix;
    for (std::uint32_t i = 0; i < 300; ++i)
        ix.put(hash(100 + i), "a-report.pdf-" + std::to_string(i), 1);
    ix.put(hash(2), "report.pdf.old", 1);
    ix.put(hash(1), "Report.pdf", 1);
    auto hits = ix.find("report.pdf", 200);
    ASSERT_EQ(hits.size(), 200u);
    EXPECT_EQ(hits[0].info_hash, hash(1));
    EXPECT_EQ(hits[1].info_hash, hash(2));
}

TEST(SearchIndex, SomeGivesAtMostNNamesSortedByName) {
    SearchIndex ix;
    for (std::uint32_t i = 0; i < 50; ++i)
        ix.put(hash(i), "name" + std::to_string(1000 - i), 1);
    const auto few = ix.some(10);
    ASSERT_EQ(few.size(), 10u);
    for (std::size_t i = 1; i < few.size(); ++i)
        EXPECT_LT(few[i - 1].name, few[i].name);
    EXPECT_EQ(ix.some(500).size(), 50u);
    EXPECT_TRUE(SearchIndex().some(5).empty());
}

TEST(SearchIndex, PutReplacesAndEraseForgets) {
    SearchIndex ix;
    ix.put(hash(1), "old-name.bin", 1);
    ix.put(hash(1), "new-name.bin", 2);
    EXPECT_TRUE(ix.find("old-name", 10).empty());
    ASSERT_EQ(ix.find("new-name", 10).size(), 1u);
    EXPECT_EQ(ix.size(), 1u);
    ix.erase(hash(1));
    EXPECT_TRUE(ix.find("name", 10).empty());
    EXPECT_EQ(ix.size(), 0u);
    ix.erase(hash(1));                // harmless
    ix.put(hash(2), "again.bin", 1);  // a freed slot is reused
    EXPECT_EQ(ix.find("again", 10).size(), 1u);
}

// The cost of a query (names compared with it) stays flat from 1,000 to
// 20,000 names: it follows how many names share the query's rarest trigram,
// not how many there are. A scan would compare all of them.
TEST(SearchIndex, QueryCostIsFlatInTheNumberOfNames) {
    auto cost = [](std::size_t names) {
        SearchIndex ix;
        std::mt19937 rng(7);
        for (std::size_t i = 0; i < names; ++i)
            ix.put(hash(static_cast<std::uint32_t>(i + 10)), random_name(rng), 1);
        ix.put(hash(1), "quarterly-report-2026.pdf", 1);
        std::size_t examined = 0;
        auto hits = ix.find("quarterly-report-2026", 200, &examined);
        EXPECT_EQ(hits.size(), 1u);
        std::size_t partial = 0;
        ix.find("report-20", 200, &partial);
        return std::max(examined, partial);
    };
    const std::size_t small = cost(1000);
    const std::size_t big = cost(20000);
    EXPECT_LE(small, 5u);
    EXPECT_LE(big, 5u) << "at 20,000 names a query compared " << big << " names";
}

// Names crafted to share every trigram of a query cost at most kMaxExamined
// comparisons; the exact name is still found first.
TEST(SearchIndex, LookAlikesCostABoundedNumber) {
    SearchIndex ix;
    for (std::uint32_t i = 0; i < 12000; ++i)
        ix.put(hash(i + 10), "x-report.pdf-" + std::to_string(i), 1);
    ix.put(hash(1), "report.pdf", 1);
    std::size_t examined = 0;
    auto hits = ix.find("report.pdf", 10, &examined);
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].info_hash, hash(1));
    EXPECT_LE(examined, SearchIndex::kMaxExamined + 1);
}

TEST(SearchIndex, ShortQueriesExamineABoundedNumber) {
    SearchIndex ix;
    std::mt19937 rng(3);
    for (std::uint32_t i = 0; i < 10000; ++i)
        ix.put(hash(i), random_name(rng), 1);
    std::size_t examined = 0;
    ix.find("q", 200, &examined);
    EXPECT_LE(examined, SearchIndex::kShortScan + 1);
}

}  // namespace
}  // namespace mt::tracker
