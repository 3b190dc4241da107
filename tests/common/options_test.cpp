#include "common/options.h"

#include <gtest/gtest.h>

namespace mt::common {
namespace {

struct Parsed {
    bool force = false;
    std::string log;
    std::vector<std::string> trackers;
    int port = -1;
    std::uint64_t big = 0;
    int level = -1;
};

Options options(Parsed& p) {
    Options o;
    o.flag("--force", &p.force)
        .text("--log", &p.log)
        .list("--tracker|-t", &p.trackers)
        .number("--port", &p.port, 0, 65535)
        .number("--big", &p.big, 1, UINT64_MAX)
        .choice("--log-level", {"debug", "info", "warn", "error"}, &p.level);
    return o;
}

TEST(Options, OptionsAnywherePositionalsInOrder) {
    Parsed p;
    auto r = options(p).parse({"a", "--port", "6881", "b", "--force", "-t", "u1", "--tracker=u2",
                               "--log=x.log", "--", "--port", "-"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, (std::vector<std::string>{"a", "b", "--port", "-"}));
    EXPECT_EQ(p.port, 6881);
    EXPECT_TRUE(p.force);
    EXPECT_EQ(p.trackers, (std::vector<std::string>{"u1", "u2"}));
    EXPECT_EQ(p.log, "x.log");
}

TEST(Options, SingleDashIsPositional) {
    Parsed p;
    auto r = options(p).parse({"-"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, std::vector<std::string>{"-"});
}

TEST(Options, ErrorsSayExactlyWhatIsWrong) {
    auto error = [](std::vector<std::string> args) {
        Parsed p;
        auto r = options(p).parse(args);
        EXPECT_FALSE(r.ok());
        if (r.ok()) return std::string();
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
        return r.error().message;
    };
    EXPECT_EQ(error({"--nope"}), "unknown option --nope");
    EXPECT_EQ(error({"--nope=1"}), "unknown option --nope");
    EXPECT_EQ(error({"--port"}), "--port needs a value");
    EXPECT_EQ(error({"--port", "abc"}),
              "invalid value for --port: 'abc' (want a whole number from 0 to 65535)");
    EXPECT_EQ(error({"--port", "65536"}),
              "invalid value for --port: '65536' (want a whole number from 0 to 65535)");
    EXPECT_EQ(error({"--port", "-1"}),
              "invalid value for --port: '-1' (want a whole number from 0 to 65535)");
    EXPECT_EQ(error({"--port", "12abc"}),
              "invalid value for --port: '12abc' (want a whole number from 0 to 65535)");
    EXPECT_EQ(error({"--port", ""}),
              "invalid value for --port: '' (want a whole number from 0 to 65535)");
    EXPECT_EQ(error({"--port", " 1"}),
              "invalid value for --port: ' 1' (want a whole number from 0 to 65535)");
    EXPECT_EQ(error({"--big", "18446744073709551616"}),
              "invalid value for --big: '18446744073709551616' (want a whole number from 1 to "
              "18446744073709551615)");
    EXPECT_EQ(error({"--force=yes"}), "--force takes no value");
    EXPECT_EQ(error({"--log-level", "loud"}),
              "invalid value for --log-level: 'loud' (want debug, info, warn or error)");
}

TEST(Options, NumbersAtTheLimits) {
    Parsed p;
    ASSERT_TRUE(options(p).parse({"--big", "18446744073709551615", "--port", "0"}).ok());
    EXPECT_EQ(p.big, UINT64_MAX);
    EXPECT_EQ(p.port, 0);
    ASSERT_TRUE(options(p).parse({"--log-level", "warn"}).ok());
    EXPECT_EQ(p.level, 2);
}

TEST(Options, EndpointArguments) {
    auto e = parse_endpoint_arg("127.0.0.1:6881", "tracker address");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->port, 6881);
    EXPECT_EQ(parse_endpoint_arg("nope", "tracker address").error().message,
              "bad tracker address 'nope': not ip:port (or [ipv6]:port)");
    EXPECT_EQ(parse_endpoint_arg("::1:80", "address").error().message,
              "bad address '::1:80': an IPv6 address needs brackets, as in [::1]:6969");
    EXPECT_EQ(parse_endpoint_arg("[::1]:80", "address")->host, "::1");
    EXPECT_FALSE(parse_endpoint_arg("127.0.0.1:0", "tracker address").ok());
    EXPECT_TRUE(parse_endpoint_arg("127.0.0.1:0", "address", true).ok());
    EXPECT_FALSE(parse_endpoint_arg("127.0.0.1:65536", "address").ok());
}

}  // namespace
}  // namespace mt::common
