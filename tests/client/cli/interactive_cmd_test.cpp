#include "client/cli/interactive_cmd.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

TEST(LooksLikeEndpoint, InteractiveFormOnly) {
    EXPECT_TRUE(looks_like_endpoint("127.0.0.1:6881"));
    EXPECT_TRUE(looks_like_endpoint("localhost:1"));
    EXPECT_FALSE(looks_like_endpoint("create"));
    EXPECT_FALSE(looks_like_endpoint("--help"));
    EXPECT_FALSE(looks_like_endpoint("127.0.0.1:99999"));
    EXPECT_FALSE(looks_like_endpoint("dir/a:1"));
}

}  // namespace
}  // namespace mt::client
