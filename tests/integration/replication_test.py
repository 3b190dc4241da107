#!/usr/bin/env python3
"""Replication and crash safety of the tracker pair, through the real binaries.

Two bin/tracker processes on loopback; clients announce over HTTP (keep-alive)
and UDP while trackers are stopped, killed, restarted and fed damaged files.
The client side keeps a model of every acknowledged announce; after each
scenario both trackers must agree (equal state_digest) and their state must be
exactly the model's (the digest the model predicts), so no acknowledged change
was lost and no unacknowledged one appeared from nowhere.
"""
import glob
import hashlib
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import (Suite, Tracker, UdpTrackerClient, announce, announce_query, bdecode,  # noqa: E402
                   compact_peers, free_port, info_hash, peer_id, wait_until)

LOOPBACK = 0x7F000001
UDP_EVENT = {None: 0, "completed": 1, "started": 2, "stopped": 3}


# ---- helpers ------------------------------------------------------------------

def two_ports():
    p1 = free_port()
    p2 = free_port()
    while p2 == p1:
        p2 = free_port()
    return p1, p2


def make_pair(suite, prefix, extra=(), start=True):
    """Tracker 1 and 2 with explicit ids, in their own folders."""
    p1, p2 = two_ports()
    t1 = Tracker(suite, prefix + "1", p1, p2, extra=["--id", "1"] + list(extra))
    t2 = Tracker(suite, prefix + "2", p2, p1, extra=["--id", "2"] + list(extra))
    if start:
        t1.start()
        t2.start()
    return t1, t2


def digests_equal(a, b, timeout=15.0):
    """Polls until both trackers report the same state digest."""
    last = {}

    def same():
        da, db = a.digest(), b.digest()
        last["a"], last["b"] = da, db
        return da is not None and da == db
    ok = wait_until(same, timeout, 0.05)
    return ok, last.get("a"), last.get("b")


def repl_stats(t):
    s = t.stats()
    return s["replication"] if s else None


def log_text(t, since=0):
    try:
        with open(t.log, "rb") as f:
            f.seek(since)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def expect_refused(t, refused_before, log_since):
    """Tracker t refused a replication connection: its counter moved past
    refused_before and its log, after offset log_since, says so."""
    if not wait_until(lambda: repl_stats(t)["refused"] > refused_before, 5):
        raise AssertionError("%s: refused counter did not move" % t.name)
    if "replication: refused connection" not in log_text(t, log_since):
        raise AssertionError("%s: no refusal line in the log" % t.name)


def log_size(t):
    try:
        return os.path.getsize(t.log)
    except OSError:
        return 0


class Model:
    """What the client side knows: per key (torrent, peer) the seeder state
    after its last acknowledged announce: None (gone), 'L' or 'S'."""

    def __init__(self, torrents, peers):
        self.torrents = torrents
        self.peers = peers
        self.state = {}
        self.lock = threading.Lock()
        self.acked = 0
        self.history = {}  # key -> [(time, tracker, event, outcome)], for failure reports

    def key_ih(self, k):
        return info_hash(1 + k % self.torrents)

    def key_pid(self, k):
        return peer_id(k)

    def key_port(self, k):
        return 20000 + k % 40000

    def expected_digest(self):
        lines = []
        with self.lock:
            items = list(self.state.items())
        for k, st in items:
            if st is None:
                continue
            # The tracker's digest line: peers are keyed by endpoint, not peer id.
            lines.append("%s %d:%d %s" % (self.key_ih(k).hex(), LOOPBACK, self.key_port(k), st))
        lines.sort()
        h = hashlib.sha1()
        for line in lines:
            h.update(line.encode() + b"\n")
        return h.hexdigest()

    def live(self):
        with self.lock:
            return sum(1 for v in self.state.values() if v is not None)


class Client:
    """One client thread's connections: keep-alive HTTP and UDP per tracker."""

    def __init__(self, trackers):
        self.trackers = trackers
        self.http = {}
        self.udp = {}

    def close(self):
        for c in self.http.values():
            c.close()
        for u in self.udp.values():
            u.sock.close()

    def _http(self, t, ih, pid, port, left, event):
        c = self.http.get(t.port)
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", t.port, timeout=3)
            self.http[t.port] = c
        q = announce_query(ih, pid, port, left=left, event=event, numwant=0)
        try:
            c.request("GET", "/announce?" + q)
            r = c.getresponse()
            body = r.read()
        except Exception:
            c.close()
            self.http.pop(t.port, None)
            raise
        if r.status != 200:
            raise RuntimeError("HTTP %d" % r.status)
        d = bdecode(body)
        if b"failure reason" in d:
            raise RuntimeError(d[b"failure reason"].decode(errors="replace"))
        return d

    def _udp(self, t, ih, pid, port, left, event):
        u = self.udp.get(t.port)
        try:
            if u is None:
                u = UdpTrackerClient(t.port, timeout=0.5)
                u.connect()
                self.udp[t.port] = u
            r = u.announce(ih, pid, port, left=left, event=UDP_EVENT[event], numwant=0)
        except Exception:
            if u is not None:
                u.sock.close()
            self.udp.pop(t.port, None)
            raise
        if "error" in r:
            raise RuntimeError(r["error"])
        return r

    def send(self, order, use_udp, ih, pid, port, left, event, deadline, log=None):
        """Announces until a tracker acknowledges, trying them in `order`
        (the first is preferred; a client that loses it uses the other).
        Returns the tracker that answered, or None at the deadline."""
        i = 0
        while time.time() < deadline:
            t = order[i % len(order)]
            try:
                if use_udp:
                    self._udp(t, ih, pid, port, left, event)
                else:
                    self._http(t, ih, pid, port, left, event)
                if log is not None:
                    log.append((round(time.time(), 4), t.name, "udp" if use_udp else "http", event, "ok"))
                return t
            except Exception as e:
                if log is not None:
                    log.append((round(time.time(), 4), t.name, "udp" if use_udp else "http", event,
                                type(e).__name__))
                i += 1
                if i % len(order) == 0:
                    time.sleep(0.02)
        return None


def run_load(model, trackers, total, threads=8, keys=None, udp_every=4, progress=None, seed=1):
    """`total` announces from `threads` threads over `trackers`; every key is
    owned by one thread so each peer's events are sequential. Returns
    (elapsed seconds, errors)."""
    keys = keys if keys is not None else model.peers
    errors = []
    counter = {"n": 0}
    clock = threading.Lock()

    def worker(w):
        rnd = random.Random(seed * 1000 + w)
        mine = [k for k in range(keys) if k % threads == w]
        cl = Client(trackers)
        order = [trackers[w % len(trackers)]] + [t for t in trackers if t is not trackers[w % len(trackers)]]
        n = total // threads + (1 if w < total % threads else 0)
        try:
            for j in range(n):
                k = rnd.choice(mine)
                with model.lock:
                    st = model.state.get(k)
                if st is None:
                    event, new = ("started", "L") if rnd.random() < 0.9 else ("stopped", None)
                    if event == "started" and rnd.random() < 0.3:
                        new = "S"
                else:
                    x = rnd.random()
                    if x < 0.5:
                        event, new = None, st
                    elif x < 0.7 and st == "L":
                        event, new = "completed", "S"
                    elif x < 0.7:
                        event, new = None, st
                    else:
                        event, new = "stopped", None
                left = 0 if new == "S" or (new is None and st == "S") else 100
                hist = model.history.setdefault(k, [])
                t = cl.send(order, j % udp_every == udp_every - 1, model.key_ih(k), model.key_pid(k),
                            model.key_port(k), left, event, time.time() + 15, hist)
                if t is None:
                    errors.append("key %d: no tracker answered" % k)
                    return
                if t is not order[0]:
                    order.reverse()  # a client sticks to the tracker that answers
                with model.lock:
                    model.state[k] = new
                    model.acked += 1
                with clock:
                    counter["n"] += 1
                    if progress:
                        progress(counter["n"])
        except Exception as e:
            errors.append("%s: %s" % (type(e).__name__, e))
        finally:
            cl.close()

    t0 = time.time()
    ths = [threading.Thread(target=worker, args=(w,)) for w in range(threads)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    return time.time() - t0, errors


def check_converged(model, a, b, what, timeout=15.0):
    """Both trackers agree and hold exactly the model's state."""
    ok, da, db = digests_equal(a, b, timeout)
    if not ok:
        sa, sb = a.stats(), b.stats()
        raise AssertionError("%s: digests differ: %s vs %s (peers %s vs %s, expected %d)" % (
            what, da, db, sa and sa["peers"], sb and sb["peers"], model.live()))
    want = model.expected_digest()
    if da != want:
        sa = a.stats()
        raise AssertionError("%s: state differs from the acknowledged announces: %s peers, expected %d; %s" % (
            what, sa and sa["peers"], model.live(), explain(model, a)))
    peers = a.stats()["peers"]
    if peers != model.live():
        raise AssertionError("%s: %d peers, expected %d" % (what, peers, model.live()))


def explain(model, t):
    """Finds the keys where tracker `t` disagrees with the model (scrape, then
    announce to list the swarm) and returns their histories."""
    out = []
    for tor in range(1, model.torrents + 1):
        ih = info_hash(tor)
        keys = [k for k in model.state if 1 + k % model.torrents == tor]
        want = {model.key_port(k): model.state[k] for k in keys if model.state[k] is not None}
        d = announce(t, ih, peer_id(990000), 2, numwant=200, left=100, event="started")
        got = {p for _, p in compact_peers(d.get(b"peers", b""))}
        announce(t, ih, peer_id(990000), 2, event="stopped")
        for k in keys:
            if (model.key_port(k) in got) != (model.key_port(k) in want):
                out.append("key %d %s, tracker %s: %s" % (k, "expected" if model.key_port(k) in want else
                                                           "unexpected", "has it" if model.key_port(k) in got
                                                           else "lacks it", model.history.get(k, [])[-4:]))
        if len(out) >= 3:
            break
    return " | ".join(out) or "no key found"


def wait_lag_zero(*ts, timeout=10.0):
    def zero():
        for t in ts:
            r = repl_stats(t)
            if r is None or r["lag"] != 0:
                return False
        return True
    if not wait_until(zero, timeout, 0.05):
        raise AssertionError("lag not 0: %s" % [repl_stats(t) for t in ts])


# ---- cases --------------------------------------------------------------------

def poll_returned(asker, ih, port, timeout=5.0):
    """Polls `asker` with announces of a second peer until `port` is returned."""
    t0 = time.time()

    def seen():
        d = announce(asker, ih, peer_id(900001), 1, numwant=50, left=100)
        return any(p == port for _, p in compact_peers(d.get(b"peers", b"")))
    return wait_until(seen, timeout, 0.005), time.time() - t0


def case_latency(suite, t1, t2):
    # steady state: both links up (a tracker started first waits out a backoff)
    if not wait_until(lambda: repl_stats(t1)["outgoing_connected"] and repl_stats(t2)["outgoing_connected"], 10):
        raise AssertionError("links did not come up: %s %s" % (repl_stats(t1), repl_stats(t2)))
    out = []
    for src, dst, n in ((t1, t2, 1), (t2, t1, 2)):
        ih = info_hash(700000 + n)
        announce(src, ih, peer_id(800000 + n), 30000 + n, event="started")
        ok, dt = poll_returned(dst, ih, 30000 + n)
        if not ok:
            raise AssertionError("peer announced to %s never returned by %s" % (src.name, dst.name))
        if dt > 1.0:
            raise AssertionError("%s -> %s took %.3f s" % (src.name, dst.name, dt))
        out.append("%s->%s %.1f ms" % (src.name, dst.name, dt * 1000))
    print("  replication latency: " + ", ".join(out), flush=True)
    # leave no extra peers for the later digest comparisons
    for src, n in ((t1, 1), (t2, 2)):
        announce(src, info_hash(700000 + n), peer_id(800000 + n), 30000 + n, event="stopped")
        announce(src, info_hash(700000 + n), peer_id(900001), 1, event="stopped")


def case_10k(suite, t1, t2, model):
    elapsed, errors = run_load(model, [t1, t2], 10000, threads=8)
    if errors:
        raise AssertionError("; ".join(errors[:3]))
    print("  10000 announces (HTTP keep-alive + UDP, 8 threads, 2 trackers): %.2f s, %.0f/s" % (
        elapsed, 10000 / elapsed), flush=True)
    t0 = time.time()
    check_converged(model, t1, t2, "after 10k")
    print("  converged %.0f ms after the last reply; %d live peers" % ((time.time() - t0) * 1000, model.live()),
          flush=True)


def case_kill_mid_load(suite, t1, t2, model):
    mark = {}
    state = {"killed": False}

    def progress(n):
        # runs under the load's counter lock: keep it quick
        if n == 2500 and not state["killed"]:
            mark["kill"] = True

    killer_done = threading.Event()

    def killer():
        wait_until(lambda: mark.get("kill"), 30, 0.002)
        t1.kill9()
        state["killed"] = True
        mark["size"] = log_size(t1)
        killer_done.set()

    kt = threading.Thread(target=killer)
    kt.start()
    load_done = {}

    def loader():
        load_done["r"] = run_load(model, [t1, t2], 8000, threads=8, progress=progress, seed=3)

    lt = threading.Thread(target=loader)
    lt.start()
    kt.join(40)
    if not killer_done.is_set():
        raise AssertionError("load never reached the kill point")
    # let the clients run on tracker 2 alone for a while, then bring 1 back
    before = model.acked
    wait_until(lambda: model.acked >= before + 1500 or not lt.is_alive(), 20, 0.01)
    t1.start()
    lt.join(60)
    elapsed, errors = load_done.get("r", (0, ["load did not finish"]))
    if errors:
        raise AssertionError("; ".join(errors[:3]))
    check_converged(model, t1, t2, "after kill -9 and restart")
    log = log_text(t1, mark["size"])
    for needle in ("journal: loaded", "loaded seeder list", "replication: connected to",
                   "replication: tracker 2 connected"):
        if needle not in log:
            raise AssertionError("restarted tracker's log lacks %r" % needle)
    wait_lag_zero(t1, t2)


def case_restarts(suite, t1, t2, model):
    keys = 600
    seed = 10
    rounds = [(t1, t2, signal.SIGTERM), (t2, t1, signal.SIGKILL), (t1, t2, signal.SIGKILL),
              (t2, t1, signal.SIGTERM)]
    for down, up, sig in rounds:
        seed += 1
        down.stop(sig)
        _, errors = run_load(model, [up], 400, threads=4, keys=keys, seed=seed)
        if errors:
            raise AssertionError("; ".join(errors[:3]))
        down.start()
        check_converged(model, t1, t2, "after %s of %s" % (signal.Signals(sig).name, down.name))
    # both down, then up in the other order; each saw changes the other missed
    for first, second, sig in ((t2, t1, signal.SIGKILL), (t1, t2, signal.SIGTERM)):
        seed += 1
        first.stop(sig)
        _, errors = run_load(model, [second], 300, threads=4, keys=keys, seed=seed)
        if errors:
            raise AssertionError("; ".join(errors[:3]))
        second.stop(sig)
        first.start()
        _, errors = run_load(model, [first], 300, threads=4, keys=keys, seed=seed + 50)
        if errors:
            raise AssertionError("; ".join(errors[:3]))
        second.start()
        check_converged(model, t1, t2, "both down (%s), %s up first" % (signal.Signals(sig).name, first.name))


def case_snapshot(suite):
    t1, t2 = make_pair(suite, "snap", extra=["--max-outbox", "50"])
    model = Model(200, 1000)
    _, errors = run_load(model, [t1, t2], 500, threads=4, seed=20)
    if errors:
        raise AssertionError("; ".join(errors[:3]))
    check_converged(model, t1, t2, "before the absence")
    t2.stop()
    _, errors = run_load(model, [t1], 1500, threads=4, seed=21)
    if errors:
        raise AssertionError("; ".join(errors[:3]))
    own = repl_stats(t1)["own_seq"]
    t2.start()
    check_converged(model, t1, t2, "after the absence")
    # The snapshot is made durable (a compaction) before the clock moves and the
    # log line is written: wait for that, not just for equal state.
    wait_until(lambda: repl_stats(t2)["clock"][0] >= own and "caught up from tracker 1 by snapshot" in log_text(t2),
               10)
    r1, r2 = repl_stats(t1), repl_stats(t2)
    if r1["snapshots_sent"] < 1 or r2["snapshots_received"] < 1:
        raise AssertionError("no snapshot: t1 sent %d, t2 received %d" % (r1["snapshots_sent"],
                                                                         r2["snapshots_received"]))
    if "caught up from tracker 1 by snapshot" not in log_text(t2):
        raise AssertionError("t2's log does not report the snapshot")
    if r2["clock"][0] < own:
        raise AssertionError("t2's clock of tracker 1 is %d, below %d" % (r2["clock"][0], own))
    wait_lag_zero(t1, t2)
    t1.stop()
    t2.stop()


def read_until_closed(sock, timeout=5.0):
    """True if the peer closes (EOF or reset) within the timeout."""
    sock.settimeout(0.2)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def case_garbage_mac(suite, t1, t2):
    before_digest = t1.digest()
    refused = repl_stats(t1)["refused"]
    size = log_size(t1)
    s = socket.create_connection(("127.0.0.1", t1.port), timeout=3)
    try:
        s.sendall(b"MTREPL01" + bytes([2]) + os.urandom(16))
        got = b""
        s.settimeout(3)
        while len(got) < 49:
            chunk = s.recv(49 - len(got))
            if not chunk:
                break
            got += chunk
        if len(got) != 49 or got[0] != 1:
            raise AssertionError("no responder hello (%d bytes)" % len(got))
        s.sendall(os.urandom(32))
        if not read_until_closed(s):
            raise AssertionError("connection not closed after a garbage MAC")
    finally:
        s.close()
    expect_refused(t1, refused, size)
    if t1.digest() != before_digest:
        raise AssertionError("state changed")


class RecordingProxy:
    """Forwards 127.0.0.1:port <-> target in both directions, recording what
    the connecting side sent on each connection."""

    def __init__(self, target_port):
        self.target = target_port
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.recorded = []  # per connection: bytearray of client->server bytes
        self.stopping = False
        self.threads = []
        self.socks = []
        self.acceptor = threading.Thread(target=self._accept)
        self.acceptor.start()

    def _accept(self):
        self.lsock.settimeout(0.2)
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.target), timeout=2)
            except OSError:
                c.close()
                continue
            rec = bytearray()
            self.recorded.append(rec)
            self.socks += [c, u]
            for a, b, r in ((c, u, rec), (u, c, None)):
                th = threading.Thread(target=self._pump, args=(a, b, r))
                th.start()
                self.threads.append(th)

    def _pump(self, src, dst, rec):
        src.settimeout(0.2)
        while not self.stopping:
            try:
                data = src.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            if rec is not None:
                rec.extend(data)
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.stopping = True
        self.acceptor.join(5)
        for th in self.threads:
            th.join(5)
        for s in self.socks + [self.lsock]:
            s.close()


def case_replay(suite):
    p1, p2 = two_ports()
    t2 = Tracker(suite, "rp2", p2, p1, extra=["--id", "2"])
    t2.start()
    proxy = RecordingProxy(p2)
    t1 = Tracker(suite, "rp1", p1, proxy.port, extra=["--id", "1"])
    try:
        t1.start()
        ih = info_hash(4242)
        for i in range(5):
            announce(t1, ih, peer_id(424200 + i), 31000 + i, event="started")
        if not wait_until(lambda: (t2.stats() or {}).get("peers") == 5, 5):
            raise AssertionError("changes did not flow through the proxy")
        if not proxy.recorded or len(proxy.recorded[0]) < 25 + 32 + 20:
            raise AssertionError("nothing recorded")
        recording = bytes(proxy.recorded[0])
        # the state the replay would restore: the peers are stopped at tracker 2
        for i in range(5):
            announce(t2, ih, peer_id(424200 + i), 31000 + i, event="stopped")
        ok, _, _ = digests_equal(t1, t2, 5)
        if not ok:
            raise AssertionError("pair did not converge before the replay")
        digest = t2.digest()
        refused = repl_stats(t2)["refused"]
        size = log_size(t2)
        s = socket.create_connection(("127.0.0.1", t2.port), timeout=3)
        try:
            s.sendall(recording)
            if not read_until_closed(s):
                raise AssertionError("replayed session not closed")
        finally:
            s.close()
        expect_refused(t2, refused, size)
        st = t2.stats(True)
        if st["state_digest"] != digest or st["peers"] != 0:
            raise AssertionError("replay changed the state (%d peers)" % st["peers"])
    finally:
        t1.stop()
        t2.stop()
        proxy.close()


def case_wrong_secret(suite):
    bad_dir = os.path.join(suite.work, "badsecret")
    os.makedirs(bad_dir, exist_ok=True)
    path = os.path.join(bad_dir, "mtorrent.secret")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, os.urandom(32).hex().encode() + b"\n")
    os.close(fd)
    p1, p2 = two_ports()
    good = Tracker(suite, "ws2", p2, p1, extra=["--id", "2"])
    bad = Tracker(suite, "ws1", p1, p2, extra=["--id", "1"], secret_dir=bad_dir)
    try:
        good.start()
        bad.start()
        digest = good.digest()
        announce(bad, info_hash(5151), peer_id(515100), 32000, event="started")
        if not wait_until(lambda: "failed authentication" in log_text(bad), 5):
            raise AssertionError("the tracker with the wrong secret logged no authentication failure")
        if not wait_until(lambda: repl_stats(good)["refused"] > 0 and "failed authentication" in log_text(good), 5):
            raise AssertionError("the good tracker did not refuse the other: %s" % repl_stats(good))
        # give the link every chance to (wrongly) carry the change
        wait_until(lambda: repl_stats(bad)["refused"] >= 3, 5)
        st = good.stats(True)
        if st["peers"] != 0 or st["state_digest"] != digest:
            raise AssertionError("the good tracker gained state from the wrong-secret tracker")
        if repl_stats(good)["received"] != 0 or repl_stats(good)["incoming_connected"]:
            raise AssertionError("link came up: %s" % repl_stats(good))
    finally:
        bad.stop()
        good.stop()


def case_secret_hidden(suite, trackers):
    with open(os.path.join(suite.work, "mtorrent.secret"), "rb") as f:
        secret = f.read().strip()
    if len(secret) < 16:
        raise AssertionError("secret file is suspiciously short")
    bad = glob.glob(os.path.join(suite.work, "badsecret", "mtorrent.secret"))
    secrets = [secret] + [open(p, "rb").read().strip() for p in bad]
    for path in glob.glob(os.path.join(suite.work, "*", "tracker.log")) + \
            glob.glob(os.path.join(suite.work, "*", "stderr")):
        data = open(path, "rb").read()
        for s in secrets:
            if s in data or s.upper() in data:
                raise AssertionError("secret found in %s" % path)
    ps = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True).stdout
    live = [t for t in trackers if t.alive()]
    if not live:
        raise AssertionError("no running tracker to inspect")
    for t in live:
        cmd = open("/proc/%d/cmdline" % t.proc.pid, "rb").read()
        if b"--secret-file" not in cmd:
            raise AssertionError("unexpected command line %r" % cmd)
        for s in secrets:
            if s in cmd or s in ps:
                raise AssertionError("secret visible on the command line")


def case_torn_journal(suite):
    t1, t2 = make_pair(suite, "torn")
    model = Model(100, 400)
    try:
        _, errors = run_load(model, [t1, t2], 600, threads=4, seed=30)
        if errors:
            raise AssertionError("; ".join(errors[:3]))
        check_converged(model, t1, t2, "before the crash")
        t1.kill9()
        journal = t1.state + ".journal"
        size = os.path.getsize(journal)
        if size <= 8 + 20:
            raise AssertionError("journal holds no records (%d bytes)" % size)
        os.truncate(journal, size - 5)
        mark = log_size(t1)
        t1.start()
        if "torn tail" not in log_text(t1, mark):
            raise AssertionError("no log line about the torn tail")
        check_converged(model, t1, t2, "after the torn tail")
    finally:
        t1.stop()
        t2.stop()


def case_garbage_state(suite):
    t1, t2 = make_pair(suite, "garb")
    model = Model(100, 400)
    try:
        _, errors = run_load(model, [t1, t2], 600, threads=4, seed=40)
        if errors:
            raise AssertionError("; ".join(errors[:3]))
        check_converged(model, t1, t2, "before the damage")
        t1.stop()  # a clean stop leaves everything in the seeder list file
        if os.path.getsize(t1.state) < 100:
            raise AssertionError("seeder list file is nearly empty after a clean stop")
        with open(t1.state, "wb") as f:
            f.write(os.urandom(4000))
        mark = log_size(t1)
        t1.start()
        if not glob.glob(t1.state + ".corrupt-*"):
            raise AssertionError("the damaged seeder list was not set aside")
        if "is damaged" not in log_text(t1, mark):
            raise AssertionError("no log line about the damaged seeder list")
        check_converged(model, t1, t2, "after the garbage seeder list")
        # and it keeps working as a pair
        _, errors = run_load(model, [t1, t2], 300, threads=4, seed=41)
        if errors:
            raise AssertionError("; ".join(errors[:3]))
        check_converged(model, t1, t2, "after more announces")
        wait_lag_zero(t1, t2)
    finally:
        t1.stop()
        t2.stop()


def main():
    suite = Suite()
    started = time.time()
    t1, t2 = make_pair(suite, "t")
    model = Model(1000, 3000)
    suite.case("latency_t1_to_t2_and_back", lambda: case_latency(suite, t1, t2))
    suite.case("converge_after_10k_announces", lambda: case_10k(suite, t1, t2, model))
    suite.case("kill9_mid_load_loses_nothing", lambda: case_kill_mid_load(suite, t1, t2, model))
    suite.case("restarts_in_turn_term_and_kill9", lambda: case_restarts(suite, t1, t2, model))
    suite.case("secret_never_logged_nor_on_command_line", lambda: case_secret_hidden(suite, [t1, t2]))
    suite.case("garbage_mac_refused", lambda: case_garbage_mac(suite, t1, t2))
    t1.stop()
    t2.stop()
    suite.case("long_absence_caught_up_by_snapshot", lambda: case_snapshot(suite))
    suite.case("replayed_session_refused", lambda: case_replay(suite))
    suite.case("wrong_secret_cannot_replicate", lambda: case_wrong_secret(suite))
    suite.case("secret_not_in_logs_after_security_cases", lambda: secret_scan_logs_only(suite))
    suite.case("torn_journal_tail_dropped_and_converges", lambda: case_torn_journal(suite))
    suite.case("garbage_seeder_list_set_aside_and_converges", lambda: case_garbage_state(suite))
    print("  suite took %.1f s" % (time.time() - started), flush=True)
    return suite.finish()


def secret_scan_logs_only(suite):
    with open(os.path.join(suite.work, "mtorrent.secret"), "rb") as f:
        secrets = [f.read().strip()]
    for p in glob.glob(os.path.join(suite.work, "badsecret", "mtorrent.secret")):
        secrets.append(open(p, "rb").read().strip())
    for path in glob.glob(os.path.join(suite.work, "*", "tracker.log")) + \
            glob.glob(os.path.join(suite.work, "*", "stderr")):
        data = open(path, "rb").read()
        for s in secrets:
            if s in data or s.upper() in data:
                raise AssertionError("secret found in %s" % path)


if __name__ == "__main__":
    sys.exit(main())
