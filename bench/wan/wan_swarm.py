"""bench/wan swarm: the tracker pair in the hub, one seeder and N leechers
of given kinds in their namespaces, started together, measured, verified and
stopped. Used by bench/wan/wan.py."""
import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import wan_net as net
from wan_peers import Peer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "pylib"))
from mtlib import bdecode  # noqa: E402

TRACKER_PORT = 6969
TRACKER_OPTS = ["--interval", "2", "--min-interval", "1"]
POLL = 0.05
MIX = ("aria2c", "libtorrent", "transmission", "ours")
HEADER_BYTES = 14 + 20 + 32  # Ethernet + IPv4 + TCP with timestamps, per packet the veth counts

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


class InNetns:
    """Runs the block with this (single-threaded) process in network
    namespace ns; sockets made inside stay there."""

    def __init__(self, ns):
        self.ns = ns

    def __enter__(self):
        self.orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + self.ns, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + self.ns)
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        try:
            if _libc.setns(self.orig, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(self.orig)


def http_get(ns, url, timeout=2):
    with InNetns(ns):
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read()


def sha1_file(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def parse_kind(spec):
    """'K' (all of one kind) or 'SEEDER/LEECHERS' where LEECHERS is a kind,
    'mix' (aria2c, libtorrent, transmission, ours in turn) or kinds joined
    by '+', taken in turn. Returns (seeder kind, [leecher kinds to cycle])."""
    seeder, _, leechers = spec.partition("/")
    leechers = leechers or seeder
    cycle = list(MIX) if leechers == "mix" else leechers.split("+")
    return seeder, cycle


class Trackers:
    """The tracker pair (bin/tracker) in the hub, fresh state for each swarm."""

    def __init__(self, netw, bin_dir, folder):
        self.net = netw
        self.procs = []
        os.makedirs(folder, exist_ok=True)
        addrs = ["%s:%d" % (a, TRACKER_PORT) for a in net.HUB_TRACKERS]
        secret = os.path.join(folder, "mtorrent.secret")
        for i in (0, 1):
            d = os.path.join(folder, "t%d" % (i + 1))
            os.makedirs(d, exist_ok=True)
            args = netw.exec_prefix(netw.hub) + [
                os.path.join(bin_dir, "tracker"), addrs[i], addrs[1 - i], os.path.join(d, "seeders.state"),
                os.path.join(d, "tracker.log"), "--secret-file", secret] + TRACKER_OPTS
            err = open(os.path.join(d, "stderr"), "ab")
            self.procs.append(subprocess.Popen(args, cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                               stderr=err))
            err.close()
            if i == 0:  # the first creates the shared secret
                self._wait_up(0)
        self._wait_up(1)

    @staticmethod
    def urls():
        return ["http://%s:%d/announce" % (a, TRACKER_PORT) for a in net.HUB_TRACKERS]

    def _wait_up(self, i):
        url = "http://%s:%d/stats" % (net.HUB_TRACKERS[i], TRACKER_PORT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.procs[i].poll() is not None:
                raise RuntimeError("tracker %d exited %s" % (i + 1, self.procs[i].returncode))
            try:
                http_get(self.net.hub, url)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tracker %d not up after 10 s" % (i + 1))

    def seeders(self, info_hash):
        """Seeders listed by each tracker (0 where it does not answer)."""
        out = []
        q = "".join("%%%02X" % b for b in info_hash)
        for a in net.HUB_TRACKERS:
            try:
                body = http_get(self.net.hub, "http://%s:%d/scrape?info_hash=%s" % (a, TRACKER_PORT, q))
                out.append(bdecode(body)[b"files"].get(info_hash, {}).get(b"complete", 0))
            except Exception:
                out.append(0)
        return out

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


class Swarm:
    """One swarm: seeder kind + leecher kinds, on a Net of N+1 peers."""

    def __init__(self, netw, cfg, torrent, info_hash, data_dir, name, sha1, size, label, folder, port):
        self.net, self.cfg = netw, cfg
        self.torrent, self.info_hash = torrent, info_hash
        self.data_dir, self.name, self.sha1, self.size = data_dir, name, sha1, size
        self.label, self.folder, self.port = label, folder, port

    def peer(self, kind, i):
        return Peer(kind, i == 0, i, self.net.peers[i], net.peer_ip(i), self.port,
                    os.path.join(self.folder, "p%d-%s" % (i, kind)), self.torrent, self.data_dir, self.name,
                    self.cfg.bin_dir, self.cfg.timeout)

    def run(self, spec):
        """Returns the result dict of one swarm (see wan.py's report)."""
        seeder_kind, cycle = parse_kind(spec)
        n = len(self.net.peers) - 1
        res = {"kind": spec, "n": n, "times": {}, "leecher_kinds": {}, "failures": [], "timeout": False}
        trackers = Trackers(self.net, self.cfg.bin_dir, os.path.join(self.folder, "trackers"))
        seeder = self.peer(seeder_kind, 0)
        leechers = [self.peer(cycle[(i - 1) % len(cycle)], i) for i in range(1, n + 1)]
        try:
            seeder.start(self.net.exec_prefix(seeder.ns))
            deadline = time.time() + 90
            while min(trackers.seeders(self.info_hash)) < 1:
                if not seeder.alive() or time.time() > deadline:
                    raise RuntimeError("%s seeder not listed by both trackers (they list %s): %s" % (
                        seeder_kind, trackers.seeders(self.info_hash), seeder.tail()))
                time.sleep(0.1)
            res["seeder_up_s"] = time.time() - seeder.started
            d0 = self.net.delay_stats()
            l0 = net.link_stats(seeder.ns)
            c0 = seeder.cpu_s()
            h0 = net.host_cpu()
            t0 = time.time()
            for p in leechers:
                p.start(self.net.exec_prefix(p.ns))
            res["spawn_spread_s"] = leechers[-1].started - t0
            self._wait(leechers, t0, res)
            t_end = time.time()
            h1 = net.host_cpu()
            res["host_busy"] = (h1[0] - h0[0]) / max(1, h1[1] - h0[1])
            res["cpu_s"] = seeder.cpu_s() - c0 + sum(p.cpu_s() for p in leechers)
            res["cpu_by_kind"] = {}
            for p in leechers:
                res["cpu_by_kind"].setdefault(p.kind, []).append(p.cpu_s())
            res["seeder_cpu_s"] = seeder.cpu_s() - c0
            l1 = net.link_stats(seeder.ns)
            d1 = self.net.delay_stats()
            res["wall_s"] = t_end - t0
        finally:
            for p in [seeder] + leechers:  # signal all, then wait: they stop in parallel
                p.signal_stop()
            for p in [seeder] + leechers:
                p.wait_stopped()
            trackers.stop()
            self._keep_logs()
        self._account(res, seeder, leechers, d0, d1, l0, l1)
        self._verify(res, leechers)
        shutil.rmtree(self.folder, ignore_errors=True)
        return res

    def _keep_logs(self):
        """With --logs DIR: every log of this swarm (not the data) to DIR/LABEL/."""
        if not self.cfg.logs:
            return
        for d, _, files in os.walk(self.folder):
            for f in files:
                if f.endswith(".log") or f == "stderr":
                    src = os.path.join(d, f)
                    dst = os.path.join(self.cfg.logs, self.label, os.path.relpath(src, self.folder))
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copyfile(src, dst)

    def _wait(self, leechers, t0, res):
        deadline = t0 + self.cfg.timeout
        while True:
            now = time.time()
            pending = []
            for p in leechers:
                if p.check_done() is not None or p.exit_code is not None:
                    continue
                if p.alive():
                    pending.append(p)
                else:  # exited before completing: reported once
                    res["failures"].append("p%d (%s) exited %s before completing: %s" % (
                        p.index, p.kind, p.exit_code, p.tail()))
            if not pending:
                break
            if now > deadline:
                res["timeout"] = True
                res["failures"].append("timeout after %.0f s: %d of %d leechers not complete (%s)" % (
                    self.cfg.timeout, len(pending), len(leechers),
                    ", ".join("p%d %s" % (p.index, p.kind) for p in pending)))
                break
            time.sleep(POLL)
        for p in leechers:
            res["leecher_kinds"][p.index] = p.kind
            if p.done_at is not None:
                res["times"][p.index] = p.done_at - t0

    def _account(self, res, seeder, leechers, d0, d1, l0, l1):
        d = net.stats_delta(d0, d1)
        flows = d["flows"]
        sip = net.peer_ip(0)
        per = {p.index: flows.get((sip, net.peer_ip(p.index)), {}).get("payload", 0) for p in leechers}
        res["from_seeder"] = per
        res["seeder_payload"] = sum(per.values())
        res["seeder_up_F"] = res["seeder_payload"] / self.size
        tx_b, tx_p = l1[0] - l0[0], l1[1] - l0[1]
        res["seeder_up_F_veth"] = (tx_b - tx_p * HEADER_BYTES) / self.size
        res["swarm_payload_NF"] = sum(f["payload"] for f in flows.values()) / (len(leechers) * self.size)
        res["delay"] = {k: d[k] for k in d if k != "flows"}
        res["delay"]["late_p99_us"] = net.late_quantile(d["late_hist"], 0.99)

    def _verify(self, res, leechers):
        for p in leechers:
            if p.index not in res["times"]:
                continue
            path = p.downloaded()
            if not os.path.exists(path) or sha1_file(path) != self.sha1:
                res["failures"].append("p%d (%s): SHA-1 mismatch or file missing" % (p.index, p.kind))
                del res["times"][p.index]
        res["complete"] = len(res["times"]) == len(leechers) and not res["timeout"]
        res["last_s"] = max(res["times"].values()) if res["complete"] else None
