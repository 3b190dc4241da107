#include "tracker/secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace mt::tracker {
namespace {

struct SecretFile : ::testing::Test {
    common::Logger log = common::Logger::null();
    std::string dir;
    std::string path;
    void SetUp() override {
        std::string tmpl = ::testing::TempDir() + "mt_secret_XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir = tmpl;
        path = dir + "/mtorrent.secret";
    }
    void TearDown() override {
        std::remove(path.c_str());
        std::remove((dir + "/target").c_str());
        ::rmdir(dir.c_str());
    }
    void write(const std::string& p, const std::string& text, mode_t mode) {
        std::ofstream(p) << text;
        ASSERT_EQ(::chmod(p.c_str(), mode), 0);
    }
};

TEST(SecretFileProblem, OwnerMustBeTheRunningUserAndNoGroupOrOtherBits) {
    EXPECT_FALSE(secret_file_problem("s", 1000, 0100600, 1000));
    EXPECT_FALSE(secret_file_problem("s", 1000, 0100400, 1000));
    auto other = secret_file_problem("s", 0, 0100600, 1000);
    ASSERT_TRUE(other);
    EXPECT_NE(other->find("owned by uid 0"), std::string::npos);
    EXPECT_TRUE(secret_file_problem("s", 1000, 0100600, 0));  // root too: not its file
    for (mode_t m : {0640, 0604, 0620, 0602, 0610, 0601}) {
        auto why = secret_file_problem("s", 7, 0100000 | m, 7);
        ASSERT_TRUE(why) << std::oct << m;
        EXPECT_NE(why->find("chmod 600 s"), std::string::npos);
    }
}

TEST_F(SecretFile, CreatedWithMode0600AndReadBackTheSame) {
    auto a = load_or_create_secret(path, log);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->size(), 64u);
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto b = load_or_create_secret(path, log);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*a, *b);
}

TEST_F(SecretFile, GroupOrOtherReadableIsRefused) {
    write(path, std::string(40, 'x'), 0644);
    auto r = load_or_create_secret(path, log);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, common::Errc::refused);
    EXPECT_NE(r.error().message.find("644"), std::string::npos);
}

TEST_F(SecretFile, SymlinksAreNeverFollowed) {
    const std::string target = dir + "/target";
    write(target, std::string(40, 'x'), 0600);
    ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
    auto r = load_or_create_secret(path, log);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, common::Errc::refused);
    // Dangling: nothing is created through it.
    std::remove(target.c_str());
    r = load_or_create_secret(path, log);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(::access(target.c_str(), F_OK), 0);
}

TEST_F(SecretFile, TooShortIsAnError) {
    write(path, "short\n", 0600);
    auto r = load_or_create_secret(path, log);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, common::Errc::invalid_argument);
}

}  // namespace
}  // namespace mt::tracker
