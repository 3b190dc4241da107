#!/usr/bin/env python3
"""Our client with a real tracker, and our .mtorrent in transmission.

  - Debian's opentracker, started by the suite on loopback, as the only
    tracker of a .mtorrent (HTTP, then UDP): our seeder and our leecher find
    each other through it and the download completes byte-identical.
  - transmission-show reads our .mtorrent with the same info_hash, name,
    size and piece count (libtorrent and aria2c are checked by
    tests/integration/metainfo_test.sh).

opentracker's Debian build tracks only whitelisted info hashes and, started
as root, chroots into its root folder and drops to its own user: the
whitelist path in its config is relative to that folder, which must be
readable by that user (see /work/shared/REAL-CLIENTS.md).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import sha1_file, Suite, bdecode, free_port, http_get, stop_process, wait_until  # noqa: E402

MIB = 1 << 20


def client(args, timeout=60):
    return subprocess.run([os.path.join(mtlib.BIN, "client")] + args, capture_output=True, text=True,
                          timeout=timeout)


class Payload:
    """A file of random bytes and its .mtorrent naming the given trackers."""

    def __init__(self, suite, name, size, trackers):
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir)
        self.data = os.path.join(self.dir, name + ".bin")
        with open(self.data, "wb") as f:
            f.write(os.urandom(size))
        self.size = size
        self.sha1 = sha1_file(self.data)
        self.torrent = os.path.join(self.dir, name + ".mtorrent")
        args = ["create", self.data, self.torrent]
        for t in trackers:
            args += ["--tracker", t]
        r = client(args)
        if r.returncode != 0:
            raise RuntimeError("create: %s" % r.stderr)
        info = client(["info", self.torrent]).stdout
        self.info_hash = re.search(r"info_hash:\s*([0-9a-f]{40})", info).group(1)


class OpenTracker:
    """opentracker on 127.0.0.1:port (TCP and UDP), tracking the whitelisted hashes."""

    def __init__(self, suite, hashes, port):
        # Its own folder, readable by the user opentracker drops to.
        self.root = tempfile.mkdtemp(prefix="mt-ot-")
        os.chmod(self.root, 0o755)
        self.port = port
        wl = os.path.join(self.root, "whitelist.txt")
        with open(wl, "w") as f:
            f.write("".join(h + "\n" for h in hashes))
        os.chmod(wl, 0o644)
        if os.geteuid() == 0:
            whitelist = "/whitelist.txt"  # it chroots into tracker.rootdir
            user = "_opentracker" if subprocess.run(["id", "-u", "_opentracker"], capture_output=True).returncode == 0 \
                else "nobody"
        else:
            whitelist, user = wl, None
        conf = os.path.join(self.root, "opentracker.conf")
        with open(conf, "w") as f:
            f.write("listen.tcp 127.0.0.1:%d\nlisten.udp 127.0.0.1:%d\naccess.whitelist %s\ntracker.rootdir %s\n"
                    % (self.port, self.port, whitelist, self.root))
            if user:
                f.write("tracker.user %s\n" % user)
        self.out = os.path.join(suite.work, "opentracker.out")
        self.proc = subprocess.Popen(["opentracker", "-f", conf], stdout=open(self.out, "wb"),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.hashes = hashes

    def announce_ok(self, ih_hex):
        """True once opentracker answers an announce for ih (its whitelist is loaded)."""
        ih = bytes.fromhex(ih_hex)
        q = "info_hash=%s&peer_id=%s&port=1&uploaded=0&downloaded=0&left=1&compact=1&event=stopped" % (
            urllib.parse.quote(ih, safe=""), "-PROBE0-000000000000")
        _, body = http_get("http://127.0.0.1:%d/announce?%s" % (self.port, q), timeout=1)
        return b"failure reason" not in bdecode(body)

    def wait_ready(self):
        if not wait_until(lambda: all(self.announce_ok(h) for h in self.hashes), 10, 0.1):
            raise RuntimeError("opentracker not ready: %r" % open(self.out, errors="replace").read()[-300:])

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.root, ignore_errors=True)


class Proc:
    def __init__(self, suite, name, args):
        d = os.path.join(suite.work, name)
        os.makedirs(d, exist_ok=True)
        self.stdout_path = os.path.join(d, "stdout")
        self.stderr_path = os.path.join(d, "stderr")
        self.log = os.path.join(d, "client.log")
        self.proc = subprocess.Popen([os.path.join(mtlib.BIN, "client")] + args + ["--log", self.log],
                                     stdout=open(self.stdout_path, "wb"), stderr=open(self.stderr_path, "wb"),
                                     stdin=subprocess.DEVNULL)
        suite.procs.append(self)

    def stop(self):
        stop_process(self.proc)

    def text(self, path):
        return open(path, errors="replace").read()


def through_opentracker(suite, ot, p, scheme):
    seed = Proc(suite, "seed-" + scheme, ["seed", p.torrent, p.data, "--bind", "127.0.0.1"])
    dest = os.path.join(suite.work, "got-%s.bin" % scheme)
    get = None
    try:
        # The seeder is in opentracker's swarm before the leecher asks.
        if not wait_until(lambda: "on port" in seed.text(seed.stdout_path), 10):
            raise AssertionError("seeder did not start: %r" % seed.text(seed.stderr_path)[-300:])
        t0 = time.time()
        get = Proc(suite, "get-" + scheme, ["get", p.torrent, dest, "--bind", "127.0.0.1", "--timeout", "40"])
        rc = get.proc.wait(50)
        out = get.text(get.stdout_path)
        if rc != 0 or "complete and verified" not in out:
            raise AssertionError("get rc=%s out=%r err=%r" % (rc, out[-200:], get.text(get.stderr_path)[-300:]))
        if sha1_file(dest) != p.sha1:
            raise AssertionError("downloaded file differs")
        print("  %s: %.1f MiB through opentracker (%s) in %.1f s" % ("our_client_via_opentracker_" + scheme,
                                                                    p.size / MIB, scheme, time.time() - t0),
              flush=True)
    finally:
        if get:
            get.stop()
        seed.stop()


def transmission_reads_mtorrent(suite, p):
    out = subprocess.run(["transmission-show", p.torrent], capture_output=True, text=True, timeout=20).stdout
    want = {
        "hash": re.search(r"Hash:\s*([0-9a-f]{40})", out),
        "name": re.search(r"Name:\s*(\S+)", out),
        "pieces": re.search(r"Piece Count:\s*(\d+)", out),
        "piece size": re.search(r"Piece Size:\s*(.+)", out),
    }
    if not want["hash"] or want["hash"].group(1) != p.info_hash:
        raise AssertionError("transmission-show hash %s, ours %s: %r" % (
            want["hash"] and want["hash"].group(1), p.info_hash, out[:300]))
    if not want["name"] or want["name"].group(1) != os.path.basename(p.data):
        raise AssertionError("name: %r" % out[:300])
    n = (p.size + 524287) // 524288
    if not want["pieces"] or int(want["pieces"].group(1)) != n:
        raise AssertionError("piece count %s, want %d" % (want["pieces"] and want["pieces"].group(1), n))
    if not want["piece size"] or "512" not in want["piece size"].group(1):
        raise AssertionError("piece size %r" % (want["piece size"] and want["piece size"].group(1)))


def main():
    suite = Suite()
    for b in ("client",):
        if not os.path.exists(os.path.join(mtlib.BIN, b)):
            suite.fail("binaries", "no %s in %s (set BIN)" % (b, mtlib.BIN))
            return suite.finish()
    ot = None
    try:
        have_ot = shutil.which("opentracker") is not None
        if have_ot:
            payloads = {}
            try:
                port = free_port()  # the .mtorrent files name it before opentracker starts
                for scheme, url in (("http", "http://127.0.0.1:%d/announce"), ("udp", "udp://127.0.0.1:%d")):
                    payloads[scheme] = Payload(suite, "ot_" + scheme, 6 * MIB + 12345, [url % port])
                ot = OpenTracker(suite, [p.info_hash for p in payloads.values()], port)
                ot.wait_ready()
            except Exception as e:
                for scheme in ("http", "udp"):
                    suite.fail("our_client_via_opentracker_" + scheme, "setup: %s" % e)
                payloads = {}
            for scheme, p in payloads.items():
                suite.case("our_client_via_opentracker_" + scheme, lambda: through_opentracker(suite, ot, p, scheme))
        else:
            for scheme in ("http", "udp"):
                suite.fail("our_client_via_opentracker_" + scheme, "opentracker not installed (apt-get install -y "
                           "opentracker)")
        if shutil.which("transmission-show"):
            p = Payload(suite, "show", 2634033, ["http://127.0.0.1:7001/announce", "udp://127.0.0.1:7002"])
            suite.case("mtorrent_opens_in_transmission", lambda: transmission_reads_mtorrent(suite, p))
        else:
            suite.fail("mtorrent_opens_in_transmission", "transmission-show not installed (apt-get install -y "
                       "transmission-cli)")
    finally:
        if ot:
            ot.stop()
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
