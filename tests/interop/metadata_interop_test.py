"""Magnet links between mtorrent and real BitTorrent clients (BEP 9 over
BEP 10), through our tracker pair, on loopback only:

  - libtorrent adds a magnet link (info hash + our tracker), gets the info
    dictionary from our seeder (bin/client seed), then downloads the file;
  - (aria2c cannot: it announces left=0 while it fetches metadata, so our
    tracker, which sends a seeder only leechers, never names our seeder);
  - our bin/client magnet fetches the info dictionary from a libtorrent
    seeder, and bin/client get downloads with the .mtorrent it wrote.

Every real client binds 127.0.0.1 with DHT, local peer discovery, UPnP,
NAT-PMP, PEX and uTP off. Torrents our seeder serves are marked private (a
second guard; our seeder serves the metadata of private torrents too).
libtorrent does not serve ut_metadata for a private torrent, so the torrent
it seeds is public: the switched-off discovery keeps it on loopback.
libtorrent runs as a child process of Debian's /usr/bin/python3 with only
the ut_metadata plugin (no ut_pex, no smart_ban).
"""
import hashlib
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, HERE)
import mtlib  # noqa: E402
from mtlib import Suite, free_port  # noqa: E402
import real_clients as tct  # noqa: E402
from real_clients import run_pair_cases, check_our_log, timed, Proc, bencode, check_file  # noqa: E402

TIMEOUT = 60.0
TRACKER_OPTS = ["--interval", "2", "--min-interval", "1"]
SIZES = {1: 5 * 1024 * 1024 + 4321, 2: 3 * 1024 * 1024 + 777}


def lt_child(mode, source, folder, port, marker):
    """A libtorrent client: mode 'magnet' adds the magnet URI `source`,
    mode 'seed' seeds the .torrent `source`. Touches `marker` once seeding
    (the download is complete) and marker.meta once it has the metadata."""
    import libtorrent as lt
    settings = {
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification
        | lt.alert.category_t.status_notification,
    }
    ses = lt.session(settings, 0)  # flags 0: no default plugins, nothing started
    ses.add_extension("ut_metadata")
    if mode == "magnet":
        params = lt.parse_magnet_uri(source)
        params.save_path = folder
    else:
        params = {"ti": lt.torrent_info(source), "save_path": folder}
    handle = ses.add_torrent(params)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        for a in ses.pop_alerts():
            print(a.message(), flush=True)
        st = handle.status()
        if st.has_metadata and not os.path.exists(marker + ".meta"):
            open(marker + ".meta", "w").close()
        if st.is_seeding and not os.path.exists(marker):
            open(marker, "w").close()
        ses.wait_for_alert(200)


def libtorrent(suite, name, mode, source, folder):
    os.makedirs(folder, exist_ok=True)
    marker = os.path.join(suite.work, name + ".done")
    p = Proc(suite, name, ["/usr/bin/python3", os.path.abspath(__file__), "--lt", mode, source, folder,
                           str(free_port()), marker])
    return p, marker


class Case(tct.PayloadTorrent):
    def __init__(self, suite, trackers, name, n, private):
        super().__init__(suite, trackers, name, 2000 + n, SIZES[n], private)
        self.info_bytes = bencode(self.info)

    def magnet(self):
        q = "&".join("tr=" + re.sub(r"[:/]", lambda m: "%%%02X" % ord(m.group(0)), u) for u in self.urls)
        return "magnet:?xt=urn:btih:%s&dn=%s&%s" % (self.info_hash.hex(), self.name, q)


def our_seeder(c):
    log = os.path.join(c.dir, "our-seed.clientlog")
    p = Proc(c.suite, c.name + "-our-seed",
             [os.path.join(mtlib.BIN, "client"), "seed", c.torrent, c.data, "--port", "0",
              "--bind", "127.0.0.1", "--log", log])
    p.clientlog = log
    return c.add(p)


def wait_for(what, pred, proc, timeout=TIMEOUT):
    start = time.time()
    while time.time() - start < timeout:
        if pred():
            return time.time() - start
        if not proc.alive():
            raise AssertionError("%s exited (%s) before %s: %s" % (proc.name, proc.returncode(), what, proc.tail()))
        time.sleep(0.1)
    raise AssertionError("no %s within %.0f s: %s" % (what, timeout, proc.tail()))


# ---------------------------------------------------------------- cases

def case_libtorrent_magnet_from_our_seeder(suite, trackers, name, n):
    c = Case(suite, trackers, name, n, private=True)
    try:
        seeder = our_seeder(c)
        c.wait_seeder(seeder)
        folder = os.path.join(c.dir, "lt")
        lt, marker = libtorrent(suite, name + "-lt-magnet", "magnet", c.magnet(), folder)
        c.add(lt)
        timed("libtorrent has the metadata", wait_for("metadata", lambda: os.path.exists(marker + ".meta"), lt))
        timed("libtorrent complete", wait_for("complete download", lambda: os.path.exists(marker), lt))
        check_file(os.path.join(folder, os.path.basename(c.data)), c.sha1)
        c.close()
        check_our_log(seeder)
    finally:
        c.close()


def case_our_magnet_from_libtorrent_seeder(suite, trackers, name, n):
    c = Case(suite, trackers, name, n, private=False)
    try:
        lt, marker = libtorrent(suite, name + "-lt-seed", "seed", c.torrent, os.path.dirname(c.data))
        c.add(lt)
        c.wait_seeder(lt)
        out = os.path.join(c.dir, "fetched.mtorrent")
        log = os.path.join(c.dir, "our-magnet.clientlog")
        start = time.time()
        r = subprocess.run([os.path.join(mtlib.BIN, "client"), "magnet", c.magnet(), out, "--timeout", "30",
                            "--bind", "127.0.0.1", "--log", log], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("client magnet rc=%s: %s %s | libtorrent: %s" %
                                 (r.returncode, r.stdout[-300:], r.stderr[-300:], lt.tail(300)))
        timed("our magnet from libtorrent", time.time() - start)
        data = open(out, "rb").read()
        if c.info_bytes not in data:
            raise AssertionError("the .mtorrent does not hold libtorrent's info bytes")
        if hashlib.sha1(c.info_bytes).hexdigest() not in r.stdout:
            raise AssertionError("no info_hash in the output: %s" % r.stdout)
        # And our get downloads with it, from libtorrent.
        dest = os.path.join(c.dir, "our-get")
        os.makedirs(dest, exist_ok=True)
        g = subprocess.run([os.path.join(mtlib.BIN, "client"), "get", out, dest, "--bind", "127.0.0.1",
                            "--timeout", str(int(TIMEOUT))], capture_output=True, text=True, timeout=TIMEOUT + 10)
        if g.returncode != 0:
            raise AssertionError("client get rc=%s: %s %s" % (g.returncode, g.stdout[-300:], g.stderr[-300:]))
        check_file(os.path.join(dest, os.path.basename(c.data)), c.sha1)
    finally:
        c.close()


def main():
    suite = Suite()
    cases = [
        ("libtorrent_magnet_from_our_seeder", ("libtorrent",), case_libtorrent_magnet_from_our_seeder),
        ("our_magnet_from_libtorrent_seeder", ("libtorrent",), case_our_magnet_from_libtorrent_seeder),
    ]
    # aria2c 1.36 announces left=0 while it fetches a magnet link's metadata,
    # and our tracker sends a seeder only leechers: it never hears of our
    # seeder (nor our seeder of it), so that case cannot run here.
    suite.skip("aria2_magnet_from_our_seeder",
               "aria2c announces left=0 while fetching metadata; our tracker sends seeders no seeders",
               known_limitation=True)
    return run_pair_cases(suite, cases, TRACKER_OPTS)


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--lt":
        lt_child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    sys.exit(main())
