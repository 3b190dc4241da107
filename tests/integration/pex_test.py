#!/usr/bin/env python3
"""Peer exchange (BEP 11, ut_pex) through the real program.

- leecher_learns_the_swarm: a seeder and 8 leechers (bin/client seed/get,
  download rates capped so that the swarm is still trading) meet through the
  tracker pair; then both trackers are stopped. A new leecher that knows only
  one of them (--peer) and no tracker connects to most of the swarm: the
  others' addresses came through PEX.
- no_pex: the same newcomer with --no-pex meets only the one peer it knows.
- prompt_get_no_pex: at the prompt, `get ... --no-pex` turns PEX off for that
  transfer alone: in a swarm of four prompt clients (tracker pair up), the
  others exchange peers, the one that said --no-pex gets no PEX message.
Every address is on 127.0.0.1.
"""
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import BIN, VARIANT, ClientProc, Suite, free_port, tracker_pair, wait_until  # noqa: E402
from prompt_client import Client  # noqa: E402

MIB = 1 << 20
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
PER_IP = ["--max-peers-per-ip", "100"]


def most_peers(out):
    """The most peers a get's status lines (one a second) showed."""
    return max([int(n) for n in re.findall(r"(\d+) peers?  ETA", out)] or [0])


def swarm(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    src = os.path.join(suite.work, "pex.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(24 * MIB + 17))
    mt = os.path.join(suite.work, "pex.mtorrent")
    subprocess.run([os.path.join(BIN, "client"), "create", src, mt, "--tracker", t1.url("/announce"),
                    "--tracker", t2.url("/announce"), "--force"], check=True, capture_output=True, timeout=60)
    def start(i, attempt=0):
        port = free_port()
        name = ("seeder" if i == 0 else "member%d" % (i - 1)) + ("-again%d" % attempt if attempt else "")
        args = (["seed", mt, src, "--max-upload-rate", "400"] if i == 0 else
                ["get", mt, os.path.join(suite.work, "m%d" % i), "--max-download-rate", "200", "--timeout", "300"])
        return ClientProc(suite, name, args + ["--port", str(port), "--bind", "127.0.0.1"] + PER_IP), port

    members = [start(i) for i in range(9)]
    # The members meet through the trackers (a 2 s interval), then the
    # trackers go: whatever the newcomer learns now comes from its peer. A
    # member that died at its start (its port taken by another process
    # between free_port() and its bind, on a busy machine) starts again.
    limit = 60 if VARIANT == "release" else 150
    for attempt in (1, 2):
        if wait_until(lambda: (t1.stats() or {}).get("peers", 0) >= 9, limit / 2, 0.2):
            break
        for i, (m, _) in enumerate(members):
            if not m.alive():
                print("  (%s exited: %s; started again)" % (i, m.describe()[:300]), flush=True)
                members[i] = start(i, attempt)
    if not wait_until(lambda: (t1.stats() or {}).get("peers", 0) >= 9, limit / 2, 0.2):
        raise AssertionError("the swarm did not form: %r; %s" % (
            t1.stats(), "; ".join(m.describe()[:400] for m, _ in members if not m.alive())))
    time.sleep(5)  # two more announce rounds: every member has met the others
    t1.stop()
    t2.stop()
    return mt, members


def newcomer(suite, name, mt, first_port, extra=()):
    port = free_port()
    p = ClientProc(suite, name, ["get", mt, os.path.join(suite.work, name), "--port", str(port), "--bind",
                                 "127.0.0.1", "--max-download-rate", "200", "--timeout", "300",
                                 "--progress-ms", "1000", "--peer", "127.0.0.1:%d" % first_port] + PER_IP + list(extra))
    # Until it has met most of the swarm (PEX), or 10 s (20 s for a
    # sanitizer build) have passed.
    wait_until(lambda: most_peers(p.out()) >= 8, 10 if VARIANT == "release" else 20, 0.5)
    p.stop()
    return p


def leecher_learns_the_swarm(suite):
    mt, members = swarm(suite)
    first = members[3][1]
    p = newcomer(suite, "newcomer", mt, first)
    log = p.logtext()
    met = most_peers(p.out())
    if "peer exchange: " not in log:
        raise AssertionError("no PEX message reached the newcomer: %s" % p.describe())
    if met < 6:
        raise AssertionError("the newcomer had at most %d peers, want 6 or more of 9: %s" % (met, p.out()[-600:]))
    q = newcomer(suite, "newcomer-no-pex", mt, first, ["--no-pex"])
    met_alone = most_peers(q.out())
    if met_alone > 1 or "peer exchange: " in q.logtext():
        raise AssertionError("with --no-pex the newcomer had %d peers" % met_alone)
    for m, _ in members:
        m.stop()
    print("  leecher_learns_the_swarm: met %d of 9 peers through one; %d with --no-pex" %
          (met, met_alone), flush=True)


def prompt_get_no_pex(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    alice = Client(suite, "p-alice", t1, t2)
    with open(os.path.join(alice.dir, "x.bin"), "wb") as f:
        f.write(os.urandom(6 * MIB + 3))
    alice.expect("share x.bin x.mtorrent")
    mt = os.path.join(alice.dir, "x.mtorrent")
    leechers = {}
    for name, extra in (("p-bob", ""), ("p-carol", " --no-pex"), ("p-dave", "")):
        c = Client(suite, name, t1, t2)
        c.expect("limit down 400")  # KiB/s: the swarm trades for ~15 s
        r = c.expect("get %s .%s" % (mt, extra))
        if extra and "(no PEX)" not in r.detail:
            raise AssertionError("get --no-pex does not say so: %r" % r)
        leechers[name] = c

    def finished():
        return all(c.transfer_state("x.mtorrent") == ("S", 100.0) or
                   any("x.mtorrent" in x and "100.0%" in x for x in c.transfers()) for c in leechers.values())
    if not wait_until(finished, 90, 0.5):
        raise AssertionError("the swarm did not finish: %r" % {n: c.transfers() for n, c in leechers.items()})
    got = {n: "peer exchange: " in c.logtext() for n, c in leechers.items()}
    if got["p-carol"] or not (got["p-bob"] or got["p-dave"]):
        raise AssertionError("PEX messages received: %r (carol said --no-pex)" % got)
    for c in list(leechers.values()) + [alice]:
        c.quit()
    print("  prompt_get_no_pex: PEX received %r" % got, flush=True)


def main():
    suite = Suite()
    suite.case("leecher_learns_the_swarm", lambda: leecher_learns_the_swarm(suite))
    suite.case("prompt_get_no_pex", lambda: prompt_get_no_pex(suite))
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
