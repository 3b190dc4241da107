#!/usr/bin/env python3
"""IPv6 (BEP 7, BEP 15) through the real programs, on ::1 and 127.0.0.1.

- A tracker pair on [::1] replicates to each other over IPv6; our seeder and
  leecher (bin/client seed / get --bind ::1) find each other through it and
  the download verifies; its HTTP replies carry the peer in `peers6`.
- BEP 15 over IPv6: a UDP announce to [::1] gets 18-byte peer entries, IPv6
  peers only; over IPv4 the same tracker gives 6-byte entries, IPv4 only.
- One tracker on both families (127.0.0.1:P --listen [::1]:P): an IPv4
  announcer learns the IPv6 peer in peers6 and the IPv6 one the IPv4 peer in
  peers; a client listening on [::] (its default) is reached over both.
- `[v6]:port` arguments: a bare IPv6 address is refused with a sentence
  naming the brackets.
"""
import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import BIN, Suite, UdpTrackerClient, announce, free_port, wait_until  # noqa: E402
from swarm import MIB, TRACKER_FLAGS, Swarm, run, stop_all  # noqa: E402


def ipv6_available():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def pid(n):
    return b"-XX0001-" + ("%012d" % n).encode()


def pair_on_ipv6_replicates_and_swarms(suite):
    t1, t2 = mtlib.tracker_pair(suite, extra=TRACKER_FLAGS, host="::1", names=("v6t1", "v6t2"))
    sw = Swarm(suite, "v6swarm", 6 * MIB, trackers=[t1, t2])
    with open(sw.torrent, "rb") as f:
        if b"http://[::1]:%d/announce" % t1.port not in f.read():
            raise AssertionError("the .mtorrent does not name http://[::1]:%d/announce" % t1.port)
    procs = []
    try:
        procs.append(sw.seed(extra=["--bind", "::1"]))
        sw.wait_seeders(1)  # both trackers: tracker 2 learned it over the IPv6 link
        if not wait_until(lambda: t1.digest() is not None and t1.digest() == t2.digest(), 10):
            raise AssertionError("the pair's digests differ: %s / %s" % (t1.digest(), t2.digest()))
        reply = announce(t2, sw.info_hash, pid(1), 6999, numwant=10)
        got = mtlib.compact_peers6(reply.get(b"peers6", b""))
        if not any(h == "::1" for h, _ in got) or reply.get(b"peers", b"") != b"":
            raise AssertionError("an IPv6 announce to tracker 2 got peers %r peers6 %r"
                                 % (reply.get(b"peers"), got))
        g = sw.get(["--bind", "::1", "--timeout", "40"])
        procs.append(g)
        sw.check_get(g, 50)  # the trackers know the seeder by [::1] alone
    finally:
        stop_all(procs)
        t1.stop()
        t2.stop()


def udp_over_ipv6_gives_18_byte_peers(suite):
    port = free_port("::1")
    while True:
        other = free_port("::1")
        if other != port:
            break
    t = mtlib.Tracker(suite, "udp6", port, other, extra=TRACKER_FLAGS + ["--listen", "127.0.0.1:%d" % port],
                      host="::1")
    t.start()
    ih = os.urandom(20)
    try:
        u6 = UdpTrackerClient(port, host="::1")
        u4 = UdpTrackerClient(port, host="127.0.0.1")
        for u in (u6, u4):
            u.connect()
        u6.announce(ih, pid(1), 7001, event=2)
        u4.announce(ih, pid(2), 7002, event=2)
        r6 = u6.announce(ih, pid(3), 7003, event=2)
        r4 = u4.announce(ih, pid(4), 7004, event=2)
        if "error" in r6 or "error" in r4:
            raise AssertionError("UDP announces refused: %r %r" % (r6, r4))
        if sorted(r6["peers"]) != [("::1", 7001)]:
            raise AssertionError("over IPv6: %r (want the IPv6 peer only, 18-byte entries)" % r6["peers"])
        if sorted(r4["peers"]) != [("127.0.0.1", 7002)]:
            raise AssertionError("over IPv4: %r (want the IPv4 peer only)" % r4["peers"])
        if r6["seeders"] + r6["leechers"] != 3 or r4["seeders"] + r4["leechers"] != 4:
            raise AssertionError("counts %r %r" % (r6, r4))
        u6.close()
        u4.close()
    finally:
        t.stop()


def dual_stack_tracker_and_client(suite):
    """A tracker on 127.0.0.1 and [::1], a seeder listening on [::] (the
    default) announced over IPv6, a leecher announcing over IPv4: the
    leecher learns the seeder from peers6 and downloads over IPv6."""
    p1, p2 = free_port(), free_port()
    while p2 == p1:
        p2 = free_port()
    t1 = mtlib.Tracker(suite, "ds1", p1, p2, extra=TRACKER_FLAGS + ["--listen", "[::1]:%d" % p1])
    t2 = mtlib.Tracker(suite, "ds2", p2, p1, extra=TRACKER_FLAGS + ["--listen", "[::1]:%d" % p2])
    t1.start()
    t2.start()
    procs = []
    try:
        # The seeder's .mtorrent names the trackers by their IPv6 address, the
        # leecher's by IPv4: the same info_hash, one swarm.
        v6 = [mtlib.Tracker.__new__(mtlib.Tracker) for _ in range(2)]
        for view, t in zip(v6, (t1, t2)):
            view.__dict__.update(t.__dict__)
            view.host = "::1"
        sw6 = Swarm(suite, "ds", 4 * MIB, trackers=v6)
        sw4_torrent = os.path.join(sw6.dir, "v4.mtorrent")
        r = run(["create", sw6.data, sw4_torrent, "--tracker", t1.url("/announce"),
                 "--tracker", t2.url("/announce")])
        if r.returncode != 0:
            raise AssertionError("create: %s" % r.stderr)
        procs.append(sw6.seed())  # --bind defaults to [::]: both families
        sw6.wait_seeders(1)
        reply = announce(t1, sw6.info_hash, pid(9), 7100, numwant=10)
        peers6 = mtlib.compact_peers6(reply.get(b"peers6", b""))
        if not any(h == "::1" for h, _ in peers6):
            raise AssertionError("an IPv4 announce got no IPv6 peer: %r" % reply)
        sw6.torrent = sw4_torrent
        g = sw6.get(["--timeout", "40"])
        procs.append(g)
        sw6.check_get(g, 50)  # the trackers know the seeder by [::1] alone
    finally:
        stop_all(procs)
        t1.stop()
        t2.stop()


def prompt_clients_over_ipv6(suite):
    """Two interactive clients serving peers on [::1] with a tracker pair on
    [::1]: share, search, get by name, status names the IPv6 trackers."""
    from prompt_client import Client
    t1, t2 = mtlib.tracker_pair(suite, extra=TRACKER_FLAGS, host="::1", names=("p6t1", "p6t2"))
    a = Client(suite, "alice6", t1, t2, host="::1")
    b = Client(suite, "bob6", t1, t2, host="::1")
    try:
        data = os.path.join(a.dir, "v6file.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(3 * MIB + 5))
        a.expect("share %s %s" % (data, os.path.join(a.dir, "v6file.mtorrent")))
        st = a.expect("status")
        if "http://[::1]:%d" % t1.port not in st.text:
            raise AssertionError("status does not name http://[::1]:%d: %r" % (t1.port, st.text))
        if not wait_until(lambda: "v6file.bin" in b.cmd("search v6file").text, 10, 0.2):
            raise AssertionError("bob's search never found v6file.bin")
        dest = os.path.join(b.dir, "got.bin")
        b.expect("get v6file.bin %s" % dest)
        if not wait_until(lambda: any("[S]" in x and "100.0%" in x for x in b.transfers()), 30, 0.2):
            raise AssertionError("bob's download did not finish: %r" % b.transfers())
        if mtlib.sha1_file(dest) != mtlib.sha1_file(data):
            raise AssertionError("bob's copy differs")
        for c in (a, b):
            c.quit()
    finally:
        for c in (a, b):
            c.stop()
        t1.stop()
        t2.stop()


def bracketed_arguments(suite):
    r = run(["get", "x.mtorrent", "out", "--bind", "::1:80"])
    if r.returncode == 0:
        raise AssertionError("a bad --bind was accepted")
    t = mtlib.subprocess.run([os.path.join(BIN, "tracker"), "::1:6969", "[::1]:6970", "s", "l"],
                             capture_output=True, text=True, timeout=10)
    if t.returncode == 0 or "brackets" not in t.stderr:
        raise AssertionError("tracker with a bare IPv6 address: rc %d, %r" % (t.returncode, t.stderr))


def main():
    suite = Suite()
    if not ipv6_available():
        suite.skip("ipv6", "no IPv6 on this machine (::1 cannot be bound)")
        return suite.finish()
    return suite.run([pair_on_ipv6_replicates_and_swarms, udp_over_ipv6_gives_18_byte_peers,
                      dual_stack_tracker_and_client, prompt_clients_over_ipv6, bracketed_arguments])


if __name__ == "__main__":
    sys.exit(main())
