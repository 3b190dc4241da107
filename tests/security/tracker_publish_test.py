#!/usr/bin/env python3
"""Issue 12, findings 6 and 7: hostile publishers against a live tracker pair.

Each case attacks bin/tracker on loopback from its own source address
(127.0.0.2 and up) while an honest user on 127.0.0.1 publishes, searches,
gets and announces, and must be served: announces answer with a p99 under
100 ms during the attack and both trackers end with the same state digest.

  republish_cannot_redirect  a republish of someone's info_hash with the
                             attacker's trackers changes nothing; a first
                             publish is served with the pair's own URLs
  get_by_name_ambiguous      two files of one name (one with faked seeders):
                             `get <name>` answers AMBIGUOUS and lists both
  publish_flood_quota        a publish flood from one address is cut by the
                             per-address quota (RSS and disk stay small)
  new_torrent_flood          announces that create torrents, quota per address
  full_tracker_evicts        a full tracker evicts the least recently
                             announced torrent instead of refusing everyone,
                             also after a restart
  metainfo_expires           a published file with no live peer expires on
                             both trackers; one with a seeder stays
  search_flood               20,000-ish names around the real one: /search
                             still lists the real file first
"""
import hashlib
import http.client
import os
import queue
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import BIN, Suite, bdecode, free_port, peer_id, stop_process, wait_until  # noqa: E402

FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
HONEST = "127.0.0.1"


# ---- bencode and metainfo ----------------------------------------------------------------------

benc = mtlib.bencode



def make_meta(name, length, trackers, comment=None, seed=b"", pieces=None):
    """A single-file .mtorrent: (bytes, info_hash)."""
    plen = 512 * 1024
    n = pieces or (length + plen - 1) // plen
    if pieces:
        length = n * plen
    piece_hashes = b"".join(hashlib.sha1(seed + name.encode() + struct.pack(">I", i)).digest()
                            for i in range(n))
    info = {"length": length, "name": name, "piece length": plen, "pieces": piece_hashes}
    top = {"info": info, "announce": trackers[0], "announce-list": [list(trackers)]}
    if comment:
        top["comment"] = comment
    ib = benc(info)
    return benc(top), hashlib.sha1(ib).digest()


def pair_urls(t1, t2):
    return {t1.url("/announce"), t2.url("/announce")}


def served_urls(meta):
    d = bdecode(meta)
    urls = {d[b"announce"].decode()} if b"announce" in d else set()
    for tier in d.get(b"announce-list", []):
        urls |= {u.decode() for u in tier}
    return urls


def info_hash_of(meta):
    """SHA-1 of the re-encoded info dict (the test's metainfo is canonical)."""
    d = bdecode(meta)
    return hashlib.sha1(benc(d[b"info"])).digest()


# ---- HTTP from a chosen source address ---------------------------------------------------------

class Http:
    """One keep-alive HTTP connection from `src` (a loopback address)."""

    def __init__(self, tracker, src=HONEST, timeout=5):
        self.port = tracker.port
        self.src = src
        self.timeout = timeout
        self.conn = None

    def request(self, method, target, body=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                                       source_address=(self.src, 0))
            try:
                self.conn.request(method, target, body=body)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("connection", "").lower() == "close":
                    self.close()
                return r.status, data
            except (ConnectionError, http.client.HTTPException, socket.timeout, OSError):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


def publish(http_conn, meta):
    """(accepted, reply dict)."""
    status, body = http_conn.request("POST", "/publish", meta)
    d = bdecode(body) if status == 200 else {}
    return status == 200 and b"failure reason" not in d, d


def metainfo(tracker, ih):
    try:
        status, body = mtlib.http_get(tracker.url("/metainfo?info_hash=" + ih.hex()), timeout=3)
        return body if status == 200 else None
    except Exception:
        return None


def search(tracker, text):
    _, body = mtlib.http_get(tracker.url("/search?q=" + urllib.parse.quote(text)))
    return bdecode(body)[b"files"]


def q(b):
    return urllib.parse.quote(b, safe="")


def announce_target(ih, pid, port, left=0, event=""):
    return "/announce?info_hash=%s&peer_id=%s&port=%d&uploaded=0&downloaded=0&left=%d&compact=1%s" % (
        q(ih), q(pid), port, left, "&event=" + event if event else "")


class HonestAnnouncer:
    """Announces one torrent from 127.0.0.1 every few ms while an attack runs
    and keeps the latencies (and any failure) for a p99."""

    def __init__(self, tracker, ih, port=40000):
        self.http = Http(tracker)
        self.ih, self.port = ih, port
        self.lat, self.errors = [], []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        n = 0
        while not self.stop_flag.is_set() and n < 20000:
            n += 1
            t0 = time.monotonic()
            try:
                status, body = self.http.request("GET", announce_target(self.ih, peer_id(900001), self.port))
                d = bdecode(body)
                if status != 200 or b"failure reason" in d:
                    self.errors.append(d.get(b"failure reason", status))
            except Exception as e:
                self.errors.append(repr(e))
            self.lat.append(time.monotonic() - t0)
            self.stop_flag.wait(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        # At least 10 samples for the p99, however quickly the attack ended
        # (on a loaded machine a short attack left only 7): bounded, 10 s.
        deadline = time.monotonic() + 10
        while len(self.lat) < 10 and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.01)
        self.stop_flag.set()
        self.thread.join(10)
        self.http.close()

    def p99_ms(self):
        if not self.lat:
            return float("inf")
        s = sorted(self.lat)
        return 1000 * s[min(len(s) - 1, int(len(s) * 0.99))]

    def check(self, what):
        print("  %s: honest announce p99 %.1f ms over %d announces" % (what, self.p99_ms(), len(self.lat)),
              flush=True)
        if len(self.lat) < 10:
            raise AssertionError("%s: only %d honest announces" % (what, len(self.lat)))
        if self.errors:
            raise AssertionError("%s: honest announces refused: %r" % (what, self.errors[:3]))
        if self.p99_ms() >= mtlib.P99_BOUND_S * 1000:
            raise AssertionError("%s: honest announce p99 %.1f ms (n=%d)" % (what, self.p99_ms(), len(self.lat)))


def pair(suite, tag, extra=()):
    """A tracker pair in folders of its own (tracker_pair's names are per suite)."""
    p1 = free_port()
    p2 = free_port()
    while p2 == p1:
        p2 = free_port()
    t1 = mtlib.Tracker(suite, tag + "-t1", p1, p2, extra=extra)
    t2 = mtlib.Tracker(suite, tag + "-t2", p2, p1, extra=extra)
    t1.start()
    t2.start()
    return t1, t2


def converged(t1, t2, timeout=15):
    ok = wait_until(lambda: t1.digest() is not None and t1.digest() == t2.digest(), timeout, 0.1)
    if not ok:
        raise AssertionError("pair diverged: %s vs %s" % (t1.digest(), t2.digest()))


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def fresh_hash(n):
    return hashlib.sha1(b"sec-%d-%f" % (n, time.time())).digest()


# ---- cases ---------------------------------------------------------------------------------------

def republish_cannot_redirect(suite):
    t1, t2 = pair(suite, "republish_cannot_redirect", extra=FLAGS)
    try:
        evil = ["http://10.66.6.6:6969/announce", "udp://10.66.6.7:6969"]
        honest_meta, ih = make_meta("family-photos.zip", 3 << 20, sorted(pair_urls(t1, t2)), comment="honest")
        ok, d = publish(Http(t1), honest_meta)
        assert ok, d
        # The attacker comes after the publish (within the replication lag of
        # about 10 ms a racing publish on the other tracker may win the
        # comment, never the trackers or the info).
        assert wait_until(lambda: metainfo(t2, ih) is not None, 10, 0.05), "not replicated"
        evil_meta, ih2 = make_meta("family-photos.zip", 3 << 20, evil, comment="evil")
        assert ih == ih2
        with HonestAnnouncer(t1, ih) as honest:
            conns = [Http(t1, "127.0.0.2"), Http(t2, "127.0.0.3")]
            start = time.monotonic()
            for i in range(5000):  # over and over, on both trackers, for 1.5 s
                if time.monotonic() - start > 1.5:
                    break
                publish(conns[i % 2], evil_meta)
            converged(t1, t2)
        honest.check("republish")
        converged(t1, t2)
        for t in (t1, t2):
            got = metainfo(t, ih)
            assert got is not None, "honest publish gone from %s" % t.name
            assert info_hash_of(got) == ih, "info_hash changed"
            assert b"evil" not in got and served_urls(got) <= pair_urls(t1, t2), (t.name, served_urls(got))
        # An attacker's first publish (of a file nobody published) is served
        # with the pair's URLs, so nobody who gets it by info_hash is sent away.
        first_meta, fih = make_meta("free-movie.mkv", 5 << 20, evil, comment="evil first")
        ok, d = publish(Http(t2, "127.0.0.2"), first_meta)
        assert ok, d
        assert wait_until(lambda: metainfo(t1, fih) is not None, 10, 0.1), "not replicated"
        for t in (t1, t2):
            got = metainfo(t, fih)
            assert info_hash_of(got) == fih
            assert served_urls(got) == pair_urls(t1, t2), served_urls(got)
        converged(t1, t2)
    finally:
        t1.stop()
        t2.stop()


class Client:
    """An interactive bin/client on a pipe (just enough for get)."""

    def __init__(self, suite, name, t1, t2):
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.stderr_path = os.path.join(self.dir, "stderr")
        args = [os.path.join(BIN, "client"), "127.0.0.1:%d" % free_port(), "127.0.0.1:%d" % t1.port,
                "127.0.0.1:%d" % t2.port, os.path.join(self.dir, "client.log"),
                "--state-dir", os.path.join(self.dir, "state")]
        self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(self.stderr_path, "ab"))
        self.out = queue.Queue()

        def pump(p=self.proc):
            for raw in p.stdout:
                self.out.put(raw.decode(errors="replace").rstrip("\n"))
            self.out.put(None)
        threading.Thread(target=pump, daemon=True).start()

    def cmd(self, text, timeout=15):
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.out.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise AssertionError("client exited")
            if line.startswith(("SUCCESS:", "FAILURE:")):
                return line
        raise AssertionError("no reply to %r" % text)

    def stop(self):
        stop_process(self.proc)


def get_by_name_ambiguous(suite):
    t1, t2 = pair(suite, "get_by_name_ambiguous", extra=FLAGS)
    c = None
    try:
        urls = sorted(pair_urls(t1, t2))
        real, rih = make_meta("report.pdf", 2 << 20, urls, seed=b"real")
        fake, fih = make_meta("report.pdf", 2 << 20, urls, seed=b"fake")
        assert publish(Http(t1), real)[0]
        assert publish(Http(t1, "127.0.0.2"), fake)[0]
        h = Http(t1, "127.0.0.2")
        for i in range(30):  # seeders cost nothing to fake
            h.request("GET", announce_target(fih, peer_id(5000 + i), 20000 + i))
        assert wait_until(lambda: len(search(t2, "report.pdf")) == 2, 10, 0.1), search(t2, "report.pdf")
        c = Client(suite, "user", t1, t2)
        r = c.cmd("get report.pdf .")
        assert r.startswith("FAILURE:AMBIGUOUS"), r
        assert rih.hex() in r and fih.hex() in r, r
        r = c.cmd("get %s ." % rih.hex())
        assert r.startswith("SUCCESS:"), r
        converged(t1, t2)
    finally:
        if c:
            c.stop()
        t1.stop()
        t2.stop()


def publish_flood_quota(suite):
    """Defaults only: one address publishing 3,000 files of 40 KiB each."""
    t1, t2 = pair(suite, "publish_flood_quota", extra=FLAGS)
    try:
        rss0 = [mtlib.rss_mib(t.proc.pid)[0] for t in (t1, t2)]
        urls = sorted(pair_urls(t1, t2))
        honest_meta, hih = make_meta("thesis-final.pdf", 1 << 20, urls)
        accepted = sent = refused = 0
        h = Http(t1, "127.0.0.2")
        start = time.monotonic()
        with HonestAnnouncer(t1, hih) as honest:
            for i in range(3000):
                if time.monotonic() - start > 20:
                    break
                meta, _ = make_meta("junk-%05d.bin" % i, 0, ["http://10.6.6.6/announce"], seed=b"flood",
                                    pieces=2000)
                sent += 1
                ok, _ = publish(h, meta)
                accepted += ok
                refused += not ok
        honest.check("publish flood")
        ok, d = publish(Http(t1), honest_meta)
        assert ok, "honest publish refused after the flood: %r" % d
        assert wait_until(lambda: metainfo(t2, hih) is not None, 10, 0.1)
        converged(t1, t2, 30)
        rss = [mtlib.rss_mib(t.proc.pid)[0] for t in (t1, t2)]
        disk = dir_bytes(t1.dir) + dir_bytes(t2.dir)
        print("  publish flood: %d sent (%.1f MiB), %d accepted, %d refused; RSS %.1f/%.1f -> %.1f/%.1f MiB; "
              "disk %.1f MiB" % (sent, sent * 40500 / 2**20, accepted, refused, rss0[0], rss0[1], rss[0], rss[1],
                                 disk / 2**20), flush=True)
        assert accepted <= 200, "%d of %d publishes from one address accepted" % (accepted, sent)
        if mtlib.CHECK_RSS:
            assert max(rss) < 64, rss
        assert disk < 32 * 2**20, disk
    finally:
        t1.stop()
        t2.stop()


def new_torrent_flood(suite):
    t1, t2 = pair(suite, "new_torrent_flood", extra=FLAGS + ["--new-torrent-quota", "100"])
    try:
        h = Http(t1, "127.0.0.2")
        created = 0
        with HonestAnnouncer(t1, fresh_hash(1)) as honest:
            for i in range(1000):
                _, body = h.request("GET", announce_target(fresh_hash(1000 + i), peer_id(7), 7000))
                created += b"failure reason" not in body
        honest.check("new-torrent flood")
        assert created <= 100, "%d new torrents from one address" % created
        # The honest user still creates torrents.
        _, body = Http(t1).request("GET", announce_target(fresh_hash(5), peer_id(8), 8000))
        assert b"failure reason" not in body, body
        converged(t1, t2)
    finally:
        t1.stop()
        t2.stop()


def full_tracker_evicts(suite):
    t1, t2 = pair(suite, "full_tracker_evicts", extra=FLAGS + ["--max-torrents", "300", "--new-torrent-quota", "100000"])
    try:
        urls = sorted(pair_urls(t1, t2))
        honest_meta, hih = make_meta("lecture-01.mp4", 1 << 20, urls)
        assert publish(Http(t1), honest_meta)[0]
        hh = Http(t1)
        hh.request("GET", announce_target(hih, peer_id(1), 1111))
        h = Http(t1, "127.0.0.2")
        for i in range(400):
            h.request("GET", announce_target(fresh_hash(20000 + i), peer_id(9), 9000))
            if i % 25 == 0:  # the honest seeder announces every interval meanwhile
                hh.request("GET", announce_target(hih, peer_id(1), 1111))
        for attempt in range(2):
            _, body = hh.request("GET", announce_target(fresh_hash(30000 + attempt), peer_id(2), 2222))
            assert b"failure reason" not in body, "honest new torrent refused: %r" % body
            assert metainfo(t1, hih) is not None, "the honest published file was evicted"
            if attempt == 0:  # again after a restart
                converged(t1, t2, 20)
                t1.stop()
                t1.start()
                hh = Http(t1)
                hh.request("GET", announce_target(hih, peer_id(1), 1111))
        assert t1.stats()["torrents"] <= 300, t1.stats()
        converged(t1, t2, 20)
    finally:
        t1.stop()
        t2.stop()


def metainfo_expires(suite):
    t1, t2 = pair(suite, "metainfo_expires", extra=["--interval", "2", "--min-interval", "1", "--peer-timeout", "3",
                                        "--metainfo-ttl", "2"])
    try:
        urls = sorted(pair_urls(t1, t2))
        lone, lih = make_meta("nobody-seeds-this.iso", 1 << 20, urls)
        kept, kih = make_meta("seeded.iso", 1 << 20, urls)
        assert publish(Http(t1), lone)[0] and publish(Http(t2), kept)[0]
        h = Http(t1)
        deadline = time.monotonic() + 20
        gone = False
        while time.monotonic() < deadline:
            h.request("GET", announce_target(kih, peer_id(3), 3333))
            if metainfo(t1, lih) is None and metainfo(t2, lih) is None:
                gone = True
                break
            time.sleep(0.2)
        assert gone, "a published file with no peer did not expire"
        assert metainfo(t1, kih) is not None and metainfo(t2, kih) is not None, "the seeded file expired"
        converged(t1, t2)
    finally:
        t1.stop()
        t2.stop()


def search_flood(suite):
    t1, t2 = pair(suite, "search_flood", extra=FLAGS + ["--publish-quota", "100000",
                                                "--publish-bytes-quota", "1000000000"])
    try:
        urls = sorted(pair_urls(t1, t2))
        real, rih = make_meta("budget-2026.xlsx", 1 << 20, urls, seed=b"real")
        assert publish(Http(t1), real)[0]
        h = Http(t1, "127.0.0.2")
        t0 = time.monotonic()
        with HonestAnnouncer(t1, rih) as honest:
            for i in range(4000):
                if time.monotonic() - t0 > 25:
                    break
                meta, _ = make_meta("budget-2026.xlsx.%05d" % i if i % 2 else "a-budget-2026.xlsx-%05d" % i,
                                    1 << 20, urls, seed=b"sf")
                publish(h, meta)
        honest.check("search flood")
        t0 = time.monotonic()
        hits = search(t1, "budget-2026.xlsx")
        ms = 1000 * (time.monotonic() - t0)
        print("  search over %d names: %.1f ms, %d hits" % (t1.stats()["published"], ms, len(hits)), flush=True)
        assert hits and hits[0][b"info_hash"] == rih, "the real file is not first: %r" % hits[:2]
        converged(t1, t2, 30)
    finally:
        t1.stop()
        t2.stop()


def main():
    suite = Suite()
    try:
        for name, fn in (("republish_cannot_redirect", republish_cannot_redirect),
                         ("get_by_name_ambiguous", get_by_name_ambiguous),
                         ("publish_flood_quota", publish_flood_quota),
                         ("new_torrent_flood", new_torrent_flood),
                         ("full_tracker_evicts", full_tracker_evicts),
                         ("metainfo_expires", metainfo_expires),
                         ("search_flood", search_flood)):
            if len(sys.argv) > 1 and name not in sys.argv[1:]:
                continue
            suite.case(name, lambda fn=fn: fn(suite))
    finally:
        return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
