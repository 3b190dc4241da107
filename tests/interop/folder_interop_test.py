"""Folder torrents between our client and real ones (aria2c, libtorrent,
transmission-cli), through our tracker pair, on loopback only.

The tree (tests/pylib/folders.py) has nested folders, an empty file, UTF-8
names, a file smaller than a block, files across piece boundaries and 1,000
small files. Each real client downloads our folder torrent from our seeder
byte for byte; our client downloads a torrent libtorrent made (a v1+v2
hybrid with BEP 47 pad files, its default) from a libtorrent seeder, whole
and with --only. Every torrent is private, so the trackers are the only way
the peers meet; DHT, LPD, PEX, UPnP, NAT-PMP and uTP are off in every real
client (tests/pylib/real_clients.py).
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import Suite, wait_until  # noqa: E402
import real_clients as rc  # noqa: E402
from real_clients import Proc, aria2, libtorrent, transmission, run_pair_cases, check_our_log, timed  # noqa: E402
from folders import FolderTorrent, check_tree, info_hash_of, make_tree, tree_digest  # noqa: E402

TIMEOUT = 90.0
TRACKER_OPTS = ["--interval", "2", "--min-interval", "1"]


def our_seeder(suite, name, torrent, folder):
    log = os.path.join(suite.work, name + ".clientlog")
    p = Proc(suite, name, [os.path.join(mtlib.BIN, "client"), "seed", torrent, folder, "--port", "0",
                           "--bind", "127.0.0.1", "--log", log])
    p.clientlog = log
    return p


def our_getter(suite, name, torrent, dest, extra=()):
    log = os.path.join(suite.work, name + ".clientlog")
    os.makedirs(dest, exist_ok=True)
    p = Proc(suite, name, [os.path.join(mtlib.BIN, "client"), "get", torrent, dest, "--port", "0",
                           "--bind", "127.0.0.1", "--timeout", str(int(TIMEOUT)), "--log", log] + list(extra))
    p.clientlog = log
    return p


def wait_done(p, done, what):
    start = time.time()
    if not wait_until(done, TIMEOUT, 0.1):
        raise AssertionError("%s not done in %.0f s: %s" % (what, TIMEOUT, p.tail(400)))
    timed(what, time.time() - start)


def tree_case(suite, trackers, name, n, leech, empty_files=True):
    """Our seeder serves the tree; leech(dest) starts a real client and
    returns (proc, done)."""
    t = FolderTorrent(os.path.join(suite.work, name), "tree%d" % n, trackers, seed=100 + n, private=True)
    procs = []
    try:
        seeder = our_seeder(suite, name + "-our-seed", t.torrent, t.root)
        procs.append(seeder)
        rc.wait_listed(trackers, t.info_hash, 1, 30, seeder.tail)
        dest = os.path.join(suite.work, name, "out")
        os.makedirs(dest, exist_ok=True)
        p, done = leech(t, dest)
        procs.append(p)
        wait_done(p, done, name + " download")
        check_tree(os.path.join(dest, t.name), t.want, empty_files=empty_files)
    finally:
        for p in procs:
            p.stop()
    check_our_log(seeder)


def case_aria2(suite, trackers, name, n):
    def leech(t, dest):
        p, _ = aria2(suite, name + "-aria2", t.torrent, dest, False)

        def done():
            if p.alive():
                return False
            if p.returncode() != 0:
                raise AssertionError("aria2c exited with %s: %s" % (p.returncode(), p.tail()))
            return True
        return p, done
    tree_case(suite, trackers, name, n, leech)


def case_libtorrent(suite, trackers, name, n):
    def leech(t, dest):
        p, marker = libtorrent(suite, name + "-lt", t.torrent, dest)

        def done():
            if not p.alive():
                raise AssertionError("libtorrent exited: %s" % p.tail())
            return os.path.exists(marker)
        return p, done
    tree_case(suite, trackers, name, n, leech)


def case_transmission(suite, trackers, name, n):
    def leech(t, dest):
        p, _, marker = transmission(suite, name + "-tr", t.torrent, dest, False)

        def done():
            if not p.alive() and not os.path.exists(marker):
                raise AssertionError("transmission-cli exited: %s" % p.tail())
            return os.path.exists(marker)
        return p, done
    # transmission-cli 3.00 creates no file for an empty entry (its files
    # come into being at their first write).
    tree_case(suite, trackers, name, n, leech, empty_files=False)


def libtorrent_torrent(suite, trackers, name, n):
    """A tree and the torrent libtorrent makes of it by default (v1+v2
    hybrid, pad files after every file that does not end a piece)."""
    lt = rc.lt
    base = os.path.join(suite.work, name)
    root = make_tree(os.path.join(base, "seed", "lt%d" % n), seed=200 + n, many=200)
    fs = lt.file_storage()
    lt.add_files(fs, root)
    ct = lt.create_torrent(fs, 0)
    for t in trackers:
        ct.add_tracker(t.url("/announce"), 0)
    ct.set_priv(True)
    lt.set_piece_hashes(ct, os.path.dirname(root))
    raw = lt.bencode(ct.generate())
    torrent = os.path.join(base, "lt%d.torrent" % n)
    with open(torrent, "wb") as f:
        f.write(raw)
    meta = mtlib.bdecode(raw)
    pads = [f for f in meta[b"info"][b"files"] if b"p" in f.get(b"attr", b"")]
    if not pads:
        raise AssertionError("libtorrent made no pad files (its default changed?)")
    if b"meta version" not in meta[b"info"]:
        raise AssertionError("not a hybrid torrent")
    return root, torrent, info_hash_of(raw), len(pads)


def from_libtorrent(suite, trackers, name, n, only=()):
    root, torrent, ih, pads = libtorrent_torrent(suite, trackers, name, n)
    want = tree_digest(root)
    procs = []
    try:
        seeder, _ = libtorrent(suite, name + "-lt-seed", torrent, os.path.dirname(root))
        procs.append(seeder)
        rc.wait_listed(trackers, ih, 1, 30, seeder.tail)
        dest = os.path.join(suite.work, name, "out")
        extra = sum((["--only", g] for g in only), [])
        g = our_getter(suite, name + "-our-get", torrent, dest, extra)
        procs.append(g)

        def done():
            if g.alive():
                return False
            if g.returncode() != 0:
                raise AssertionError("our get exited with %s: %s" % (g.returncode(), g.tail()))
            return True
        wait_done(g, done, name + " download")
        top = os.path.join(dest, os.path.basename(root))
        if only:
            check_tree(top, want, lambda p: p.startswith("many/") or p.endswith(".iso"))
            if os.path.exists(os.path.join(top, "README.txt")):
                raise AssertionError("README.txt was created though not chosen")
        else:
            check_tree(top, want)  # and no .pad folder: pad files are never written
        print("  %s: %d pad files in the torrent, none written" % (name, pads), flush=True)
    finally:
        for p in procs:
            p.stop()
    check_our_log(g)


def case_our_from_libtorrent(suite, trackers, name, n):
    from_libtorrent(suite, trackers, name, n)


def case_our_selected_from_libtorrent(suite, trackers, name, n):
    from_libtorrent(suite, trackers, name, n, only=("/many", "*.iso"))


def main():
    suite = Suite()
    cases = [
        ("aria2_gets_our_folder", ("aria2c",), case_aria2),
        ("libtorrent_gets_our_folder", ("libtorrent",), case_libtorrent),
        ("transmission_gets_our_folder", ("transmission-cli",), case_transmission),
        ("our_get_of_libtorrent_hybrid_with_pad_files", ("libtorrent",), case_our_from_libtorrent),
        ("our_selective_get_from_libtorrent", ("libtorrent",), case_our_selected_from_libtorrent),
    ]
    return run_pair_cases(suite, cases, TRACKER_OPTS)


if __name__ == "__main__":
    sys.exit(main())
