#!/usr/bin/env python3
"""The Mainline DHT (BEP 5) through the real program, with both trackers down
(nothing listens on their ports): every peer is found through the DHT.

- trackerless_download: alice shares a file; bob, who knows only alice's
  address as a DHT bootstrap node, downloads it; his `status` shows the DHT
  node he knows and his last lookup; his routing table is saved in his
  state folder (mode 0600).
- no_dht: with --no-dht nothing is found and `status` says the DHT is off.
- private_torrent_stays_off_the_dht: a private torrent (mktorrent -p) seeded
  by alice is never found through the DHT.
- nodes_in_the_mtorrent: a .mtorrent made with `create --dht-node` names
  alice's node; erin, with no bootstrap node of her own, downloads through it.
- get_by_info_hash_without_trackers: `get <info_hash>` with both trackers
  down: the DHT names alice, her metadata (BEP 9) and then the file come from
  her; then `client magnet <info_hash> --dht-bootstrap` (no tracker
  anywhere) writes the .mtorrent from her metadata.
- per_transfer_no_dht: bob's session has the DHT, but `get ... --no-dht`
  keeps one transfer (and a `get <info_hash> --no-dht` lookup) off it: the
  other download finishes through the DHT, these never do, also after a
  restart of bob's client (the switch is saved with the transfer).
- port_message_feeds_the_dht: with the trackers up, bob meets alice as a
  peer; her BEP 5 PORT message puts her DHT node in his table (he was given
  no bootstrap node).
No traffic leaves 127.0.0.1: every address involved is a loopback one.
"""
import os
import re
import stat
import subprocess
import sys
import time
import types

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import BIN, Suite, free_port, sha1_file, tracker_pair, wait_until  # noqa: E402
from prompt_client import Client  # noqa: E402

MIB = 1 << 20


def dead_trackers():
    """Two tracker addresses where nothing listens."""
    return (types.SimpleNamespace(host="127.0.0.1", port=free_port()),
            types.SimpleNamespace(host="127.0.0.1", port=free_port()))


def write_random(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def dht_line(client):
    lines = [x for x in client.expect("status").lines if x.strip().startswith("dht:")]
    return lines[0].strip() if lines else ""


def info_hash_of(mt):
    info = subprocess.run([os.path.join(BIN, "client"), "info", mt], capture_output=True, text=True,
                          timeout=20).stdout
    return re.search(r"info_hash:\s*([0-9a-f]{40})", info).group(1)


def done(client, label):
    return any(label in x and "100.0%" in x for x in client.transfers())


def trackerless_download(suite):
    t1, t2 = dead_trackers()
    alice = Client(suite, "alice", t1, t2)
    src = write_random(os.path.join(alice.dir, "movie.bin"), 3 * MIB + 77)
    alice.expect("share movie.bin movie.mtorrent")
    bob = Client(suite, "bob", t1, t2, extra=["--dht-bootstrap", "127.0.0.1:%d" % alice.port])
    mt = os.path.join(alice.dir, "movie.mtorrent")
    bob.expect("get %s ." % mt)
    if not wait_until(lambda: done(bob, "movie"), 60, 0.2):
        raise AssertionError("bob's download did not finish through the DHT: %r; %s" %
                             (bob.transfers(), dht_line(bob)))
    if sha1_file(os.path.join(bob.dir, "movie.bin")) != sha1_file(src):
        raise AssertionError("bob's copy differs")
    line = dht_line(bob)
    if "1 node known" not in line or "last lookup" not in line or "1 peer from" not in line:
        raise AssertionError("bob's status: %r" % line)
    if "holding" not in dht_line(alice) and "1 node known" not in dht_line(alice):
        raise AssertionError("alice's status: %r" % dht_line(alice))
    if bob.quit() != 0 or alice.quit() != 0:
        raise AssertionError("quit failed")
    saved = os.path.join(bob.state, "dht.dat")
    if not os.path.exists(saved) or os.path.getsize(saved) == 0:
        raise AssertionError("bob's routing table was not saved")
    if stat.S_IMODE(os.stat(saved).st_mode) != 0o600:
        raise AssertionError("dht.dat mode %o" % stat.S_IMODE(os.stat(saved).st_mode))
    print("  trackerless_download: %s" % line, flush=True)


def no_dht(suite):
    t1, t2 = dead_trackers()
    alice = Client(suite, "alice2", t1, t2)
    write_random(os.path.join(alice.dir, "a.bin"), MIB)
    alice.expect("share a.bin a.mtorrent")
    carol = Client(suite, "carol", t1, t2, extra=["--no-dht", "--dht-bootstrap", "127.0.0.1:%d" % alice.port])
    if dht_line(carol) != "dht: off (--no-dht)":
        raise AssertionError("carol's status: %r" % dht_line(carol))
    carol.expect("get %s ." % os.path.join(alice.dir, "a.mtorrent"))
    time.sleep(4)  # a window in which a DHT lookup would have found alice
    if done(carol, "a.bin"):
        raise AssertionError("carol downloaded without trackers and without the DHT")
    carol.quit()
    alice.quit()


def private_torrent_stays_off_the_dht(suite):
    t1, t2 = dead_trackers()
    alice = Client(suite, "alice3", t1, t2)
    src = write_random(os.path.join(alice.dir, "secret.bin"), MIB + 5)
    mt = os.path.join(suite.work, "secret.mtorrent")
    subprocess.run(["mktorrent", "-p", "-l", "19", "-a", "http://127.0.0.1:%d/announce" % t1.port,
                    "-o", mt, src], check=True, capture_output=True, timeout=30)
    alice.expect("get %s ." % mt)  # the file is there: verified, then seeded
    if not wait_until(lambda: done(alice, "secret"), 20, 0.2):
        raise AssertionError("alice does not seed the private torrent: %r" % alice.transfers())
    dave = Client(suite, "dave", t1, t2, extra=["--dht-bootstrap", "127.0.0.1:%d" % alice.port])
    dave.expect("get %s ." % mt)
    time.sleep(6)
    if done(dave, "secret") or "last lookup" in dht_line(dave):
        raise AssertionError("a private torrent went through the DHT: %r %r" % (dave.transfers(), dht_line(dave)))
    dave.quit()
    alice.quit()


def nodes_in_the_mtorrent(suite):
    t1, t2 = dead_trackers()
    alice = Client(suite, "alice4", t1, t2)
    src = write_random(os.path.join(alice.dir, "n.bin"), MIB + 3)
    alice.expect("share n.bin n.mtorrent")
    mt = os.path.join(suite.work, "n-nodes.mtorrent")
    r = subprocess.run([os.path.join(BIN, "client"), "create", src, mt, "--tracker",
                        "http://127.0.0.1:%d/announce" % t1.port, "--dht-node", "127.0.0.1:%d" % alice.port],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("create --dht-node failed: %s" % r.stderr)
    info = subprocess.run([os.path.join(BIN, "client"), "info", mt], capture_output=True, text=True, timeout=20)
    if "dht node:      127.0.0.1:%d" % alice.port not in info.stdout:
        raise AssertionError("info does not show the node: %s" % info.stdout)
    erin = Client(suite, "erin", t1, t2)
    erin.expect("get %s ." % mt)
    if not wait_until(lambda: done(erin, "n-nodes"), 60, 0.2):
        raise AssertionError("erin did not download through the .mtorrent's node: %r; %s" %
                             (erin.transfers(), dht_line(erin)))
    if sha1_file(os.path.join(erin.dir, "n.bin")) != sha1_file(src):
        raise AssertionError("erin's copy differs")
    erin.quit()
    alice.quit()


def get_by_info_hash_without_trackers(suite):
    t1, t2 = dead_trackers()
    alice = Client(suite, "alice6", t1, t2)
    src = write_random(os.path.join(alice.dir, "q.bin"), 2 * MIB + 1)
    alice.expect("share q.bin q.mtorrent")
    ih = info_hash_of(os.path.join(alice.dir, "q.mtorrent"))
    fred = Client(suite, "fred", t1, t2, extra=["--dht-bootstrap", "127.0.0.1:%d" % alice.port])
    fred.cmd("get %s ." % ih)
    if not wait_until(lambda: done(fred, "q.bin"), 90, 0.3):
        raise AssertionError("get <info_hash> without trackers did not finish: %r; %s; log: %s" %
                             (fred.transfers(), dht_line(fred), fred.logtext()[-800:]))
    if sha1_file(os.path.join(fred.dir, "q.bin")) != sha1_file(src):
        raise AssertionError("fred's copy differs")
    fred.quit()
    # The one-shot magnet command, with no tracker either.
    out = os.path.join(suite.work, "from-magnet.mtorrent")
    r = subprocess.run([os.path.join(BIN, "client"), "magnet", ih, out, "--dht-bootstrap",
                        "127.0.0.1:%d" % alice.port, "--bind", "127.0.0.1", "--timeout", "30"],
                       capture_output=True, text=True, timeout=90)
    got = subprocess.run([os.path.join(BIN, "client"), "info", out], capture_output=True, text=True,
                         timeout=20).stdout if r.returncode == 0 else ""
    if ih not in got:
        raise AssertionError("magnet through the DHT failed (%d): %s %s" % (r.returncode, r.stdout, r.stderr))
    alice.quit()


def per_transfer_no_dht(suite):
    t1, t2 = dead_trackers()
    alice = Client(suite, "alice7", t1, t2)
    for name in ("off", "on", "byhash"):
        write_random(os.path.join(alice.dir, name + ".bin"), MIB + 11)
        alice.expect("share %s.bin %s.mtorrent" % (name, name))
    bob = Client(suite, "bob7", t1, t2, extra=["--dht-bootstrap", "127.0.0.1:%d" % alice.port])
    r = bob.expect("get %s . --no-dht" % os.path.join(alice.dir, "off.mtorrent"))
    if "(no DHT)" not in r.detail:
        raise AssertionError("get --no-dht does not say so: %r" % r)
    bob.expect("get %s ." % os.path.join(alice.dir, "on.mtorrent"))
    bob.cmd("get %s byhash/ --no-dht" % info_hash_of(os.path.join(alice.dir, "byhash.mtorrent")))
    if not wait_until(lambda: done(bob, "on.mtorrent"), 60, 0.2):
        raise AssertionError("the download with the DHT did not finish: %r" % bob.transfers())
    time.sleep(3)  # lookups for the others would have found alice by now
    if done(bob, "off.mtorrent") or os.path.exists(os.path.join(bob.dir, "byhash", "byhash.bin")):
        raise AssertionError("a --no-dht transfer went through the DHT: %r" % bob.transfers())
    if bob.quit() != 0:
        raise AssertionError("bob's quit failed")
    bob.start()
    time.sleep(4)
    if done(bob, "off.mtorrent") or not done(bob, "on.mtorrent"):
        raise AssertionError("after a restart: %r" % bob.transfers())
    bob.quit()
    alice.quit()


def port_message_feeds_the_dht(suite):
    t1, t2 = tracker_pair(suite, extra=["--interval", "2", "--min-interval", "1"])
    alice = Client(suite, "alice5", t1, t2)
    write_random(os.path.join(alice.dir, "p.bin"), MIB + 9)
    alice.expect("share p.bin p.mtorrent")
    bob = Client(suite, "bob5", t1, t2)
    if "0 nodes known" not in dht_line(bob):
        raise AssertionError("bob knows DHT nodes before meeting anyone: %r" % dht_line(bob))
    bob.expect("get %s ." % os.path.join(alice.dir, "p.mtorrent"))
    if not wait_until(lambda: "1 node known" in dht_line(bob), 20, 0.3):
        raise AssertionError("alice's PORT message did not reach bob's DHT: %r" % dht_line(bob))
    bob.quit()
    alice.quit()


def main():
    suite = Suite()
    suite.case("trackerless_download", lambda: trackerless_download(suite))
    suite.case("no_dht", lambda: no_dht(suite))
    if subprocess.run(["sh", "-c", "command -v mktorrent"], capture_output=True).returncode == 0:
        suite.case("private_torrent_stays_off_the_dht", lambda: private_torrent_stays_off_the_dht(suite))
    else:
        suite.fail("private_torrent_stays_off_the_dht", "mktorrent is missing (apt-get install -y mktorrent)")
    suite.case("nodes_in_the_mtorrent", lambda: nodes_in_the_mtorrent(suite))
    suite.case("get_by_info_hash_without_trackers", lambda: get_by_info_hash_without_trackers(suite))
    suite.case("per_transfer_no_dht", lambda: per_transfer_no_dht(suite))
    suite.case("port_message_feeds_the_dht", lambda: port_message_feeds_the_dht(suite))
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
