"""Launchers for real BitTorrent clients (Debian's aria2c, transmission-cli,
libtorrent) on loopback: DHT, local peer discovery, PEX, UPnP, NAT-PMP and
uTP off; quirks in /work/shared/REAL-CLIENTS.md and tests/interop/. Shared by
the interop suites and bench/."""
import hashlib
import json
import os
import random
import signal
import subprocess
import sys

import mtlib
from mtlib import bdecode, bencode, free_port, sha1_file, wait_until  # noqa: F401

try:
    import libtorrent as lt
except ImportError:  # python3-libtorrent is for Debian's /usr/bin/python3 only
    lt = None


def make_payload(folder, name, seed, size):
    """`size` reproducible random bytes (from `seed`) in folder/name."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(random.Random(seed).randbytes(size))
    return path


def create_info(suite, data_path, trackers):
    """bin/client create (one tier of `trackers`), then marked private.
    Returns the info dict (the private flag changes the info hash, which is
    then the SHA-1 of bencode(info))."""
    out = os.path.join(suite.work, "base-%s.mtorrent" % os.path.basename(data_path))
    subprocess.run([os.path.join(mtlib.BIN, "client"), "create", data_path, out, "--force"] +
                   sum((["--tracker", t] for t in trackers), []),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(out, "rb") as f:
        meta = bdecode(f.read())
    assert meta[b"announce"] == trackers[0].encode(), meta.get(b"announce")
    assert meta[b"announce-list"] == [[t.encode() for t in trackers]], meta.get(b"announce-list")
    info = meta[b"info"]
    info[b"private"] = 1
    return info


def write_torrent(path, info, trackers):
    """A metainfo with `info` and one announce-list tier of `trackers`."""
    meta = {b"announce": trackers[0], b"announce-list": [list(trackers)], b"info": info,
            b"created by": b"mtorrent interop test"}
    with open(path, "wb") as f:
        f.write(bencode(meta))
    return hashlib.sha1(bencode(info)).digest()


def listed_seeders(trackers, info_hash):
    """The seeders each tracker's /scrape lists for info_hash (0 where it
    does not answer)."""
    return [(t.scrape(info_hash) or (0, 0))[0] for t in trackers]


def wait_listed(trackers, info_hash, n, timeout, why=lambda: ""):
    """Waits until every tracker lists at least n seeders of info_hash;
    raises with what they list and why() if that takes over `timeout` s."""
    if not wait_until(lambda: min(listed_seeders(trackers, info_hash)) >= n, timeout, 0.1):
        raise AssertionError("%d seeder(s) never listed by every tracker (they list %s): %s" %
                             (n, listed_seeders(trackers, info_hash), why()))


class PayloadTorrent:
    """One case of an interop suite: a reproducible payload in the case's own
    folder, its torrent made by bin/client create naming `trackers` (marked
    private unless told otherwise), and the processes started for it, which
    close() stops."""

    def __init__(self, suite, trackers, name, seed, size, private=True):
        self.suite = suite
        self.name = name
        self.trackers = trackers
        self.dir = os.path.join(suite.work, name)
        self.data = make_payload(os.path.join(self.dir, "seed"), name + ".bin", seed, size)
        self.sha1 = sha1_file(self.data)
        self.urls = [t.url("/announce") for t in trackers]
        self.info = create_info(suite, self.data, self.urls)
        if not private:
            del self.info[b"private"]
        self.torrent = os.path.join(self.dir, name + ".mtorrent")
        self.info_hash = write_torrent(self.torrent, self.info, [u.encode() for u in self.urls])
        self.procs = []

    def add(self, p):
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            p.stop()

    def dest(self, who):
        d = os.path.join(self.dir, who)
        os.makedirs(d, exist_ok=True)
        return d

    def wait_seeder(self, seeder, n=1):
        """Until both trackers list n seeders; the error shows seeder's log."""
        wait_listed(self.trackers, self.info_hash, n, 30, seeder.tail)


class Proc:
    """A client process, stopped by its PID."""

    def __init__(self, suite, name, args, cwd=None):
        self.name = name
        self.log = os.path.join(suite.work, name + ".log")
        self.proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        suite.procs.append(self)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def returncode(self):
        return self.proc.poll()

    def stop(self, timeout=5):
        mtlib.stop_process(self.proc, signal.SIGTERM, timeout)
        self.proc = None

    def tail(self, n=600):
        try:
            with open(self.log, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""


def aria2(suite, name, torrent, folder, seed):
    port = free_port()
    args = ["aria2c", "--no-conf=true", "--enable-dht=false", "--enable-dht6=false",
            "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
            "--interface=127.0.0.1", "--listen-port=%d" % port, "--dir=%s" % folder,
            "--summary-interval=0", "--console-log-level=warn", "--async-dns=false",
            "--follow-torrent=false", "--bt-save-metadata=false", "--auto-save-interval=0",
            "--log=%s" % os.path.join(suite.work, name + ".aria2log"), "--log-level=info"]
    args += ["-V", "--seed-ratio=0.0"] if seed else ["--seed-time=0"]
    return Proc(suite, name, args + [torrent]), port


def transmission_settings(port, folder, message_level=2):
    """A transmission-cli settings.json for loopback only: DHT, LPD, PEX, uTP
    and port forwarding off, bound to 127.0.0.1, downloads into `folder`, no
    limits. Shared with bench/get_helper.py."""
    return {
        "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
        "port-forwarding-enabled": False, "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
        "peer-port": port, "peer-port-random-on-start": False, "download-dir": folder,
        "incomplete-dir-enabled": False, "rename-partial-files": False, "blocklist-enabled": False,
        "rpc-enabled": False, "ratio-limit-enabled": False, "idle-seeding-limit-enabled": False,
        "speed-limit-up-enabled": False, "speed-limit-down-enabled": False, "message-level": message_level,
    }


def transmission(suite, name, torrent, folder, seed):
    """transmission-cli; the marker file appears when a download finishes."""
    port = free_port()
    cfg = os.path.join(suite.work, name + "-cfg")
    os.makedirs(cfg, exist_ok=True)
    os.makedirs(folder, exist_ok=True)
    settings = transmission_settings(port, folder)
    with open(os.path.join(cfg, "settings.json"), "w") as f:
        json.dump(settings, f)
    marker = os.path.join(suite.work, name + ".done")
    script = os.path.join(suite.work, name + "-done.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\ntouch '%s'\n" % marker)
    os.chmod(script, 0o755)
    args = ["transmission-cli", "-g", cfg, "-w", folder, "-p", str(port), "-M", "-D", "-U",
            "-f", script]
    if seed:
        args.append("-v")
    return Proc(suite, name, args + [torrent]), port, marker


def lt_main(torrent, folder, port, marker, host="127.0.0.1"):
    """A libtorrent client in its own process (stopped by PID like the
    others; libtorrent also caches UDP connection ids per tracker IP
    process-wide, which two sessions in one process would share)."""
    settings = {
        "listen_interfaces": mtlib.host_port(host, port),
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification,
    }
    # flags=0: no default plugins (so no ut_pex) and no DHT/LSD/UPnP/NAT-PMP start-up.
    ses = lt.session(settings, 0)
    handle = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": folder})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        for a in ses.pop_alerts():
            print(a.message(), flush=True)
        if handle.status().is_seeding and not os.path.exists(marker):
            open(marker, "w").close()
        ses.wait_for_alert(200)


def libtorrent(suite, name, torrent, folder, host="127.0.0.1"):
    """A libtorrent client listening on host (127.0.0.1, or ::1 for IPv6)."""
    os.makedirs(folder, exist_ok=True)
    marker = os.path.join(suite.work, name + ".done")
    p = Proc(suite, name, [sys.executable, os.path.abspath(__file__), "--libtorrent", torrent, folder,
                           str(free_port(host)), marker, host])
    return p, marker


def check_file(path, sha1):
    if not os.path.exists(path):
        raise AssertionError("no downloaded file at %s" % path)
    got = sha1_file(path)
    if got != sha1:
        raise AssertionError("SHA-1 of the download is %s, expected %s" % (got, sha1))


if __name__ == "__main__":
    # The libtorrent child that libtorrent() starts: one client per process.
    if len(sys.argv) in (6, 7) and sys.argv[1] == "--libtorrent":
        lt_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], *sys.argv[6:])
        sys.exit(0)
    sys.exit("usage: real_clients.py --libtorrent TORRENT FOLDER PORT MARKER [HOST]")


# ---------------------------------------------------------------- running interop cases

def check_our_log(p):
    """Our client logs at WARN/ERROR only for trouble (a message from the
    real client it could not decode, a dropped peer, a failed piece or
    announce): none is expected beside a real client. p: a Proc with a
    clientlog attribute (processes without one are not ours: passed)."""
    log = getattr(p, "clientlog", None)
    if not log or not os.path.exists(log):
        return
    with open(log, errors="replace") as f:
        bad = [ln.strip() for ln in f if " WARN " in ln or " ERROR " in ln]
    if bad:
        raise AssertionError("%s: %d warning(s) in our log, first: %s" % (p.name, len(bad), bad[0]))


def timed(label, seconds):
    print("  %s: %.1f s" % (label, seconds), flush=True)


def installed():
    """Which of the real programs the interop cases need are here."""
    import shutil
    return {"aria2c": shutil.which("aria2c") is not None,
            "transmission-cli": shutil.which("transmission-cli") is not None,
            "libtorrent": lt is not None}


def run_interop_cases(suite, cases, binaries=("tracker", "client")):
    """The interop suites' loop: each (name, needs, run) in `cases` runs as
    suite.case(name, run) and is timed, unless a real program it needs
    (`needs`, keys of installed()) is not installed: then it is skipped, which
    in CI fails it (Suite.skip). Our `binaries` missing from mtlib.BIN fail
    the suite before any case. With MT_KEEP_WORK=DIR the work folder of a run
    that failed is copied to DIR. Returns suite.finish()'s exit code."""
    import shutil
    import time
    for b in binaries:
        if not os.path.exists(os.path.join(mtlib.BIN, b)):
            suite.fail("binaries", "no %s binary in %s (set BIN)" % (b, mtlib.BIN))
            return suite.finish()
    have = installed()
    try:
        for name, needs, run in cases:
            missing = [x for x in needs if not have[x]]
            if missing:
                suite.skip(name, "%s not installed" % ", ".join(missing))
                continue
            start = time.time()
            suite.case(name, run)
            timed(name + " total", time.time() - start)
    finally:
        for p in suite.procs:
            p.stop()
    keep = os.environ.get("MT_KEEP_WORK")
    if keep and suite.failed:
        shutil.copytree(suite.work, keep, dirs_exist_ok=True)
        print("work folder kept in %s" % keep)
    return suite.finish()


def run_pair_cases(suite, cases, tracker_opts):
    """run_interop_cases for cases (name, needs, fn) that share one tracker
    pair of ours (started with tracker_opts): fn(suite, trackers, name, n),
    n counting from 1."""
    for b in ("tracker", "client"):
        if not os.path.exists(os.path.join(mtlib.BIN, b)):
            return run_interop_cases(suite, [])
    trackers = mtlib.tracker_pair(suite, extra=tracker_opts)
    return run_interop_cases(suite, [
        (name, needs, lambda fn=fn, name=name, n=n: fn(suite, trackers, name, n))
        for n, (name, needs, fn) in enumerate(cases, 1)])
