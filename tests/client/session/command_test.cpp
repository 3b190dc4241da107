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
        {"verify x.mtorrent", CommandKind::verify, 1},
        {"remove x.mtorrent --keep", CommandKind::remove, 2},
        {"remove x.mtorrent --delete-data", CommandKind::remove, 2},
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
    for (const char* line : {"share",
                             "share a",
                             "share a b c d e",
                             "get x",
                             "show",
                             "show uploads",
                             "show downloads now",
                             "remove",
                             "remove a b c",
                             "search",
                             "watch",
                             "unwatch a b",
                             "status x",
                             "peers",
                             "help me now",
                             "quit now",
                             "verify",
                             "verify a b",
                             "remove a --delete",
                             "remove a --keep x",
                             "remove a --keep --delete-data"}) {
        auto p = parse_command(line);
        EXPECT_EQ(p.error.code, "INVALID_ARGUMENTS") << line;
        EXPECT_EQ(p.error.detail.rfind("usage: ", 0), 0u) << line << ": " << p.error.detail;
    }
    EXPECT_EQ(parse_command("share \"a").error.code, "INVALID_ARGUMENTS");
}

TEST(ParseCommand, UnknownCommands) {
    auto p = parse_command("frobnicate x");
    EXPECT_EQ(p.error.code, "UNKNOWN_COMMAND");
    EXPECT_EQ(p.error.detail, "'frobnicate' is not a command (help lists them)");
    // A typo names the nearest command; the command word's case does not matter.
    EXPECT_EQ(parse_command("shwo downloads").error.detail,
              "'shwo' is not a command; did you mean 'show'? (help lists them)");
    EXPECT_EQ(parse_command("SHARE a b").command.kind, CommandKind::share);
    EXPECT_EQ(parse_command("Show DOWNLOADS").command.kind, CommandKind::show_downloads);
    EXPECT_EQ(parse_command("share A B").command.args, (std::vector<std::string>{"A", "B"}));
    // Control bytes in an unknown word are not echoed raw.
    auto q = parse_command(std::string("\x1b[2J", 4));
    EXPECT_EQ(q.error.detail.find('\x1b'), std::string::npos);
}

TEST(ParseCommand, NearestCommand) {
    EXPECT_EQ(nearest_command("stauts"), "status");  // a transposition
    EXPECT_EQ(nearest_command("remvoe"), "remove");
    EXPECT_EQ(nearest_command("quti"), "quit");
    EXPECT_EQ(nearest_command("sear"), "search");  // a start of it
    EXPECT_EQ(nearest_command("SHAER"), "share");
    EXPECT_EQ(nearest_command("resum"), "resume");
    EXPECT_EQ(nearest_command("xyzzy"), "");
    EXPECT_EQ(nearest_command("q"), "");
    EXPECT_EQ(nearest_command(std::string(1000, 'a')), "");
}

TEST(ParseCommand, NewCommandsAndTheirArguments) {
    EXPECT_EQ(parse_command("pause x.mtorrent").command.kind, CommandKind::pause);
    EXPECT_EQ(parse_command("resume x.mtorrent").command.kind, CommandKind::resume);
    EXPECT_EQ(parse_command("limit").command.args.size(), 0u);
    auto up = parse_command("limit UP 2048");
    ASSERT_TRUE(up.ok());
    EXPECT_EQ(up.command.args, (std::vector<std::string>{"up", "2048"}));
    for (const char* bad : {"limit up", "limit sideways 1", "limit up 1 2", "pause", "resume a b",
                            "show downloads --wait", "show downloads --watch x"})
        EXPECT_EQ(parse_command(bad).error.code, "INVALID_ARGUMENTS") << bad;
    auto watch = parse_command("show downloads --watch");
    ASSERT_TRUE(watch.ok());
    EXPECT_EQ(watch.command.args, (std::vector<std::string>{"--watch"}));
    EXPECT_TRUE(parse_command("help get").ok());
    EXPECT_TRUE(parse_command("help EXIT").ok());
    EXPECT_EQ(parse_command("help frob").error.code, "UNKNOWN_COMMAND");
    auto about = help_about("get");
    ASSERT_GE(about.size(), 3u);
    EXPECT_EQ(about[0].rfind("usage: get ", 0), 0u);
    EXPECT_EQ(help_about("exit")[0], "usage: quit");  // an alias explains what it stands for
    EXPECT_TRUE(help_about("nothing").empty());
}

TEST(ParseCommand, HelpAndUsageMentionEveryCommand) {
    const std::string u = usage_line();
    std::string h;
    for (const auto& l : help_lines())
        h += l + "\n";
    for (const char* w :
         {"share", "get", "show downloads", "remove", "search", "watch", "unwatch", "status",
          "peers", "help", "quit", "pause", "resume", "limit", "verify"}) {
        EXPECT_NE(u.find(std::string(w).substr(0, std::string(w).find(' '))), std::string::npos)
            << w;
        EXPECT_NE(h.find(w), std::string::npos) << w;
    }
}

TEST(ParseCommand, VerifyAndRemoveDeleteDataAreExplained) {
    EXPECT_EQ(command_usage(CommandKind::verify), "usage: verify <name>");
    EXPECT_EQ(command_usage(CommandKind::remove), "usage: remove <name> [--keep | --delete-data]");
    std::string verify, remove;
    for (const auto& l : help_about("verify"))
        verify += l + "\n";
    for (const auto& l : help_about("remove"))
        remove += l + "\n";
    EXPECT_NE(verify.find("stays paused"), std::string::npos) << verify;
    EXPECT_NE(verify.find("file is never"), std::string::npos) << verify;
    EXPECT_NE(remove.find("--delete-data"), std::string::npos) << remove;
    EXPECT_NE(remove.find("NOT_OUR_DATA"), std::string::npos) << remove;
    EXPECT_EQ(nearest_command("verfiy"), "verify");
}

}  // namespace
}  // namespace mt::client
