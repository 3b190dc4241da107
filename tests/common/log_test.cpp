#include "common/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <thread>
#include <vector>

#include "common/file_util.h"

namespace mt::common {
namespace {

std::string temp_path(const char* tag) {
    return ::testing::TempDir() + "mt_log_" + tag + "_" + std::to_string(::getpid());
}

TEST(Logger, WritesTimestampedLevelledLines) {
    const std::string path = temp_path("basic");
    ::unlink(path.c_str());
    {
        Logger log(path, LogLevel::info);
        log.debug("hidden");
        log.info("hello");
        log.error("multi\nline");
    }
    const std::string text = read_file(path, 1 << 20).value();
    const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|ERROR) .*)");
    std::istringstream in(text);
    std::string l;
    int n = 0;
    while (std::getline(in, l)) {
        EXPECT_TRUE(std::regex_match(l, line)) << l;
        ++n;
    }
    EXPECT_EQ(n, 2);
    EXPECT_EQ(text.find("hidden"), std::string::npos);
    EXPECT_NE(text.find("ERROR multi\\x0aline"), std::string::npos);
    ::unlink(path.c_str());
}

TEST(Logger, RefusesALinkAndEscapesEveryControlByte) {
    const std::string victim = temp_path("victim"), link = temp_path("link");
    ::unlink(link.c_str());
    ASSERT_TRUE(write_file_atomic(victim, "victim").ok());
    ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
    EXPECT_THROW(Logger(link, LogLevel::info), std::runtime_error);
    EXPECT_EQ(read_file(victim, 100).value(), "victim");
    ::unlink(link.c_str());
    const std::string path = temp_path("escape");
    ::unlink(path.c_str());
    {
        Logger log(path, LogLevel::info);
        log.info("name \x1b]0;title\x07\x1b[2J\r\nFAKE 2026 INFO forged \xc2\x9b caf\xc3\xa9");
    }
    const std::string text = read_file(path, 1 << 20).value();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
    for (char c : text.substr(0, text.size() - 1))
        EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << text;
    EXPECT_NE(text.find("name \\x1b]0;title\\x07\\x1b[2J\\x0d\\x0aFAKE 2026 INFO forged "
                        "\\xc2\\x9b caf\xc3\xa9"),
              std::string::npos)
        << text;
    ::unlink(path.c_str());
    ::unlink(victim.c_str());
}

TEST(Logger, ConcurrentLinesNeverInterleave) {
    const std::string path = temp_path("threads");
    ::unlink(path.c_str());
    constexpr int kThreads = 8, kLines = 500;
    {
        Logger log(path);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&log, t] {
                for (int i = 0; i < kLines; ++i)
                    log.info(cat("thread ", t, " line ", i, " ", std::string(100, 'x')));
            });
        for (auto& th : threads)
            th.join();
    }
    const std::string text = read_file(path, 64 << 20).value();
    std::istringstream in(text);
    std::string l;
    int n = 0;
    const std::regex line(R"(\S+ INFO thread \d line \d+ x{100})");
    while (std::getline(in, l)) {
        ASSERT_TRUE(std::regex_match(l, line)) << l;
        ++n;
    }
    EXPECT_EQ(n, kThreads * kLines);
    ::unlink(path.c_str());
}

TEST(Logger, TailKeepsTheLastLinesEscapedOldestFirst) {
    const std::string path = temp_path("tail");
    ::unlink(path.c_str());
    {
        Logger log(path, LogLevel::info);
        EXPECT_TRUE(log.tail(10).empty());
        log.debug("below the level: neither written nor kept");
        for (std::size_t i = 0; i < Logger::kTailLines + 20; ++i)
            log.info(cat("line ", i));
        log.warn("<script>\x1b[2J\nforged");
        log.info(std::string(Logger::kMaxTailLineBytes + 100, 'y'));
        const auto all = log.tail(100000);
        ASSERT_EQ(all.size(), Logger::kTailLines);
        EXPECT_NE(all.front().find(cat(" INFO line ", 22)), std::string::npos) << all.front();
        const auto last = log.tail(3);
        ASSERT_EQ(last.size(), 3u);
        EXPECT_NE(last[0].find(cat(" INFO line ", Logger::kTailLines + 19)), std::string::npos);
        // As written to the file: escaped whole, one line, no newline kept.
        EXPECT_NE(last[1].find(" WARN <script>\\x1b[2J\\x0aforged"), std::string::npos) << last[1];
        EXPECT_EQ(last[1].find('\n'), std::string::npos);
        EXPECT_EQ(last[2].size(), Logger::kMaxTailLineBytes);
        EXPECT_TRUE(log.tail(0).empty());
        const std::string text = read_file(path, 16 << 20).value();
        EXPECT_NE(text.find(std::string(Logger::kMaxTailLineBytes + 100, 'y')), std::string::npos)
            << "the file gets the line whole";
    }
    Logger none = Logger::null();
    none.error("discarded");
    EXPECT_TRUE(none.tail(5).empty());
    ::unlink(path.c_str());
}

TEST(Logger, UnwritablePathThrowsAtStartup) {
    EXPECT_THROW(Logger("/nonexistent-dir/x.log"), std::runtime_error);
}

TEST(Logger, NullLoggerDiscards) {
    Logger log = Logger::null();
    EXPECT_FALSE(log.enabled(LogLevel::error));
    log.error("nothing happens");
}

}  // namespace
}  // namespace mt::common
