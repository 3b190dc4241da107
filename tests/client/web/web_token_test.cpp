#include "client/web/web_token.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace mt::client::web {
namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/mt-web-token-XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};

TEST(WebToken, MadeOnceWithMode600AndKept) {
    TempDir d;
    const std::string p = d.path + "/web.token";
    auto t1 = load_or_create_token(p);
    ASSERT_TRUE(t1) << t1.error().message;
    EXPECT_EQ(t1->size(), 64u);
    struct stat st {};
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto t2 = load_or_create_token(p);
    ASSERT_TRUE(t2);
    EXPECT_EQ(*t1, *t2);
}

TEST(WebToken, RefusesAFileOthersCanRead) {
    TempDir d;
    const std::string p = d.path + "/web.token";
    ASSERT_TRUE(load_or_create_token(p));
    ::chmod(p.c_str(), 0644);
    auto t = load_or_create_token(p);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, common::Errc::refused);
    EXPECT_NE(t.error().message.find("chmod 600"), std::string::npos);
}

TEST(WebToken, RefusesASymlinkAndGarbage) {
    TempDir d;
    const std::string p = d.path + "/web.token";
    ASSERT_EQ(::symlink("/etc/hostname", p.c_str()), 0);
    EXPECT_FALSE(load_or_create_token(p));
    ::unlink(p.c_str());
    std::ofstream(p) << "short\n";
    ::chmod(p.c_str(), 0600);
    auto t = load_or_create_token(p);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, common::Errc::invalid_argument);
}

TEST(WebToken, ProblemsWithOwnerAndMode) {
    EXPECT_FALSE(token_file_problem("t", 1000, 0100600, 1000));
    EXPECT_TRUE(token_file_problem("t", 0, 0100600, 1000));
    EXPECT_TRUE(token_file_problem("t", 1000, 0100640, 1000));
    EXPECT_TRUE(token_file_problem("t", 1000, 0100602, 1000));
}

}  // namespace
}  // namespace mt::client::web
