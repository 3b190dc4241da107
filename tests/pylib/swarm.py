"""Swarms of bin/client processes and Python peers that misbehave on demand
(stopped by PID). Shared by the integration, security and drill suites."""
import hashlib
import http.client
import os
import re
import socket
import struct
import subprocess
import threading
import time

import mtlib
from mtlib import BIN, announce, free_port, port_open, sha1_file, stop_process, tracker_pair, wait_until  # noqa: F401

MIB = 1 << 20
BLOCK = 16 * 1024
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]


Proc = mtlib.ClientProc


def run(args, timeout=30):
    return subprocess.run([os.path.join(BIN, "client")] + args, capture_output=True, text=True, timeout=timeout)


class Swarm:
    """One data file and its .mtorrent with its trackers: a new pair on
    loopback, or the `trackers` given (the drills pass theirs, inside network
    namespaces). seed() and get() start `proc` processes (mtlib.ClientProc or
    a subclass), each get with `get_extra` options too."""

    def __init__(self, suite, name, size, trackers=None, proc=None, get_extra=()):
        self.suite = suite
        self.name = name
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.trackers = list(trackers) if trackers else list(tracker_pair(suite, extra=TRACKER_FLAGS))
        self.t1, self.t2 = self.trackers[0], self.trackers[-1]
        self.proc = proc or Proc
        self.get_extra = list(get_extra)
        self.data = os.path.join(self.dir, "data.bin")
        with open(self.data, "wb") as f:
            f.write(os.urandom(size))
        self.size = size
        self.sha1 = sha1_file(self.data)
        self.torrent = os.path.join(self.dir, "data.mtorrent")
        args = ["create", self.data, self.torrent]
        for t in self.trackers:
            args += ["--tracker", t.url("/announce")]
        r = run(args)
        if r.returncode != 0:
            raise RuntimeError("create failed: %s" % r.stderr)
        raw = open(self.torrent, "rb").read()
        info = mtlib.bdecode(raw)[b"info"]
        start = raw.index(b"4:infod") + 6  # the info dictionary's own bytes
        self.info_hash = hashlib.sha1(raw[start:raw.rindex(b"e")]).digest()
        self.piece_length = info[b"piece length"]
        self.hashes = [info[b"pieces"][i:i + 20] for i in range(0, len(info[b"pieces"]), 20)]
        self.pieces = len(self.hashes)
        self.n = 0

    def seed(self, path=None, extra=(), prefix=()):
        self.n += 1
        return self.proc(self.suite, "%s-seed%d" % (self.name, self.n),
                         ["seed", self.torrent, path or self.data] + list(extra), prefix=prefix)

    def get(self, extra=(), dest=None, prefix=()):
        self.n += 1
        name = "%s-get%d" % (self.name, self.n)
        dest = dest or os.path.join(self.suite.work, name + ".out")
        p = self.proc(self.suite, name, ["get", self.torrent, dest] + self.get_extra + list(extra),
                      prefix=prefix)
        p.dest = dest
        return p

    def scrape_all(self):
        return [t.scrape(self.info_hash) for t in self.trackers]

    def wait_seeders(self, n, timeout=10):
        """Every tracker lists n seeders of this torrent."""
        ok = wait_until(lambda: all(s is not None and s[0] >= n for s in self.scrape_all()), timeout, 0.05)
        if not ok:
            raise RuntimeError("trackers did not see %d seeders: %s" % (n, self.scrape_all()))

    def check_get(self, g, timeout):
        rc = g.wait(timeout)
        if rc != 0:
            raise AssertionError("get %s" % g.describe())
        if "complete and verified" not in g.out():
            raise AssertionError("no completion line: %r" % g.out()[-300:])
        got = sha1_file(g.dest)
        if got != self.sha1:
            raise AssertionError("%s has SHA-1 %s, want %s" % (g.dest, got, self.sha1))
        if os.path.exists(g.dest + ".mtresume"):
            raise AssertionError("resume file left behind after completion")
        if os.path.exists(g.dest + ".part"):
            raise AssertionError("partial file left behind after completion")

    def bad_pieces_on_disk(self, path, pieces):
        """The listed pieces whose bytes in `path` do not hash to the .mtorrent's."""
        bad = []
        with open(path, "rb") as f:
            for i in pieces:
                f.seek(i * self.piece_length)
                if hashlib.sha1(f.read(self.piece_length)).digest() != self.hashes[i]:
                    bad.append(i)
        return bad


def uploaded(g):
    m = re.search(r"complete and verified: .*, (\d+) bytes uploaded", g.out())
    if not m:
        raise AssertionError("no 'bytes uploaded' in %r" % g.out()[-300:])
    return int(m.group(1))


def stop_all(procs):
    for p in procs:
        p.stop()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


class FakeSeeder:
    """Listens on loopback and serves one torrent.

    have: the pieces it announces in its bitfield (default all).
    garbage: answers each request with random bytes of the right length.
    delay: seconds to wait before each block (a slow seeder).
    stall: takes requests and never answers them (records requests and cancels).
    host: the loopback address it listens and announces on; a garbage seeder
    gets its own (127.0.0.2), since a client bans the whole IP address.
    """

    def __init__(self, swarm, have=None, garbage=False, delay=0.0, stall=False, host=None):
        self.swarm = swarm
        self.stall = stall
        self.requests = []
        self.cancels = []
        self.have = set(range(swarm.pieces)) if have is None else set(have)
        self.garbage = garbage
        self.delay = delay
        self.data = open(swarm.data, "rb").read()
        self.blocks_sent = 0
        self.stopping = False
        self.peer_id = b"-PY0001-" + os.urandom(6).hex().encode()
        self.host = host or ("127.0.0.2" if garbage else "127.0.0.1")
        self.sock = socket.socket()
        self.sock.bind((self.host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.threads = [threading.Thread(target=self.accept_loop, daemon=True)]
        self.threads[0].start()

    def announce(self):
        for t in (self.swarm.t1, self.swarm.t2):
            if self.host == "127.0.0.1":
                announce(t, self.swarm.info_hash, self.peer_id, self.port, left=0, event="started")
                continue
            # From its own address, so the tracker lists it there.
            q = mtlib.announce_query(self.swarm.info_hash, self.peer_id, self.port, left=0, event="started")
            c = http.client.HTTPConnection("127.0.0.1", t.port, timeout=5, source_address=(self.host, 0))
            try:
                c.request("GET", "/announce?" + q)
                c.getresponse().read()
            finally:
                c.close()

    def bitfield(self):
        bits = bytearray((self.swarm.pieces + 7) // 8)
        for i in self.have:
            bits[i // 8] |= 0x80 >> (i % 8)
        return bytes(bits)

    def accept_loop(self):
        mtlib.accept_loop(self.sock, lambda: self.stopping, self.accepted_one)

    def accepted_one(self, c):
        self.conns.append(c)
        t = threading.Thread(target=self.serve, args=(c,), daemon=True)
        self.threads.append(t)
        t.start()

    def serve(self, c):
        try:
            c.settimeout(30)
            h = recv_exact(c, 68)
            if h[:20] != b"\x13BitTorrent protocol" or h[28:48] != self.swarm.info_hash:
                return
            c.sendall(b"\x13BitTorrent protocol" + b"\x00" * 8 + self.swarm.info_hash + self.peer_id)
            bf = self.bitfield()
            c.sendall(struct.pack(">IB", 1 + len(bf), 5) + bf + struct.pack(">IB", 1, 1))  # bitfield, unchoke
            while not self.stopping:
                (n,) = struct.unpack(">I", recv_exact(c, 4))
                if n == 0:
                    continue
                msg = recv_exact(c, n)
                if msg[0] == 8 and n == 13:
                    self.cancels.append(struct.unpack(">III", msg[1:]))
                if msg[0] != 6 or n != 13:  # only requests (and cancels) matter
                    continue
                index, begin, length = struct.unpack(">III", msg[1:])
                self.requests.append((index, begin, length))
                if index not in self.have or self.stall:
                    continue
                if self.delay:
                    time.sleep(self.delay)  # deliberate throttle of the fake peer, not a wait in the test
                if self.garbage:
                    block = os.urandom(length)
                else:
                    off = index * self.swarm.piece_length + begin
                    block = self.data[off:off + length]
                c.sendall(struct.pack(">IBII", 9 + len(block), 7, index, begin) + block)
                self.blocks_sent += 1
        except (EOFError, OSError, struct.error):
            pass
        finally:
            c.close()

    def stop(self):
        self.stopping = True
        self.sock.close()
        for c in list(self.conns):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self.threads:
            t.join(5)
