#!/usr/bin/env python3
"""Hostile peers against a live bin/client (issue 12, findings 1-3).

Each case attacks a seeder or a downloader on loopback from 127.0.0.2 while an
honest download from 127.0.0.1 runs beside it, and asserts that the honest
download completes, that the victim's memory stays bounded (release builds:
mtlib.CHECK_RSS) and that the attacker is dropped or refused.

  output_flood          requests while choked, never reading the rejects
  unrequested_blocks    all blocks but one of every missing piece, unasked
  garbage_then_ip_ban   garbage blocks (asked and unasked), then reconnects
  one_ip_many_slots     60 interested connections from one IP (default cap)
  crowded_ip_evicted    the same with the cap raised: a newcomer evicts one

Usage: peer_wire_test.py [CASE...]   (BIN, MT_VARIANT from the environment)
"""
import os
import re
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "pylib"))
sys.path.insert(0, here)
import mtlib  # noqa: E402
import wirelib  # noqa: E402
from mtlib import sha1_file, ClientProc, Suite, free_port, tracker_pair, wait_until  # noqa: E402

MIB = 1 << 20
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
RSS_LIMIT_MIB = 64
# The attacks stop early past this, so an unfixed build fails fast instead of
# eating the machine.
RSS_ABORT_MIB = 300


class RssWatch:
    """Samples a process's peak RSS (VmHWM) every 50 ms until it exits, so
    the peak is known after the process is gone."""

    def __init__(self, proc):
        self.proc = proc
        self.peak = 0.0
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.proc.alive():
            try:
                self.peak = max(self.peak, mtlib.rss_mib(self.proc.proc.pid)[1])
            except OSError:
                return
            time.sleep(0.05)  # sampling period, bounded by the process's life


WATCHES = {}


def peak_rss(proc):
    w = WATCHES.get(id(proc))
    if w is None:
        w = WATCHES[id(proc)] = RssWatch(proc)
    try:
        w.peak = max(w.peak, mtlib.rss_mib(proc.proc.pid)[1])
    except OSError:
        pass
    return w.peak


def wait_port(proc, timeout=10):
    if not wait_until(lambda: re.search(r"on port (\d+)", proc.out()), timeout, 0.05):
        raise AssertionError("no 'on port' line: %s" % proc.describe())
    return int(re.search(r"on port (\d+)", proc.out()).group(1))


def wait_listening(port, timeout=10):
    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    if not wait_until(up, timeout, 0.05):
        raise AssertionError("nothing listens on port %d" % port)


def check_download(tf, g, dest, timeout):
    rc = g.wait(timeout)
    if rc != 0 or "complete and verified" not in g.out():
        raise AssertionError("honest download failed: %s" % g.describe())
    if sha1_file(dest) != sha1_file(tf.data):
        raise AssertionError("honest download has the wrong bytes")


def check_rss(name, proc):
    peak = peak_rss(proc)
    print("  (%s: peak RSS %.1f MiB)" % (name, peak), flush=True)
    if mtlib.CHECK_RSS and peak >= RSS_LIMIT_MIB:
        raise AssertionError("%s peak RSS %.1f MiB, limit %d" % (name, peak, RSS_LIMIT_MIB))


class Setup:
    def __init__(self, suite, name, size):
        self.suite = suite
        self.t1, self.t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
        self.tf = wirelib.TorrentFile(suite, name, size, (self.t1, self.t2))
        self.name = name
        self.procs = []

    def seed(self, extra=()):
        port = free_port()
        p = ClientProc(self.suite, "%s-seed%d" % (self.name, len(self.procs)),
                       ["seed", self.tf.torrent, self.tf.data, "--port", str(port), "--bind", "127.0.0.1"] + list(extra))
        self.procs.append(p)
        peak_rss(p)
        wait_port(p)
        return p, port

    def get(self, extra=()):
        port = free_port()
        name = "%s-get%d" % (self.name, len(self.procs))
        dest = os.path.join(self.suite.work, name + ".out")
        p = ClientProc(self.suite, name, ["get", self.tf.torrent, dest, "--port", str(port), "--bind", "127.0.0.1"] + list(extra))
        self.procs.append(p)
        peak_rss(p)
        return p, port, dest

    def stop(self):
        for p in self.procs:
            p.stop()
        for t in (self.t1, self.t2):
            t.stop()


# ---- 1: unbounded output ---------------------------------------------------------

def output_flood(suite):
    """A peer that sends valid requests while choked (each answered with a
    BEP 6 reject) as fast as it can and never reads. Before: the seeder went
    from 8 to ~900 MiB in 10 s. After: it stops reading that peer above its
    output watermark and drops it when the output does not drain."""
    s = Setup(suite, "flood", 8 * MIB)
    stop = threading.Event()
    result = {"sent": 0, "dropped_after": None, "error": None}
    try:
        seed, sport = s.seed()
        atk = wirelib.Peer(sport, s.tf.info_hash, source="127.0.0.2", rcvbuf=4096)
        atk.handshake()
        atk.sock.settimeout(0.5)
        batch = b"".join(wirelib.request(i % s.tf.pieces, 0) for i in range(2000))
        started = time.time()

        def attack():
            while not stop.is_set() and time.time() - started < 40:
                try:
                    atk.sock.sendall(batch)
                    result["sent"] += 2000
                except socket.timeout:
                    continue  # the seeder is not reading us: back-pressure
                except OSError:
                    result["dropped_after"] = time.time() - started
                    return
        th = threading.Thread(target=attack, daemon=True)
        th.start()
        g, _, dest = s.get(["--timeout", "40"])
        # Sample while the attack runs; abort early on runaway memory.
        deadline = time.time() + 45
        while time.time() < deadline and g.alive():
            if peak_rss(seed) > RSS_ABORT_MIB:
                break
            time.sleep(0.1)  # sampling period of the RSS watch, bounded by the deadline
        check_rss("seeder under output flood", seed)
        check_download(s.tf, g, dest, 5)
        # The flooder is dropped once its output has not drained for 15 s.
        wait_until(lambda: result["dropped_after"] is not None or not th.is_alive()
                   or peak_rss(seed) > RSS_ABORT_MIB, 35, 0.1)
        check_rss("seeder under output flood", seed)
        if "does not read what it asks for" not in seed.logtext():
            raise AssertionError("the flooder was not dropped (%d requests sent; log tail %r)"
                                 % (result["sent"], seed.logtext()[-600:]))
        print("  (flooder sent %d requests, dropped after %.1f s)"
              % (result["sent"], result["dropped_after"] or -1), flush=True)
    finally:
        stop.set()
        s.stop()


# ---- 2: blocks nobody asked for ----------------------------------------------------

def unrequested_blocks(suite):
    """A stranger connects to a downloader and sends all blocks but one of
    every missing piece, unasked. Before: a piece buffer pinned per piece.
    After: not stored, counted as waste, dropped, and banned by IP after
    two such drops; reconnects are refused."""
    s = Setup(suite, "unasked", 16 * MIB)
    refused = [0]
    drops = [0]
    stop = threading.Event()
    try:
        s.seed(["--max-upload-rate", "2048"])
        g, gport, dest = s.get(["--timeout", "50"])
        wait_listening(gport)
        junk = os.urandom(wirelib.BLOCK)
        started = time.time()

        def attack():
            while not stop.is_set() and time.time() - started < 30 and drops[0] + refused[0] < 8:
                try:
                    atk = wirelib.Peer(gport, s.tf.info_hash, source="127.0.0.2")
                except OSError:
                    return
                try:
                    try:
                        atk.handshake()
                    except (EOFError, OSError):
                        refused[0] += 1
                        continue
                    for i in range(s.tf.pieces):
                        for begin, length in s.tf.blocks(i)[:-1]:
                            atk.send(wirelib.piece(i, begin, junk[:length]))
                            if peak_rss(g) > RSS_ABORT_MIB:
                                return
                    # Everything sent and still connected: wait for the verdict.
                    atk.sock.settimeout(2)
                    while atk.recv_msg() is not None:
                        pass
                except (EOFError, OSError):
                    drops[0] += 1
                finally:
                    atk.close()
        th = threading.Thread(target=attack, daemon=True)
        th.start()
        check_download(s.tf, g, dest, 55)
        stop.set()
        th.join(10)
        check_rss("downloader fed unrequested blocks", g)
        log = g.logtext()
        if "banned peer 127.0.0.2" not in log:
            raise AssertionError("the stranger was not banned (%d drops, %d refused); log: %r"
                                 % (drops[0], refused[0], log[-800:]))
        if refused[0] == 0:
            raise AssertionError("a banned IP reconnected and was served a handshake")
        print("  (stranger dropped %d times, then refused %d times)" % (drops[0], refused[0]), flush=True)
    finally:
        stop.set()
        s.stop()


class GarbageSeeder:
    """Listens on 127.0.0.2, announced from 127.0.0.2: have-all, unchoke,
    answers every request with random bytes and slips one unrequested
    garbage block into every piece. Also reconnects to the downloader from
    127.0.0.2 after it is dropped, counting refusals."""

    def __init__(self, setup):
        self.s = setup
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.2", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.pid = wirelib.peer_id(b"GB")
        self.stopping = False
        self.accepted = 0
        self.served = 0
        self.refused = 0
        self.threads = [threading.Thread(target=self.accept_loop, daemon=True)]
        self.threads[0].start()

    def announce(self):
        for t in (self.s.t1, self.s.t2):
            wirelib.announce_from(t, "127.0.0.2", self.s.tf.info_hash, self.pid, self.port)

    def accept_loop(self):
        mtlib.accept_loop(self.sock, lambda: self.stopping, self.accepted_one)

    def accepted_one(self, c):
        self.accepted += 1
        t = threading.Thread(target=self.serve_incoming, args=(c,), daemon=True)
        self.threads.append(t)
        t.start()

    def serve_incoming(self, c):
        p = wirelib.Peer.__new__(wirelib.Peer)
        p.sock, p.buf, p.info_hash, p.fast = c, b"", self.s.tf.info_hash, True
        c.settimeout(10)
        try:
            h = p.recv_exact(68)
            if h[28:48] != self.s.tf.info_hash:
                return
            c.sendall(wirelib.handshake_bytes(self.s.tf.info_hash, self.pid))
            self.serve(p)
        except (EOFError, OSError, struct.error):
            pass
        finally:
            p.close()

    def reconnect_loop(self, gport, until):
        while not self.stopping and time.time() < until:
            try:
                p = wirelib.Peer(gport, self.s.tf.info_hash, source="127.0.0.2", timeout=5)
            except OSError:
                time.sleep(0.2)  # pacing of the attacker's reconnects, bounded by `until`
                continue
            try:
                try:
                    p.handshake(self.pid)
                except (EOFError, OSError):
                    self.refused += 1
                    continue
                self.serve(p)
            except (EOFError, OSError, struct.error):
                pass
            finally:
                p.close()
                time.sleep(0.2)  # pacing of the attacker's reconnects, bounded by `until`

    def serve(self, p):
        tf = self.s.tf
        p.send(wirelib.have_all() + wirelib.unchoke())
        for i in range(tf.pieces):  # one unasked garbage block per piece
            begin, length = tf.blocks(i)[1]
            p.send(wirelib.piece(i, begin, os.urandom(length)))
        while not self.stopping:
            mid, payload = p.recv_msg()
            if mid == wirelib.REQUEST and len(payload) == 12:
                index, begin, length = struct.unpack(">III", payload)
                p.send(wirelib.piece(index, begin, os.urandom(length)))
                self.served += 1

    def stop(self):
        self.stopping = True
        self.sock.close()
        for t in self.threads:
            t.join(5)


def garbage_then_ip_ban(suite):
    """Garbage blocks (unasked, and asked for when we request from it) while
    an honest seeder capped at 4 MiB/s serves. Before: 206 hash failures, 0
    bans, 3 of 32 pieces in 25 s; a ban keyed by ip:port let a reconnect
    start clean. After: unasked blocks are never stored, a failed piece is
    fetched again from one peer, the attacker is banned by IP and its
    reconnects are refused; the download completes."""
    s = Setup(suite, "garbage", 16 * MIB)
    bad = GarbageSeeder(s)
    rc = None
    try:
        s.seed(["--max-upload-rate", "4096"])
        bad.announce()
        g, gport, dest = s.get(["--timeout", "45"])
        wait_listening(gport)
        rc = threading.Thread(target=bad.reconnect_loop, args=(gport, time.time() + 30), daemon=True)
        rc.start()
        check_download(s.tf, g, dest, 50)
        bad.stopping = True
        rc.join(10)
        log = g.logtext()
        failures = len(re.findall(r"failed its SHA-1 check", log))
        print("  (hash failures %d, garbage blocks asked of it %d, reconnects refused %d)"
              % (failures, bad.served, bad.refused), flush=True)
        if "banned peer 127.0.0.2" not in log:
            raise AssertionError("the garbage peer was not banned (%d hash failures): %r"
                                 % (failures, log[-800:]))
        if "banned peer 127.0.0.1" in log:
            raise AssertionError("the honest seeder's address was banned")
        if failures > 6:
            raise AssertionError("%d hash failures: the bad peer was not isolated" % failures)
        if bad.refused == 0:
            raise AssertionError("the banned IP's reconnects were never refused")
        check_rss("downloader fed garbage", g)
    finally:
        bad.stop()
        s.stop()


# ---- 3: slots held by one address ----------------------------------------------------

def hold_slots(port, info_hash, n, source="127.0.0.2"):
    """n connections from `source` that handshake and say interested; returns
    (open sockets, how many got a handshake back)."""
    socks, served = [], 0
    for _ in range(n):
        try:
            p = wirelib.Peer(port, info_hash, source=source, timeout=3)
            p.send(wirelib.handshake_bytes(info_hash, wirelib.peer_id(b"SL")) + wirelib.interested())
            socks.append(p)
        except OSError:
            continue
    for p in socks:
        try:
            p.recv_exact(68)
            served += 1
        except (EOFError, OSError):
            pass
    return socks, served


def one_ip_many_slots(suite):
    """60 interested connections from one IP. Before: they filled every slot
    of the seeder and a real downloader timed out. After: at most
    --max-peers-per-ip (default 8) get in and the download completes."""
    s = Setup(suite, "slots", 4 * MIB)
    socks = []
    try:
        seed, sport = s.seed()
        socks, served = hold_slots(sport, s.tf.info_hash, 60)
        print("  (%d of 60 connections from 127.0.0.2 served)" % served, flush=True)
        g, _, dest = s.get(["--timeout", "30"])
        check_download(s.tf, g, dest, 35)
        if served > 8:
            raise AssertionError("%d connections from one IP were served (cap 8)" % served)
    finally:
        for p in socks:
            p.close()
        s.stop()


def crowded_ip_evicted(suite):
    """With the per-IP cap raised (--max-peers-per-ip 100, --max-peers 8)
    8 interested connections from 127.0.0.2 fill every slot; a newcomer from
    127.0.0.1 holds none, so one of 127.0.0.2's is closed to let it in, and
    the idle slot holders lose their unchoke to it."""
    s = Setup(suite, "evict", 4 * MIB)
    socks = []
    try:
        seed, sport = s.seed(["--max-peers", "8", "--max-peers-per-ip", "100"])
        socks, served = hold_slots(sport, s.tf.info_hash, 8)
        if served != 8:
            raise AssertionError("only %d of 8 connections were served below the raised cap" % served)
        g, _, dest = s.get(["--timeout", "40"])
        if not wait_until(lambda: "to let 127.0.0.1 in" in seed.logtext(), 20, 0.1):
            raise AssertionError("no eviction for the newcomer: %r" % seed.logtext()[-800:])
        check_download(s.tf, g, dest, 45)
    finally:
        for p in socks:
            p.close()
        s.stop()


CASES = [output_flood, unrequested_blocks, garbage_then_ip_ban, one_ip_many_slots, crowded_ip_evicted]


def main():
    suite = Suite()
    return suite.run(CASES)


if __name__ == "__main__":
    sys.exit(main())
