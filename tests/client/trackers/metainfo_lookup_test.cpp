#include "client/trackers/metainfo_lookup.h"

#include <gtest/gtest.h>

#include "common/bencode.h"

namespace mt::client {
namespace {

using common::wire::HttpResponse;

SearchHit hit(const std::string& name, char h, std::uint64_t seeders) {
    SearchHit s;
    s.name = name;
    s.size = 2048;
    s.info_hash = common::InfoHash::from_bytes(std::string(20, h));
    s.seeders = seeders;
    return s;
}

TEST(ExactNameMatches, OnePerInfoHashNeverBySeeders) {
    auto m = exact_name_matches({hit("report.pdf", 'b', 1), hit("report.pdf", 'a', 900),
                                 hit("report.pdf.old", 'c', 5), hit("report.pdf", 'b', 1)},
                                "report.pdf");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].info_hash, hit("", 'a', 0).info_hash);
    EXPECT_EQ(m[1].info_hash, hit("", 'b', 0).info_hash);
    const std::string text = ambiguous_text("report.pdf", m);
    EXPECT_NE(text.find("2 different files"), std::string::npos) << text;
    EXPECT_NE(text.find(m[0].info_hash.hex()), std::string::npos);
    EXPECT_NE(text.find(m[1].info_hash.hex()), std::string::npos);
    EXPECT_NE(text.find("900 seeders"), std::string::npos);
}

// Two files of one name: nothing is fetched, whatever the seeder counts say.
TEST(LookupMetainfo, SeveralFilesOfOneNameAreAmbiguous) {
    common::Logger log = common::Logger::null();
    std::vector<std::string> requests;
    TrackerQuery q(
        {{"127.0.0.1", 1}}, 500, log,
        [&](const common::Endpoint&, std::string_view req, int) -> common::Result<HttpResponse> {
            requests.emplace_back(req);
            HttpResponse r;
            r.status = 200;
            r.body = common::wire::encode_search_reply(
                {hit("report.pdf", 'a', 1), hit("report.pdf", 'f', 99)});
            return r;
        });
    std::vector<SearchHit> ambiguous;
    auto m = lookup_metainfo("report.pdf", q, nullptr, &ambiguous);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, common::Errc::not_found);
    EXPECT_EQ(ambiguous.size(), 2u);
    ASSERT_EQ(requests.size(), 1u) << "no metainfo may be asked for";
    EXPECT_NE(requests[0].find("/search"), std::string::npos);
}

}  // namespace
}  // namespace mt::client
