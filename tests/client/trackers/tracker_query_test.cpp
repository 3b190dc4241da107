#include "client/trackers/tracker_query.h"

#include <gtest/gtest.h>

#include <map>

#include "common/bencode.h"

namespace mt::client {
namespace {

using common::wire::HttpResponse;

TEST(PublishReply, Decodes) {
    auto r = decode_publish_reply("d9:info_hash20:" + std::string(20, 'h') + "4:name1:ae");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, common::InfoHash::from_bytes(std::string(20, 'h')));
    EXPECT_FALSE(decode_publish_reply("d9:info_hash3:abce").ok());
    EXPECT_EQ(decode_publish_reply("d14:failure reason3:bade").error().code, common::Errc::refused);
}

struct FakeTrackers {
    std::map<std::uint16_t, bool> up;
    std::map<std::uint16_t, HttpResponse> answer;
    std::vector<std::pair<std::uint16_t, std::string>> calls;
    TrackerQuery::Exchange exchange() {
        return [this](const common::Endpoint& t, std::string_view req,
                      int) -> common::Result<HttpResponse> {
            calls.emplace_back(t.port, std::string(req));
            if (!up[t.port]) return common::make_error(common::Errc::refused, "refused");
            return answer[t.port];
        };
    }
};

HttpResponse ok(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

TEST(TrackerQuery, FailsOverAndStays) {
    common::Logger log = common::Logger::null();
    FakeTrackers f;
    f.up = {{1, false}, {2, true}};
    f.answer[2] = ok("d5:fileslee");
    TrackerQuery q({{"127.0.0.1", 1}, {"127.0.0.1", 2}}, 500, log, f.exchange());
    auto r = q.search("big file");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(f.calls.size(), 2u);
    EXPECT_NE(f.calls[0].second.find("GET /search?q=big%20file HTTP/1.1"), std::string::npos)
        << f.calls[0].second;
    auto st = q.status();
    ASSERT_EQ(st.size(), 2u);
    EXPECT_FALSE(st[0].live);
    EXPECT_EQ(st[0].failures, 1u);
    EXPECT_TRUE(st[1].live);
    EXPECT_TRUE(st[1].in_use);
    EXPECT_FALSE(st[0].in_use);
    EXPECT_GT(st[1].last_attempt_ms, 0);
    ASSERT_TRUE(q.search("x").ok());  // stays with tracker 2
    EXPECT_EQ(f.calls.back().first, 2);
    EXPECT_EQ(f.calls.size(), 3u);
    f.up[2] = false;
    auto down = q.search("x");
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.error().code, common::Errc::io_error);  // refused: only the tracker's no
    // Both down: both trackers' errors, not just the last one's.
    EXPECT_NE(down.error().message.find("tracker 1 (127.0.0.1:1): refused"), std::string::npos)
        << down.error().message;
    EXPECT_NE(down.error().message.find("tracker 2 (127.0.0.1:2): refused"), std::string::npos)
        << down.error().message;
}

TEST(TrackerQuery, MetainfoAsksBothBeforeNotFound) {
    common::Logger log = common::Logger::null();
    FakeTrackers f;
    f.up = {{1, true}, {2, true}};
    f.answer[1] = ok("no", 404);
    f.answer[2] = ok("d4:infodee");
    TrackerQuery q({{"127.0.0.1", 1}, {"127.0.0.1", 2}}, 500, log, f.exchange());
    const auto ih = common::InfoHash::from_bytes(std::string(20, '\xab'));
    auto r = q.metainfo(ih);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "d4:infodee");
    EXPECT_NE(f.calls[0].second.find("/metainfo?info_hash=" + ih.hex()), std::string::npos);
    f.answer[2] = ok("no", 404);
    auto nf = q.metainfo(ih);
    ASSERT_FALSE(nf.ok());
    EXPECT_EQ(nf.error().code, common::Errc::not_found);
    // A 404 is an answer: nobody is marked down for it.
    for (const auto& s : q.status())
        EXPECT_TRUE(s.live) << s.url;
}

TEST(TrackerQuery, PublishPostsTheBytes) {
    common::Logger log = common::Logger::null();
    FakeTrackers f;
    f.up = {{1, true}};
    f.answer[1] = ok("d9:info_hash20:" + std::string(20, 'h') + "4:name1:ae");
    TrackerQuery q({{"127.0.0.1", 1}}, 500, log, f.exchange());
    auto r = q.publish("d4:infod4:name1:aee");
    ASSERT_TRUE(r.ok()) << r.error().message;
    const std::string& req = f.calls.at(0).second;
    EXPECT_EQ(req.rfind("POST /publish HTTP/1.1\r\n", 0), 0u);
    EXPECT_NE(req.find("Content-Length: 19\r\n"), std::string::npos);
    EXPECT_EQ(req.substr(req.size() - 19), "d4:infod4:name1:aee");
    // A refusal is the tracker's answer: not retried elsewhere, not a failure.
    f.answer[1] = ok("d14:failure reason3:bade");
    auto bad = q.publish("x");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, common::Errc::refused);
}

// The publisher's mark goes with the publish; its proof takes the file back.
// Golden values: Python's hmac.new(key, msg, hashlib.sha256) gives the same,
// and the tracker checks with the same common::owner_of_proof.
TEST(TrackerQuery, PublishWithAnOwnerAndWithdraw) {
    const std::string secret(32, 'S');
    const auto ih = common::InfoHash::from_bytes(std::string(20, 'A'));
    const std::string proof = publisher_proof(secret, ih);
    EXPECT_EQ(common::to_hex(proof),
              "c1b18b9dd617e53dc28585c384afd7072c39c21ef1472f840897b4808bc92558");
    std::string golden_proof;
    for (int i = 0; i < 32; ++i)
        golden_proof.push_back(static_cast<char>(i));
    EXPECT_EQ(common::to_hex(owner_of_proof(golden_proof)),
              "122c82d6a98a77e10ea2c7d63e774e715898a4a7db1c88a38cd99aac9441cd78");

    common::Logger log = common::Logger::null();
    FakeTrackers f;
    f.up = {{1, true}};
    f.answer[1] = ok("d9:info_hash20:" + std::string(20, 'h') + "4:name1:ae");
    TrackerQuery q({{"127.0.0.1", 1}}, 500, log, f.exchange());
    ASSERT_TRUE(q.publish("d4:infod4:name1:aee", owner_of_proof(proof)).ok());
    EXPECT_EQ(f.calls.at(0).second.rfind(
                  "POST /publish?owner=" + common::to_hex(owner_of_proof(proof)) + " HTTP/1.1", 0),
              0u);
    f.answer[1] = ok("d9:withdrawn20:AAAAAAAAAAAAAAAAAAAAe");
    ASSERT_TRUE(q.withdraw(ih, proof).ok());
    EXPECT_EQ(f.calls.at(1).second.rfind("POST /withdraw?info_hash=" + ih.hex() +
                                             "&proof=" + common::to_hex(proof) + " HTTP/1.1",
                                         0),
              0u);
    f.answer[1] = ok("d14:failure reason34:only its publisher can withdraw ite");
    auto no = q.withdraw(ih, proof);
    ASSERT_FALSE(no.ok());
    EXPECT_EQ(no.error().code, common::Errc::refused);
}

}  // namespace
}  // namespace mt::client
