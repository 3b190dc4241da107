"""mtorrent's client (bin/client get / seed) as a peer of real BitTorrent
clients from Debian (aria2c, libtorrent), through our tracker pair, on
loopback only.

Every real client binds 127.0.0.1 with DHT, local peer discovery, PEX, UPnP,
NAT-PMP and uTP off; our client binds 127.0.0.1 (--bind). Every torrent is
marked private (info.private=1, re-encoded), so the trackers are the only way
the peers learn of each other. Each case has its own payload (so its own info
hash); one tracker pair (--interval 2 --min-interval 1) serves all cases.

Client helpers (aria2c command line, the libtorrent child process, bencode,
private metainfo) come from tests/pylib/real_clients.py; see
/work/shared/REAL-CLIENTS.md for the quirks.
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, HERE)
import mtlib  # noqa: E402
from mtlib import Suite  # noqa: E402
import real_clients as tct  # noqa: E402
from real_clients import run_pair_cases, check_our_log, timed, Proc, aria2, libtorrent, check_file  # noqa: E402

TRANSFER_TIMEOUT = 60.0
TRACKER_OPTS = ["--interval", "2", "--min-interval", "1"]
SIZES = {1: 7 * 1024 * 1024 + 4321, 2: 5 * 1024 * 1024 + 777, 3: 9 * 1024 * 1024 + 12345,
         4: 6 * 1024 * 1024 + 99, 5: 12 * 1024 * 1024 + 54321, 6: 5 * 1024 * 1024 + 606,
         7: 6 * 1024 * 1024 + 707}
# The IPv6 cases: a second tracker pair on [::1], started by the first of them.
V6_PAIR = []


class Case(tct.PayloadTorrent):
    """One payload and its private torrent, listing both our trackers."""

    def __init__(self, suite, trackers, name, n):
        super().__init__(suite, trackers, name, 1000 + n, SIZES[n])


def our_seeder(c, bind="127.0.0.1"):
    log = os.path.join(c.dir, "our-seed.clientlog")
    p = Proc(c.suite, c.name + "-our-seed",
             [os.path.join(mtlib.BIN, "client"), "seed", c.torrent, c.data, "--port", "0",
              "--bind", bind, "--log", log])
    p.clientlog = log
    return c.add(p)


def our_leecher(c, folder, bind="127.0.0.1"):
    log = os.path.join(c.dir, "our-get.clientlog")
    p = Proc(c.suite, c.name + "-our-get",
             [os.path.join(mtlib.BIN, "client"), "get", c.torrent, folder, "--port", "0",
              "--bind", bind, "--timeout", str(int(TRANSFER_TIMEOUT)), "--log", log])
    p.clientlog = log

    def done():
        if p.alive():
            return False
        if p.returncode() != 0:
            raise AssertionError("bin/client get exited with %s: %s | log: %s" %
                                 (p.returncode(), p.tail(), log_tail(log)))
        return True
    return c.add(p), done


def aria2_leecher(c, folder):
    p, _ = aria2(c.suite, c.name + "-aria2-leech", c.torrent, folder, False)
    c.add(p)

    def done():
        if p.alive():
            return False
        if p.returncode() != 0:
            raise AssertionError("aria2c exited with %s: %s" % (p.returncode(), p.tail()))
        return True
    return p, done


def lt_leecher(c, folder, host="127.0.0.1"):
    p, marker = libtorrent(c.suite, c.name + "-lt-leech", c.torrent, folder, host)
    c.add(p)

    def done():
        if not p.alive():
            raise AssertionError("libtorrent client exited: %s" % p.tail())
        return os.path.exists(marker)
    return p, done


def log_tail(path, n=500):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace")
    except OSError:
        return ""


def wait_all(waits, timeout=TRANSFER_TIMEOUT):
    """waits: {label: done()}; returns {label: seconds} once all are done."""
    start = time.time()
    times = {}
    while time.time() - start < timeout:
        for label, done in waits.items():
            if label not in times and done():
                times[label] = time.time() - start
        if len(times) == len(waits):
            return times
        time.sleep(0.1)
    missing = [k for k in waits if k not in times]
    raise AssertionError("not done in %.0f s: %s" % (timeout, ", ".join(missing)))


def check_our_logs(c):
    for p in c.procs:
        check_our_log(p)


def our_uploaded(p):
    """The byte count from `get`'s 'complete and verified' line."""
    m = re.search(r"complete and verified: .*, (\d+) bytes uploaded", p.tail(2000))
    return int(m.group(1)) if m else None


def run_transfer(c, seeder, leechers, seeder_tails=()):
    """Waits until both trackers list the seeder, starts the leechers
    ([(label, fn)]), waits for all, checks every download's SHA-1 and that
    our client logged no warnings."""
    c.wait_seeder(seeder)
    waits = {}
    folders = {}
    procs = {}
    for label, fn in leechers:
        folders[label] = c.dest(label)
        procs[label], waits[label] = fn(c, folders[label])
    try:
        times = wait_all(waits)
    except AssertionError as e:
        detail = "; ".join("%s: %s" % (k, p.tail(300)) for k, p in procs.items())
        extra = "; ".join(log_tail(x, 400) for x in seeder_tails)
        raise AssertionError("%s; seeder: %s; %s; %s" % (e, seeder.tail(300), detail, extra))
    for label in waits:
        timed("%s %s download" % (c.name, label), times[label])
        check_file(os.path.join(folders[label], os.path.basename(c.data)), c.sha1)
    for label, p in procs.items():
        if label == "our":
            up = our_uploaded(p)
            if up is None:
                raise AssertionError("bin/client get printed no 'complete and verified' line: %s" % p.tail(300))
            print("  %s our leecher uploaded %d bytes" % (c.name, up), flush=True)
    # Stop our seeder/leechers cleanly before reading the logs.
    c.close()
    check_our_logs(c)


# ---------------------------------------------------------------- cases

def case_our_from_libtorrent(suite, trackers, name, n):
    c = Case(suite, trackers, name, n)
    try:
        seeder, _ = libtorrent(suite, name + "-lt-seed", c.torrent, os.path.dirname(c.data))
        c.add(seeder)
        run_transfer(c, seeder, [("our", our_leecher)])
    finally:
        c.close()


def case_our_from_aria2(suite, trackers, name, n):
    c = Case(suite, trackers, name, n)
    try:
        seeder, _ = aria2(suite, name + "-aria2-seed", c.torrent, os.path.dirname(c.data), True)
        c.add(seeder)
        run_transfer(c, seeder, [("our", our_leecher)])
    finally:
        c.close()


def case_aria2_from_our(suite, trackers, name, n):
    c = Case(suite, trackers, name, n)
    try:
        seeder = our_seeder(c)
        run_transfer(c, seeder, [("aria2", aria2_leecher)], [seeder.clientlog])
    finally:
        c.close()


def case_libtorrent_from_our(suite, trackers, name, n):
    c = Case(suite, trackers, name, n)
    try:
        seeder = our_seeder(c)
        run_transfer(c, seeder, [("libtorrent", lt_leecher)], [seeder.clientlog])
    finally:
        c.close()


def case_mixed(suite, trackers, name, n):
    """aria2c seeds; our leecher and a libtorrent leecher download at once
    (and may trade pieces with each other)."""
    c = Case(suite, trackers, name, n)
    try:
        seeder, _ = aria2(suite, name + "-aria2-seed", c.torrent, os.path.dirname(c.data), True)
        c.add(seeder)
        run_transfer(c, seeder, [("our", our_leecher), ("libtorrent", lt_leecher)])
    finally:
        c.close()


def v6_trackers(suite):
    if not V6_PAIR:
        V6_PAIR.extend(mtlib.tracker_pair(suite, extra=TRACKER_OPTS, host="::1", names=("v6t1", "v6t2")))
    return V6_PAIR


def case_our_from_libtorrent_v6(suite, trackers, name, n):
    """IPv6 end to end: trackers on [::1], libtorrent seeding on [::1]:P,
    our leecher bound to ::1; the peer comes in peers6."""
    c = Case(suite, v6_trackers(suite), name, n)
    try:
        seeder, _ = libtorrent(suite, name + "-lt-seed", c.torrent, os.path.dirname(c.data), "::1")
        c.add(seeder)
        run_transfer(c, seeder, [("our", lambda c, f: our_leecher(c, f, "::1"))])
    finally:
        c.close()


def case_libtorrent_from_our_v6(suite, trackers, name, n):
    c = Case(suite, v6_trackers(suite), name, n)
    try:
        seeder = our_seeder(c, "::1")
        run_transfer(c, seeder, [("libtorrent", lambda c, f: lt_leecher(c, f, "::1"))], [seeder.clientlog])
    finally:
        c.close()


def main():
    suite = Suite()
    cases = [
        ("our_leecher_from_libtorrent_seeder", ("libtorrent",), case_our_from_libtorrent),
        ("our_leecher_from_aria2_seeder", ("aria2c",), case_our_from_aria2),
        ("aria2_from_our_seeder", ("aria2c",), case_aria2_from_our),
        ("libtorrent_from_our_seeder", ("libtorrent",), case_libtorrent_from_our),
        ("mixed_aria2_seeder_our_and_libtorrent_leechers", ("aria2c", "libtorrent"), case_mixed),
        ("ipv6_our_leecher_from_libtorrent_seeder", ("libtorrent",), case_our_from_libtorrent_v6),
        ("ipv6_libtorrent_from_our_seeder", ("libtorrent",), case_libtorrent_from_our_v6),
    ]
    return run_pair_cases(suite, cases, TRACKER_OPTS)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--libtorrent":
        tct.lt_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    sys.exit(main())
