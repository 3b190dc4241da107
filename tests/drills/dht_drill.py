#!/usr/bin/env python3
"""The inner half of the `trackers_gone` drill (tests/drills/drills.py runs
it inside a network namespace whose only interface is lo): both trackers are
killed while three downloads run and a fourth starts; all four finish through
the DHT and PEX, and the trackers' return changes nothing.

Prints one line of figures; exits 0 on success, 1 with the reason.
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
from mtlib import Suite, sha1_file, tracker_pair, wait_until  # noqa: E402
from prompt_client import Client  # noqa: E402

MIB = 1 << 20
FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "60"]
RATE = ["--max-download-rate", "600", "--max-peers-per-ip", "50"]  # KiB/s: ~40 s for 24 MiB


def done(client, label):
    return any(label in x and "100.0%" in x for x in client.transfers())


def progress(client, label):
    for x in client.transfers():
        if label in x:
            try:
                return float(x.split("%")[0].split()[-1])
            except ValueError:
                return 0.0
    return 0.0


def run(suite):
    t1, t2 = tracker_pair(suite, extra=FLAGS)
    alice = Client(suite, "alice", t1, t2, extra=["--max-peers-per-ip", "50", "--max-upload-rate", "2000"])
    src = os.path.join(alice.dir, "film.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(24 * MIB + 5))
    alice.expect("share film.bin film.mtorrent")
    mt = os.path.join(alice.dir, "film.mtorrent")
    leechers = [Client(suite, n, t1, t2, extra=RATE) for n in ("bob", "carol", "dave")]
    for c in leechers:
        c.expect("get %s ." % mt)
    # Running, not finished: the trackers go (kill -9, both).
    if not wait_until(lambda: all(progress(c, "film") > 3 for c in leechers), 30, 0.2):
        raise AssertionError("the downloads did not start: %r" % [c.transfers() for c in leechers])
    t1.kill9()
    t2.kill9()
    killed_at = min(progress(c, "film") for c in leechers)
    # A fourth starts with no tracker: it knows one DHT node (bob's).
    erin = Client(suite, "erin", t1, t2, extra=RATE + ["--dht-bootstrap", "127.0.0.1:%d" % leechers[0].port])
    erin.expect("get %s ." % mt)
    everyone = leechers + [erin]
    start = time.time()
    if not wait_until(lambda: all(done(c, "film") for c in everyone), 180, 0.5):
        raise AssertionError("not all finished without trackers: %r" %
                             {c.dir: c.transfers() for c in everyone})
    took = time.time() - start
    for c in everyone:
        if sha1_file(os.path.join(c.dir, "film.bin")) != sha1_file(src):
            raise AssertionError("%s's copy differs" % c.dir)
    # The trackers come back: nothing changes for the transfers.
    t1.start()
    t2.start()
    time.sleep(4)
    for c in everyone + [alice]:
        if not c.alive() or not done(c, "film"):
            raise AssertionError("after the trackers' return: %s %r" % (c.dir, c.transfers()))
    lines = [x.strip() for x in erin.expect("status").lines if x.strip().startswith("dht:")]
    for c in everyone + [alice]:
        if c.quit() != 0:
            raise AssertionError("%s did not quit cleanly" % c.dir)
    print("  trackers killed at %.0f%% or more; all four finished %.1f s later; erin: %s" %
          (killed_at, took, lines[0] if lines else "?"), flush=True)


def main():
    suite = Suite()
    suite.case("trackers_gone_inner", lambda: run(suite))
    return suite.finish()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
