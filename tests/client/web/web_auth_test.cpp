#include "client/web/web_auth.h"

#include <gtest/gtest.h>

namespace mt::client::web {
namespace {

using common::wire::HttpRequest;

WebSecurity sec() {
    return WebSecurity{std::string(64, 'a'), "", "127.0.0.1", 8080, ""};
}

HttpRequest with(std::string name, std::string value) {
    HttpRequest r;
    r.headers.push_back({std::move(name), std::move(value)});
    return r;
}

TEST(WebAuth, HostMustNameUs) {
    EXPECT_TRUE(host_allowed("127.0.0.1:8080", sec()));
    EXPECT_TRUE(host_allowed("localhost:8080", sec()));
    EXPECT_TRUE(host_allowed("LOCALHOST:8080", sec()));
    EXPECT_TRUE(host_allowed("[::1]:8080", sec()));
    EXPECT_FALSE(host_allowed("evil.example:8080", sec()));  // DNS rebinding
    EXPECT_FALSE(host_allowed("127.0.0.1:8081", sec()));     // another port
    EXPECT_FALSE(host_allowed("127.0.0.1", sec()));          // no port
    EXPECT_FALSE(host_allowed("127.0.0.1:8080.evil", sec()));
    EXPECT_FALSE(host_allowed("", sec()));
    WebSecurity lan = sec();
    lan.host = "192.168.1.5";
    EXPECT_TRUE(host_allowed("192.168.1.5:8080", lan));
}

TEST(WebAuth, OriginMustBeThePageItself) {
    EXPECT_TRUE(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
    EXPECT_FALSE(origin_allowed("http://evil.example", "127.0.0.1:8080"));
    EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8080"));
    EXPECT_FALSE(origin_allowed("https://127.0.0.1:8080", "127.0.0.1:8080"));
    EXPECT_FALSE(origin_allowed("http://127.0.0.1:8080.evil.example", "127.0.0.1:8080"));
}

TEST(WebAuth, CredentialsFromCookieBearerAndBasic) {
    const WebSecurity s = sec();
    EXPECT_FALSE(presented_credential(HttpRequest{}, s));
    auto c = presented_credential(with("cookie", "x=1; mtorrent_8080=" + s.token + "; y=2"), s);
    ASSERT_TRUE(c);
    EXPECT_TRUE(credential_ok(*c, s));
    // Another port's cookie is not ours.
    EXPECT_FALSE(presented_credential(with("cookie", "mtorrent_9090=" + s.token), s));
    c = presented_credential(with("authorization", "Bearer " + s.token), s);
    ASSERT_TRUE(c);
    EXPECT_TRUE(credential_ok(*c, s));
    // "mtorrent:" + 64 a's, in base64.
    std::string basic = "bXRvcnJlbnQ6";  // "mtorrent:", then 64 a's
    for (int i = 0; i < 21; ++i)
        basic += "YWFh";
    basic += "YQ==";
    c = presented_credential(with("authorization", "Basic " + basic), s);
    ASSERT_TRUE(c);
    EXPECT_TRUE(credential_ok(*c, s));
    // Wrong user, garbage base64, another scheme: presented but wrong.
    c = presented_credential(with("authorization", "Basic dXNlcjpwYXNz"), s);  // user:pass
    ASSERT_TRUE(c);
    EXPECT_FALSE(credential_ok(*c, s));
    c = presented_credential(with("authorization", "Basic !!!"), s);
    ASSERT_TRUE(c);
    EXPECT_FALSE(credential_ok(*c, s));
    c = presented_credential(with("authorization", "Digest x"), s);
    ASSERT_TRUE(c);
    EXPECT_FALSE(credential_ok(*c, s));
}

TEST(WebAuth, CredentialChecks) {
    WebSecurity s = sec();
    EXPECT_FALSE(credential_ok("", s));
    EXPECT_FALSE(credential_ok(s.token.substr(1), s));
    EXPECT_FALSE(credential_ok(s.token + "a", s));
    EXPECT_FALSE(credential_ok("", s));  // no password: "" is never one
    s.password = "correct horse battery";
    EXPECT_TRUE(credential_ok("correct horse battery", s));
    EXPECT_FALSE(credential_ok("correct horse", s));
}

TEST(WebAuth, Base64) {
    EXPECT_EQ(base64_decode("").value(), "");
    EXPECT_EQ(base64_decode("YQ==").value(), "a");
    EXPECT_EQ(base64_decode("YWI=").value(), "ab");
    EXPECT_EQ(base64_decode("YWJj").value(), "abc");
    EXPECT_FALSE(base64_decode("YQ="));
    EXPECT_FALSE(base64_decode("Y=Q="));
    EXPECT_FALSE(base64_decode("YQ==YWJj"));
    EXPECT_FALSE(base64_decode("YW J"));
}

TEST(WebAuth, CookieValue) {
    EXPECT_EQ(cookie_value("a=1; b=2", "b").value(), "2");
    EXPECT_EQ(cookie_value("a=1;b=2 ", "b").value(), "2");
    EXPECT_FALSE(cookie_value("ab=1", "b"));
    EXPECT_FALSE(cookie_value("", "b"));
}

TEST(LoginThrottle, FailuresDecay) {
    LoginThrottle t;
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(t.allowed("10.0.0.1", 0));
        t.failed("10.0.0.1", 0);
    }
    EXPECT_TRUE(t.allowed("10.0.0.1", 0));
    t.failed("10.0.0.1", 0);
    EXPECT_FALSE(t.allowed("10.0.0.1", 0));
    EXPECT_TRUE(t.allowed("10.0.0.2", 0));  // per address
    // Halves every half-life: 5 -> 2.5 after one.
    EXPECT_TRUE(t.allowed("10.0.0.1", LoginThrottle::kHalfLifeMs));
    EXPECT_NEAR(t.score("10.0.0.1", LoginThrottle::kHalfLifeMs), 2.5, 0.01);
}

TEST(LoginThrottle, BoundedMemory) {
    LoginThrottle t;
    for (std::size_t i = 0; i < LoginThrottle::kMaxAddresses + 100; ++i)
        t.failed("a" + std::to_string(i), static_cast<std::int64_t>(i));
    EXPECT_EQ(t.score("a0", 0), 0);  // the oldest were dropped
    EXPECT_GT(t.score("a" + std::to_string(LoginThrottle::kMaxAddresses + 99), 0), 0.9);
}

}  // namespace
}  // namespace mt::client::web
