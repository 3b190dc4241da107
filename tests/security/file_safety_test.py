#!/usr/bin/env python3
"""Finding 4 of issue 12: the client must never write through a link someone
planted where it is about to write.

A local attacker who can write to the destination folder (a shared /tmp, a
download folder) plants symbolic links at the names the client will use: the
data file (folder/<name>), its .mtresume, the temporary files beside them and
the files of the interactive client's state folder, and the --log file. Each
points at a victim file that must come out untouched. Beside every attack an
honest download of the same torrent into a clean folder must complete.
"""
import os
import queue
import re
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import sha1_file, BIN, Suite, free_port, stop_process, tracker_pair, wait_until  # noqa: E402

MIB = 1 << 20
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
VICTIM_BYTES = b"victim: nobody may write here\n" * 8


def run(args, timeout=30):
    return subprocess.run([os.path.join(BIN, "client")] + args, capture_output=True, timeout=timeout)


from mtlib import bencode  # noqa: E402


class World:
    """A tracker pair, a seeded data file and its .mtorrent."""

    def __init__(self, suite):
        self.suite = suite
        self.t1, self.t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
        self.src = os.path.join(suite.work, "src")
        os.makedirs(self.src)
        self.name = "data.bin"
        self.data = os.path.join(self.src, self.name)
        with open(self.data, "wb") as f:
            f.write(os.urandom(3 * MIB + 12345))
        self.sha1 = sha1_file(self.data)
        self.torrent = os.path.join(suite.work, "data.mtorrent")
        r = run(["create", self.data, self.torrent, "--tracker", self.t1.url("/announce"),
                 "--tracker", self.t2.url("/announce")])
        if r.returncode != 0:
            raise RuntimeError("create failed: %r" % r.stderr)
        self.info_hash = re.search(rb"info_hash:\s*([0-9a-f]{40})", run(["info", self.torrent]).stdout).group(1).decode()
        self.seeder = mtlib.ClientProc(suite, "seeder", ["seed", self.torrent, self.data])
        if not wait_until(lambda: all((t.stats() or {}).get("seeders", 0) >= 1 for t in (self.t1, self.t2)), 15, 0.05):
            raise RuntimeError("the seeder never reached the trackers: %s" % self.seeder.describe())
        self.n = 0

    def folder(self, tag):
        self.n += 1
        d = os.path.join(self.suite.work, "%s-%d" % (tag, self.n))
        os.makedirs(d)
        return d

    def victim(self, tag):
        path = os.path.join(self.suite.work, "victim-%s-%d" % (tag, self.n))
        with open(path, "wb") as f:
            f.write(VICTIM_BYTES)
        return path

    def honest_get(self, tag):
        """Starts an honest one-shot get into a clean folder."""
        d = self.folder(tag + "-honest")
        p = mtlib.ClientProc(self.suite, os.path.basename(d) + "-proc", ["get", self.torrent, d + "/", "--timeout", "40"])
        p.dest = os.path.join(d, self.name)
        return p

    def check_honest(self, p):
        rc = p.wait(45)
        if rc != 0 or "complete and verified" not in p.out():
            raise AssertionError("the honest get failed: %s" % p.describe())
        if sha1_file(p.dest) != self.sha1:
            raise AssertionError("the honest get wrote the wrong bytes")


def untouched(path):
    with open(path, "rb") as f:
        got = f.read()
    if got != VICTIM_BYTES:
        raise AssertionError("the victim %s was written: %d bytes now, starting %r" % (path, len(got), got[:40]))


def symlink_at_destination(suite, w):
    """get x.mtorrent folder/ with folder/<name> -> victim: refused, victim untouched."""
    honest = w.honest_get("dest")
    d = w.folder("dest")
    victim = w.victim("dest")
    os.symlink(victim, os.path.join(d, w.name))
    g = mtlib.ClientProc(suite, "dest-attacked", ["get", w.torrent, d + "/", "--timeout", "20"])
    rc = g.wait(25)
    untouched(victim)
    if rc == 0:
        raise AssertionError("get wrote through the link: %s" % g.describe())
    if "symbolic link" not in g.err():
        raise AssertionError("no clear error: %s" % g.describe())
    w.check_honest(honest)


def dangling_symlink_at_destination(suite, w):
    """folder/<name> -> a file that does not exist yet: refused, nothing created there."""
    honest = w.honest_get("dangling")
    d = w.folder("dangling")
    target = os.path.join(suite.work, "created-by-the-attack-%d" % w.n)
    os.symlink(target, os.path.join(d, w.name))
    g = mtlib.ClientProc(suite, "dangling-attacked", ["get", w.torrent, d + "/", "--timeout", "20"])
    rc = g.wait(25)
    if os.path.lexists(target):
        raise AssertionError("get created %s through a dangling link" % target)
    if rc == 0 or "symbolic link" not in g.err():
        raise AssertionError("not refused clearly: %s" % g.describe())
    w.check_honest(honest)


def symlink_as_log(suite, w):
    """--log L with L -> victim: refused at start-up, victim untouched."""
    d = w.folder("log")
    victim = w.victim("log")
    log = os.path.join(d, "client.log")
    os.symlink(victim, log)
    r = subprocess.run([os.path.join(BIN, "client"), "get", w.torrent, d + "/", "--timeout", "20", "--log", log],
                       capture_output=True, timeout=30)
    untouched(victim)
    if r.returncode == 0 or b"symbolic link" not in r.stderr:
        raise AssertionError("a linked log was not refused: rc=%d err=%r" % (r.returncode, r.stderr[-300:]))
    honest = w.honest_get("log")
    w.check_honest(honest)


def temp_and_resume_names(suite, w):
    """Links planted at the names the resume file and its temporaries would
    take (<dest>.mtresume, <dest>.mtresume.tmp.<pid>.<n>): the get completes,
    every victim is untouched and no temporary is left behind."""
    d = w.folder("tmp")
    dest = os.path.join(d, w.name)
    victims = [w.victim("tmp-resume"), w.victim("tmp-temps")]
    os.symlink(victims[0], dest + ".mtresume")
    g = mtlib.ClientProc(suite, "tmp-attacked", ["get", w.torrent, d + "/", "--timeout", "40"])
    # The old names were <path>.tmp.<pid>.<counter>: plant them all at once,
    # long before the first save (it follows a verified piece).
    for n in range(64):
        os.symlink(victims[1], "%s.mtresume.tmp.%d.%d" % (dest, g.proc.pid, n))
    rc = g.wait(45)
    for v in victims:
        untouched(v)
    if rc != 0 or sha1_file(dest) != w.sha1:
        raise AssertionError("the get beside the planted links failed: %s" % g.describe())
    left = [n for n in os.listdir(d) if ".tmp." in n and not os.path.islink(os.path.join(d, n))]
    if left:
        raise AssertionError("temporary files left behind: %s" % left)


def metainfo_paths_stay_inside(suite, w):
    """A .mtorrent whose name is a path ("../x", "..", "a/b") is refused: nothing
    is written outside the destination folder."""
    d = w.folder("paths")
    meta = mtlib.bdecode(open(w.torrent, "rb").read())
    for bad in (b"../escaped.bin", b"..", b"sub/escaped.bin"):
        info = dict(meta[b"info"])
        info[b"name"] = bad
        evil = dict(meta)
        evil[b"info"] = info
        path = os.path.join(d, "evil.mtorrent")
        with open(path, "wb") as f:
            f.write(bencode(evil))
        r = run(["get", path, d + "/", "--timeout", "5"], timeout=20)
        if r.returncode == 0:
            raise AssertionError("name %r accepted: %r" % (bad, r.stdout[-200:]))
    if os.path.lexists(os.path.join(suite.work, "escaped.bin")) or os.path.lexists(os.path.join(d, "sub")):
        raise AssertionError("a file was written outside the destination folder")
    if sorted(os.listdir(d)) != ["evil.mtorrent"]:
        raise AssertionError("unexpected files in the folder: %s" % os.listdir(d))
    honest = w.honest_get("paths")
    w.check_honest(honest)


class Prompt:
    """An interactive bin/client on a pipe (replies read by a thread)."""

    def __init__(self, suite, name, w, state):
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = state
        self.log = os.path.join(self.dir, "client.log")
        self.stderr_path = os.path.join(self.dir, "stderr")
        args = [os.path.join(BIN, "client"), "127.0.0.1:%d" % free_port(), "127.0.0.1:%d" % w.t1.port,
                "127.0.0.1:%d" % w.t2.port, self.log, "--state-dir", state]
        self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(self.stderr_path, "ab"))
        suite.procs.append(self)
        self.q = queue.Queue()
        proc = self.proc

        def pump():
            for raw in proc.stdout:
                self.q.put(raw.decode(errors="replace").rstrip("\n"))
            self.q.put(None)
        self.reader = threading.Thread(target=pump, daemon=True)
        self.reader.start()

    def cmd(self, text, timeout=15):
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()
        first = self.q.get(timeout=timeout)
        if first is None:
            raise AssertionError("the client exited: %s" % open(self.stderr_path, errors="replace").read()[-300:])
        lines = []
        m = re.match(r"SUCCESS:(\d+) ", first)
        if m and text.startswith("show"):
            lines = [self.q.get(timeout=timeout) for _ in range(int(m.group(1)))]
        return first, lines

    def stop(self, sig=None, timeout=20):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        stop_process(self.proc, timeout=timeout)


def prompt_get(suite, w):
    """The interactive get: a link at folder/<name> is refused; links at the
    names of the state folder's temporaries (<file>.tmp.<pid>.<n>) are never
    written through; a get into a clean folder completes."""
    state = os.path.join(suite.work, "prompt-state")
    os.makedirs(os.path.join(state, "torrents"))
    d = w.folder("prompt")
    victims = [w.victim("prompt-dest"), w.victim("prompt-state")]
    os.symlink(victims[0], os.path.join(d, w.name))
    p = Prompt(suite, "prompt", w, state)
    for n in range(200):
        for f in ("session.state", "torrents/%s.mtorrent" % w.info_hash, "torrents/%s.mtresume" % w.info_hash):
            os.symlink(victims[1], "%s/%s.tmp.%d.%d" % (state, f, p.proc.pid, n))
    first, _ = p.cmd("get %s %s" % (w.torrent, d))
    if not first.startswith("FAILURE:") or "symbolic link" not in first:
        raise AssertionError("the linked destination was not refused: %r" % first)
    clean = w.folder("prompt-clean")
    first, _ = p.cmd("get %s %s" % (w.torrent, clean))
    if not first.startswith("SUCCESS:"):
        raise AssertionError("the honest get was refused: %r" % first)
    dest = os.path.join(clean, w.name)
    if not wait_until(lambda: os.path.exists(dest) and sha1_file(dest) == w.sha1
                      and any("[S]" in x for x in p.cmd("show downloads")[1]), 40, 0.2):
        raise AssertionError("the honest download did not finish: %r" % (p.cmd("show downloads"),))
    first, _ = p.cmd("quit")
    p.proc.wait(20)
    for v in victims:
        untouched(v)


def prompt_race(suite, w):
    """The interactive get's check and create are one step: a link planted at
    folder/<name> the moment the state folder's .mtorrent copy is being
    written (between the old check and the old open) is never written
    through. Five tries, each with its own torrent."""
    state = os.path.join(suite.work, "race-state")
    torrents = os.path.join(state, "torrents")
    os.makedirs(torrents)
    p = Prompt(suite, "race", w, state)
    won = 0
    for i in range(5):
        src = os.path.join(w.src, "race%d.bin" % i)
        with open(src, "wb") as f:
            f.write(os.urandom(64 * 1024 + i))
        mt = os.path.join(suite.work, "race%d.mtorrent" % i)
        if run(["create", src, mt, "--tracker", w.t1.url("/announce")]).returncode != 0:
            raise AssertionError("create failed")
        d = w.folder("race")
        victim = w.victim("race%d" % i)
        link = os.path.join(d, "race%d.bin" % i)
        stop = threading.Event()
        planted = []

        def plant():
            deadline = time.time() + 10
            while not stop.is_set() and time.time() < deadline:
                if any(".tmp." in n for n in os.listdir(torrents)):
                    try:
                        os.symlink(victim, link)
                        planted.append(True)
                    except FileExistsError:
                        pass
                    return
        t = threading.Thread(target=plant)
        t.start()
        first, _ = p.cmd("get %s %s" % (mt, d))
        stop.set()
        t.join(15)
        if planted:
            won += 1
        # A download that started has opened (and sized) its file before
        # the reply: the victim shows it by now.
        untouched(victim)
    print("  prompt_race: the link went in between check and open in %d of 5 tries" % won, flush=True)
    p.cmd("quit")
    p.proc.wait(20)


def forged_resume_of_another_user(suite, w):
    """A .mtresume planted beside a download's partial data by another user,
    saying every piece is verified: not trusted (the partial file is hashed
    and fetched), so the get ends with the real bytes, not with a file of
    zeros."""
    if os.geteuid() != 0:
        return "skip: needs root to hand the planted file to another user"
    d = w.folder("forged")
    dest = os.path.join(d, w.name)
    size = os.path.getsize(w.data)
    meta = mtlib.bdecode(open(w.torrent, "rb").read())
    pieces = len(meta[b"info"][b"pieces"]) // 20
    bits = bytearray((pieces + 7) // 8)
    for i in range(pieces):
        bits[i // 8] |= 0x80 >> (i % 8)
    body = (b"MTRESUM1" + (1).to_bytes(4, "big") + bytes.fromhex(w.info_hash) + pieces.to_bytes(4, "big")
            + size.to_bytes(8, "big") + bytes(bits))
    with open(dest + ".mtresume", "wb") as f:
        f.write(body + crc32c(body).to_bytes(4, "big"))
    os.chown(dest + ".mtresume", 65534, 65534)
    with open(dest + ".part", "wb") as f:  # the partial data it claims to describe
        f.truncate(size)
    g = mtlib.ClientProc(suite, "forged-get", ["get", w.torrent, d + "/", "--timeout", "40"])
    rc = g.wait(45)
    if rc != 0 or sha1_file(dest) != w.sha1:
        raise AssertionError("the get trusted the forged resume file: rc=%s sha1 %s, want %s; %s" % (
            rc, sha1_file(dest) if os.path.exists(dest) else None, w.sha1, g.describe()))
    if "already verified" in g.logtext() and "0 of" not in g.logtext():
        raise AssertionError("pieces taken as verified from the forged file: %s" % g.logtext()[-500:])


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def session_state(transfers):
    """A session.state file (docs/PROTOCOL.md): magic, version, length, bencoded payload, crc32c."""
    payload = bencode({"lookups": [], "transfers": transfers, "watched": []})
    head = b"MTSESS01" + (1).to_bytes(4, "big") + len(payload).to_bytes(4, "big") + payload
    return head + crc32c(head).to_bytes(4, "big")


def state_folder_of_others(suite, w):
    """A state folder others can write to (a shared cwd, a planted
    ./mtorrent-state-<ip>-<port>): whoever wrote its session.state could make
    the client share any file of ours. The client refuses to start; one with
    a private state folder starts and answers."""
    state = os.path.join(suite.work, "shared-state")
    os.makedirs(os.path.join(state, "torrents"))
    os.chmod(state, 0o777)
    secret = os.path.join(suite.work, "secret-of-the-victim")
    with open(secret, "wb") as f:
        f.write(os.urandom(100 * 1024))
    # Any metainfo will do as the "copy": the state says it is a share of
    # the secret that changed since, so the client would hash and share it.
    with open(w.torrent, "rb") as src, open(os.path.join(state, "torrents", w.info_hash + ".mtorrent"), "wb") as dst:
        dst.write(src.read())
    with open(os.path.join(state, "session.state"), "wb") as f:
        f.write(session_state([{"complete": 1, "data": secret, "info_hash": bytes.fromhex(w.info_hash),
                                "kind": "share", "label": "loot.mtorrent", "mtime_ns": 0, "mtorrent": "",
                                "size": 0, "watch": ""}]))
    p = Prompt(suite, "shared-state", w, state)
    honest = Prompt(suite, "private-state", w, os.path.join(suite.work, "private-state"))
    first, _ = honest.cmd("status")
    if not first.startswith("SUCCESS:"):
        raise AssertionError("the client with a private state folder does not answer: %r" % first)
    try:
        rc = p.proc.wait(15)
    except subprocess.TimeoutExpired:
        rc = None
    log = open(p.log, errors="replace").read() if os.path.exists(p.log) else ""
    err = open(p.stderr_path, errors="replace").read()
    p.stop()
    honest.cmd("quit")
    honest.proc.wait(20)
    if "sharing " + secret in log or "shared again" in err:
        raise AssertionError("the planted state made the client share %s: %r" % (secret, err[-300:]))
    if rc != 1 or "written by other users" not in err:
        raise AssertionError("not refused: rc=%s err=%r" % (rc, err[-300:]))


def main():
    return Suite().run([symlink_at_destination, dangling_symlink_at_destination, symlink_as_log,
                        temp_and_resume_names, metainfo_paths_stay_inside, prompt_get, prompt_race,
                        state_folder_of_others, forged_resume_of_another_user], setup=World)


if __name__ == "__main__":
    sys.exit(main())
