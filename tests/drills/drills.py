#!/usr/bin/env python3
"""Fault drills (issue 6): the real bin/tracker pair and bin/client processes
under the faults a deployment meets, each asserting its outcome.

  tracker_restarts     a tracker is killed (-9) and restarted during downloads:
                       tracker 1, tracker 2, then both in turn (never both down)
  tracker_partition    the replication link is cut while both trackers take
                       announces, then healed: identical state, the one the
                       announcers were told
  seeder_dies          one of two seeders is killed (-9) mid-download
  corrupt_peer         a peer answers every request with random bytes
  silent_peer          a peer accepts and never answers, another takes
                       requests and never sends a block
  client_kill9_resume  get is killed (-9) mid-download and restarted
  disk_full            the download's file system fills up
  idle_connections     500 idle connections to a client's peer port and to a
                       tracker's HTTP port
  ipv6_namespaces      IPv6 only, one namespace per program on a bridge:
                       the pair replicates over IPv6, our seeder serves our
                       leecher and a libtorrent leecher
  dual_stack_names     the trackers' name has both families; our seeder
                       announces over each, so an IPv4-only and an IPv6-only
                       leecher both reach it
  trackers_gone        both trackers killed while three downloads run and a
                       fourth starts: all four finish through the DHT and
                       PEX, in a namespace with lo alone (nothing leaves
                       127.0.0.0/8)

Real seeders sit behind a rate-limited link (a network namespace with a veth
pair and a tbf qdisc, see netlab.py), so a download lasts long enough for the
fault to land in its middle on any machine and in any build; that and the tmpfs
mount need root, and a drill that cannot get them says FAIL with the reason.
Every process is stopped by PID, every namespace, link and mount removed in
finally blocks. Prints one line per drill, then "N passed, M failed".

  drills.py [NAME...]   runs the named drills only
"""
import hashlib
import http.client
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import (BIN, Suite, Tracker, UdpTrackerClient, announce_query, bdecode, free_port,  # noqa: E402
                   wait_until)
from netlab import NetLab, is_root, netns_available  # noqa: E402
import swarm  # noqa: E402
from swarm import FakeSeeder  # noqa: E402

MIB = 1 << 20
FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
RATE = "32mbit"  # what a namespace's seeders can send: 4 MB/s


class DrillFailed(Exception):
    pass


def need(cond, detail):
    if not cond:
        raise DrillFailed(detail)


# ---- processes --------------------------------------------------------------------

class DTracker(Tracker):
    """A bin/tracker reachable at host:port, listening on `listen` (default
    host), optionally inside a network namespace (prefix = ip netns exec NS)."""

    def __init__(self, suite, name, host, port, other, extra=(), listen=None, prefix=()):
        super().__init__(suite, name, port, 0, extra=extra)
        self.host, self.listen, self.other, self.prefix = host, listen or host, other, list(prefix)

    def start(self, wait=True):
        args = self.prefix + [os.path.join(BIN, "tracker"), "%s:%d" % (self.listen, self.port), self.other,
                              self.state, self.log, "--secret-file",
                              os.path.join(self.secret_dir, "mtorrent.secret")] + self.extra
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.proc = subprocess.Popen(args, cwd=self.dir, stdout=subprocess.DEVNULL,
                                     stderr=open(self.stderr_path, "ab"))
        if wait and not wait_until(lambda: self.stats() is not None, 10):
            raise DrillFailed("tracker %s did not come up: %s" % (self.name, self.stderr_tail()))
        return self

    def stderr_tail(self):
        try:
            return open(self.stderr_path, errors="replace").read()[-300:]
        except OSError:
            return ""

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def get(self, path, timeout=2):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stats(self, digest=False):
        import json
        try:
            status, body = self.get("/stats" + ("?digest=1" if digest else ""))
            return json.loads(body) if status == 200 else None
        except Exception:
            return None

    def announce(self, ih, pid, port, **kw):
        status, body = self.get("/announce?" + announce_query(ih, pid, port, **kw), timeout=5)
        d = bdecode(body)
        if status != 200 or b"failure reason" in d:
            raise DrillFailed("announce to %s: HTTP %d %r" % (self.name, status, body[:200]))
        return d


class Client(mtlib.ClientProc):
    """One bin/client process (optionally inside a namespace); output in files."""

    def verified(self):
        """The last verified byte count get printed (--progress-ms lines)."""
        m = re.findall(r"\((\d+) of \d+ bytes verified", self.out())
        return int(m[-1]) if m else 0

    def port(self):
        m = re.search(r"on port (\d+)", self.out())
        return int(m.group(1)) if m else None

    def describe(self):
        return "rc=%s out=%r err=%r" % (self.proc.poll(), self.out()[-200:], self.err()[-300:])


def run_client(args, timeout=60):
    return subprocess.run([os.path.join(BIN, "client")] + args, capture_output=True, text=True, timeout=timeout)


def stop_all(procs):
    for p in procs:
        try:
            p.stop()
        except Exception:
            pass


def two_ports():
    a = free_port()
    b = free_port()
    while b == a:
        b = free_port()
    return a, b


# ---- a swarm: one file, its .mtorrent, its trackers ------------------------------------

def Swarm(suite, name, size, trackers):
    """pylib's Swarm on the drill's trackers, with the drills' Client (which
    reads the --progress-ms lines)."""
    return swarm.Swarm(suite, name, size, trackers, proc=Client, get_extra=["--progress-ms", "100"])


def resume_pieces(path, pieces):
    """The pieces a .mtresume file lists as verified; None if absent or damaged.

    Layout (client/engine/disk_store.h): "MTRESUM1" | u32 version | info_hash(20) |
    u32 pieces | u64 size | bitfield | crc32c."""
    try:
        data = open(path, "rb").read()
    except OSError:
        return None
    head = 8 + 4 + 20 + 4 + 8
    nbytes = (pieces + 7) // 8
    if len(data) != head + nbytes + 4 or data[:8] != b"MTRESUM1":
        return None
    (n,) = struct.unpack(">I", data[32:36])
    if n != pieces:
        return None
    bits = data[head:head + nbytes]
    return [i for i in range(pieces) if bits[i // 8] & (0x80 >> (i % 8))]


# ---- Python peers that misbehave on demand ---------------------------------------------------

def announce_seeder(swarm, pid, port):
    for t in swarm.trackers:
        t.announce(swarm.info_hash, pid, port, left=0, event="started")


# ---- a rate-limited seeder network ------------------------------------------------------------

class SlowNet:
    """A namespace whose traffic to the root namespace is shaped to RATE.
    Trackers listen on the root side (.1), seeders run inside (.2)."""

    def __init__(self, tag):
        reason = netns_available()
        need(reason is None, reason)
        self.lab = NetLab(tag)
        try:
            self.ns = self.lab.add_ns("s")
            self.root_if, self.ns_if = self.lab.link_root(self.ns, "s", 1, 2)
            self.lab.limit_rate(self.ns, self.ns_if, RATE)
        except Exception:
            self.lab.close()
            raise
        self.host = self.lab.addr(1)
        self.prefix = self.lab.exec_prefix(self.ns)

    def trackers(self, suite, name, extra=FLAGS):
        p1, p2 = two_ports()
        t1 = DTracker(suite, name + "1", self.host, p1, "%s:%d" % (self.host, p2), extra=["--id", "1"] + extra)
        t2 = DTracker(suite, name + "2", self.host, p2, "%s:%d" % (self.host, p1), extra=["--id", "2"] + extra)
        t1.start()
        t2.start()
        return t1, t2

    def received(self):
        """Bytes that came out of the namespace so far."""
        with open("/sys/class/net/%s/statistics/rx_bytes" % self.root_if) as f:
            return int(f.read())

    def close(self):
        left = self.lab.close()
        need(not left, "could not clean up: %s" % left)


def digests_equal(a, b, timeout):
    last = {}

    def same():
        last["a"], last["b"] = a.digest(), b.digest()
        return last["a"] is not None and last["a"] == last["b"]
    return wait_until(same, timeout, 0.05), last


# ---- 1. a tracker dies and restarts during downloads ------------------------------------------------

def tracker_restarts(suite):
    net = SlowNet("tr")
    procs, notes = [], []
    try:
        t1, t2 = net.trackers(suite, "rt")
        procs += [t1, t2]
        for label, victims, size in (("tracker1", [t1], 16), ("tracker2", [t2], 16), ("both", [t1, t2], 32)):
            sw = Swarm(suite, "restart-" + label, size * MIB, [t1, t2])
            seeder = sw.seed(prefix=net.prefix)
            procs.append(seeder)
            sw.wait_seeders(1)
            gets = [sw.get(["--timeout", "60"])]
            procs += gets
            need(wait_until(lambda: gets[0].verified() > 0 or not gets[0].alive(), 20, 0.02),
                 "%s: no progress: %s" % (label, gets[0].describe()))
            for v in victims:
                other = t2 if v is t1 else t1
                v.kill9()
                before = sum(other.scrape(sw.info_hash) or (0, 0))
                g = sw.get(["--timeout", "60"])  # joins while v is down: only `other` hears of it
                gets.append(g)
                procs.append(g)
                need(wait_until(lambda: sum(other.scrape(sw.info_hash) or (0, 0)) > before, 10, 0.05),
                     "%s: %s never heard of the new get: %s" % (label, other.name, g.describe()))
                running = sum(x.alive() for x in gets)
                v.start()
                t0 = time.time()
                ok, last = digests_equal(v, other, 15)
                need(ok, "%s: restarted %s did not catch up with %s: digests %s" % (label, v.name, other.name, last))
                sv, so = v.scrape(sw.info_hash), other.scrape(sw.info_hash)
                need(sv == so, "%s: scrape of restarted %s %s, of %s %s" % (label, v.name, sv, other.name, so))
                notes.append("%s restarted with %d get(s) running, caught up in %.1f s (seeders %d, leechers %d)"
                             % (v.name, running, time.time() - t0, sv[0], sv[1]))
                need(running > 0, "%s: the downloads had finished before %s came back" % (label, v.name))
            for g in gets:
                sw.check_get(g, 60)
            seeder.stop()
            ok, last = digests_equal(t1, t2, 15)
            need(ok, "%s: trackers differ after the downloads: %s" % (label, last))
        for n in notes:
            print("  tracker_restarts: " + n, flush=True)
    finally:
        stop_all(procs)
        net.close()


# ---- 2. the link between the trackers is cut, then healed ----------------------------------------

def tracker_partition(suite):
    """Tracker 1 in namespace A, tracker 2 in namespace B. Each listens on
    0.0.0.0; the test reaches them over their own veth to the root namespace,
    and they reach each other only over a direct A-B veth, which is what the
    drill takes down (ip link set down) and brings back up."""
    reason = netns_available()
    need(reason is None, reason)
    lab = NetLab("pt")
    procs = []
    try:
        ns_a, ns_b = lab.add_ns("a"), lab.add_ns("b")
        lab.link_root(ns_a, "a", 1, 2)
        lab.link_root(ns_b, "b", 5, 6)
        a_if, _ = lab.link_ns(ns_a, ns_b, "x", 9, 10)
        p1, p2 = two_ports()
        t1 = DTracker(suite, "pt1", lab.addr(2), p1, "%s:%d" % (lab.addr(10), p2), listen="0.0.0.0",
                      prefix=lab.exec_prefix(ns_a), extra=["--id", "1"] + FLAGS)
        t2 = DTracker(suite, "pt2", lab.addr(6), p2, "%s:%d" % (lab.addr(9), p1), listen="0.0.0.0",
                      prefix=lab.exec_prefix(ns_b), extra=["--id", "2"] + FLAGS)
        procs += [t1, t2]
        t1.start()
        t2.start()
        # The address each tracker sees announces come from: the root end of its veth.
        src = {t1: ip_int(lab.addr(1)), t2: ip_int(lab.addr(5))}
        model = {}  # key -> (ip, seeder?) after its last acknowledged announce; absent = gone

        def ann(t, k, event=None, left=100):
            # The two trackers see this host from different addresses: its BEP 7
            # key lets an announce through one move or stop the entry the other made.
            t.announce(key_ih(k), key_pid(k), 20000 + k, left=left, event=event, numwant=0,
                       extra="&key=%08x" % (0x1000 + k))
            if event == "stopped":
                model.pop(k, None)
            else:
                model[k] = (src[t], left == 0)

        def expected():
            lines = sorted("%s %d:%d %s" % (key_ih(k).hex(), ip, 20000 + k, "S" if s else "L")
                           for k, (ip, s) in model.items())
            return hashlib.sha1("".join(line + "\n" for line in lines).encode()).hexdigest()

        for k in range(40):  # link up: half to each tracker
            ann(t1 if k < 20 else t2, k, "started", 0 if k % 3 == 0 else 100)
        ok, last = digests_equal(t1, t2, 15)
        need(ok and last["a"] == expected(), "before the cut: digests %s, model %s" % (last, expected()))

        lab.set_link(ns_a, a_if, False)
        cut_at = time.time()
        for k in range(40, 100):  # new peers on both sides
            ann(t1 if k < 70 else t2, k, "started", 0 if k % 4 == 0 else 100)
        for k in range(0, 5):  # leave through tracker 1
            ann(t1, k, "stopped")
        for k in range(20, 25):  # complete through tracker 2
            ann(t2, k, "completed", 0)
        # During the cut each tracker holds only its own side's announces.
        need(not digests_equal(t1, t2, 1.5)[0], "the trackers still agree during the cut: the link was not cut")
        for k in range(10, 13):  # the same peers through both, one after the other
            ann(t1, k, "completed", 0)
            time.sleep(0.01)  # a later time stamp at the second tracker (last writer wins)
            ann(t2, k, "stopped")
        for k in range(30, 33):
            ann(t2, k, None, 50)
            time.sleep(0.01)
            ann(t1, k, "completed", 0)
        need(not digests_equal(t1, t2, 1.5)[0], "the trackers agree during the cut: the link was not cut")
        s1, s2 = t1.stats(), t2.stats()
        need(s1["peers"] != s2["peers"] or s1["seeders"] != s2["seeders"],
             "same counts during the cut: %s %s" % (s1["peers"], s2["peers"]))
        cut_for = time.time() - cut_at

        lab.set_link(ns_a, a_if, True)
        healed_at = time.time()
        ok, last = digests_equal(t1, t2, 45)
        need(ok, "not identical %.0f s after the heal: %s" % (time.time() - healed_at, last))
        need(last["a"] == expected(), "identical but not what the announcers were told: %s vs model %s (%d peers)"
             % (last["a"], expected(), len(model)))
        s1, s2 = t1.stats(), t2.stats()
        need((s1["peers"], s1["seeders"]) == (s2["peers"], s2["seeders"]) == (
            len(model), sum(1 for v in model.values() if v[1])), "counts %s %s" % (s1, s2))
        print("  tracker_partition: link down %.1f s with %d announces on both sides; identical %.1f s after the "
              "heal (%d peers, %d seeders)" % (cut_for, 74, time.time() - healed_at, s1["peers"], s1["seeders"]),
              flush=True)
    finally:
        stop_all(procs)
        left = lab.close()
        need(not left, "could not clean up: %s" % left)


def ip_int(text):
    return struct.unpack(">I", socket.inet_aton(text))[0]


def key_ih(k):
    return struct.pack(">I", 1 + k % 4) + b"\x00" * 12 + b"drll"


def key_pid(k):
    return b"-DR0001-" + ("%012d" % k).encode()


# ---- 3. peers that die, lie or stall -------------------------------------------------------------------

def seeder_dies(suite):
    net = SlowNet("sd")
    procs = []
    try:
        t1, t2 = net.trackers(suite, "sd")
        procs += [t1, t2]
        sw = Swarm(suite, "seeddies", 24 * MIB, [t1, t2])
        s1, s2 = sw.seed(prefix=net.prefix), sw.seed(prefix=net.prefix)
        procs += [s1, s2]
        sw.wait_seeders(2)
        g = sw.get(["--timeout", "60"])
        procs.append(g)
        need(wait_until(lambda: g.verified() >= sw.size // 5 or not g.alive(), 30, 0.02), "no progress: %s"
             % g.describe())
        at = g.verified()
        need(g.alive() and at < sw.size, "the download ended before the seeder could be killed: %s" % g.describe())
        s1.kill9()
        sw.check_get(g, 60)
        print("  seeder_dies: one of two seeders killed at %d%%; completed from the other" % (100 * at // sw.size),
              flush=True)
    finally:
        stop_all(procs)
        net.close()


def corrupt_peer(suite):
    net = SlowNet("cp")
    procs, bad = [], None
    try:
        t1, t2 = net.trackers(suite, "cp")
        procs += [t1, t2]
        sw = Swarm(suite, "corrupt", 8 * MIB, [t1, t2])
        bad = FakeSeeder(sw, garbage=True, host=net.host)
        announce_seeder(sw, bad.peer_id, bad.port)
        procs.append(sw.seed(prefix=net.prefix))
        sw.wait_seeders(2)
        g = sw.get(["--timeout", "60"])
        procs.append(g)
        sw.check_get(g, 60)
        need(bad.blocks_sent > 0, "the corrupt peer was never asked for a block")
        who = net.host  # bans are by IP address (issue 12), not ip:port
        need("banned peer %s:" % who in g.logtext(), "no 'banned peer %s' in the log: %r"
             % (who, [x for x in g.logtext().splitlines() if "SHA-1" in x or "banned" in x][:3]))
        print("  corrupt_peer: %d garbage blocks sent, peer banned, file intact" % bad.blocks_sent, flush=True)
    finally:
        stop_all(procs)
        if bad:
            bad.stop()
        net.close()


def silent_peer(suite):
    """A listed seeder whose kernel accepts the connection but which never
    reads or writes, and one that handshakes, takes requests and never sends
    a block: the download completes from the real seeder, and in about the
    time the real seeder alone needs, not after the 10 s handshake or 15 s
    request deadlines."""
    net = SlowNet("sp")
    procs, silent, stall = [], None, None
    try:
        t1, t2 = net.trackers(suite, "sp")
        procs += [t1, t2]
        sw = Swarm(suite, "silent", 8 * MIB, [t1, t2])
        silent = socket.socket()
        silent.bind((net.host, 0))
        silent.listen(8)  # the kernel completes the TCP handshake; nobody ever reads
        announce_seeder(sw, b"-PY0002-" + os.urandom(6).hex().encode(), silent.getsockname()[1])
        stall = FakeSeeder(sw, stall=True, host=net.host)
        announce_seeder(sw, stall.peer_id, stall.port)
        procs.append(sw.seed(prefix=net.prefix))
        sw.wait_seeders(3)
        g = sw.get(["--timeout", "60"])
        procs.append(g)
        sw.check_get(g, 60)
        took = time.time() - g.started
        line_time = sw.size / (4e6)  # RATE
        need(len(stall.requests) > 0, "the stalling peer was never asked for a block")
        need(took < line_time + 6, "took %.1f s for what the link carries in %.1f s" % (took, line_time))
        print("  silent_peer: %.1f s (the link alone: %.1f s); %d requests left unanswered by the staller"
              % (took, line_time, len(stall.requests)), flush=True)
    finally:
        stop_all(procs)
        if silent:
            silent.close()
        if stall:
            stall.stop()
        net.close()


# ---- 4. get killed -9 and restarted ----------------------------------------------------------------

def client_kill9_resume(suite):
    net = SlowNet("kr")
    procs = []
    try:
        t1, t2 = net.trackers(suite, "kr")
        procs += [t1, t2]
        sw = Swarm(suite, "resume", 24 * MIB, [t1, t2])
        procs.append(sw.seed(prefix=net.prefix))
        sw.wait_seeders(1)
        g1 = sw.get(["--timeout", "60"])
        procs.append(g1)
        resume = g1.dest + ".mtresume"
        need(wait_until(lambda: len(resume_pieces(resume, sw.pieces) or []) >= sw.pieces // 5 or not g1.alive(),
                        30, 0.02), "no resume state: %s" % g1.describe())
        need(g1.alive(), "the first run finished before it could be killed: %s" % g1.describe())
        g1.kill9()
        kept = resume_pieces(resume, sw.pieces)
        need(kept, "resume file unreadable after kill -9")
        bad = sw.bad_pieces_on_disk(g1.dest + ".part", kept)  # the data, until verified
        need(not bad, "resume state lists pieces %s that are not on disk correctly" % bad[:10])
        before = net.received()
        g2 = Client(suite, "resume-again", ["get", sw.torrent, g1.dest, "--timeout", "60"])
        g2.dest = g1.dest
        procs.append(g2)
        sw.check_get(g2, 60)
        fetched = net.received() - before
        m = re.search(r"(\d+) of (\d+) pieces already verified", g2.logtext())
        need(m, "no 'already verified' line in the restart's log")
        k = int(m.group(1))
        need(k >= len(kept), "restart found %d pieces, the resume file lists %d" % (k, len(kept)))
        budget = (sw.pieces - k) * sw.piece_length * 1.1 + MIB
        need(fetched <= budget, "restart fetched %.1f MiB, more than the %d missing pieces (%.1f MiB)"
             % (fetched / MIB, sw.pieces - k, (sw.pieces - k) * sw.piece_length / MIB))
        print("  client_kill9_resume: killed with %d of %d pieces saved; the restart found %d and fetched %.1f MiB "
              "of %.0f MiB" % (len(kept), sw.pieces, k, fetched / MIB, sw.size / MIB), flush=True)
    finally:
        stop_all(procs)
        net.close()


# ---- 5. the disk fills during a download ----------------------------------------------------------

def disk_full(suite):
    """A 24 MiB download into a 12 MiB tmpfs, from a seeder behind the slow
    link (so resume state is saved before the disk fills): get must fail with
    the reason, claim nothing, and its resume state list only pieces that are
    on disk intact. Then the file system grows and the same command resumes
    from those pieces and completes."""
    need(is_root(), "needs root to mount a tmpfs")
    net = SlowNet("df")
    mnt = os.path.join(suite.work, "small-disk")
    os.makedirs(mnt)
    procs = []
    mounted = False
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mnt], capture_output=True, text=True)
        need(r.returncode == 0, "mount failed: %s" % r.stderr.strip())
        mounted = True
        t1, t2 = net.trackers(suite, "df")
        procs += [t1, t2]
        sw = Swarm(suite, "diskfull", 24 * MIB, [t1, t2])
        procs.append(sw.seed(prefix=net.prefix))
        sw.wait_seeders(1)
        g = sw.get(["--timeout", "60"], dest=os.path.join(mnt, "data.bin"))
        procs.append(g)
        rc = g.wait(60)
        need(rc is not None, "get still running after 60 s on a full disk")
        need(rc != 0, "get exited 0 on a full disk: %s" % g.describe())
        need("complete and verified" not in g.out(), "claims completion: %r" % g.out()[-200:])
        need("No space left on device" in g.err(), "no 'No space left on device' in: %r" % g.err()[-300:])
        kept = resume_pieces(g.dest + ".mtresume", sw.pieces) or []
        bad = sw.bad_pieces_on_disk(g.dest + ".part", kept) if kept else []
        need(not bad, "the resume state lists pieces %s that are not on disk correctly" % bad[:10])
        need(len(kept) < sw.pieces, "the resume state lists every piece")
        why = g.err().strip().splitlines()[-1][:140]
        r = subprocess.run(["mount", "-o", "remount,size=64m", mnt], capture_output=True, text=True)
        need(r.returncode == 0, "remount failed: %s" % r.stderr.strip())
        g2 = Client(suite, "diskfull-again", ["get", sw.torrent, g.dest, "--timeout", "60"])
        g2.dest = g.dest
        procs.append(g2)
        sw.check_get(g2, 60)
        m = re.search(r"(\d+) of (\d+) pieces already verified", g2.logtext())
        need(m and int(m.group(1)) >= len(kept), "the rerun did not start from the %d saved pieces: %s"
             % (len(kept), m and m.group(0)))
        print("  disk_full: exit %d, %r; resume state listed %d of %d pieces, all intact on disk; with more space "
              "the rerun resumed from them and completed" % (rc, why, len(kept), sw.pieces), flush=True)
    finally:
        stop_all(procs)
        try:
            if mounted:
                r = subprocess.run(["umount", mnt], capture_output=True, text=True)
                if r.returncode != 0:
                    subprocess.run(["umount", "-l", mnt], capture_output=True)
                    raise DrillFailed("umount %s: %s" % (mnt, r.stderr.strip()))
        finally:
            net.close()


# ---- 6. 500 idle connections ------------------------------------------------------------------------

IDLE = 500


def open_idle(port, n=IDLE, host="127.0.0.1"):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(5)
        s.connect((host, port))
        socks.append(s)
    return socks


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def closed_by_peer(s):
    s.setblocking(False)
    return _drained(s)


def _drained(s):
    """True once everything the server sent (a 408, say) is read and EOF follows."""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def idle_connections(suite):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * IDLE:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    procs, idle = [], []
    notes = []
    try:
        # The client: a seeder with IDLE connections that never send a byte.
        # Trackers with a realistic interval, so the seeder does not learn of
        # the new leecher from the tracker: the leecher has to get in.
        p1, p2 = two_ports()
        slow_flags = ["--interval", "300", "--min-interval", "60"]
        t1 = DTracker(suite, "ic1", "127.0.0.1", p1, "127.0.0.1:%d" % p2, extra=["--id", "1"] + slow_flags)
        t2 = DTracker(suite, "ic2", "127.0.0.1", p2, "127.0.0.1:%d" % p1, extra=["--id", "2"] + slow_flags)
        procs += [t1.start(), t2.start()]
        sw = Swarm(suite, "idle", 32 * MIB, [t1, t2])
        s = sw.seed()
        procs.append(s)
        sw.wait_seeders(1)
        need(wait_until(lambda: s.port(), 10), "seeder printed no port: %s" % s.describe())
        g0 = sw.get(["--timeout", "60"])
        procs.append(g0)
        sw.check_get(g0, 60)
        base = time.time() - g0.started
        idle = open_idle(s.port())
        g = sw.get(["--timeout", "60"])
        procs.append(g)
        sw.check_get(g, 60)
        took = time.time() - g.started
        need(took <= max(3 * base, base + 2), "with %d idle connections the download took %.1f s, %.1f s without"
             % (IDLE, took, base))
        cap = [x for x in s.logtext().splitlines() if "limit" in x]
        need(cap, "the seeder never logged its connection cap: %r" % s.logtext()[-300:])
        notes.append("%d idle connections to the seeder: download %.1f s (%.1f s without); seeder log: %s"
                     % (IDLE, took, base, cap[0].split(" WARN ")[-1][:100]))
        close_all(idle)
        idle = []
        stop_all(procs)
        procs = []

        # The tracker: default limits (4096 connections) but a short idle
        # timeout, so the drill can watch the idle connections go. The idle
        # connections and the announces share one address: the per-address
        # cap (64 by default; tests/security covers it) is raised.
        p1, p2 = two_ports()
        per_ip = ["--max-connections-per-ip", "100000"]
        t1 = DTracker(suite, "it1", "127.0.0.1", p1, "127.0.0.1:%d" % p2,
                      extra=["--id", "1", "--idle-timeout", "3000"] + per_ip + FLAGS)
        t2 = DTracker(suite, "it2", "127.0.0.1", p2, "127.0.0.1:%d" % p1, extra=["--id", "2"] + FLAGS)
        procs += [t1.start(), t2.start()]
        idle = open_idle(t1.port)
        opened = time.time()
        worst = serve_burst(t1, "idle")
        need(worst < 0.5, "with %d idle connections an answer took %.2f s" % (IDLE, worst))
        need(wait_until(lambda: all(closed_by_peer(x) for x in idle), 10, 0.1),
             "the tracker kept idle connections past its 3 s idle timeout")
        gone = time.time() - opened
        notes.append("%d idle connections to a tracker: slowest of 90 announces/scrapes %.0f ms; all closed %.1f s "
                     "later (--idle-timeout 3000)" % (IDLE, worst * 1000, gone))
        close_all(idle)
        idle = []
        stop_all(procs)
        procs = []

        # At its connection limit the tracker refuses (closes at once) and says
        # so in its log; UDP is unaffected, and HTTP serves again once the idle
        # timeout has reclaimed the slots.
        p1, p2 = two_ports()
        t1 = DTracker(suite, "il1", "127.0.0.1", p1, "127.0.0.1:%d" % p2,
                      extra=["--id", "1", "--idle-timeout", "2000", "--max-connections", "400"] + per_ip + FLAGS)
        t2 = DTracker(suite, "il2", "127.0.0.1", p2, "127.0.0.1:%d" % p1, extra=["--id", "2"] + FLAGS)
        procs += [t1.start(), t2.start()]
        idle = open_idle(t1.port)
        full_at = time.time()
        u = UdpTrackerClient(t1.port, timeout=1)
        u.connect()
        r = u.announce(key_ih(1), key_pid(1), 6881, left=0, event=2)
        need("error" not in r, "UDP announce at the connection limit: %s" % r)
        need(wait_until(lambda: "connection limit of 400 reached" in open(t1.log, errors="replace").read(), 5),
             "no 'connection limit of 400 reached' in the tracker log")
        need(wait_until(lambda: t1.announce(key_ih(2), key_pid(2), 6882, left=0) is not None, 10, 0.1),
             "HTTP never served again after the idle timeout")
        back = time.time() - full_at
        need(back < 2 + 3, "HTTP served again only %.1f s after the limit was hit (idle timeout 2 s)" % back)
        notes.append("at --max-connections 400: limit logged, UDP answered, HTTP back after %.1f s" % back)
        u.sock.close()
        for n in notes:
            print("  idle_connections: " + n, flush=True)
    finally:
        close_all(idle)
        stop_all(procs)


def serve_burst(t, tag):
    """50 HTTP announces and 20 scrapes on fresh connections, 20 UDP announces;
    returns the slowest answer in seconds."""
    worst = 0.0
    for i in range(50):
        t0 = time.time()
        t.announce(key_ih(i), key_pid(1000 + i), 7000 + i, left=100, event="started")
        worst = max(worst, time.time() - t0)
    for i in range(20):
        t0 = time.time()
        need(t.scrape(key_ih(i)) is not None, "scrape unanswered")
        worst = max(worst, time.time() - t0)
    u = UdpTrackerClient(t.port, timeout=2)
    try:
        u.connect()
        for i in range(20):
            t0 = time.time()
            r = u.announce(key_ih(i), key_pid(2000 + i), 8000 + i, left=0, event=2)
            need("error" not in r, "UDP announce: %s" % r)
            worst = max(worst, time.time() - t0)
    finally:
        u.sock.close()
    return worst


def in_ns(ns, code, timeout=10):
    """Runs Python `code` inside namespace `ns`; its stdout."""
    r = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", code], capture_output=True,
                       text=True, timeout=timeout)
    return r.stdout.strip()


def ns_stats(ns, host, port):
    """A tracker's /stats?digest=1 from inside a namespace, or None."""
    import json
    out = in_ns(ns, "import urllib.request as u\ntry:\n print(u.urlopen('http://[%s]:%d/stats?digest=1', "
                    "timeout=2).read().decode())\nexcept Exception:\n pass" % (host, port))
    try:
        return json.loads(out)
    except ValueError:
        return None


def ipv6_namespaces(suite):
    """Five namespaces on one bridge (in a sixth), IPv6 addresses only
    (2001:db8::/32, nodad): tracker 1 and tracker 2 apart, so replication
    crosses the bridge over IPv6; our seeder; our leecher; a libtorrent
    leecher. Both downloads complete with the right SHA-1, and both trackers
    end with the same state digest and three seeders."""
    from netlab import sh
    lab = NetLab("v6")
    procs = []  # Client objects
    raw = []  # Popen objects (trackers, libtorrent)
    prefix = "2001:db8:%x:%x::" % (os.getpid() & 0xffff, int(time.time()) & 0xffff)
    try:
        hub = lab.add_ns("h")
        sh("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", hub, "link", "set", "br0", "up")
        nodes = {}
        for i, short in enumerate(["t1", "t2", "s", "c", "l"], 1):
            ns = lab.add_ns(short)
            a, b = "h%s%s" % (lab.tag, short), "e%s%s" % (lab.tag, short)
            sh("ip", "link", "add", a, "netns", hub, "type", "veth", "peer", "name", b, "netns", ns)
            sh("ip", "-n", hub, "link", "set", a, "master", "br0")
            sh("ip", "-n", hub, "link", "set", a, "up")
            sh("ip", "-n", ns, "addr", "add", "%s%d/64" % (prefix, i), "dev", b, "nodad")
            sh("ip", "-n", ns, "link", "set", b, "up")
            nodes[short] = (ns, "%s%d" % (prefix, i))
        work = os.path.join(suite.work, "v6drill")
        os.makedirs(work, exist_ok=True)
        (t1ns, t1ip), (t2ns, t2ip) = nodes["t1"], nodes["t2"]
        p1, p2 = 7001, 7002
        for name, (ns, ip), port, other in (("t1", nodes["t1"], p1, "[%s]:%d" % (t2ip, p2)),
                                            ("t2", nodes["t2"], p2, "[%s]:%d" % (t1ip, p1))):
            d = os.path.join(work, name)
            os.makedirs(d, exist_ok=True)
            raw.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, os.path.join(BIN, "tracker"), "[%s]:%d" % (ip, port), other,
                 os.path.join(d, "state"), os.path.join(d, "log"), "--secret-file",
                 os.path.join(work, "mtorrent.secret")] + FLAGS,
                cwd=d, stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "stderr"), "wb")))
        for ns, ip, port in ((t1ns, t1ip, p1), (t2ns, t2ip, p2)):
            need(wait_until(lambda: ns_stats(ns, ip, port) is not None, 15, 0.2),
                 "tracker on [%s]:%d did not come up" % (ip, port))
        data = os.path.join(work, "seed", "v6.bin")
        os.makedirs(os.path.dirname(data))
        with open(data, "wb") as f:
            f.write(os.urandom(6 * MIB + 123))
        want = hashlib.sha1(open(data, "rb").read()).hexdigest()
        tor = os.path.join(work, "v6.mtorrent")
        r = run_client(["create", data, tor, "--tracker", "http://[%s]:%d/announce" % (t1ip, p1),
                        "--tracker", "http://[%s]:%d/announce" % (t2ip, p2)])
        need(r.returncode == 0, "create: %s" % r.stderr)
        sns, sip = nodes["s"]
        procs.append(Client(suite, "v6-seed", ["seed", tor, data, "--bind", sip, "--port", "6881"],
                            prefix=["ip", "netns", "exec", sns]))
        cns, cip = nodes["c"]
        ours = os.path.join(work, "ours")
        g = Client(suite, "v6-get", ["get", tor, ours, "--bind", cip, "--port", "6881", "--timeout", "60",
                                     "--seed-after", "60"], prefix=["ip", "netns", "exec", cns])
        procs.append(g)
        lns, lip = nodes["l"]
        lt_dir = os.path.join(work, "lt")
        os.makedirs(lt_dir)
        marker = os.path.join(work, "lt.done")
        raw.append(subprocess.Popen(
            ["ip", "netns", "exec", lns, "/usr/bin/python3",
             os.path.join(HERE, "..", "pylib", "real_clients.py"), "--libtorrent", tor, lt_dir, "6881", marker, lip],
            stdout=open(os.path.join(work, "lt.log"), "wb"), stderr=subprocess.STDOUT))
        done = wait_until(lambda: os.path.exists(marker) and os.path.exists(ours) and
                          "complete and verified" in g.out(), 60, 0.2)
        need(done, "IPv6 downloads not done in 60 s: ours %r; libtorrent %r" % (
            g.out()[-200:], open(os.path.join(work, "lt.log"), errors="replace").read()[-300:]))
        for path in (ours, os.path.join(lt_dir, "v6.bin")):
            need(hashlib.sha1(open(path, "rb").read()).hexdigest() == want, "%s differs" % path)

        def settled():
            a, b = ns_stats(t1ns, t1ip, p1), ns_stats(t2ns, t2ip, p2)
            return a and b and a.get("state_digest") == b.get("state_digest") and a.get("seeders", 0) >= 3
        need(wait_until(settled, 15, 0.5), "the trackers did not converge over IPv6: %s / %s" % (
            ns_stats(t1ns, t1ip, p1), ns_stats(t2ns, t2ip, p2)))
        print("  ipv6_namespaces: our leecher and libtorrent got 6 MiB over IPv6 from our seeder; the pair "
              "replicated across namespaces", flush=True)
    finally:
        stop_all(procs)
        for p in raw:
            mtlib.stop_process(p, timeout=10)
        left = lab.close()
        need(not left, "not removed: %s" % left)


def dual_stack_names(suite):
    """The trackers' name has an IPv4 and an IPv6 address (each namespace's own
    /etc/hosts), the trackers listen on both families, and so does our seeder.
    One leecher has IPv4 only, the other IPv6 only: both get the file from the
    seeder, so the seeder announced over each family (BEP 7), and the tracker
    kept both entries though they carry one key."""
    from netlab import sh
    lab = NetLab("ds")
    procs, raw = [], []
    v6 = "2001:db8:%x:%x::" % (os.getpid() & 0xffff, (int(time.time()) + 1) & 0xffff)
    try:
        hub = lab.add_ns("h")
        sh("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", hub, "link", "set", "br0", "up")
        nodes = {}
        for i, (short, fams) in enumerate([("t", "46"), ("s", "46"), ("a", "4"), ("b", "6")], 1):
            ns = lab.add_ns(short)
            x, y = "h%s%s" % (lab.tag, short), "e%s%s" % (lab.tag, short)
            sh("ip", "link", "add", x, "netns", hub, "type", "veth", "peer", "name", y, "netns", ns)
            sh("ip", "-n", hub, "link", "set", x, "master", "br0")
            sh("ip", "-n", hub, "link", "set", x, "up")
            if "4" in fams:
                sh("ip", "-n", ns, "addr", "add", "%s/24" % lab.addr(i), "dev", y)
            if "6" in fams:
                sh("ip", "-n", ns, "addr", "add", "%s%d/64" % (v6, i), "dev", y, "nodad")
            sh("ip", "-n", ns, "link", "set", y, "up")
            nodes[short] = ns
            lab.hosts(ns, "%s tracker.test\n%s1 tracker.test\n" % (lab.addr(1), v6))
        work = os.path.join(suite.work, "dsdrill")
        os.makedirs(work, exist_ok=True)
        tns = nodes["t"]
        for name, port, other in (("t1", 7001, "[::1]:7002"), ("t2", 7002, "[::1]:7001")):
            d = os.path.join(work, name)
            os.makedirs(d, exist_ok=True)
            raw.append(subprocess.Popen(
                ["ip", "netns", "exec", tns, os.path.join(BIN, "tracker"), "[::]:%d" % port, other,
                 os.path.join(d, "state"), os.path.join(d, "log"), "--secret-file",
                 os.path.join(work, "mtorrent.secret"), "--interval", "120", "--min-interval", "60"],
                cwd=d, stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "stderr"), "wb")))
        for port in (7001, 7002):
            need(wait_until(lambda: ns_stats(tns, "::1", port) is not None, 15, 0.2),
                 "tracker on [::]:%d did not come up" % port)
        data = os.path.join(work, "seed", "ds.bin")
        os.makedirs(os.path.dirname(data))
        with open(data, "wb") as f:
            f.write(os.urandom(3 * MIB + 77))
        want = hashlib.sha1(open(data, "rb").read()).hexdigest()
        tor = os.path.join(work, "ds.mtorrent")
        r = run_client(["create", data, tor, "--tracker", "http://tracker.test:7001/announce",
                        "--tracker", "udp://tracker.test:7002"])
        need(r.returncode == 0, "create: %s" % r.stderr)
        procs.append(Client(suite, "ds-seed", ["seed", tor, data, "--port", "6881"],
                            prefix=["ip", "netns", "exec", nodes["s"]]))
        # Two entries of the seeder, one per family. The leechers come after,
        # and the long interval keeps the seeder from announcing again (and
        # from dialling them) while they download: each finds it through its
        # own family's entry alone.
        need(wait_until(lambda: (ns_stats(tns, "::1", 7001) or {}).get("seeders", 0) >= 2, 10, 0.2),
             "the seeder did not announce over both families: %s" % ns_stats(tns, "::1", 7001))
        outs = {}
        for short in ("a", "b"):
            outs[short] = os.path.join(work, "got-" + short)
            procs.append(Client(suite, "ds-get-" + short,
                                ["get", tor, outs[short], "--port", "6881", "--timeout", "60"],
                                prefix=["ip", "netns", "exec", nodes[short]]))
        getters = procs[1:]
        done = wait_until(lambda: all("complete and verified" in g.out() for g in getters), 30, 0.2)
        need(done, "not both done in 30 s: IPv4 leecher %s; IPv6 leecher %s" % (
            getters[0].describe(), getters[1].describe()))
        for short in ("a", "b"):
            need(hashlib.sha1(open(outs[short], "rb").read()).hexdigest() == want, "%s differs" % outs[short])
        print("  dual_stack_names: an IPv4-only and an IPv6-only leecher both got the file from a seeder "
              "that announced over both families to tracker.test", flush=True)
    finally:
        stop_all(procs)
        for p in raw:
            mtlib.stop_process(p, timeout=10)
        left = lab.close()
        need(not left, "not removed: %s" % left)


def snmp_counter(text, group, name):
    """A counter of /proc/net/snmp (`group` Ip, Udp, Tcp; `name` OutNoRoutes...)."""
    rows = [line.split() for line in text.splitlines() if line.startswith(group + ":")]
    if len(rows) < 2:
        return None
    return int(rows[1][rows[0].index(name)]) if name in rows[0] else None


def trackers_gone(suite):
    """Both trackers killed while three downloads run and a fourth starts:
    all four finish through the DHT and PEX (tests/drills/dht_drill.py), in a
    namespace whose only interface is lo, so nothing can leave 127.0.0.0/8;
    its IP counters then show no packet was even tried elsewhere."""
    why = netns_available()
    if why:
        raise DrillFailed(why)
    ns = "mtdht%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True, timeout=20)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True, capture_output=True, timeout=20)
        env = dict(os.environ, BIN=BIN)
        r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "dht_drill.py")],
                           capture_output=True, text=True, timeout=400, env=env)
        print(r.stdout.rstrip(), flush=True)
        need(r.returncode == 0, "the drill inside %s failed: %s %s" % (ns, r.stdout[-1500:], r.stderr[-800:]))
        snmp = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"], capture_output=True,
                              text=True, timeout=20).stdout
        links = subprocess.run(["ip", "-n", ns, "-o", "link"], capture_output=True, text=True, timeout=20).stdout
        no_route = snmp_counter(snmp, "Ip", "OutNoRoutes")
        udp_out = snmp_counter(snmp, "Udp", "OutDatagrams")
        need(no_route == 0, "packets tried to leave 127.0.0.0/8: Ip OutNoRoutes %s" % no_route)
        need([line.split(":")[1].strip() for line in links.splitlines()] == ["lo"],
             "interfaces other than lo: %s" % links)
        print("  %s: only lo; %s UDP datagrams (DHT and trackers), Ip OutNoRoutes 0" % (ns, udp_out), flush=True)
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


DRILLS = [tracker_restarts, tracker_partition, seeder_dies, corrupt_peer, silent_peer, client_kill9_resume,
          disk_full, idle_connections, ipv6_namespaces, dual_stack_names, trackers_gone]


def main():
    suite = Suite()
    return suite.run(DRILLS, plain=(DrillFailed,))


if __name__ == "__main__":
    sys.exit(main())
