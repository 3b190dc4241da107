#include "common/wire/http.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mt::common::wire {
namespace {

using Limits = HttpRequestParser::Limits;

// Feeds `chunks` one after another, draining next() after each, and returns
// every request plus the final error status (0 if none).
struct Drained {
    std::vector<HttpRequest> requests;
    int error_status = 0;
    std::string error_message;
};

Drained drain(const std::vector<std::string>& chunks, const Limits& limits = {}) {
    HttpRequestParser p(limits);
    Drained out;
    for (const std::string& c : chunks) {
        p.feed(c);
        for (;;) {
            HttpRequestStep s = p.next();
            if (std::holds_alternative<NeedMore>(s)) break;
            if (auto* e = std::get_if<HttpError>(&s)) {
                out.error_status = e->status;
                out.error_message = e->error.message;
                return out;
            }
            out.requests.push_back(std::get<HttpRequest>(std::move(s)));
        }
    }
    return out;
}

void expect_same(const Drained& a, const Drained& b, const std::string& where) {
    ASSERT_EQ(a.requests.size(), b.requests.size()) << where;
    EXPECT_EQ(a.error_status, b.error_status) << where;
    for (std::size_t i = 0; i < a.requests.size(); ++i) {
        const HttpRequest& x = a.requests[i];
        const HttpRequest& y = b.requests[i];
        EXPECT_EQ(x.method, y.method) << where;
        EXPECT_EQ(x.target, y.target) << where;
        EXPECT_EQ(x.path, y.path) << where;
        EXPECT_EQ(x.query, y.query) << where;
        EXPECT_EQ(x.version_minor, y.version_minor) << where;
        EXPECT_EQ(x.headers, y.headers) << where;
        EXPECT_EQ(x.body, y.body) << where;
    }
}

// Every split into two feeds, and one byte at a time, must match one feed.
void check_all_splits(const std::string& msg, const Limits& limits = {}) {
    const Drained whole = drain({msg}, limits);
    for (std::size_t i = 0; i <= msg.size(); ++i)
        expect_same(whole, drain({msg.substr(0, i), msg.substr(i)}, limits),
                    "split at " + std::to_string(i));
    std::vector<std::string> bytes;
    for (char c : msg)
        bytes.emplace_back(1, c);
    expect_same(whole, drain(bytes, limits), "byte at a time");
}

const std::string kAnnounce =
    "GET /announce?info_hash=%12%34&port=6881 HTTP/1.1\r\n"
    "Host: tracker.example:6969\r\n"
    "User-Agent: mtorrent/0.1\r\n"
    "Accept-Encoding: gzip\r\n"
    "\r\n";

TEST(HttpRequestParser, ParsesAnAnnounce) {
    Drained d = drain({kAnnounce});
    ASSERT_EQ(d.error_status, 0) << d.error_message;
    ASSERT_EQ(d.requests.size(), 1u);
    const HttpRequest& r = d.requests[0];
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/announce?info_hash=%12%34&port=6881");
    EXPECT_EQ(r.path, "/announce");
    EXPECT_EQ(r.query, "info_hash=%12%34&port=6881");
    EXPECT_EQ(r.version_minor, 1);
    ASSERT_EQ(r.headers.size(), 3u);
    ASSERT_NE(r.find("host"), nullptr);
    EXPECT_EQ(*r.find("host"), "tracker.example:6969");
    EXPECT_EQ(*r.find("user-agent"), "mtorrent/0.1");
    EXPECT_EQ(r.find("Host"), nullptr);  // names are stored lower case
    EXPECT_TRUE(r.keep_alive());
    EXPECT_TRUE(r.body.empty());
    check_all_splits(kAnnounce);
}

TEST(HttpRequestParser, BodyByContentLengthAndSplits) {
    const std::string msg =
        "POST /publish HTTP/1.1\r\nContent-Length: 11\r\nContent-Type: x\r\n\r\nhello world";
    Limits limits;
    limits.max_body_bytes = 4 << 20;
    Drained d = drain({msg}, limits);
    ASSERT_EQ(d.requests.size(), 1u) << d.error_message;
    EXPECT_EQ(d.requests[0].body, "hello world");
    EXPECT_EQ(d.requests[0].path, "/publish");
    check_all_splits(msg, limits);
}

TEST(HttpRequestParser, PipelinedRequestsKeepLeftovers) {
    const std::string a = "GET /a HTTP/1.1\r\n\r\n";
    const std::string b = "GET /b?x=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const std::string c = "POST /c HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz";
    const std::string partial = "GET /d HTTP/1.1\r\nHo";
    Limits limits;
    limits.max_body_bytes = 10;
    HttpRequestParser p(limits);
    p.feed(a + b + c + partial);
    std::vector<std::string> paths;
    for (;;) {
        HttpRequestStep s = p.next();
        if (!std::holds_alternative<HttpRequest>(s)) {
            EXPECT_TRUE(std::holds_alternative<NeedMore>(s));
            break;
        }
        paths.push_back(std::get<HttpRequest>(s).path);
        if (paths.size() == 2) {
            EXPECT_TRUE(std::get<HttpRequest>(s).keep_alive());
        }
        if (paths.size() == 3) {
            EXPECT_EQ(std::get<HttpRequest>(s).body, "xyz");
        }
    }
    EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b", "/c"}));
    EXPECT_EQ(p.buffered(), partial.size());
    p.feed("st: x\r\n\r\n");
    HttpRequestStep s = p.next();
    ASSERT_TRUE(std::holds_alternative<HttpRequest>(s));
    EXPECT_EQ(std::get<HttpRequest>(s).path, "/d");
    EXPECT_EQ(p.buffered(), 0u);
    check_all_splits(a + b + c, limits);
}

TEST(HttpRequestParser, ToleratesBareLfAndLeadingBlankLines) {
    Drained d = drain({"\r\n\nGET /x HTTP/1.1\nHost: a\n\n"});
    ASSERT_EQ(d.requests.size(), 1u) << d.error_message;
    EXPECT_EQ(d.requests[0].path, "/x");
    EXPECT_EQ(*d.requests[0].find("host"), "a");
    check_all_splits("\r\n\nGET /x HTTP/1.1\nHost: a\n\n");
}

TEST(HttpRequestParser, DecodesPathAndAcceptsAbsoluteForm) {
    Drained d = drain({"GET http://h:1/a%20b+c?q=1 HTTP/1.1\r\n\r\n"});
    ASSERT_EQ(d.requests.size(), 1u) << d.error_message;
    EXPECT_EQ(d.requests[0].path, "/a b+c");
    EXPECT_EQ(d.requests[0].query, "q=1");
}

TEST(HttpRequestParser, KeepAliveRules) {
    auto ka = [](const std::string& msg) { return drain({msg}).requests.at(0).keep_alive(); };
    EXPECT_TRUE(ka("GET / HTTP/1.1\r\n\r\n"));
    EXPECT_FALSE(ka("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
    EXPECT_FALSE(ka("GET / HTTP/1.1\r\nConnection: TE, Close\r\n\r\n"));
    EXPECT_FALSE(ka("GET / HTTP/1.0\r\n\r\n"));
    EXPECT_TRUE(ka("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

struct BadRequest {
    const char* name;
    std::string input;
    int status;
    const char* message;
};

class HttpRequestRejects : public ::testing::TestWithParam<BadRequest> {};

TEST_P(HttpRequestRejects, WithStatusAndReason) {
    const BadRequest& c = GetParam();
    Limits limits;
    limits.max_header_bytes = 256;
    limits.max_header_count = 4;
    limits.max_body_bytes = 16;
    Drained d = drain({c.input}, limits);
    EXPECT_TRUE(d.requests.empty());
    EXPECT_EQ(d.error_status, c.status) << d.error_message;
    EXPECT_NE(d.error_message.find(c.message), std::string::npos) << d.error_message;
    // The same error whichever way the bytes arrive.
    std::vector<std::string> bytes;
    for (char ch : c.input)
        bytes.emplace_back(1, ch);
    EXPECT_EQ(drain(bytes, limits).error_status, c.status);
}

INSTANTIATE_TEST_SUITE_P(
    Table, HttpRequestRejects,
    ::testing::Values(
        BadRequest{"NoVersion", "GET /\r\n\r\n", 400, "malformed request line"},
        BadRequest{"ExtraSpace", "GET  / HTTP/1.1\r\n\r\n", 400, "malformed request line"},
        BadRequest{"BadVersion", "GET / HTTX/1.1\r\n\r\n", 400, "malformed HTTP version"},
        BadRequest{"Http2", "GET / HTTP/2.0\r\n\r\n", 505, "not supported"},
        BadRequest{"Http12", "GET / HTTP/1.2\r\n\r\n", 505, "not supported"},
        BadRequest{"RelativeTarget", "GET announce HTTP/1.1\r\n\r\n", 400, "must start with '/'"},
        BadRequest{"BadPathEscape", "GET /a%G1 HTTP/1.1\r\n\r\n", 400, "bad %-escape"},
        BadRequest{"TrailingPercent", "GET /a% HTTP/1.1\r\n\r\n", 400, "bad %-escape"},
        BadRequest{"NoColon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400, "without ':'"},
        BadRequest{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400,
                   "invalid header field name"},
        BadRequest{"Folding", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, "line folding"},
        BadRequest{"BareCr", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400, "bare CR"},
        BadRequest{"ControlByte", std::string("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n"), 400,
                   "control byte"},
        BadRequest{"Chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
                   "Transfer-Encoding"},
        BadRequest{"NegativeLength", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
                   "not a number"},
        BadRequest{"HugeLength",
                   "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413,
                   "not a valid length"},
        BadRequest{"ConflictingLength",
                   "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400,
                   "conflicting Content-Length"},
        BadRequest{"BodyOverLimit", "POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", 413,
                   "over the limit"},
        BadRequest{"TooManyHeaders",
                   "GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\ne: 5\r\n\r\n", 431,
                   "more than 4 header fields"},
        BadRequest{"LongRequestLine", "GET /" + std::string(300, 'a') + " HTTP/1.1\r\n\r\n", 414,
                   "request line longer than 256"},
        BadRequest{"LongHeaders", "GET / HTTP/1.1\r\nA: " + std::string(300, 'a') + "\r\n\r\n", 431,
                   "request head longer than 256"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(HttpRequestParser, DefaultLimitsRefuseABody) {
    Drained d = drain({"POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"});
    EXPECT_EQ(d.error_status, 413);
    EXPECT_EQ(drain({"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"}).requests.size(), 1u);
}

TEST(HttpRequestParser, ErrorIsSticky) {
    HttpRequestParser p;
    p.feed("BAD\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(std::holds_alternative<HttpError>(p.next()));
    EXPECT_TRUE(std::holds_alternative<HttpError>(p.next()));
}

TEST(HttpRequestParser, EndlessHeaderIsCutAtTheLimit) {
    HttpRequestParser p;
    p.feed("GET / HTTP/1.1\r\n");
    std::string junk(1000, 'x');
    HttpRequestStep s = NeedMore{};
    for (int i = 0; i < 20 && std::holds_alternative<NeedMore>(s); ++i) {
        p.feed(junk);
        s = p.next();
    }
    ASSERT_TRUE(std::holds_alternative<HttpError>(s));
    EXPECT_EQ(std::get<HttpError>(s).status, 431);
}

// ---- Responses -----------------------------------------------------------------

struct ResponseOutcome {
    std::optional<HttpResponse> response;
    std::optional<Error> error;
};

ResponseOutcome run_response(const std::vector<std::string>& chunks, bool eof,
                             const HttpResponseParser::Limits& limits = {}) {
    HttpResponseParser p(limits);
    ResponseOutcome out;
    auto step = [&]() {
        HttpResponseStep s = p.next();
        if (auto* r = std::get_if<HttpResponse>(&s)) out.response = std::move(*r);
        if (auto* e = std::get_if<Error>(&s)) out.error = *e;
        return !std::holds_alternative<NeedMore>(s);
    };
    for (const std::string& c : chunks) {
        p.feed(c);
        if (step()) return out;
    }
    if (eof) {
        p.finish();
        step();
    }
    return out;
}

void check_response_splits(const std::string& msg, bool eof) {
    const ResponseOutcome whole = run_response({msg}, eof);
    ASSERT_TRUE(whole.response.has_value());
    for (std::size_t i = 0; i <= msg.size(); ++i) {
        ResponseOutcome r = run_response({msg.substr(0, i), msg.substr(i)}, eof);
        ASSERT_TRUE(r.response.has_value()) << "split at " << i;
        EXPECT_EQ(r.response->status, whole.response->status);
        EXPECT_EQ(r.response->headers, whole.response->headers);
        EXPECT_EQ(r.response->body, whole.response->body) << "split at " << i;
    }
    std::vector<std::string> bytes;
    for (char c : msg)
        bytes.emplace_back(1, c);
    ResponseOutcome r = run_response(bytes, eof);
    ASSERT_TRUE(r.response.has_value());
    EXPECT_EQ(r.response->body, whole.response->body);
}

TEST(HttpResponseParser, ContentLengthBody) {
    const std::string msg = http_response(200, "text/plain", "d8:intervali1800ee", true);
    ResponseOutcome r = run_response({msg}, false);
    ASSERT_TRUE(r.response.has_value());
    EXPECT_EQ(r.response->status, 200);
    EXPECT_EQ(r.response->reason, "OK");
    EXPECT_EQ(r.response->body, "d8:intervali1800ee");
    EXPECT_TRUE(r.response->keep_alive());
    check_response_splits(msg, false);
}

TEST(HttpResponseParser, BodyUntilClose) {
    const std::string msg = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
    EXPECT_FALSE(run_response({msg}, false).response.has_value());
    ResponseOutcome r = run_response({msg}, true);
    ASSERT_TRUE(r.response.has_value());
    EXPECT_EQ(r.response->body, "until the end");
    EXPECT_FALSE(r.response->keep_alive());
    check_response_splits(msg, true);
}

TEST(HttpResponseParser, NoBodyFor204) {
    ResponseOutcome r = run_response({"HTTP/1.1 204 No Content\r\n\r\n"}, false);
    ASSERT_TRUE(r.response.has_value());
    EXPECT_EQ(r.response->status, 204);
}

TEST(HttpResponseParser, Errors) {
    HttpResponseParser::Limits small;
    small.max_body_bytes = 4;
    small.max_header_bytes = 64;
    auto err = [&](const std::vector<std::string>& chunks, bool eof) {
        ResponseOutcome r = run_response(chunks, eof, small);
        EXPECT_FALSE(r.response.has_value());
        return r.error ? r.error->code : Errc::invalid_argument;
    };
    EXPECT_EQ(err({"HTTP/1.1 2x0 OK\r\n\r\n"}, false), Errc::parse_error);
    EXPECT_EQ(err({"ICY 200 OK\r\n\r\n"}, false), Errc::parse_error);
    EXPECT_EQ(err({"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"}, false), Errc::limit_exceeded);
    EXPECT_EQ(err({"HTTP/1.1 200 OK\r\n\r\n12345"}, false), Errc::limit_exceeded);
    EXPECT_EQ(err({"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"}, true), Errc::closed);
    EXPECT_EQ(err({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"}, false),
              Errc::unsupported);
    EXPECT_EQ(err({"HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a') + "\r\n\r\n"}, false),
              Errc::limit_exceeded);
    EXPECT_EQ(err({}, true), Errc::closed);
}

TEST(HttpResponse, BuildsStatusLineAndHeaders) {
    EXPECT_EQ(http_response(404, "text/plain", "nope", false, {{"Retry-After", "5"}}),
              "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
              "Connection: close\r\nRetry-After: 5\r\n\r\nnope");
    EXPECT_EQ(http_reason(413), "Content Too Large");
    EXPECT_EQ(http_reason(431), "Request Header Fields Too Large");
    EXPECT_EQ(http_reason(505), "HTTP Version Not Supported");
    EXPECT_EQ(http_get_request("t:1", "/announce?a=1", false),
              "GET /announce?a=1 HTTP/1.1\r\nHost: t:1\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace mt::common::wire
