#include "client/web/web_front.h"

#include <gtest/gtest.h>

namespace mt::client::web {
namespace {

TEST(WebFront, NonLoopbackNeedsAPassword) {
    EXPECT_FALSE(bind_problem({"127.0.0.1", 8080}, false));
    EXPECT_FALSE(bind_problem({"127.0.0.2", 8080}, false));
    EXPECT_FALSE(bind_problem({"::1", 8080}, false));
    EXPECT_FALSE(bind_problem({"localhost", 8080}, false));
    auto why = bind_problem({"0.0.0.0", 8080}, false);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("--web-password"), std::string::npos);
    EXPECT_TRUE(bind_problem({"192.168.1.2", 8080}, false));
    EXPECT_TRUE(bind_problem({"example.org", 8080}, false));
    EXPECT_FALSE(bind_problem({"192.168.1.2", 8080}, true));
}

}  // namespace
}  // namespace mt::client::web
