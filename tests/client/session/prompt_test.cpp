#include "client/session/prompt.h"

#include <gtest/gtest.h>

namespace mt::client {
namespace {

std::vector<std::string> all(LineSplitter& s) {
    std::vector<std::string> out;
    while (auto l = s.next())
        out.push_back((l->too_long ? "!" : "") + l->text);
    return out;
}

TEST(LineSplitter, SplitsAtEveryOffset) {
    const std::string input = "share a b\r\nhelp\n\nquit";
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        LineSplitter s;
        s.feed(input.substr(0, cut));
        auto got = all(s);
        s.feed(input.substr(cut));
        for (auto& l : all(s))
            got.push_back(l);
        auto last = s.finish();
        ASSERT_TRUE(last.has_value()) << cut;
        got.push_back(last->text);
        EXPECT_EQ(got, (std::vector<std::string>{"share a b", "help", "", "quit"})) << cut;
    }
}

TEST(LineSplitter, LongLinesAreCutOnceAndTheRestDropped) {
    LineSplitter s(8);
    s.feed("0123456789abc");
    s.feed("def\nok\n");
    EXPECT_EQ(all(s), (std::vector<std::string>{"!01234567", "ok"}));
    s.feed("0123456789");
    EXPECT_FALSE(s.finish().has_value());
    LineSplitter exact(4);
    exact.feed("abcd\n");
    EXPECT_EQ(all(exact), (std::vector<std::string>{"abcd"}));
}

}  // namespace
}  // namespace mt::client
