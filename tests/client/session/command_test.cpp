#include "client/session/command.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

std::vector<std::string> toks(std::string_view line) {
    auto r = tokenize(line);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<std::string>{};
}

TEST(Tokenize, SplitsOnBlanks) {
    EXPECT_EQ(toks("  share a.bin  a.mtorrent \t"),
              (std::vector<std::string>{"share", "a.bin", "a.mtorrent"}));
    EXPECT_TRUE(toks("").empty());
    EXPECT_TRUE(toks("   \t ").empty());
}

TEST(Tokenize, QuotesAndEscapes) {
    EXPECT_EQ(toks("share \"my file.bin\" 'x y.mtorrent'"),
              (std::vector<std::string>{"share", "my file.bin", "x y.mtorrent"}));
    EXPECT_EQ(toks("a\\ b"), (std::vector<std::string>{"a b"}));
    EXPECT_EQ(toks("\"a\\\"b\""), (std::vector<std::string>{"a\"b"}));
    EXPECT_EQ(toks("'a\\b'"), (std::vector<std::string>{"a\\b"}));  // nothing special in ''
    EXPECT_EQ(toks("a\"b c\"d"), (std::vector<std::string>{"ab cd"}));
    EXPECT_EQ(toks("\"\""), (std::vector<std::string>{""}));  // an empty token is a token
    EXPECT_EQ(toks("get x y\r"), (std::vector<std::string>{"get", "x", "y"}));
}

TEST(Tokenize, Errors) {
    auto r = tokenize("share \"open");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("column 7"), std::string::npos) << r.error().message;
    EXPECT_FALSE(tokenize("a 'b").ok());
    EXPECT_FALSE(tokenize("trailing\\").ok());
}

TEST(ParseCommand, EveryCommandAndItsArgumentCount) {
    struct Case {
        const char* line;
        CommandKind kind;
        std::size_t args;
    } cases[] = {
        {"share f x.mtorrent", CommandKind::share, 2},
        {"get x.mtorrent /tmp/d", CommandKind::get, 2},
        {"show downloads", CommandKind::show_downloads, 0},
        {"remove x.mtorrent", CommandKind::remove, 1},
        {"search big file", CommandKind::search, 1},
        {"watch d", CommandKind::watch, 1},
        {"unwatch d", CommandKind::unwatch, 1},
        {"status", CommandKind::status, 0},
        {"peers x.mtorrent", CommandKind::peers, 1},
        {"help", CommandKind::help, 0},
        {"quit", CommandKind::quit, 0},
        {"exit", CommandKind::quit, 0},
        {"", CommandKind::empty, 0},
    };
    for (const auto& c : cases) {
        auto p = parse_command(c.line);
        ASSERT_TRUE(p.ok()) << c.line << ": " << p.error.detail;
        EXPECT_EQ(p.command.kind, c.kind) << c.line;
        EXPECT_EQ(p.command.args.size(), c.args) << c.line;
    }
    EXPECT_EQ(parse_command("search  big   file").command.args[0], "big file");
}

TEST(ParseCommand, WrongCountsGetTheUsage) {
    for (const char* line : {"share", "share a", "share a b c", "get x", "show", "show uploads",
                             "show downloads now", "remove", "remove a b c", "search", "watch",
                             "unwatch a b", "status x", "peers", "help me", "quit now"}) {
        auto p = parse_command(line);
        EXPECT_EQ(p.error.code, "INVALID_ARGUMENTS") << line;
        EXPECT_EQ(p.error.detail.rfind("usage: ", 0), 0u) << line << ": " << p.error.detail;
    }
    EXPECT_EQ(parse_command("share \"a").error.code, "INVALID_ARGUMENTS");
}

TEST(ParseCommand, UnknownCommands) {
    auto p = parse_command("frobnicate x");
    EXPECT_EQ(p.error.code, "UNKNOWN_COMMAND");
    EXPECT_NE(p.error.detail.find("share <file> <name>.mtorrent"), std::string::npos);
    EXPECT_EQ(parse_command("SHARE a b").error.code, "UNKNOWN_COMMAND");  // case matters
    // Control bytes in an unknown word are not echoed raw.
    auto q = parse_command(std::string("\x1b[2J", 4));
    EXPECT_EQ(q.error.detail.find('\x1b'), std::string::npos);
}

TEST(ParseCommand, HelpAndUsageMentionEveryCommand) {
    const std::string u = usage_line();
    std::string h;
    for (const auto& l : help_lines())
        h += l + "\n";
    for (const char* w : {"share", "get", "show downloads", "remove", "search", "watch", "unwatch",
                          "status", "peers", "help", "quit"}) {
        EXPECT_NE(u.find(w), std::string::npos) << w;
        EXPECT_NE(h.find(w), std::string::npos) << w;
    }
}

}  // namespace
}  // namespace mt::client
