// Session through its commands, as the prompt drives it, with its state in
// a temporary folder and trackers that do not answer (nothing here needs
// them): share, show, remove, get, a restart from the saved state, and the
// mistakes a person makes, which never cost them a file.
#include "client/session/session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "common/file_util.h"

namespace mt::client {
namespace {

std::string read_all(const std::string& path) {
    auto r = common::read_file(path, 16 << 20);
    return r ? *r : std::string("<unreadable>");
}

class SessionTest : public ::testing::Test {
  protected:
    SessionTest() {
        std::string tmpl = ::testing::TempDir() + "mt_session_XXXXXX";
        dir = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
        data = dir + "/data.bin";
        std::mt19937 rng(7);
        std::string bytes(1 << 20, '\0');
        for (auto& c : bytes)
            c = static_cast<char>(rng());
        std::ofstream(data, std::ios::binary) << bytes;
        original = bytes;
    }
    ~SessionTest() override {
        if (session) session->stop();
        session.reset();
        (void)std::system(("rm -rf '" + dir + "'").c_str());
    }

    std::vector<std::string> start() {
        if (session) session->stop();
        SessionConfig cfg;
        cfg.self = {"127.0.0.1", 0};
        // Nobody listens there: announces and publishes fail at once.
        cfg.trackers = {{"127.0.0.1", 1}, {"127.0.0.1", 2}};
        cfg.state_dir = dir + "/state";
        cfg.tracker_timeout_ms = 200;
        session = std::make_unique<Session>(cfg, log);
        std::vector<std::string> notes;
        EXPECT_TRUE(session->start(notes));
        return notes;
    }
    Reply run(const std::string& line) {
        auto parsed = parse_command(line);
        EXPECT_TRUE(parsed.ok()) << line << ": " << parsed.error.code;
        return session->execute(parsed.command, false);
    }
    // The `show downloads` line of `label` (a share's label is its .mtorrent's
    // file name), or "".
    std::string shown(const std::string& label) {
        for (const auto& l : run("show downloads").lines)
            if (l.find("] " + label + " ") != std::string::npos) return l;
        return "";
    }

    std::string dir, data, original;
    common::Logger log = common::Logger::null();
    std::unique_ptr<Session> session;
};

TEST_F(SessionTest, ShareSeedsAndARestartBringsItBack) {
    EXPECT_TRUE(start().empty());
    const Reply r = run("share " + data + " " + dir + "/data.mtorrent");
    ASSERT_TRUE(r.ok) << r.value << " " << r.detail;
    EXPECT_TRUE(common::read_file(dir + "/data.mtorrent", 1 << 20).ok());
    EXPECT_EQ(shown("data.mtorrent").rfind("[S]", 0), 0u) << shown("data.mtorrent");

    // Quit and start again: the saved state lists it, it seeds again.
    const auto notes = start();
    EXPECT_TRUE(notes.empty()) << notes.front();
    EXPECT_EQ(shown("data.mtorrent").rfind("[S]", 0), 0u)
        << "not restored: " << shown("data.mtorrent");
}

TEST_F(SessionTest, MistakesAreRefusedWithAReasonAndChangeNothing) {
    start();
    EXPECT_EQ(run("share " + dir + "/missing.bin " + dir + "/m.mtorrent").ok, false);
    EXPECT_EQ(shown("m.mtorrent"), "");
    const Reply not_mtorrent = run("share " + data + " " + dir + "/data.txt");
    EXPECT_FALSE(not_mtorrent.ok);
    EXPECT_EQ(not_mtorrent.value, "INVALID_ARGUMENTS");
    const Reply no_folder = run("share " + data + " " + dir + "/nowhere/data.mtorrent");
    EXPECT_EQ(no_folder.value, "INVALID_ARGUMENTS");

    ASSERT_TRUE(run("share " + data + " " + dir + "/data.mtorrent").ok);
    const Reply twice = run("share " + data + " " + dir + "/data.mtorrent");
    EXPECT_FALSE(twice.ok);
    EXPECT_EQ(twice.value, "ALREADY_SHARED");
    EXPECT_EQ(run("remove nothing-like-it").value, "NOT_FOUND");
    EXPECT_EQ(read_all(data), original);
}

TEST_F(SessionTest, RemoveStopsSharingButKeepsTheFile) {
    start();
    ASSERT_TRUE(run("share " + data + " " + dir + "/data.mtorrent").ok);
    const Reply r = run("remove data.mtorrent");
    ASSERT_TRUE(r.ok) << r.value << " " << r.detail;
    EXPECT_EQ(shown("data.mtorrent"), "");
    EXPECT_EQ(read_all(data), original) << "a person's file is never deleted";
    EXPECT_NE(::access((dir + "/data.mtorrent").c_str(), F_OK), 0)
        << "the .mtorrent the share wrote goes with it";
    EXPECT_EQ(run("remove data.mtorrent").value, "NOT_FOUND");
    // And it stays removed after a restart.
    start();
    EXPECT_EQ(shown("data.mtorrent"), "");
}

TEST_F(SessionTest, GetFromAMtorrentStartsADownloadIntoAFolder) {
    start();
    ASSERT_TRUE(run("share " + data + " " + dir + "/data.mtorrent").ok);
    auto mt = common::read_file(dir + "/data.mtorrent", 1 << 20);
    ASSERT_TRUE(mt.ok());
    std::ofstream(dir + "/copy.mtorrent", std::ios::binary) << *mt;
    ASSERT_TRUE(run("remove data.mtorrent").ok);
    ASSERT_EQ(::mkdir((dir + "/out").c_str(), 0700), 0);
    const Reply r = run("get " + dir + "/copy.mtorrent " + dir + "/out");
    ASSERT_TRUE(r.ok) << r.value << " " << r.detail;
    EXPECT_EQ(shown("copy.mtorrent").rfind("[D]", 0), 0u) << shown("copy.mtorrent");
    // Into a path that is a file of the person's: refused, the file intact.
    const Reply onto = run("get " + dir + "/copy.mtorrent " + data);
    EXPECT_FALSE(onto.ok);
    EXPECT_EQ(read_all(data), original);
}

TEST_F(SessionTest, PerTransferDhtAndPexSwitchesAreKeptAcrossRestarts) {
    start();
    // Another torrent to download: its .mtorrent kept, the share removed.
    std::ofstream(dir + "/other.bin", std::ios::binary) << std::string(70000, 'o');
    ASSERT_TRUE(run("share " + dir + "/other.bin " + dir + "/o.mtorrent").ok);
    auto mt = common::read_file(dir + "/o.mtorrent", 1 << 20);
    ASSERT_TRUE(mt.ok());
    std::ofstream(dir + "/copy.mtorrent", std::ios::binary) << *mt;
    ASSERT_TRUE(run("remove o.mtorrent").ok);
    EXPECT_EQ(run("share " + data + " " + dir + "/d.mtorrent --dht").value, "INVALID_ARGUMENTS");
    EXPECT_EQ(run("share " + data + " " + dir + "/d.mtorrent --only x").value, "INVALID_ARGUMENTS");
    const Reply r = run("share " + data + " " + dir + "/d.mtorrent --no-dht --no-pex");
    ASSERT_TRUE(r.ok) << r.value << " " << r.detail;
    EXPECT_NE(r.detail.find("(no DHT, no PEX)"), std::string::npos) << r.detail;
    const Reply g = run("get " + dir + "/copy.mtorrent " + dir + "/copy.bin --no-pex");
    ASSERT_TRUE(g.ok) << g.value << " " << g.detail;
    EXPECT_NE(g.detail.find("(no PEX)"), std::string::npos) << g.detail;
    auto sources = [&] {
        auto loaded = load_state(dir + "/state/session.state");
        EXPECT_EQ(loaded.state.transfers.size(), 2u);
        std::string out;
        for (const auto& t : loaded.state.transfers)
            out += t.label + (t.sources.dht ? "+dht" : "") + (t.sources.pex ? "+pex " : " ");
        return out;
    };
    EXPECT_EQ(sources(), "d.mtorrent copy.mtorrent+dht ");
    start();  // restored with them
    session->stop();
    EXPECT_EQ(sources(), "d.mtorrent copy.mtorrent+dht ");
}

TEST_F(SessionTest, ADamagedStateFileIsSetAsideNotTrusted) {
    start();
    ASSERT_TRUE(run("share " + data + " " + dir + "/data.mtorrent").ok);
    session->stop();
    session.reset();
    std::ofstream(dir + "/state/session.state", std::ios::binary | std::ios::trunc)
        << "\x1b]0;pwned\x07 not a state file";
    const auto notes = start();
    ASSERT_FALSE(notes.empty()) << "a person is told";
    EXPECT_EQ(notes.front().find('\x1b'), std::string::npos) << "nothing raw on the terminal";
    EXPECT_TRUE(run("show downloads").ok);
    EXPECT_EQ(read_all(data), original);
}

}  // namespace
}  // namespace mt::client
