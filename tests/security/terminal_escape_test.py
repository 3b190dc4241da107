#!/usr/bin/env python3
"""Finding 5 of issue 12: nothing a publisher, a tracker or a peer says may
steer the terminal of whoever runs the client or reads its log.

A .mtorrent whose name, comment, "created by" and tracker URLs carry escape
sequences (OSC 0 "set window title" ESC]0;...BEL, ESC[2J "clear screen", a
bare CR that overwrites the line, a C1 CSI U+009B, invalid UTF-8), and a
tracker whose `failure reason` carries the same: `client create`, `info`,
`get`, `seed` and `magnet` must print, and log, none of those bytes raw.
Beside the attack the same torrent is seeded, downloaded and fetched by
magnet link honestly, and each must work.
"""
import hashlib
import http.server
import os
import re
import subprocess
import sys
import threading

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import BIN, Suite, tracker_pair, wait_until  # noqa: E402

MIB = 1 << 20
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
EVIL = b"\x1b]0;pwned\x07\x1b[2J\x1b[1A\r\xc2\x9b31m\x7f\xff"
EVIL_NAME = b"evil" + EVIL + b".bin"
# The name a download is written as (docs/PROTOCOL.md, paths: each control
# character, C1 included, and each byte that is not UTF-8 becomes `_`).
SAFE_NAME = b"evil_]0;pwned__[2J_[1A__31m__.bin"


def run(args, timeout=30):
    return subprocess.run([os.path.join(BIN, "client")] + args, capture_output=True, timeout=timeout)


from mtlib import bencode  # noqa: E402


def raw_controls(data):
    """What in `data` could steer a terminal: bytes < 0x20 but LF and TAB,
    DEL, C1 controls, or bytes that are not UTF-8 at all."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["invalid UTF-8 at %d: %r" % (e.start, data[max(0, e.start - 20):e.start + 20])]
    bad = []
    for i, ch in enumerate(text):
        c = ord(ch)
        if (c < 0x20 and ch not in "\n\t") or c == 0x7f or 0x80 <= c <= 0x9f:
            bad.append("U+%04X at %d in %r" % (c, i, text[max(0, i - 30):i + 10]))
    return bad


def assert_clean(what, data):
    bad = raw_controls(data)
    if bad:
        raise AssertionError("%s carries raw control bytes: %s" % (what, "; ".join(bad[:3])))


class FailingTracker:
    """An HTTP tracker that answers every request with a hostile failure reason."""

    def __init__(self):
        body = bencode({b"failure reason": b"go away" + EVIL})

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d/announce" % self.port

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class World:
    def __init__(self, suite):
        self.suite = suite
        self.t1, self.t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
        self.src = os.path.join(suite.work, "src").encode()
        os.makedirs(self.src)
        self.data = os.path.join(self.src, EVIL_NAME)
        with open(self.data, "wb") as f:
            f.write(os.urandom(2 * MIB + 777))
        self.sha1 = hashlib.sha1(open(self.data, "rb").read()).hexdigest()
        plain = os.path.join(suite.work, "plain.mtorrent")
        self.create = run(["create", self.data, plain, "--tracker", self.t1.url("/announce"),
                           "--tracker", self.t2.url("/announce")])
        if self.create.returncode != 0:
            raise RuntimeError("create failed: %r" % self.create.stderr)
        meta = mtlib.bdecode(open(plain, "rb").read())
        # Same info dictionary (same info_hash), hostile everything else.
        meta[b"comment"] = b"comment" + EVIL
        meta[b"created by"] = b"maker" + EVIL
        meta[b"announce-list"] = [[self.t1.url("/announce").encode(), self.t2.url("/announce").encode()],
                                  [b"http://127.0.0.1:9/" + EVIL + b"/announce"]]
        self.torrent = os.path.join(suite.work, "evil.mtorrent")
        with open(self.torrent, "wb") as f:
            f.write(bencode(meta))
        self.info_hash = re.search(rb"info_hash:\s*([0-9a-f]{40})", run(["info", self.torrent]).stdout).group(1).decode()
        # Another file of the same name (another info_hash) whose only
        # tracker answers with a hostile failure reason.
        self.fail_tracker = FailingTracker()
        other = os.path.join(suite.work.encode(), b"other")
        os.makedirs(other)
        with open(os.path.join(other, EVIL_NAME), "wb") as f:
            f.write(os.urandom(100 * 1024))
        self.failing = os.path.join(suite.work, "failing.mtorrent")
        r = run(["create", os.path.join(other, EVIL_NAME), self.failing, "--tracker", self.fail_tracker.url()])
        if r.returncode != 0:
            raise RuntimeError("create failed: %r" % r.stderr)
        self.seeder = None

    def close(self):
        self.fail_tracker.stop()


def created_output(suite, w):
    """`client create` of a file whose name holds escapes prints it escaped."""
    assert_clean("create stdout", w.create.stdout)
    assert_clean("create stderr", w.create.stderr)
    if b"\\x1b]0;pwned\\x07" not in w.create.stdout:
        raise AssertionError("the name is not shown escaped: %r" % w.create.stdout[:300])


def info_output(suite, w):
    """`client info`: name, comment, created by and tracker URLs escaped."""
    r = run(["info", w.torrent])
    if r.returncode != 0:
        raise AssertionError("info failed: %r" % r.stderr)
    assert_clean("info stdout", r.stdout)
    assert_clean("info stderr", r.stderr)
    for field in (b"name:", b"comment:", b"created by:", b"tracker 3:"):
        line = [x for x in r.stdout.split(b"\n") if x.startswith(field)]
        if not line or b"\\x1b]0;pwned\\x07\\x1b[2J\\x1b[1A\\x0d\\xc2\\x9b31m\\x7f\\xff" not in line[0]:
            raise AssertionError("%r not shown escaped: %r" % (field, line))


def seed_get_output(suite, w):
    """`seed` and `get` of the hostile torrent: the honest download completes;
    stdout, stderr and both logs carry no raw control byte."""
    w.seeder = mtlib.ClientProc(suite, "seeder", ["seed", w.torrent, w.data])
    if not wait_until(lambda: all((t.stats() or {}).get("seeders", 0) >= 1 for t in (w.t1, w.t2)), 15, 0.05):
        raise AssertionError("the seeder never reached the trackers: %s" % w.seeder.describe())
    d = os.path.join(suite.work, "get")
    os.makedirs(d)
    g = mtlib.ClientProc(suite, "get", ["get", w.torrent, d + "/", "--timeout", "40", "--progress-ms", "50"])
    rc = g.wait(45)
    dest = os.path.join(d.encode(), SAFE_NAME)
    if rc != 0 or not os.path.exists(dest) or hashlib.sha1(open(dest, "rb").read()).hexdigest() != w.sha1:
        raise AssertionError("the honest get failed: %s" % g.describe())
    # A seeder prints its line at once and logs its tracker errors (the
    # hostile tier's URL) while it runs.
    if not wait_until(lambda: b"seeding" in open(w.seeder.stdout_path, "rb").read(), 10, 0.05):
        raise AssertionError("the seeder printed nothing: %s" % w.seeder.describe())
    for p in (g, w.seeder):
        for what, path in (("stdout", p.stdout_path), ("stderr", p.stderr_path), ("log", p.log)):
            data = open(path, "rb").read()
            assert_clean("%s %s" % (os.path.basename(p.dir), what), data)
    # The name it is written as on stdout; the real one, escaped, on stderr.
    if SAFE_NAME not in open(g.stdout_path, "rb").read():
        raise AssertionError("get's output does not show the name written: %r" % open(g.stdout_path, "rb").read()[-300:])
    if b"\\x1b]0;pwned" not in open(g.stderr_path, "rb").read():
        raise AssertionError("get's notes do not show the escaped name: %r" % open(g.stderr_path, "rb").read()[-300:])


def failure_reason(suite, w):
    """A tracker whose failure reason holds escapes: `get`, `seed` and
    `magnet` against it print and log none of them raw."""
    d = os.path.join(suite.work, "fail-get")
    os.makedirs(d)
    g = mtlib.ClientProc(suite, "fail-get", ["get", w.failing, d + "/", "--timeout", "3", "--progress-ms", "50"])
    s = mtlib.ClientProc(suite, "fail-seed", ["seed", w.failing, w.data])
    m = mtlib.ClientProc(suite, "fail-magnet", ["magnet", w.info_hash, os.path.join(d, "m.mtorrent"), "--tracker",
                                                w.fail_tracker.url(), "--timeout", "3"])
    g.wait(15)
    m.wait(15)
    # The seeder has announced (and been refused) by the time its log says so.
    wait_until(lambda: b"pwned" in open(s.log, "rb").read(), 10, 0.05)
    s.stop()
    seen = False
    for p in (g, s, m):
        for what, path in (("stdout", p.stdout_path), ("stderr", p.stderr_path), ("log", p.log)):
            data = open(path, "rb").read() if os.path.exists(path) else b""
            seen = seen or b"go away" in data
            assert_clean("%s %s" % (os.path.basename(p.dir), what), data)
    if not seen:
        raise AssertionError("no failure reason reached any output or log: %s | %s" % (g.describe(), m.describe()))


def magnet_output(suite, w):
    """`magnet` fetches the hostile info dictionary from the honest seeder and
    prints its name escaped; the .mtorrent it writes matches."""
    if w.seeder is None or not w.seeder.alive():
        raise AssertionError("no seeder (seed_get_output failed)")
    out = os.path.join(suite.work, "magnet.mtorrent")
    m = mtlib.ClientProc(suite, "magnet", ["magnet", w.info_hash, out, "--tracker", w.t1.url("/announce"),
                                           "--timeout", "30"])
    rc = m.wait(40)
    if rc != 0 or not os.path.exists(out):
        raise AssertionError("magnet failed: %s" % m.describe())
    for what, path in (("stdout", m.stdout_path), ("stderr", m.stderr_path), ("log", m.log)):
        assert_clean("magnet %s" % what, open(path, "rb").read())
    if b"\\x1b]0;pwned" not in open(m.stdout_path, "rb").read():
        raise AssertionError("magnet's output does not show the escaped name")
    if mtlib.bdecode(open(out, "rb").read())[b"info"][b"name"] != EVIL_NAME:
        raise AssertionError("the written .mtorrent does not keep the real name")


def prompt_output(suite, w):
    """The interactive client: `get` of the hostile torrent and of the one
    whose tracker answers a hostile failure reason, then `show downloads`
    and `status` (which shows a tracker's last error): every reply and the
    log are clean, and the honest download completes."""
    if w.seeder is None or not w.seeder.alive():
        raise AssertionError("no seeder (seed_get_output failed)")
    d = os.path.join(suite.work, "prompt")
    os.makedirs(os.path.join(d, "a"))
    os.makedirs(os.path.join(d, "b"))
    log = os.path.join(d, "client.log")
    out_path = os.path.join(d, "stdout")
    args = [os.path.join(BIN, "client"), "127.0.0.1:%d" % mtlib.free_port(), "127.0.0.1:%d" % w.t1.port,
            "127.0.0.1:%d" % w.t2.port, log, "--state-dir", os.path.join(d, "state")]
    proc = subprocess.Popen(args, cwd=d, stdin=subprocess.PIPE, stdout=open(out_path, "wb"),
                            stderr=open(os.path.join(d, "stderr"), "wb"))
    try:
        def say(cmd):
            proc.stdin.write((cmd + "\n").encode())
            proc.stdin.flush()
        say("get %s a" % w.torrent)
        say("get %s b" % w.failing)
        dest = os.path.join(d.encode(), b"a", SAFE_NAME)
        done = wait_until(lambda: os.path.exists(dest) and hashlib.sha1(open(dest, "rb").read()).hexdigest() == w.sha1,
                          30, 0.1)
        # The failing tracker has answered once its failure reason is logged.
        wait_until(lambda: b"go away" in open(log, "rb").read(), 10, 0.05)
        say("show downloads")
        say("status")
        say("quit")
        proc.stdin.close()
        proc.wait(20)
    finally:
        mtlib.stop_process(proc)
    if not done:
        raise AssertionError("the honest download on the prompt did not finish")
    out = open(out_path, "rb").read()
    for what, data in (("prompt stdout", out), ("prompt stderr", open(os.path.join(d, "stderr"), "rb").read()),
                       ("prompt log", open(log, "rb").read())):
        assert_clean(what, data)
    if b"\\x1b]0;pwned" not in out or b"go away" not in out:
        raise AssertionError("the replies do not show the name and the failure reason escaped: %r" % out[-600:])


def main():
    return Suite().run([created_output, info_output, seed_get_output, failure_reason, magnet_output,
                        prompt_output], setup=World)


if __name__ == "__main__":
    sys.exit(main())
