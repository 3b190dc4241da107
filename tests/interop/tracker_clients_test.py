"""Real BitTorrent clients (Debian's aria2c, transmission-cli, libtorrent)
swarm through a pair of mtorrent trackers, on loopback only.

Every client binds 127.0.0.1 and has DHT, local peer discovery, PEX, UPnP,
NAT-PMP and uTP switched off; every test torrent is also marked private, so
the trackers are the only way the clients can learn of each other. A finished
download therefore proves that the trackers introduced the two peers.

Quirks handled here (see /work/shared/REAL-CLIENTS.md):
  - transmission 3.00 ignores tracker peers in 127.0.0.0/8, so as a leecher
    it only gets data from a seeder that connects to it: the seeder must learn
    of it from a reannounce (trackers run with --interval 5 --min-interval 1).
  - transmission never exits: a finish script (-f) touches a marker file; the
    process is stopped by PID.
  - aria2c supports UDP trackers only with DHT on, so the UDP case uses
    libtorrent.
  - libtorrent needs allow_multiple_connections_per_ip (every peer is
    127.0.0.1); each client is a child process of this script (Debian's
    /usr/bin/python3 with python3-libtorrent), because libtorrent caches UDP
    connection ids per tracker IP for the whole process.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import Suite, Tracker, free_port, wait_until, sha1_file  # noqa: E402
from real_clients import (run_interop_cases, timed, Proc, aria2, check_file, create_info, libtorrent, lt, lt_main,  # noqa: E402,F401
                          make_payload, transmission, transmission_settings, write_torrent)

try:
    import libtorrent as lt
except ImportError:  # python3-libtorrent is for Debian's /usr/bin/python3 only
    lt = None

FILE_SIZE = 5 * 1024 * 1024 + 12345  # a short last piece
DOWNLOAD_TIMEOUT = 60.0
TRACKER_OPTS = ["--interval", "5", "--min-interval", "1"]


# ---------------------------------------------------------------- helpers

class InteropSwarm:
    """A tracker pair and one payload, per case, in the case's own folders,
    for real clients: each one gets its own .torrent naming only the
    trackers the case gives it (HTTP or UDP, t1 or t2). Not pylib's Swarm,
    which makes one .mtorrent for bin/client processes."""

    def __init__(self, suite, case, seed):
        self.suite = suite
        self.case = case
        self.dir = os.path.join(suite.work, case)
        p1 = free_port()
        p2 = free_port()
        while p2 == p1:
            p2 = free_port()
        self.t1 = Tracker(suite, case + "-t1", p1, p2, extra=TRACKER_OPTS)
        self.t2 = Tracker(suite, case + "-t2", p2, p1, extra=TRACKER_OPTS)
        self.t1.start()
        self.t2.start()
        self.data = make_payload(os.path.join(self.dir, "seed"), case + ".bin", seed, FILE_SIZE)
        self.sha1 = sha1_file(self.data)
        self.http = [t.url("/announce") for t in (self.t1, self.t2)]
        self.udp = ["udp://127.0.0.1:%d" % t.port for t in (self.t1, self.t2)]
        self.info = create_info(suite, self.data, self.http)
        self.clients = []

    def torrent(self, name, trackers):
        path = os.path.join(self.dir, name + ".torrent")
        self.info_hash = write_torrent(path, self.info, [t.encode() for t in trackers])
        return path

    def add(self, c):
        self.clients.append(c)
        return c

    def close(self):
        for c in self.clients:
            c.stop()
        self.t1.stop()
        self.t2.stop()

    def both(self, pred):
        """pred(stats) on both trackers."""
        s1, s2 = self.t1.stats(), self.t2.stats()
        return s1 is not None and s2 is not None and pred(s1) and pred(s2)

    def stats_text(self):
        def one(s):
            return s and {k: s.get(k) for k in ("peers", "seeders", "leechers", "announces", "refused")}
        return "t1=%s t2=%s" % (one(self.t1.stats()), one(self.t2.stats()))


def seeder_seen(s):
    return s["seeders"] >= 1


def pair_seen(s):
    return s["peers"] >= 2 and s["seeders"] >= 1


def leecher_and_seeder(s):
    return s["seeders"] >= 1 and s["leechers"] >= 1


def wait_download(sw, done, timeout=DOWNLOAD_TIMEOUT):
    """Polls done() until it holds; notes whether both trackers ever showed a
    seeder and a leecher at once. Returns (finished, saw_pair, seconds)."""
    start = time.time()
    saw = False
    while time.time() - start < timeout:
        if not saw and sw.both(leecher_and_seeder):
            saw = True
        if done():
            return True, saw, time.time() - start
        time.sleep(0.1)
    return False, saw, time.time() - start


# ---------------------------------------------------------------- cases

def seed_then_leech(suite, case, seed_fn, seed_trackers, leech_fn, leech_trackers, payload, check=None):
    """Generic: start a seeder, wait until both trackers list it, start a
    leecher, wait for the download, check SHA-1 and what the trackers saw."""
    sw = InteropSwarm(suite, case, payload)
    try:
        seed_t = sw.torrent("seeder", seed_trackers(sw))
        leech_t = sw.torrent("leecher", leech_trackers(sw))
        seeder = sw.add(seed_fn(sw, seed_t))
        if not wait_until(lambda: sw.both(seeder_seen), 30, 0.1):
            raise AssertionError("seeder never showed in both trackers' /stats: %s; %s" %
                                 (sw.stats_text(), seeder.tail()))
        dl_dir = os.path.join(sw.dir, "leech")
        leecher, done, leecher_stays = leech_fn(sw, leech_t, dl_dir)
        sw.add(leecher)
        finished, saw, secs = wait_download(sw, done)
        if not finished:
            raise AssertionError("no download in %.0f s; %s; leecher: %s; seeder: %s" %
                                 (secs, sw.stats_text(), leecher.tail(), seeder.tail()))
        timed(case + " download", secs)
        check_file(os.path.join(dl_dir, os.path.basename(sw.data)), sw.sha1)
        # transmission takes >10 s, so both trackers must have shown it as a
        # leecher; aria2c and libtorrent may finish between two polls.
        if not saw and "-tr-" in leecher.name:
            raise AssertionError("the trackers never showed a seeder and a leecher at once: %s" %
                                 sw.stats_text())
        # After completion the leecher is a seeder too (an aria2c leecher
        # instead exits and announces "stopped"); both trackers agree.
        want = 2 if leecher_stays else 1
        if not wait_until(lambda: sw.both(lambda s: s["peers"] == want and s["seeders"] == want), 15, 0.1):
            raise AssertionError("trackers do not show %d seeder(s) after the download: %s" %
                                 (want, sw.stats_text()))
        for t in (sw.t1, sw.t2):
            sc = t.scrape(sw.info_hash)  # (seeders, leechers)
            if sc != (want, 0):
                raise AssertionError("scrape on %s: %s" % (t.name, sc))
        if check:
            check(sw)
        # The replication link must stay up while idle (it used to be dropped
        # every 15 s because the accepting side never answered a PING).
        for t in (sw.t1, sw.t2):
            with open(t.log, errors="replace") as f:
                flaps = [ln.strip() for ln in f if "silent for" in ln or "lost the link" in ln]
            if flaps:
                raise AssertionError("%s replication link dropped: %s" % (t.name, flaps[0]))
    finally:
        sw.close()


def aria2_seeder(sw, torrent):
    p, _ = aria2(sw.suite, sw.case + "-aria2-seed", torrent, os.path.dirname(sw.data), True)
    return p


def transmission_seeder(sw, torrent):
    p, _, _ = transmission(sw.suite, sw.case + "-tr-seed", torrent, os.path.dirname(sw.data), True)
    return p


def lt_seeder(sw, torrent):
    p, _ = libtorrent(sw.suite, sw.case + "-lt-seed", torrent, os.path.dirname(sw.data))
    return p


def aria2_leecher(sw, torrent, folder):
    p, _ = aria2(sw.suite, sw.case + "-aria2-leech", torrent, folder, False)
    out = os.path.join(folder, os.path.basename(sw.data))

    def done():
        if p.alive():
            return False
        if p.returncode() != 0:
            raise AssertionError("aria2c exited with %s: %s" % (p.returncode(), p.tail()))
        return os.path.exists(out)
    return p, done, False


def transmission_leecher(sw, torrent, folder):
    p, _, marker = transmission(sw.suite, sw.case + "-tr-leech", torrent, folder, False)

    def done():
        if not p.alive():
            raise AssertionError("transmission-cli exited: %s" % p.tail())
        return os.path.exists(marker)
    return p, done, True


def lt_leecher(sw, torrent, folder):
    p, marker = libtorrent(sw.suite, sw.case + "-lt-leech", torrent, folder)

    def done():
        if not p.alive():
            raise AssertionError("libtorrent client exited: %s" % p.tail())
        return os.path.exists(marker)
    return p, done, True


def both_http(sw):
    return sw.http


def only_t1(sw):
    return sw.http[:1]


def only_t2(sw):
    return sw.http[1:]


def udp_only(sw):
    """Both clients announced over UDP only, one to each tracker."""
    for t in (sw.t1, sw.t2):
        a = t.stats()["announces"]
        if a["udp"] < 1 or a["http"] != 0:
            raise AssertionError("%s announces: %s (want UDP only)" % (t.name, a))


def main():
    suite = Suite()
    cases = [
        # 1. aria2c seeds, transmission downloads; both trackers in one tier.
        ("aria2_seeds_transmission_downloads", ("aria2c", "transmission-cli"),
         aria2_seeder, both_http, transmission_leecher, both_http),
        # 2. the reverse, and a libtorrent pair.
        ("transmission_seeds_aria2_downloads", ("transmission-cli", "aria2c"),
         transmission_seeder, both_http, aria2_leecher, both_http),
        ("libtorrent_seeds_libtorrent_downloads", ("libtorrent",),
         lt_seeder, both_http, lt_leecher, both_http),
        # 3. each client knows only one tracker: replication introduces them.
        # The seeder must learn of transmission from tracker 2 (t1 -> t2).
        ("replicated_aria2_on_t2_transmission_on_t1", ("aria2c", "transmission-cli"),
         aria2_seeder, only_t2, transmission_leecher, only_t1),
        # aria2c learns of the seeder from tracker 1 (t2 -> t1).
        ("replicated_libtorrent_on_t2_aria2_on_t1", ("libtorrent", "aria2c"),
         lt_seeder, only_t2, aria2_leecher, only_t1),
        # 4. UDP (BEP 15): libtorrent on udp://t1 seeds, libtorrent on udp://t2 downloads.
        ("udp_libtorrent_t1_seeds_libtorrent_t2_downloads", ("libtorrent",),
         lt_seeder, lambda sw: sw.udp[:1], lt_leecher, lambda sw: sw.udp[1:], udp_only),
    ]
    return run_interop_cases(suite, [
        (name, needs,
         lambda name=name, sf=sf, st=st, lf=lf, ltr=ltr, n=n, rest=rest:
         seed_then_leech(suite, name, sf, st, lf, ltr, n + 1, rest[0] if rest else None))
        for n, (name, needs, sf, st, lf, ltr, *rest) in enumerate(cases)], binaries=("tracker",))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--libtorrent":
        lt_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    sys.exit(main())
