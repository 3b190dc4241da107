// Session through its commands, as the prompt drives it, with its state in
// a temporary folder and trackers that do not answer (nothing here needs
// them): share, show, remove, get, a restart from the saved state, and the
// mistakes a person makes, which never cost them a file.
#include "client/session/session.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

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

    // Polls `pred` for up to 20 s.
    static bool eventually(const std::function<bool()>& pred) {
        for (int i = 0; i < 2000; ++i) {
            if (pred()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }
    // The notices so far (kept: take_notices empties the session's).
    const std::vector<std::string>& notices() {
        for (auto& n : session->take_notices())
            seen.push_back(std::move(n));
        return seen;
    }
    // Waits for a notice holding `text`; returns it ("" if none came).
    std::string notice_with(const std::string& text) {
        std::string hit;
        eventually([&] {
            for (const auto& n : notices())
                if (n.find(text) != std::string::npos) hit = n;
            return !hit.empty();
        });
        return hit;
    }
    // Writes `bytes` at `offset` of `path`, keeping its size and mtime (so
    // only hashing can tell).
    static void damage(const std::string& path, std::size_t offset, const std::string& bytes) {
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(offset));
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        f.close();
        const timespec times[2] = {st.st_atim, st.st_mtim};
        ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    }
    // A .mtorrent of `path` (a file or folder) that nothing seeds: shared,
    // copied, the share removed (its file stays).
    std::string mtorrent_of(const std::string& path, const std::string& name) {
        const Reply r = run("share " + path + " " + dir + "/" + name + ".mtorrent");
        EXPECT_TRUE(r.ok) << r.value << " " << r.detail;
        const std::string copy = dir + "/" + name + "-copy.mtorrent";
        std::ofstream(copy, std::ios::binary) << read_all(dir + "/" + name + ".mtorrent");
        EXPECT_TRUE(run("remove " + name + ".mtorrent").ok);
        return copy;
    }

    std::string dir, data, original;
    std::vector<std::string> seen;
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

TEST_F(SessionTest, VerifyASharedFileKeepsItsBytesAndStopsServingWhatDiffers) {
    start();
    ASSERT_TRUE(run("share " + data + " " + dir + "/data.mtorrent").ok);
    Reply r = run("verify data.mtorrent");
    ASSERT_TRUE(r.ok) << r.value << " " << r.detail;
    EXPECT_EQ(notice_with("verified data.mtorrent"), "verified data.mtorrent: all 2 pieces good");
    EXPECT_EQ(shown("data.mtorrent").rfind("[S]", 0), 0u) << shown("data.mtorrent");

    damage(data, 600 * 1024, "scribble");
    const std::string damaged = read_all(data);
    ASSERT_TRUE(run("verify data.mtorrent").ok);
    EXPECT_EQ(notice_with("1 of 2").rfind("verified data.mtorrent: 1 of 2 pieces good; the others "
                                          "differ",
                                          0),
              0u)
        << notices().back();
    EXPECT_TRUE(eventually([&] { return shown("data.mtorrent").rfind("[!]", 0) == 0; }))
        << shown("data.mtorrent");
    EXPECT_EQ(read_all(data), damaged) << "a shared file is never written";
    EXPECT_EQ(run("verify nothing-like-it").value, "NOT_FOUND");
}

TEST_F(SessionTest, VerifyAPausedDownloadUpdatesItsProgressAndResumeCarriesOn) {
    start();
    const std::string mt = mtorrent_of(data, "data");
    ASSERT_EQ(::mkdir((dir + "/out").c_str(), 0700), 0);
    ASSERT_TRUE(run("get " + mt + " " + dir + "/out").ok);
    const std::string part = dir + "/out/data.bin.part";
    ASSERT_TRUE(run("pause data-copy.mtorrent").ok);
    EXPECT_TRUE(eventually([&] { return shown("data-copy.mtorrent").find("[P] ") == 0; }));
    // The data arrives behind the session's back: only verify can know.
    std::ofstream(part, std::ios::binary | std::ios::trunc) << original;
    ASSERT_TRUE(run("verify data-copy.mtorrent").ok);
    EXPECT_EQ(notice_with("verified data-copy"), "verified data-copy.mtorrent: all 2 pieces good");
    const std::string line = shown("data-copy.mtorrent");
    EXPECT_EQ(line.rfind("[P] data-copy.mtorrent  100.0%  paused", 0), 0u) << line;
    auto d = session->transfer_detail("data-copy.mtorrent");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->have.count(), 2u);
    // resume starts from what verify found: complete, renamed, seeded.
    ASSERT_TRUE(run("resume data-copy.mtorrent").ok);
    EXPECT_TRUE(eventually([&] { return shown("data-copy.mtorrent").rfind("[S]", 0) == 0; }))
        << shown("data-copy.mtorrent");
    EXPECT_EQ(read_all(dir + "/out/data.bin"), original);

    // Finished, paused, then damaged: verify counts what is left, and it
    // stays so (its stopped Torrent had everything: that no longer counts).
    seen.clear();
    ASSERT_TRUE(run("pause data-copy.mtorrent").ok);
    damage(dir + "/out/data.bin", 700 * 1024, "x");
    ASSERT_TRUE(run("verify data-copy.mtorrent").ok);
    EXPECT_EQ(notice_with("verified data-copy"),
              "verified data-copy.mtorrent: 1 of 2 pieces good; resume fetches the others");
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(shown("data-copy.mtorrent").rfind("[P] data-copy.mtorrent   50.0%  paused", 0),
                  0u)
            << shown("data-copy.mtorrent");
    start();
    EXPECT_EQ(shown("data-copy.mtorrent").rfind("[P] data-copy.mtorrent   50.0%  paused", 0), 0u)
        << "after a restart: " << shown("data-copy.mtorrent");
}

TEST_F(SessionTest, VerifyARunningDownloadFindsItsDataAndAFinishedOneItsDamage) {
    start();
    const std::string mt = mtorrent_of(data, "data");
    ASSERT_EQ(::mkdir((dir + "/out").c_str(), 0700), 0);
    ASSERT_TRUE(run("get " + mt + " " + dir + "/out").ok);
    std::ofstream(dir + "/out/data.bin.part", std::ios::binary | std::ios::trunc) << original;
    Reply r = run("verify data-copy.mtorrent");
    ASSERT_TRUE(r.ok) << r.value << " " << r.detail;
    EXPECT_NE(r.detail.find("verifying"), std::string::npos) << r.detail;
    EXPECT_EQ(run("verify data-copy.mtorrent").value, "BUSY");  // one at a time
    EXPECT_EQ(notice_with("verified data-copy"), "verified data-copy.mtorrent: all 2 pieces good");
    EXPECT_TRUE(eventually([&] { return shown("data-copy.mtorrent").rfind("[S]", 0) == 0; }))
        << shown("data-copy.mtorrent");
    const std::string got = dir + "/out/data.bin";
    EXPECT_EQ(read_all(got), original) << "complete: under its name";

    // Damaged under its final name: a download again, the bad piece missing.
    seen.clear();
    damage(got, 10, "x");
    ASSERT_TRUE(run("verify data-copy.mtorrent").ok);
    EXPECT_EQ(notice_with("verified data-copy"),
              "verified data-copy.mtorrent: 1 of 2 pieces good; fetching the others from peers");
    const std::string line = shown("data-copy.mtorrent");
    EXPECT_EQ(line.rfind("[D] data-copy.mtorrent   50.0%", 0), 0u) << line;
    // And so it stays across a restart (not seeded as complete).
    start();
    EXPECT_EQ(shown("data-copy.mtorrent").rfind("[D] data-copy.mtorrent   50.0%", 0), 0u)
        << shown("data-copy.mtorrent");
}

TEST_F(SessionTest, RemoveDeleteDataNeverTouchesWhatIsNotTheDownloads) {
    start();
    // What a person shared: refused, nothing removed.
    ASSERT_TRUE(run("share " + data + " " + dir + "/data.mtorrent").ok);
    Reply r = run("remove data.mtorrent --delete-data");
    EXPECT_EQ(r.value, "NOT_OUR_DATA") << r.detail;
    EXPECT_EQ(shown("data.mtorrent").rfind("[S]", 0), 0u) << "still shared";
    EXPECT_EQ(read_all(data), original);
    EXPECT_EQ(parse_command("remove data.mtorrent --keep --delete-data").error.code,
              "INVALID_ARGUMENTS");
    // Data that was there before its download (adopted): refused too.
    auto bytes = common::read_file(dir + "/data.mtorrent", 1 << 20);
    ASSERT_TRUE(bytes.ok());
    std::ofstream(dir + "/adopt.mtorrent", std::ios::binary) << *bytes;
    ASSERT_TRUE(run("remove data.mtorrent").ok);
    r = run("get " + dir + "/adopt.mtorrent " + data);
    ASSERT_TRUE(r.ok) << r.value << " " << r.detail;
    EXPECT_EQ(run("remove adopt.mtorrent --delete-data").value, "NOT_OUR_DATA");
    // And after a restart (the mark is saved).
    start();
    EXPECT_EQ(run("remove adopt.mtorrent --delete-data").value, "NOT_OUR_DATA");
    ASSERT_TRUE(run("remove adopt.mtorrent").ok);
    EXPECT_EQ(read_all(data), original);
}

TEST_F(SessionTest, RemoveDeleteDataDeletesAFinishedFoldersListedFilesOnly) {
    start();
    const std::string src = dir + "/album";
    ASSERT_EQ(::mkdir(src.c_str(), 0700), 0);
    ASSERT_EQ(::mkdir((src + "/sub").c_str(), 0700), 0);
    std::ofstream(src + "/a.txt") << "first file";
    std::ofstream(src + "/sub/b.txt") << std::string(70000, 'b');
    const std::string mt = mtorrent_of(src, "album");
    ASSERT_EQ(::mkdir((dir + "/out").c_str(), 0700), 0);
    ASSERT_TRUE(run("get " + mt + " " + dir + "/out").ok);
    // The files arrive behind the session's back; verify finds them whole.
    const std::string part = dir + "/out/album.part";
    ::mkdir((part + "/sub").c_str(), 0700);  // (if the download has not made it yet)
    std::ofstream(part + "/a.txt", std::ios::trunc) << "first file";
    std::ofstream(part + "/sub/b.txt", std::ios::trunc) << std::string(70000, 'b');
    ASSERT_TRUE(run("verify album-copy.mtorrent").ok);
    EXPECT_EQ(notice_with("verified album"), "verified album-copy.mtorrent: all 1 pieces good");
    const std::string got = dir + "/out/album";
    ASSERT_TRUE(eventually([&] { return shown("album-copy.mtorrent").rfind("[S]", 0) == 0; }))
        << shown("album-copy.mtorrent");
    auto detail = session->transfer_detail("album-copy.mtorrent");
    ASSERT_TRUE(detail);
    ASSERT_EQ(detail->files.size(), 2u);
    EXPECT_EQ(detail->files[0].path, "a.txt");
    EXPECT_EQ(detail->files[1].path, "sub/b.txt");
    EXPECT_EQ(detail->files[1].done, 70000u);
    EXPECT_EQ(detail->trackers.size(), 2u);
    EXPECT_EQ(detail->view.state, 'S');
    // A person's file beside them, and a link planted where a listed file
    // is, pointing out of the folder: neither is followed nor deleted.
    std::ofstream(got + "/mine.txt") << "a person's";
    std::ofstream(dir + "/outside.txt") << "keep me";
    ASSERT_EQ(::unlink((got + "/sub/b.txt").c_str()), 0);
    ASSERT_EQ(::symlink((dir + "/outside.txt").c_str(), (got + "/sub/b.txt").c_str()), 0);
    Reply r = run("remove album-copy.mtorrent --delete-data");
    ASSERT_TRUE(r.ok) << r.value << " " << r.detail;
    EXPECT_TRUE(eventually([&] { return ::access((got + "/a.txt").c_str(), F_OK) != 0; }));
    EXPECT_EQ(read_all(got + "/mine.txt"), "a person's");
    EXPECT_EQ(read_all(dir + "/outside.txt"), "keep me");
    struct stat st {};
    EXPECT_EQ(::lstat((got + "/sub/b.txt").c_str(), &st), 0) << "the link stays";
    EXPECT_EQ(shown("album-copy.mtorrent"), "");
}

TEST_F(SessionTest, RemoveDeleteDataDeletesAFinishedFile) {
    start();
    const std::string mt = mtorrent_of(data, "data");
    ASSERT_EQ(::mkdir((dir + "/out").c_str(), 0700), 0);
    ASSERT_TRUE(run("get " + mt + " " + dir + "/out").ok);
    std::ofstream(dir + "/out/data.bin.part", std::ios::binary | std::ios::trunc) << original;
    ASSERT_TRUE(run("verify data-copy.mtorrent").ok);
    const std::string got = dir + "/out/data.bin";
    ASSERT_TRUE(eventually([&] { return shown("data-copy.mtorrent").rfind("[S]", 0) == 0; }));
    std::ofstream(dir + "/out/other.bin") << "beside it";
    ASSERT_TRUE(run("remove data-copy.mtorrent --delete-data").ok);
    EXPECT_TRUE(eventually([&] { return ::access(got.c_str(), F_OK) != 0; }));
    EXPECT_EQ(read_all(dir + "/out/other.bin"), "beside it");
    EXPECT_EQ(read_all(data), original);
}

TEST_F(SessionTest, RatesAreSampledEverySecond) {
    start();
    EXPECT_TRUE(eventually([&] { return session->rate_samples().samples.size() >= 2; }));
    const RateSamples r = session->rate_samples();
    EXPECT_EQ(r.interval_ms, 1000);
    EXPECT_EQ(r.samples.front(), (std::pair<std::uint64_t, std::uint64_t>{0, 0}));
}

}  // namespace
}  // namespace mt::client
