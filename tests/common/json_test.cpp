#include "common/json.h"

#include <gtest/gtest.h>

namespace mt::common {
namespace {

TEST(Json, EscapesEverythingThatMustBe) {
    EXPECT_EQ(json_string("plain"), "\"plain\"");
    EXPECT_EQ(json_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    EXPECT_EQ(json_string(std::string("\x01\xff", 2)), "\"\\u0001\\u00ff\"");
}

TEST(Html, Escapes) {
    EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

}  // namespace
}  // namespace mt::common
