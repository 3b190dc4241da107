#!/usr/bin/env python3
"""Downloads never clobber or leave half-files where the finished file goes.

bin/client processes (one-shot get/seed/create and the interactive prompt) on
loopback, through one tracker pair, checked for what `get` does with its
destination DEST:

  - DEST already holding other bytes is refused (one-shot: exit 1 "already
    exists"; prompt: FAILURE:ALREADY_EXISTS), and left as it was;
  - DEST already holding exactly the torrent's data is recognised as complete
    (verified, no peer needed), and left as it was;
  - while a download runs the bytes go to DEST.part (a folder torrent:
    <dest>/<name>.part/), DEST itself appears only once every piece is
    verified, and DEST.part and DEST.mtresume are gone then;
  - Ctrl-C (one-shot) or `remove --keep` (prompt) keep DEST.part, and the
    same get again resumes into it; a plain `remove` deletes it;
  - a destination ending in '/' is a folder, made if missing;
  - `get <name>` never chooses between files of one name (FAILURE:AMBIGUOUS,
    listing every info_hash, whatever the seeder counts say), and a share
    that is removed, or changed and shared again by `watch`, is withdrawn
    from the trackers by its publisher, so its name leads to the live file.

Seeders are one-shot `client seed` processes; a slow one
(--max-upload-rate 256 KiB/s) keeps a 3 MiB download in progress for
seconds, and a fast one (no cap) is added when a case wants it finished.

Each case collects every expectation it finds broken (printed indented
under it) rather than stopping at the first one. Usage:
safety_test.py [case...]; every process is stopped by PID.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import BIN, Suite, sha1_file, tracker_pair, wait_until  # noqa: E402
from swarm import TRACKER_FLAGS, Proc  # noqa: E402
from prompt_client import Client  # noqa: E402

KIB = 1024
MIB = 1 << 20
SLOW_KIBS = "256"  # the slow seeder's upload cap, KiB/s: 3 MiB takes about 12 s
PRECIOUS = b"precious: the only copy of something that is not the torrent's data\n"


# ---- helpers ------------------------------------------------------------------------

class Checks:
    """The broken expectations of one case: expect() notes one and goes on,
    done() prints them all (indented under the case) and raises."""

    def __init__(self, case):
        self.case = case
        self.broken = []

    def expect(self, cond, what):
        if not cond:
            self.broken.append(what)
        return bool(cond)

    def done(self):
        for b in self.broken:
            print("    %s: - %s" % (self.case, b), flush=True)
        if self.broken:
            raise AssertionError("%d expectation(s) broken; first: %s" % (len(self.broken), self.broken[0]))


class Tor:
    """One torrent of random bytes: work/<tag>/src/<fname> and
    work/<tag>/<tag>.mtorrent naming the world's trackers. A folder (files:
    {relative path: size}) makes a folder torrent of work/<tag>/src/<fname>/."""

    def __init__(self, w, tag, size=3 * MIB, fname=None, files=None, content=None):
        self.dir = os.path.join(w.suite.work, tag)
        self.name = fname or tag + ".bin"
        self.src = os.path.join(self.dir, "src", self.name)
        if files:
            for rel, n in files.items():
                write_random(os.path.join(self.src, rel), n)
            self.want = {rel: sha1_file(os.path.join(self.src, rel)) for rel in files}
        else:
            os.makedirs(os.path.dirname(self.src), exist_ok=True)
            with open(self.src, "wb") as f:
                f.write(content if content is not None else os.urandom(size))
            self.sha1 = sha1_file(self.src)
        self.torrent = os.path.join(self.dir, tag + ".mtorrent")
        self.label = os.path.basename(self.torrent)  # what the prompt calls a get of it
        r = client_run(["create", self.src, self.torrent, "--tracker", w.t1.url("/announce"),
                        "--tracker", w.t2.url("/announce")])
        if r.returncode != 0:
            raise RuntimeError("create %s: %s" % (tag, r.stderr))
        m = re.search(r"info_hash:\s*([0-9a-f]{40})", client_run(["info", self.torrent]).stdout)
        self.ih = m.group(1)


class World:
    """What the cases share: one tracker pair (2 s announce interval)."""

    def __init__(self, suite):
        self.suite = suite
        self.t1, self.t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
        self.n = 0

    def tag(self, base):
        self.n += 1
        return "%s%d" % (base, self.n)

    def seeders(self, tor):
        """(seeders on t1, seeders on t2) of a torrent; -1 for no answer."""
        ih = bytes.fromhex(tor.ih)
        return tuple((s[0] if s else -1) for s in (self.t1.scrape(ih), self.t2.scrape(ih)))

    def seed(self, tor, slow, want=1):
        """A one-shot seeder of tor (slow: capped at SLOW_KIBS KiB/s); returns
        once both trackers list `want` seeders."""
        args = ["seed", tor.torrent, tor.src, "--bind", "127.0.0.1", "--max-peers-per-ip", "50"]
        if slow:
            args += ["--max-upload-rate", SLOW_KIBS]
        p = Proc(self.suite, self.tag("seed-"), args)
        if not wait_until(lambda: min(self.seeders(tor)) >= want or not p.alive(), 20, 0.05):
            raise AssertionError("the trackers never listed %d seeder(s): %s; %s" %
                                 (want, self.seeders(tor), p.describe()))
        if not p.alive():
            raise AssertionError("the seeder exited: %s" % p.describe())
        return p

    def get(self, tor, dest, timeout=60):
        """A one-shot `client get tor dest`, a progress line every 200 ms."""
        p = Proc(self.suite, self.tag("get-"), ["get", tor.torrent, dest, "--bind", "127.0.0.1",
                                                 "--max-peers-per-ip", "50", "--progress-ms", "200",
                                                 "--timeout", str(timeout)])
        p.dest = dest
        return p


def write_random(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def client_run(args, timeout=30):
    return subprocess.run([os.path.join(BIN, "client")] + args, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def verified(p):
    """Bytes a one-shot get's last progress line says are verified (0 before any)."""
    m = re.findall(r"\((\d+) of \d+ bytes verified", p.out())
    return int(m[-1]) if m else 0


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha1_or_none(path):
    return sha1_file(path) if os.path.isfile(path) else None


def landed(ck, path, sha1, who):
    """After the prompt shows a download complete: within 5 s `path` holds
    the data (sha1) and `path`.part is gone; notes what is there if not."""
    t0 = time.time()
    if wait_until(lambda: sha1_or_none(path) == sha1 and not os.path.lexists(path + ".part"), 5, 0.05):
        if time.time() - t0 > 0.5:
            print("    (%s: in place %.1f s after the prompt showed it complete)" % (who, time.time() - t0),
                  flush=True)
        return True
    return ck.expect(False, "%s: 5 s after [S] 100%%: DEST is %s%s, DEST.part is %s" % (
        who, what_is(path), " (other bytes)" if os.path.isfile(path) else "", what_is(path + ".part")))


def what_is(path):
    """'a folder', 'a file of N bytes' or 'absent': for messages."""
    if os.path.isdir(path):
        return "a folder"
    if os.path.isfile(path):
        return "a file of %d bytes" % os.path.getsize(path)
    return "absent"


def stopped(procs):
    for p in procs:
        if p is not None:
            p.stop()


def downloading(c, label, timeout=20):
    """Waits until the prompt's transfer has verified something but is not
    done; its (state, percent)."""
    seen = []

    def pred():
        s = c.transfer_state(label)
        seen.append(s)
        return s is not None and s[0] == "D" and s[1] is not None and 0 < s[1] < 100
    if not wait_until(pred, timeout, 0.1):
        raise AssertionError("%s never in progress: last %r" % (label, seen[-1:]))
    return seen[-1]


def completes(c, label, timeout=30):
    """True once the prompt shows the transfer seeding at 100%."""
    return wait_until(lambda: c.transfer_state(label) == ("S", 100.0), timeout, 0.1)


# ---- cases --------------------------------------------------------------------------

def one_shot_refuses_other_content(suite, w):
    """One-shot get onto an existing file with other bytes: exit 1, "already
    exists" on stderr, the file untouched, no DEST.part."""
    ck = Checks("one_shot_refuses_other_content")
    tor = Tor(w, w.tag("refuse"))
    dest = os.path.join(tor.dir, "precious.txt")
    with open(dest, "wb") as f:
        f.write(PRECIOUS)
    g = w.get(tor, dest, timeout=5)
    rc = g.wait(20)
    ck.expect(rc == 1, "exit status %s, want 1" % rc)
    ck.expect("already exists" in g.err(), "stderr lacks 'already exists': %r" % g.err()[-200:])
    ck.expect(read(dest) == PRECIOUS, "DEST changed: %d bytes now, starting %r" % (
        os.path.getsize(dest), read(dest)[:20]))
    ck.expect(not os.path.lexists(dest + ".part"), "DEST.part was created")
    ck.done()


def one_shot_complete_copy_is_done(suite, w):
    """One-shot get onto a file already holding exactly the torrent's data,
    no seeder anywhere: exit 0 within a few seconds, "complete and verified",
    DEST untouched (same SHA-1), no DEST.part."""
    ck = Checks("one_shot_complete_copy_is_done")
    tor = Tor(w, w.tag("copy"))
    dest = os.path.join(tor.dir, "copy.bin")
    with open(dest, "wb") as f:
        f.write(read(tor.src))
    t0 = time.time()
    g = w.get(tor, dest, timeout=10)
    rc = g.wait(20)
    took = time.time() - t0
    ck.expect(rc == 0, "exit status %s, want 0 (%s)" % (rc, g.err()[-200:].strip()))
    ck.expect(took < 6, "took %.1f s, want a few seconds" % took)
    ck.expect("complete and verified" in g.out(), "stdout lacks 'complete and verified': %r" % g.out()[-200:])
    ck.expect(sha1_or_none(dest) == tor.sha1, "DEST changed")
    ck.expect(not os.path.lexists(dest + ".part"), "DEST.part was created")
    ck.done()


def one_shot_writes_part_then_renames(suite, w):
    """A one-shot get from a slow seeder writes DEST.part and no DEST; on
    completion DEST is right and DEST.part and DEST.mtresume are gone.
    SIGINT mid-way: exit 130, DEST absent, DEST.part kept; the same command
    again resumes (its log: some pieces of DEST.part already verified),
    completes into DEST and removes DEST.part."""
    ck = Checks("one_shot_writes_part_then_renames")
    tor = Tor(w, w.tag("part"))
    procs = []
    try:
        procs.append(w.seed(tor, slow=True))
        # 1. A whole download.
        dest = os.path.join(tor.dir, "out.bin")
        g = w.get(tor, dest)
        procs.append(g)
        if not wait_until(lambda: verified(g) > 0 or not g.alive(), 20, 0.05):
            raise AssertionError("nothing verified within 20 s: %s" % g.describe())
        if g.alive():
            ck.expect(not os.path.lexists(dest), "DEST exists while the download runs")
            ck.expect(os.path.isfile(dest + ".part"), "no DEST.part while the download runs")
        else:
            ck.expect(False, "the get ended before it could be looked at: %s" % g.describe())
        procs.append(w.seed(tor, slow=False, want=2))  # finish it quickly
        rc = g.wait(40)
        ck.expect(rc == 0 and "complete and verified" in g.out(), "the get did not complete: %s" % g.describe())
        ck.expect(sha1_or_none(dest) == tor.sha1, "DEST is not the torrent's data")
        ck.expect(not os.path.lexists(dest + ".part"), "DEST.part left after completion")
        ck.expect(not os.path.lexists(dest + ".mtresume"), "DEST.mtresume left after completion")
        procs[-1].stop()
        # 2. Interrupted, then the same command again.
        dest = os.path.join(tor.dir, "again.bin")
        g = w.get(tor, dest)
        procs.append(g)
        if not wait_until(lambda: verified(g) > 0 or not g.alive(), 20, 0.05) or not g.alive():
            raise AssertionError("the second get was never in progress: %s" % g.describe())
        g.proc.send_signal(signal.SIGINT)
        rc = g.wait(15)
        ck.expect(rc == 130, "SIGINT: exit status %s, want 130" % rc)
        ck.expect(not os.path.lexists(dest), "DEST exists after SIGINT")
        ck.expect(os.path.isfile(dest + ".part"), "no DEST.part after SIGINT")
        procs.append(w.seed(tor, slow=False, want=2))
        g = w.get(tor, dest)
        procs.append(g)
        rc = g.wait(40)
        ck.expect(rc == 0 and "complete and verified" in g.out(), "the rerun did not complete: %s" % g.describe())
        ck.expect(sha1_or_none(dest) == tor.sha1, "DEST is not the torrent's data after the rerun")
        ck.expect(not os.path.lexists(dest + ".part"), "DEST.part left after the rerun")
        ck.expect(not os.path.lexists(dest + ".mtresume"), "DEST.mtresume left after the rerun")
        m = re.search(r"(\d+) of (\d+) pieces already verified", g.logtext())
        ck.expect(m and int(m.group(1)) > 0, "the rerun kept no verified piece of DEST.part: %r" % (
            m.group(0) if m else g.logtext()[-300:]))
    finally:
        stopped(procs)
    ck.done()


def trailing_slash_makes_a_folder(suite, w):
    """`get X.mtorrent WORK/newdir/` (newdir missing): the one-shot get
    makes the folder and writes newdir/<name>; the prompt does the same for
    newdir2/ and answers SUCCESS."""
    ck = Checks("trailing_slash_makes_a_folder")
    tor = Tor(w, w.tag("slash"), size=1 * MIB + 777)
    procs = []
    c = None
    try:
        procs.append(w.seed(tor, slow=False))
        newdir = os.path.join(tor.dir, "newdir")
        g = w.get(tor, newdir + "/", timeout=30)
        procs.append(g)
        rc = g.wait(40)
        ck.expect(rc == 0, "one-shot: exit status %s, want 0: %s" % (rc, g.err()[-200:].strip()))
        ck.expect(os.path.isdir(newdir), "one-shot: newdir is %s, want a folder" % what_is(newdir))
        ck.expect(sha1_or_none(os.path.join(newdir, tor.name)) == tor.sha1,
                  "one-shot: newdir/%s is not the torrent's data" % tor.name)
        c = Client(suite, w.tag("slash-prompt-"), w.t1, w.t2)
        newdir2 = os.path.join(tor.dir, "newdir2")
        r = c.cmd("get %s %s/" % (tor.torrent, newdir2))
        if ck.expect(r.ok, "prompt: get into newdir2/ answered %r" % r):
            ck.expect(completes(c, tor.label), "prompt: never complete: %r" % c.transfers())
            ck.expect(os.path.isdir(newdir2), "prompt: newdir2 is %s, want a folder" % what_is(newdir2))
            landed(ck, os.path.join(newdir2, tor.name), tor.sha1, "prompt: newdir2/" + tor.name)
        # By name (the metainfo from the trackers): the same.
        p = Client(suite, w.tag("slash-sharer-"), w.t1, w.t2)
        procs.append(p)
        src = os.path.join(p.dir, "byname.bin")
        write_random(src, 700 * KIB)
        ck.expect(p.cmd("share %s byname.mtorrent" % src).ok, "the sharer's share failed")
        newdir3 = os.path.join(tor.dir, "newdir3")
        wait_until(lambda: search(w.t1, "byname.bin"), 10, 0.1)
        r = c.cmd("get byname.bin %s/" % newdir3)
        if ck.expect(r.ok, "prompt: get by name into newdir3/ answered %r" % r):
            ck.expect(completes(c, "byname.bin.mtorrent"), "prompt: by name never complete: %r" % c.transfers())
            ck.expect(os.path.isdir(newdir3), "prompt: newdir3 is %s, want a folder" % what_is(newdir3))
            landed(ck, os.path.join(newdir3, "byname.bin"), sha1_file(src), "prompt: newdir3/byname.bin")
    finally:
        stopped(procs + [c])
    ck.done()


def prompt_remove_deletes_part(suite, w):
    """At the prompt, a download from a slow seeder writes DEST.part, not
    DEST; `remove <label>` deletes DEST.part. `remove <label> --keep` keeps
    DEST2.part, and the same get again resumes into it (its log: some pieces
    already verified) and completes; DEST2 is in place, DEST2.part gone,
    within 5 s of the prompt showing it complete."""
    ck = Checks("prompt_remove_deletes_part")
    tor = Tor(w, w.tag("rm"))
    procs = []
    c = None
    try:
        procs.append(w.seed(tor, slow=True))
        c = Client(suite, w.tag("rm-prompt-"), w.t1, w.t2)
        dest = os.path.join(c.dir, "out.bin")
        r = c.cmd("get %s %s" % (tor.torrent, dest))
        if not r.ok:
            raise AssertionError("get answered %r" % r)
        downloading(c, tor.label)
        ck.expect(not os.path.lexists(dest), "DEST exists while the download runs")
        ck.expect(os.path.isfile(dest + ".part"), "no DEST.part while the download runs")
        r = c.cmd("remove %s" % tor.label)
        ck.expect(r.ok, "remove answered %r" % r)
        ck.expect(wait_until(lambda: not os.path.lexists(dest + ".part"), 5, 0.05),
                  "DEST.part still there 5 s after remove")
        ck.expect(not os.path.lexists(dest), "DEST exists after remove")
        # --keep keeps the partial file; get resumes into it.
        dest2 = os.path.join(c.dir, "out2.bin")
        r = c.cmd("get %s %s" % (tor.torrent, dest2))
        if not r.ok:
            raise AssertionError("second get answered %r" % r)
        downloading(c, tor.label)
        r = c.cmd("remove %s --keep" % tor.label)
        if not ck.expect(r.ok, "remove --keep answered %r" % r):
            c.cmd("remove %s" % tor.label)  # on as after a remove
        time.sleep(1)
        ck.expect(os.path.isfile(dest2 + ".part"), "DEST2.part not kept by remove --keep")
        ck.expect(c.transfer_state(tor.label) is None, "still listed after remove --keep: %r" % c.transfers())
        procs.append(w.seed(tor, slow=False, want=2))
        r = c.cmd("get %s %s" % (tor.torrent, dest2))
        if ck.expect(r.ok, "get into DEST2 again answered %r" % r):
            ck.expect(completes(c, tor.label), "the resumed get never completed: %r" % c.transfers())
            landed(ck, dest2, tor.sha1, "DEST2")
            m = re.findall(r"(\d+) of \d+ pieces already verified", c.logtext())
            ck.expect(m and int(m[-1]) > 0, "the get into DEST2 again kept no verified piece of DEST2.part "
                      "(log: %r)" % m)
    finally:
        stopped(procs + [c])
    ck.done()


def prompt_existing_destination(suite, w):
    """At the prompt: get onto a file with other bytes is FAILURE:ALREADY_EXISTS
    (file untouched); onto a correct complete copy it is SUCCESS and shows
    complete (100%) with no seeder anywhere."""
    ck = Checks("prompt_existing_destination")
    tor = Tor(w, w.tag("exist"), size=2 * MIB + 5)
    c = Client(suite, w.tag("exist-prompt-"), w.t1, w.t2)
    try:
        dest = os.path.join(c.dir, "precious.txt")
        with open(dest, "wb") as f:
            f.write(PRECIOUS)
        r = c.cmd("get %s %s" % (tor.torrent, dest))
        ck.expect(not r.ok and r.value == "ALREADY_EXISTS", "onto other bytes: %r" % r)
        ck.expect(read(dest) == PRECIOUS, "the other bytes changed")
        if r.ok:
            c.cmd("remove %s" % tor.label)
        copy = os.path.join(c.dir, "copy.bin")
        with open(copy, "wb") as f:
            f.write(read(tor.src))
        r = c.cmd("get %s %s" % (tor.torrent, copy))
        if ck.expect(r.ok, "onto a complete copy: %r" % r):
            ck.expect(completes(c, tor.label, 10), "the copy not shown complete: %r" % c.transfers())
        ck.expect(sha1_or_none(copy) == tor.sha1, "the complete copy changed")
        ck.expect(not os.path.lexists(copy + ".part"), "a .part beside the complete copy")
    finally:
        c.stop()
    ck.done()


def prompt_folder_part(suite, w):
    """A folder torrent (3 files in a tree) fetched at the prompt into a
    folder from a slow seeder: <dest>/<name>.part/ is a folder, <dest>/<name>
    absent; `remove` deletes <name>.part/ entirely."""
    ck = Checks("prompt_folder_part")
    tor = Tor(w, w.tag("album"), fname="album",
              files={"one.bin": 600 * KIB, "sub/two.bin": 700 * KIB + 3, "sub/deeper/three.bin": 500 * KIB})
    procs = []
    c = None
    try:
        procs.append(w.seed(tor, slow=True))
        c = Client(suite, w.tag("album-prompt-"), w.t1, w.t2)
        into = os.path.join(c.dir, "downloads")
        os.makedirs(into)
        r = c.cmd("get %s %s" % (tor.torrent, into))
        if not r.ok:
            raise AssertionError("get answered %r" % r)
        downloading(c, tor.label)
        final, part = os.path.join(into, "album"), os.path.join(into, "album.part")
        ck.expect(not os.path.lexists(final), "<dest>/album exists while the download runs")
        ck.expect(os.path.isdir(part), "<dest>/album.part is not a folder while the download runs")
        r = c.cmd("remove %s" % tor.label)
        ck.expect(r.ok, "remove answered %r" % r)
        ck.expect(wait_until(lambda: not os.path.lexists(part), 5, 0.05),
                  "album.part still there 5 s after remove: %s" % (
                      sorted(os.listdir(part)) if os.path.isdir(part) else "?"))
        ck.expect(not os.path.lexists(final), "<dest>/album exists after remove")
    finally:
        stopped(procs + [c])
    ck.done()


def name_lookup_never_guesses(suite, w):
    """Two different files named alike, shared by two prompts: a third's
    `get <name>` is FAILURE:AMBIGUOUS listing both info_hashes, and still
    so once the first sharer quits (seeder counts cost a stranger nothing
    to fake, so they never choose; the list shows 0 seeders for the dead
    one); `get <info_hash>` of the live one fetches it. (A stale entry of
    one's own goes when its publisher withdraws it: issue 15, item 4.)"""
    ck = Checks("name_lookup_never_guesses")
    name = "same-name.bin"
    a = Client(suite, w.tag("lookup-a-"), w.t1, w.t2)
    b = Client(suite, w.tag("lookup-b-"), w.t1, w.t2)
    c = Client(suite, w.tag("lookup-c-"), w.t1, w.t2)
    try:
        ihs = []
        for who in (a, b):
            write_random(os.path.join(who.dir, name), 1 * MIB + 99)
            r = who.cmd("share %s same.mtorrent" % name)
            if not r.ok:
                raise AssertionError("share answered %r" % r)
            ihs.append(re.search(r"info_hash:\s*([0-9a-f]{40})",
                                 client_run(["info", os.path.join(who.dir, "same.mtorrent")]).stdout).group(1))
        ih_a, ih_b = ihs
        want = sha1_file(os.path.join(b.dir, name))

        def live(t):
            return {h for h, s in search(t, name) if s > 0}
        if not wait_until(lambda: live(w.t1) == {ih_a, ih_b} and live(w.t2) == {ih_a, ih_b}, 10, 0.1):
            raise AssertionError("both shares never listed with seeders: %s" % search(w.t1, name))
        r = c.cmd("get %s %s" % (name, os.path.join(c.dir, "ambiguous.bin")))
        if r.ok:  # answered at once; the lookup may fail in the background
            shown = []
            wait_until(lambda: shown.append(" ".join(c.transfers())) or "AMBIGUOUS" in shown[-1], 10, 0.1)
            text = shown[-1] if shown else ""
            c.cmd("remove %s" % name)
        else:
            text = r.text if r.value == "AMBIGUOUS" else ""
        ck.expect("AMBIGUOUS" in text and ih_a in text and ih_b in text,
                  "both alive: want AMBIGUOUS listing %s and %s, got %r" % (ih_a, ih_b, r))
        rc = a.quit()
        ck.expect(rc == 0, "the first sharer's quit: exit %s" % rc)
        if not wait_until(lambda: live(w.t1) == {ih_b} and live(w.t2) == {ih_b}, 10, 0.1):
            raise AssertionError("the first sharer still listed with seeders: %s" % search(w.t1, name))
        r = c.cmd("get %s %s" % (name, os.path.join(c.dir, "still.bin")))
        if r.ok:
            shown = []
            wait_until(lambda: shown.append(" ".join(c.transfers())) or "AMBIGUOUS" in shown[-1], 10, 0.1)
            text = shown[-1] if shown else ""
            c.cmd("remove %s" % name)
        else:
            text = r.text if r.value == "AMBIGUOUS" else ""
        ck.expect("AMBIGUOUS" in text and ih_a in text and ih_b in text and "0 seeders" in text,
                  "one sharer gone: want AMBIGUOUS listing both, one with 0 seeders, got %r" % text)
        dest = os.path.join(c.dir, "live.bin")
        r = c.cmd("get %s %s" % (ih_b, dest))
        if ck.expect(r.ok, "get by info_hash answered %r" % r):
            ck.expect(completes(c, name + ".mtorrent"), "get by info_hash never completed: %r" % c.transfers())
            landed(ck, dest, want, "the live file")
    finally:
        stopped([a, b, c])
    ck.done()


def stale_share_is_withdrawn(suite, w):
    """A watched file changed: the watch shares the new contents and takes
    the old entry back from both trackers (its publisher's proof), so
    another client's `get <name>` fetches the new file, not a dead one.
    `remove` of a share withdraws it too."""
    ck = Checks("stale_share_is_withdrawn")
    name = "two.dat"
    a = Client(suite, w.tag("withdraw-a-"), w.t1, w.t2)
    c = Client(suite, w.tag("withdraw-c-"), w.t1, w.t2)
    try:
        folder = os.path.join(a.dir, "watched")
        write_random(os.path.join(folder, name), 1 * MIB + 7)
        r = a.cmd("watch %s" % folder)
        if not r.ok:
            raise AssertionError("watch answered %r" % r)

        def listed(t):
            return [h for h, _ in search(t, name)]
        if not wait_until(lambda: len(listed(w.t1)) == 1 and len(listed(w.t2)) == 1, 15, 0.1):
            raise AssertionError("the watched file was never published: %s" % listed(w.t1))
        old = listed(w.t1)[0]
        time.sleep(1.1)  # a new mtime, whatever the file system's granularity
        write_random(os.path.join(folder, name), 1 * MIB + 7)
        want = sha1_file(os.path.join(folder, name))
        ok = wait_until(lambda: all(len(listed(t)) == 1 and listed(t)[0] != old for t in (w.t1, w.t2)), 20, 0.1)
        ck.expect(ok, "after the change each tracker should list only the new file, not %s: t1 %s, t2 %s"
                  % (old, listed(w.t1), listed(w.t2)))
        dest = os.path.join(c.dir, "got.dat")
        r = c.cmd("get %s %s" % (name, dest))
        if ck.expect(r.ok, "get by name after the change answered %r" % r):
            ck.expect(completes(c, name + ".mtorrent"), "get by name never completed: %r" % c.transfers())
            landed(ck, dest, want, "the changed file")
        r = a.cmd("unwatch %s" % folder)
        ck.expect(r.ok, "unwatch answered %r" % r)
        ck.expect(wait_until(lambda: not listed(w.t1) and not listed(w.t2), 10, 0.1),
                  "unwatched: still listed: t1 %s, t2 %s" % (listed(w.t1), listed(w.t2)))
        # remove of a share made with `share`
        src = os.path.join(a.dir, "solo.dat")
        write_random(src, 600 * KIB)
        r = a.cmd("share %s solo.mtorrent" % src)
        ck.expect(r.ok, "share answered %r" % r)
        ck.expect(wait_until(lambda: len(search(w.t1, "solo.dat")) == 1, 10, 0.1), "solo.dat never published")
        a.cmd("remove solo.mtorrent")
        ck.expect(wait_until(lambda: not search(w.t1, "solo.dat") and not search(w.t2, "solo.dat"), 10, 0.1),
                  "removed share still listed: %s" % search(w.t1, "solo.dat"))
    finally:
        stopped([a, c])
    ck.done()


def one_shot_exits_promptly(suite, w):
    """Issue 15, item 11: a one-shot get whose first tracker accepts
    connections and never answers (hung) exits within 0.5 s of completing:
    the final announces do not wait out the silent tracker's timeout (2 s;
    it was 1.5 s after completion before)."""
    import socket
    ck = Checks("one_shot_exits_promptly")
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)  # the kernel completes the handshakes; nobody ever reads
    d = os.path.join(w.suite.work, w.tag("hung"))
    src = write_random(os.path.join(d, "h.bin"), 2 * MIB)
    tor = os.path.join(d, "h.mtorrent")
    r = client_run(["create", src, tor, "--tracker", "http://127.0.0.1:%d/announce" % hung.getsockname()[1],
                    "--tracker", w.t2.url("/announce")])
    if r.returncode != 0:
        raise RuntimeError("create: %s" % r.stderr)
    seeder = Proc(suite, w.tag("hung-seed-"), ["seed", tor, src, "--bind", "127.0.0.1"])
    try:
        wait_until(lambda: (w.t2.scrape(bytes.fromhex(re.search(r"info_hash:\s*([0-9a-f]{40})",
                   client_run(["info", tor]).stdout).group(1))) or [0])[0] >= 1, 10, 0.1)
        p = subprocess.Popen([os.path.join(BIN, "client"), "get", tor, os.path.join(d, "out.bin"),
                              "--progress-ms", "100", "--timeout", "30"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        done = None
        for line in p.stdout:
            if "complete and verified" in line and done is None:
                done = time.monotonic()
        rc = p.wait(30)
        after = time.monotonic() - done if done else None
        ck.expect(rc == 0 and done is not None, "the get failed: exit %s" % rc)
        ck.expect(after is not None and after < 0.5,
                  "exited %.2f s after completing (a silent tracker held it)" % (after or -1))
    finally:
        seeder.stop()
        hung.close()
    ck.done()


def search(t, text):
    """[(info_hash, seeders)] of the files named exactly `text` on tracker t."""
    try:
        _, body = mtlib.http_get(t.url("/search?format=json&q=" + urllib.parse.quote(text)), timeout=2)
    except Exception:
        return []
    return [(r["info_hash"], r["seeders"]) for r in json.loads(body)["results"] if r["name"] == text]


CASES = [one_shot_refuses_other_content, one_shot_complete_copy_is_done, one_shot_writes_part_then_renames,
         trailing_slash_makes_a_folder, prompt_remove_deletes_part, prompt_existing_destination,
         prompt_folder_part, name_lookup_never_guesses, stale_share_is_withdrawn, one_shot_exits_promptly]

if __name__ == "__main__":
    sys.exit(Suite().run(CASES, setup=World))
