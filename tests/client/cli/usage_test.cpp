#include "client/cli/usage.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

TEST(MetaRequest, HelpAnywhereBeforeDoubleDash) {
    EXPECT_EQ(meta_request({}), MetaRequest::none);
    EXPECT_EQ(meta_request({"get", "x.mtorrent", "dir"}), MetaRequest::none);
    EXPECT_EQ(meta_request({"--help"}), MetaRequest::help);
    EXPECT_EQ(meta_request({"get", "--bogus", "-h"}), MetaRequest::help);
    EXPECT_EQ(meta_request({"info", "--", "--help"}), MetaRequest::none);
}

TEST(MetaRequest, VersionUnlessHelp) {
    EXPECT_EQ(meta_request({"seed", "--version"}), MetaRequest::version);
    EXPECT_EQ(meta_request({"seed", "--version", "--help"}), MetaRequest::help);
    EXPECT_EQ(meta_request({"seed", "--", "--version"}), MetaRequest::none);
    // An option's value is not an option: "--log --help" still asks for help,
    // as the tracker does; a file literally named --help goes after --.
    EXPECT_EQ(meta_request({"seed", "--log", "--help"}), MetaRequest::help);
}

}  // namespace
}  // namespace mt::client
