#!/usr/bin/env python3
"""Our DHT node with real clients' DHT nodes on loopback, both trackers down
(nothing listens on the tracker ports), so the DHT is the only way peers find
each other (see /work/shared/REAL-CLIENTS.md, "DHT on loopback").

- libtorrent_finds_our_seeder: python3-libtorrent, its DHT bootstrapped from
  our seeder's node, finds our seeder and downloads from it.
- we_find_libtorrents_seeder: libtorrent seeds with its DHT on (announcing
  through force_dht_announce: session.dht_announce() is broken in 2.0.8);
  our client, bootstrapped from libtorrent's node, finds it and downloads.
- aria2_finds_our_seeder: aria2c with --dht-entry-point at our node.
- pex_from_libtorrent: a swarm of our clients and libtorrent leechers meets
  through the tracker pair, which then stops; our newcomer, told of one
  libtorrent peer, meets the others through libtorrent's ut_pex.
transmission-cli drops DHT traffic from 127.0.0.0/8 by design: not tested.
Every real client binds 127.0.0.1, LSD/UPnP/NAT-PMP off; nothing leaves
127.0.0.1 (the bootstrap nodes are ours or theirs, on loopback).
"""
import os
import re
import signal
import subprocess
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import Suite, free_port, sha1_file, wait_until  # noqa: E402
from prompt_client import Client  # noqa: E402
from real_clients import Proc  # noqa: E402

MIB = 1 << 20
TIMEOUT = 90


def dead_trackers():
    return (types.SimpleNamespace(host="127.0.0.1", port=free_port()),
            types.SimpleNamespace(host="127.0.0.1", port=free_port()))


def write_random(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def lt_pex_child(torrent, folder, port, marker):
    """A libtorrent leecher with ut_pex (its default plugins), no DHT, its
    download capped so the swarm keeps trading."""
    import libtorrent as lt
    settings = {
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True, "download_rate_limit": 200000,
        "alert_mask": lt.alert.category_t.error_notification,
    }
    ses = lt.session(settings)
    handle = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": folder})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        for a in ses.pop_alerts():
            print(a.message(), flush=True)
        if handle.status().is_seeding and not os.path.exists(marker):
            open(marker, "w").close()
        ses.wait_for_alert(200)


def pex_from_libtorrent(suite):
    """A leecher that knows one libtorrent peer learns the rest of a swarm
    (libtorrent and ours) from libtorrent's ut_pex, after the trackers stop."""
    t1, t2 = mtlib.tracker_pair(suite, extra=["--interval", "2", "--min-interval", "1"])
    src = write_random(os.path.join(suite.work, "pexlt.bin"), 16 * MIB + 3)
    mt = os.path.join(suite.work, "pexlt.mtorrent")
    subprocess.run([os.path.join(mtlib.BIN, "client"), "create", src, mt, "--tracker", t1.url("/announce"),
                    "--tracker", t2.url("/announce")], check=True, capture_output=True, timeout=60)
    per_ip = ["--max-peers-per-ip", "100", "--bind", "127.0.0.1"]
    mtlib.ClientProc(suite, "pexlt-seed", ["seed", mt, src, "--port", str(free_port()), "--max-upload-rate",
                                           "400"] + per_ip)
    lt_ports = []
    for i in range(3):
        port = free_port()
        lt_ports.append(port)
        Proc(suite, "pexlt-lt%d" % i, [sys.executable, os.path.abspath(__file__), "--lt-pex", mt,
                                       os.path.join(suite.work, "lt%d" % i), str(port),
                                       os.path.join(suite.work, "lt%d.done" % i)])
    for i in range(3):
        mtlib.ClientProc(suite, "pexlt-ours%d" % i, ["get", mt, os.path.join(suite.work, "o%d" % i), "--port",
                                                     str(free_port()), "--max-download-rate", "200"] + per_ip)
    if not wait_until(lambda: (t1.stats() or {}).get("peers", 0) >= 7, 60, 0.2):
        raise AssertionError("the swarm did not form: %r" % t1.stats())
    time.sleep(5)
    t1.stop()
    t2.stop()
    p = mtlib.ClientProc(suite, "pexlt-new", ["get", mt, os.path.join(suite.work, "new"), "--port",
                                              str(free_port()), "--max-download-rate", "200", "--progress-ms",
                                              "1000", "--peer", "127.0.0.1:%d" % lt_ports[0]] + per_ip)
    most = lambda: max([int(n) for n in re.findall(r"(\d+) peers?  ETA", p.out())] or [0])  # noqa: E731
    wait_until(lambda: most() >= 5, 75, 0.5)
    met = most()
    p.stop()
    if met < 5 or "peer exchange: " not in p.logtext():
        raise AssertionError("the newcomer had at most %d peers through libtorrent's PEX: %s" % (met, p.describe()))
    print("  pex_from_libtorrent: the newcomer met %d of 7 peers through one libtorrent peer" % met, flush=True)


def lt_child(torrent, folder, port, marker, bootstrap):
    """A libtorrent client with its DHT on 127.0.0.1:port (one per process)."""
    import libtorrent as lt
    settings = {
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": True, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "dht_bootstrap_nodes": bootstrap,
        "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
        "dht_block_ratelimit": 100000, "dht_upload_rate_limit": 1000000,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.dht_notification,
    }
    ses = lt.session(settings)
    host, p = bootstrap.split(":")
    ses.add_dht_node((host, int(p)))
    handle = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": folder})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    last_announce = 0
    while True:
        for a in ses.pop_alerts():
            print(a.message(), flush=True)
        if time.time() - last_announce > 3:
            handle.force_dht_announce()
            last_announce = time.time()
        if handle.status().is_seeding and not os.path.exists(marker):
            open(marker, "w").close()
        ses.wait_for_alert(200)


def libtorrent(suite, name, torrent, folder, bootstrap_port):
    os.makedirs(folder, exist_ok=True)
    marker = os.path.join(suite.work, name + ".done")
    port = free_port()
    p = Proc(suite, name, [sys.executable, os.path.abspath(__file__), "--lt", torrent, folder, str(port),
                           marker, "127.0.0.1:%d" % bootstrap_port])
    return p, port, marker


def our_seeder(suite, name, size):
    t1, t2 = dead_trackers()
    alice = Client(suite, name, t1, t2)
    src = write_random(os.path.join(alice.dir, name + ".bin"), size)
    alice.expect("share %s.bin %s.mtorrent" % (name, name))
    return alice, src, os.path.join(alice.dir, name + ".mtorrent")


def libtorrent_finds_our_seeder(suite):
    alice, src, mt = our_seeder(suite, "ours-to-lt", 5 * MIB + 33)
    folder = os.path.join(suite.work, "lt-leech")
    p, _, marker = libtorrent(suite, "lt-leech", mt, folder, alice.port)
    if not wait_until(lambda: os.path.exists(marker) or not p.alive(), TIMEOUT, 0.2) or not os.path.exists(marker):
        raise AssertionError("libtorrent did not download through the DHT: %s; ours: %r" %
                             (p.tail(), [x for x in alice.expect("status").lines if "dht" in x]))
    got = os.path.join(folder, os.path.basename(src))
    if sha1_file(got) != sha1_file(src):
        raise AssertionError("libtorrent's copy differs")
    p.stop()
    alice.quit()


def we_find_libtorrents_seeder(suite):
    t1, t2 = dead_trackers()
    bob = Client(suite, "bob-from-lt", t1, t2)
    folder = os.path.join(suite.work, "lt-seed")
    os.makedirs(folder, exist_ok=True)
    src = write_random(os.path.join(folder, "lt-payload.bin"), 4 * MIB + 9)
    mt = os.path.join(suite.work, "lt-payload.torrent")
    subprocess.run(["mktorrent", "-l", "18", "-a", "http://127.0.0.1:%d/announce" % t1.port, "-o", mt, src],
                   check=True, capture_output=True, timeout=30)
    p, lt_port, _ = libtorrent(suite, "lt-seed", mt, folder, bob.port)
    # libtorrent's node learns of bob from its bootstrap and announces to him;
    # bob's lookup then finds the seeder (in his store, or through its node).
    bob.expect("get %s ." % mt)
    dest = os.path.join(bob.dir, "lt-payload.bin")
    if not wait_until(lambda: any("lt-payload" in x and "100.0%" in x for x in bob.transfers()), TIMEOUT, 0.2):
        raise AssertionError("we did not download from libtorrent through the DHT: %r %r; lt: %s" %
                             (bob.transfers(), [x for x in bob.expect("status").lines if "dht" in x], p.tail()))
    if sha1_file(dest) != sha1_file(src):
        raise AssertionError("our copy differs")
    p.stop()
    bob.quit()


def aria2_finds_our_seeder(suite):
    alice, src, mt = our_seeder(suite, "ours-to-aria2", 3 * MIB + 1)
    folder = os.path.join(suite.work, "aria2-leech")
    os.makedirs(folder, exist_ok=True)
    port, dht_port = free_port(), free_port()
    args = ["aria2c", "--no-conf=true", "--enable-dht=true", "--enable-dht6=false",
            "--dht-listen-port=%d" % dht_port, "--dht-entry-point=127.0.0.1:%d" % alice.port,
            "--dht-file-path=%s" % os.path.join(folder, "dht.dat"),
            "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
            "--interface=127.0.0.1", "--listen-port=%d" % port, "--dir=%s" % folder,
            "--summary-interval=0", "--console-log-level=warn", "--async-dns=false",
            "--follow-torrent=false", "--bt-save-metadata=false", "--auto-save-interval=0",
            "--seed-time=0", "--bt-tracker-connect-timeout=2", "--bt-tracker-timeout=2",
            "--log=%s" % os.path.join(suite.work, "aria2.log"), "--log-level=info", mt]
    p = Proc(suite, "aria2-dht", args)
    got = os.path.join(folder, os.path.basename(src))
    if not wait_until(lambda: not p.alive(), TIMEOUT, 0.2):
        raise AssertionError("aria2c did not finish through the DHT: %s" % p.tail())
    if p.returncode() != 0 or sha1_file(got) != sha1_file(src):
        raise AssertionError("aria2c failed (%s): %s" % (p.returncode(), p.tail()))
    alice.quit()


def main():
    suite = Suite()
    missing = []
    try:
        import libtorrent  # noqa: F401
    except ImportError:
        missing.append("python3-libtorrent")
    for tool in ("aria2c", "mktorrent"):
        if subprocess.run(["sh", "-c", "command -v " + tool], capture_output=True).returncode != 0:
            missing.append(tool)
    if missing:
        suite.fail("dht_interop", "missing: %s (apt-get install -y python3-libtorrent aria2 mktorrent)" %
                   " ".join(missing))
        return suite.finish()
    suite.case("libtorrent_finds_our_seeder", lambda: libtorrent_finds_our_seeder(suite))
    suite.case("we_find_libtorrents_seeder", lambda: we_find_libtorrents_seeder(suite))
    suite.case("aria2_finds_our_seeder", lambda: aria2_finds_our_seeder(suite))
    suite.case("pex_from_libtorrent", lambda: pex_from_libtorrent(suite))
    return suite.finish()


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--lt-pex":
        lt_pex_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        sys.exit(0)
    if len(sys.argv) == 7 and sys.argv[1] == "--lt":
        lt_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
        sys.exit(0)
    sys.exit(main())
