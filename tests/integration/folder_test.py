#!/usr/bin/env python3
"""Folder torrents between bin/client processes on loopback, through one
tracker pair: a tree with nested folders, an empty file, UTF-8 names, a file
smaller than a block, files across piece boundaries and 1,000 small files is
shared and fetched byte for byte; --only fetches some files and creates no
other; kill -9 in the middle resumes without refetching verified pieces;
hostile paths in a metainfo never write outside the destination; a seeder
whose folder differs from the .mtorrent refuses to start."""
import os
import re
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import Suite, bencode, wait_until  # noqa: E402
from swarm import TRACKER_FLAGS, FakeSeeder, Proc, stop_all, tracker_pair  # noqa: E402
from folders import PIECE, FolderTorrent, check_tree, info_hash_of  # noqa: E402


class World:
    def __init__(self, suite):
        self.suite = suite
        self.trackers = list(tracker_pair(suite, extra=TRACKER_FLAGS))
        self.t1, self.t2 = self.trackers
        self.tree = FolderTorrent(os.path.join(suite.work, "tree"), "tree", self.trackers)

    def scrape(self, ih):
        return [t.scrape(ih) for t in self.trackers]

    def wait_seeders(self, ih, n, timeout=15):
        if not wait_until(lambda: all(s is not None and s[0] >= n for s in self.scrape(ih)), timeout, 0.05):
            raise AssertionError("trackers did not list %d seeders: %s" % (n, self.scrape(ih)))


def get(suite, name, torrent, dest, extra=()):
    os.makedirs(dest, exist_ok=True)
    p = Proc(suite, name, ["get", torrent, dest, "--bind", "127.0.0.1", "--max-peers-per-ip", "50"] +
             list(extra))
    p.dest = dest
    return p


def finished(p, timeout):
    rc = p.wait(timeout)
    if rc != 0:
        raise AssertionError("get: %s" % p.describe())
    if "complete and verified" not in p.out():
        raise AssertionError("no completion line: %r" % p.out()[-300:])


def seed(suite, name, torrent, folder):
    return Proc(suite, name, ["seed", torrent, folder, "--bind", "127.0.0.1", "--max-peers-per-ip", "50"])


# ---- cases --------------------------------------------------------------------------

def folder_from_two_seeders(suite, w):
    t = w.tree
    procs = [seed(suite, "two-seed1", t.torrent, t.root), seed(suite, "two-seed2", t.torrent, t.root)]
    try:
        w.wait_seeders(t.info_hash, 2)
        dest = os.path.join(suite.work, "two-out")
        g = get(suite, "two-get", t.torrent, dest, ["--timeout", "60"])
        procs.append(g)
        finished(g, 70)
        check_tree(os.path.join(dest, "tree"), t.want)
        left = [f for f in os.listdir(dest) if f != "tree"]
        if left:
            raise AssertionError("left beside the download: %s" % left)
    finally:
        stop_all(procs)


def only_globs_fetch_only_those(suite, w):
    t = w.tree
    procs = [seed(suite, "only-seed", t.torrent, t.root)]
    try:
        w.wait_seeders(t.info_hash, 1)
        dest = os.path.join(suite.work, "only-out")
        g = get(suite, "only-get", t.torrent, dest,
                ["--timeout", "60", "--only", "*.iso", "--only", "caf\u00e9", "--only", "a/b/"])
        procs.append(g)
        finished(g, 70)

        def chosen(p):
            return p == "big.iso" or p.startswith("caf\u00e9/") or p.startswith("a/b/")
        check_tree(os.path.join(dest, "tree"), t.want, chosen)
        # Nothing else was created, not even empty: the edges of other files
        # in shared pieces are in the parts file beside the folder.
        for absent in ("README.txt", "many", "a/straddle.bin", "empty.dat"):
            if os.path.lexists(os.path.join(dest, "tree", absent)):
                raise AssertionError("%s was created though not chosen" % absent)
        if not os.path.exists(os.path.join(dest, "tree.mtparts")):
            raise AssertionError("no parts file beside the download")
        if "complete and verified" not in g.out():
            raise AssertionError(g.out())
    finally:
        stop_all(procs)


def only_matching_nothing_is_refused(suite, w):
    r = mtlib.subprocess.run([os.path.join(mtlib.BIN, "client"), "get", w.tree.torrent,
                              os.path.join(suite.work, "none-out"), "--only", "*.nothing"],
                             capture_output=True, text=True, timeout=20)
    if r.returncode == 0 or "matches the --only patterns" not in r.stderr:
        raise AssertionError("rc=%s err=%r" % (r.returncode, r.stderr))
    if os.path.exists(os.path.join(suite.work, "none-out")):
        raise AssertionError("a destination was created for nothing")


class StreamSeeder:
    """What FakeSeeder needs of a swarm, for a folder torrent's byte stream."""

    def __init__(self, w, t):
        self.info_hash = t.info_hash
        self.piece_length = t.piece_length
        self.pieces = t.pieces
        self.data = t.stream_file()
        self.t1, self.t2 = w.t1, w.t2


def folder_kill9_resume(suite, w):
    t = FolderTorrent(os.path.join(suite.work, "resume"), "resume", w.trackers, seed=7, many=50,
                      big=6 * PIECE + 99)
    slow = FakeSeeder(StreamSeeder(w, t), delay=0.01)
    procs = []
    try:
        slow.announce()
        dest = os.path.join(suite.work, "resume-out")
        g1 = get(suite, "resume-get1", t.torrent, dest, ["--timeout", "90"])
        procs.append(g1)
        resume = os.path.join(dest, "resume.mtresume")
        if not wait_until(lambda: os.path.exists(resume) or not g1.alive(), 30, 0.005):
            raise AssertionError("no resume file: %s" % g1.describe())
        if not g1.alive():
            raise AssertionError("the first run finished before its resume state was saved")
        time.sleep(0.5)
        g1.kill9()
        slow.delay = 0
        sent_before = slow.blocks_sent
        g2 = get(suite, "resume-get2", t.torrent, dest, ["--timeout", "60"])
        procs.append(g2)
        finished(g2, 70)
        check_tree(os.path.join(dest, "resume"), t.want)
        m = re.search(r"(\d+) of (\d+) pieces already verified", g2.logtext())
        if not m or int(m.group(1)) == 0:
            raise AssertionError("restart kept nothing: %s" % (m.group(0) if m else g2.logtext()[-300:]))
        refetched = slow.blocks_sent - sent_before
        total_blocks = (t.size + 16383) // 16384
        if refetched >= total_blocks:
            raise AssertionError("restart fetched %d blocks of %d: everything again" % (refetched, total_blocks))
        print("  folder_kill9_resume: restart kept %s of %s pieces, fetched %d of %d blocks" %
              (m.group(1), m.group(2), refetched, total_blocks), flush=True)
    finally:
        stop_all(procs)
        slow.stop()


def hostile_paths_stay_inside(suite, w):
    """A metainfo whose paths climb out, are absolute, hold separators and
    control characters, repeat, or meet a planted link: every byte lands
    inside the destination, at the repaired paths `client info` lists."""
    import hashlib
    import random
    base = os.path.join(suite.work, "hostile")
    os.makedirs(base, exist_ok=True)
    outside = os.path.join(suite.work, "outside")
    os.makedirs(outside, exist_ok=True)
    paths = [[b"..", b"..", b"outside", b"escaped"], [b"/etc", b"passwd"], [b"a/b", b"c"],
             [b"ctl\x1b[2J", b"x"], [b"dup"], [b"dup"], [b""], [b"sub", b"victim"],
             [b"bad\xff\xfeutf8"]]
    rng = random.Random(5)
    files = [(p, 20000 + 1000 * i) for i, p in enumerate(paths)]
    stream = b"".join(rng.randbytes(n) for _, n in files)
    pl = 16384
    info = {b"name": b"hostile", b"piece length": pl,
            b"pieces": b"".join(hashlib.sha1(stream[i:i + pl]).digest() for i in range(0, len(stream), pl)),
            b"files": [{b"length": n, b"path": p} for p, n in files]}
    urls = [t.url("/announce").encode() for t in w.trackers]
    raw = bencode({b"announce": urls[0], b"announce-list": [urls], b"info": info})
    torrent = os.path.join(base, "hostile.mtorrent")
    with open(torrent, "wb") as f:
        f.write(raw)
    data = os.path.join(base, "stream.bin")
    with open(data, "wb") as f:
        f.write(stream)

    class S:
        pass
    s = S()
    s.info_hash, s.piece_length, s.data = info_hash_of(raw), pl, data
    s.pieces = (len(stream) + pl - 1) // pl
    s.t1, s.t2 = w.t1, w.t2
    seeder = FakeSeeder(s)
    procs = []
    try:
        seeder.announce()
        dest = os.path.join(base, "out")
        os.makedirs(os.path.join(dest, "hostile.part"))
        # A link planted where the torrent wants a folder (in the partial
        # data a download resumes from): refused, not followed.
        os.symlink(outside, os.path.join(dest, "hostile.part", "sub"))
        g = get(suite, "hostile-get", torrent, dest, ["--timeout", "30"])
        procs.append(g)
        rc = g.wait(40)
        if os.listdir(outside):
            raise AssertionError("written outside the destination: %s" % os.listdir(outside))
        if rc == 0 or "symbolic link" not in g.err():
            raise AssertionError("the planted link was not refused: %s" % g.describe())
        # Without the link every file lands inside, repaired.
        os.unlink(os.path.join(dest, "hostile.part", "sub"))
        g2 = get(suite, "hostile-get2", torrent, dest, ["--timeout", "30"])
        procs.append(g2)
        finished(g2, 40)
        if os.listdir(outside):
            raise AssertionError("written outside the destination: %s" % os.listdir(outside))
        got = []
        for d, _, fs in os.walk(dest):
            for f in fs:
                got.append(os.path.relpath(os.path.join(d, f), dest))
        want = {"hostile/outside/escaped", "hostile/_etc/passwd", "hostile/a_b/c", "hostile/ctl_[2J/x",
                "hostile/dup", "hostile/dup.1", "hostile/_", "hostile/sub/victim", "hostile/bad__utf8"}
        if set(got) != want:
            raise AssertionError("files %s, want %s" % (sorted(got), sorted(want)))
        if "\x1b" in g2.err() + g2.out():
            raise AssertionError("a control character reached the terminal")
        for line in ("dropped", "made distinct"):
            if line not in g2.err():
                raise AssertionError("repairs not listed: %r" % g2.err())
    finally:
        stop_all(procs)
        seeder.stop()


def seed_refuses_a_changed_folder(suite, w):
    import shutil
    t = w.tree
    copy = os.path.join(suite.work, "changed", "tree")
    shutil.copytree(t.root, copy)
    with open(os.path.join(copy, "a", "straddle.bin"), "r+b") as f:
        f.seek(1000)
        f.write(b"changed")
    r = mtlib.subprocess.run([os.path.join(mtlib.BIN, "client"), "seed", t.torrent, copy],
                             capture_output=True, text=True, timeout=30)
    if r.returncode == 0 or "does not match the .mtorrent: 1 of" not in r.stderr:
        raise AssertionError("rc=%s err=%r" % (r.returncode, r.stderr))
    os.unlink(os.path.join(copy, "many", "f0003.txt"))
    r = mtlib.subprocess.run([os.path.join(mtlib.BIN, "client"), "seed", t.torrent, copy],
                             capture_output=True, text=True, timeout=30)
    if r.returncode == 0 or "f0003.txt" not in r.stderr:
        raise AssertionError("rc=%s err=%r" % (r.returncode, r.stderr))


if __name__ == "__main__":
    sys.exit(Suite().run([folder_from_two_seeders, only_globs_fetch_only_those,
                          only_matching_nothing_is_refused, folder_kill9_resume,
                          hostile_paths_stay_inside, seed_refuses_a_changed_folder],
                         setup=World))
