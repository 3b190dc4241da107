"""bench/get helper: downloads one file from 3 local seeders with our client
(bin/client get), aria2c, libtorrent and transmission-cli, on loopback only,
and reports median wall time, CPU seconds and peak memory per downloader. Run
by bench/get.sh with Debian's /usr/bin/python3 (python3-libtorrent).

usage: get_helper.py SIZE_MIB RUNS OUT_MD [--append-benchmarks FILE] [--command TEXT]

Every client binds 127.0.0.1 with DHT, LSD, PEX, UPnP, NAT-PMP and uTP off;
the torrent is marked private (info.private=1, re-encoded), so the tracker pair
(--interval 2 --min-interval 1) is the only way peers learn of each other.
Launchers and settings come from tests/pylib/real_clients.py.

Measurements per download (fresh empty destination folder, warm page cache:
the source file was just written and is read by the seeders):
  time     from spawning the downloader until the file is complete and
           verified: the process's exit (ours, aria2c --seed-time=0) or, for
           libtorrent, the moment its own poll loop (every 20 ms) sees
           is_seeding (it then writes its clock and rusage to a marker file),
           or, for transmission-cli (which never exits), the clock written by
           its torrent-done script (-f), run when the torrent completes.
  CPU      user+sys of the downloader process (wait4 rusage; libtorrent:
           getrusage(SELF) at is_seeding; transmission: /proc/PID/stat when
           the done marker is seen, at most 20 ms later; its script's CPU is
           a child's and not counted).
  RSS      peak RSS: VmHWM from /proc/PID/status, sampled every 20 ms (the
           last sample is at most 20 ms before exit; VmHWM only grows).
           Not ru_maxrss: Linux carries the forking parent's (this Python's)
           high-water mark across exec into the child's ru_maxrss.
           RssAnon: peak of the sampled RssAnon (libtorrent 2.x maps the file,
           so its RSS includes the file's pages; RssAnon is its heap).
Every download's SHA-1 is checked against the source.

transmission-cli is slow here (transmission 3.00 drops tracker peers in
127.0.0.0/8 as "martian" and keeps one connection per IP address, so on
loopback it only gets data from one seeder that connects to it): it runs
BENCH_TR_RUNS times (default min(RUNS, 3)), in the first rounds, each run
limited to BENCH_TR_TIMEOUT seconds (default 180) and then recorded as a
timeout. Each run gets a fresh config folder (-g, settings.json with DHT, LPD,
PEX, uTP and port forwarding off, bind 127.0.0.1, encryption "tolerated" so it
picks plaintext like the others) and is stopped by PID with SIGINT (its clean
exit, with a "stopped" announce; SIGTERM kills it outright).
"""
import json
import math
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "pylib"))
import mtlib  # noqa: E402
from mtlib import sha1_file, Suite, tracker_pair, free_port  # noqa: E402
import real_clients as tct  # noqa: E402

try:
    import libtorrent as lt
except ImportError:
    lt = None

TRACKER_OPTS = ["--interval", "2", "--min-interval", "1"]
# For A/B work on our client (not used by make bench-get):
#   BENCH_VARIANTS="mtorrent@new=/path/to/client,..." adds downloaders running
#   other builds of bin/client; BENCH_WHO="mtorrent,mtorrent@new" keeps only
#   those downloaders; BENCH_SCENARIOS="A" or "B" keeps one scenario.
VARIANTS = dict(v.split("=", 1) for v in os.environ.get("BENCH_VARIANTS", "").split(",") if "=" in v)
SAMPLE = 0.02
MIB = 1024 * 1024
TR_TIMEOUT = float(os.environ.get("BENCH_TR_TIMEOUT") or 180)


class Timeout(RuntimeError):
    """A download not complete by its time limit (recorded, not fatal)."""


def lt_settings(port, ip="127.0.0.1"):
    return {
        "listen_interfaces": "%s:%d" % (ip, port),
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        # Follow the tracker's --interval 2 as our client does (libtorrent's
        # default floor is 300 s): a seeder then learns of a new leecher and
        # connects to it within about 2 s, which transmission-cli needs, as it
        # drops loopback peers from the tracker and waits for them to connect.
        "min_announce_interval": 1,
        "alert_mask": lt.alert.category_t.error_notification,
    }


def lt_child(torrent, folder, port, marker):
    """A libtorrent client in its own process (seeder or leecher): writes
    {"t": time, "cpu": user+sys, "maxrss_kib": ...} to marker once it seeds,
    then keeps seeding until SIGTERM."""
    ses = lt.session(lt_settings(port), 0)  # flags=0: no ut_pex, no DHT/LSD/UPnP/NAT-PMP
    handle = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": folder})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    done = False
    while True:
        for a in ses.pop_alerts():
            print(a.message(), flush=True)
        if not done and handle.status().is_seeding:
            t = time.time()
            ru = resource.getrusage(resource.RUSAGE_SELF)
            tmp = marker + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"t": t, "cpu": ru.ru_utime + ru.ru_stime, "hwm_kib": status_kib(os.getpid(), "VmHWM")}, f)
            os.rename(tmp, marker)
            done = True
        ses.wait_for_alert(20 if not done else 500)


def status_kib(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def make_folder(root, size_mib, files, subfolders=100):
    """SIZE_MIB MiB of random bytes in FILES files (sizes spread evenly
    between half and one and a half of the mean) in `subfolders` folders
    below root; returns their sizes. Shared with bench/hash_folder."""
    import random
    rng = random.Random(14)
    mean = size_mib * MIB // files
    sizes = [rng.randrange(mean // 2, mean + mean // 2 + 1) for _ in range(files)]
    total = sum(sizes)
    sizes = [n * (size_mib * MIB) // total for n in sizes]  # scaled: none empty
    sizes[-1] += size_mib * MIB - sum(sizes)  # exactly SIZE_MIB in all
    blob = os.urandom(4 * MIB)
    for i, n in enumerate(sizes):
        d = os.path.join(root, "d%02d" % (i % subfolders))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
            at = rng.randrange(len(blob) - 1)
            while n > 0:  # distinct bytes per file, cheaply
                chunk = blob[at:at + n] or blob[:n]
                f.write(chunk)
                n -= len(chunk)
                at = 0
    return sizes


def tree_sha1(root):
    """{path below root: SHA-1} of every file (a folder download's check)."""
    out = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = sha1_file(p)
    return out


def evict_tree(path):
    """Writes a finished download to disk and drops its pages from the page
    cache (fsync, then POSIX_FADV_DONTNEED on every file), so that it weighs
    on no later run."""
    for d, _, files in os.walk(path):
        for name in files:
            try:
                fd = os.open(os.path.join(d, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            except OSError:
                pass
            finally:
                os.close(fd)


class Bench:
    def __init__(self, size_mib, runs, files=0):
        """files > 0: the payload is a folder of that many files."""
        self.size_mib = size_mib
        self.runs = runs
        self.files = files
        self.suite = Suite()  # work folder + tracker processes (stopped by PID)
        self.work = self.suite.work
        self.procs = []  # (Popen) of seeders and leechers we started
        self.kept = []  # folder downloads kept until close() (keep_trees)
        self.data_dir = os.path.join(self.work, "seed")
        os.makedirs(self.data_dir)
        self.name = "payload" if files else "payload.bin"
        self.data = os.path.join(self.data_dir, self.name)
        if files:
            make_folder(self.data, size_mib, files, subfolders=10)
            self.sha1 = tree_sha1(self.data)  # also warms the page cache
            return
        with open(self.data, "wb") as f:
            left = size_mib * MIB
            while left:
                n = min(left, 16 * MIB)
                f.write(os.urandom(n))
                left -= n
        self.sha1 = sha1_file(self.data)  # also warms the page cache

    # ------------------------------------------------------------ processes

    def spawn(self, name, args):
        log = open(os.path.join(self.work, name + ".log"), "ab")
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        p.logpath = log.name
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10, sig=signal.SIGTERM):
        mtlib.stop_process(p, sig, timeout)
        if p in self.procs:
            self.procs.remove(p)

    def close(self):
        for p in list(self.procs):
            self.stop(p)
        for t in self.suite.procs:
            t.stop()
        self.suite.procs = []
        shutil.rmtree(self.work, ignore_errors=True)

    def tail(self, p, n=600):
        try:
            with open(p.logpath, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    # ------------------------------------------------------------ swarm

    def new_swarm(self, tag):
        """A fresh tracker pair and a private torrent listing both."""
        for t in self.suite.procs:
            t.stop()
        self.suite.procs = []
        self.trackers = tracker_pair(self.suite, extra=TRACKER_OPTS)
        urls = [t.url("/announce") for t in self.trackers]
        info = tct.create_info(self.suite, self.data, urls)  # bin/client create, then private=1
        self.mtorrent = os.path.join(self.work, tag + ".mtorrent")
        self.info_hash = tct.write_torrent(self.mtorrent, info, [u.encode() for u in urls])
        self.torrent = os.path.join(self.work, tag + ".torrent")  # same bytes, for aria2c / libtorrent
        shutil.copyfile(self.mtorrent, self.torrent)

    def wait_seeders(self, n, seeders):
        tct.wait_listed(self.trackers, self.info_hash, n, 120,
                        lambda: " | ".join(self.tail(p, 300) for p in seeders))

    def start_seeders(self, kind, n=3, extra=()):
        """extra: more arguments for our seeders (e.g. --max-peers-per-ip when
        more peers than its default share 127.0.0.1)."""
        seeders = []
        for i in range(n):
            port = free_port()
            if kind == "libtorrent":
                marker = os.path.join(self.work, "lt-seed%d.done" % i)
                p = self.spawn("lt-seed%d" % i, [sys.executable, os.path.abspath(__file__), "--lt-child",
                                                 self.torrent, self.data_dir, str(port), marker])
            else:
                p = self.spawn("our-seed%d" % i, [os.path.join(mtlib.BIN, "client"), "seed", self.mtorrent,
                                                  self.data, "--port", str(port), "--bind", "127.0.0.1",
                                                  "--log", os.path.join(self.work, "our-seed%d.clientlog" % i)]
                               + list(extra))
            seeders.append(p)
        self.wait_seeders(n, seeders)
        return seeders

    # ------------------------------------------------------------ downloaders

    def dl_args(self, who, dest, port, marker):
        timeout = max(120, self.size_mib // 4)
        if who.startswith("mtorrent"):
            binary = VARIANTS.get(who, os.path.join(mtlib.BIN, "client"))
            return [binary, "get", self.mtorrent, dest,
                    "--port", str(port), "--bind", "127.0.0.1", "--timeout", str(timeout)]
        if who == "aria2c":
            return ["aria2c", "--no-conf=true", "--enable-dht=false", "--enable-dht6=false",
                    "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
                    "--interface=127.0.0.1", "--listen-port=%d" % port, "--dir=%s" % dest,
                    "--summary-interval=0", "--console-log-level=warn", "--async-dns=false",
                    "--follow-torrent=false", "--bt-save-metadata=false", "--auto-save-interval=0",
                    "--seed-time=0", self.torrent]
        if who == "libtorrent":
            return [sys.executable, os.path.abspath(__file__), "--lt-child", self.torrent, dest, str(port), marker]
        if who == "transmission":
            return self.tr_args(dest, port, marker, os.path.basename(marker)[:-len(".done")])
        raise ValueError(who)

    def tr_args(self, dest, port, marker, label, message_level=1):
        """transmission-cli with a fresh config folder WORK/LABEL-trcfg; its
        torrent-done script writes the clock to `marker` (atomically)."""
        cfg = os.path.join(self.work, label + "-trcfg")
        shutil.rmtree(cfg, ignore_errors=True)
        os.makedirs(cfg)
        settings = tct.transmission_settings(port, dest, message_level)
        settings.update({"alt-speed-enabled": False, "watch-dir-enabled": False, "encryption": 0})
        with open(os.path.join(cfg, "settings.json"), "w") as f:
            json.dump(settings, f)
        script = os.path.join(cfg, "done.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\ndate +%%s.%%N > '%s.tmp' && mv '%s.tmp' '%s'\n" % (marker, marker, marker))
        os.chmod(script, 0o755)
        return ["transmission-cli", "-g", cfg, "-w", dest, "-p", str(port), "-M", "-D", "-U", "-et", "-f", script,
                self.torrent]

    def download(self, who, label):
        dest = os.path.join(self.work, "dl-" + label)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        # Every earlier run's data reaches the disk before this one starts:
        # with the trees kept (keep_trees), a run would otherwise pay for the
        # writeback of the run before it (a buffered writer's gigabyte).
        os.sync()
        try:
            res = self.measure(who, label, dest)
            got = os.path.join(dest, self.name)
            if self.files:
                have = tree_sha1(got) if os.path.isdir(got) else {}
                if have != self.sha1:
                    bad = sorted(k for k in set(have) | set(self.sha1) if have.get(k) != self.sha1.get(k))
                    sizes = [os.path.getsize(os.path.join(got, k)) if os.path.exists(os.path.join(got, k))
                             else None for k in bad[:3]]
                    raise RuntimeError("%s: %d file(s) of the folder differ or are missing or extra: %s "
                                       "(sizes %s)" % (label, len(bad), bad[:3], sizes))
            elif not os.path.exists(got) or sha1_file(got) != self.sha1:
                raise RuntimeError("%s: SHA-1 mismatch or file missing" % label)
            return res
        finally:
            if self.keep_trees():
                self.kept.append(dest)
                evict_tree(dest)
            else:
                shutil.rmtree(dest, ignore_errors=True)

    def keep_trees(self):
        # (A kept tree is written to disk and dropped from the page cache,
        # evict_tree: later runs neither pay its writeback nor reclaim its
        # pages, as with the tree deleted; the seeders' data stays cached.)
        """A folder download is kept until the end of the benchmark (disk
        permitting): this machine's ext4 has no journal, and there every new
        inode is checked against each inode of its group deleted in the last
        60-360 s (fs/ext4/ialloc.c recently_deleted). Deleting 1,000 files
        after each run made every later run's file creation scan the earlier
        runs' thousands of dead inodes (20% of a downloader's CPU in the
        profile), a cost no user's fresh download pays."""
        if not self.files:
            return False
        return shutil.disk_usage(self.work).free > 40 * self.size_mib * MIB

    def measure(self, who, label, dest):
        """Runs one downloader into `dest` until it is complete; returns
        {"time", "cpu", "rss", "anon"} (seconds, KiB). Raises Timeout past
        its time limit, RuntimeError if it exits early or fails."""
        marker = os.path.join(self.work, label + ".done")
        port = free_port()
        args = self.dl_args(who, dest, port, marker)
        limit = TR_TIMEOUT if who == "transmission" else max(120, self.size_mib // 4) + 30
        t0 = time.time()
        deadline = t0 + limit
        p = self.spawn(label, args)
        peak_anon = 0
        peak_hwm = 0
        try:
            while True:
                a = status_kib(p.pid, "RssAnon")
                h = status_kib(p.pid, "VmHWM")
                peak_anon = max(peak_anon, a or 0)
                peak_hwm = max(peak_hwm, h or 0)
                if who == "libtorrent":
                    if os.path.exists(marker):
                        with open(marker) as f:
                            m = json.load(f)
                        a = status_kib(p.pid, "RssAnon")
                        peak_anon = max(peak_anon, a or 0)
                        res = {"time": m["t"] - t0, "cpu": m["cpu"], "rss": max(m["hwm_kib"] or 0, peak_hwm)}
                        break
                    if p.poll() is not None:
                        raise RuntimeError("libtorrent leecher exited %s: %s" % (p.returncode, self.tail(p)))
                elif who == "transmission":
                    if os.path.exists(marker):
                        cpu = cpu_s(p.pid)
                        with open(marker) as f:
                            t1 = float(f.read())
                        res = {"time": t1 - t0, "cpu": cpu, "rss": max(peak_hwm, status_kib(p.pid, "VmHWM") or 0)}
                        break
                    if p.poll() is not None:
                        raise RuntimeError("transmission-cli exited %s: %s" % (p.returncode, self.tail(p)))
                else:
                    pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                    if pid == p.pid:
                        t1 = time.time()
                        p.returncode = os.waitstatus_to_exitcode(status)
                        if p.returncode != 0:
                            raise RuntimeError("%s exited %s: %s" % (label, p.returncode, self.tail(p)))
                        res = {"time": t1 - t0, "cpu": ru.ru_utime + ru.ru_stime, "rss": peak_hwm}
                        break
                if time.time() > deadline:
                    raise Timeout("timeout: not complete after %.0f s%s" % (
                        limit, "" if who == "transmission" else ": " + self.tail(p, 300)))
                time.sleep(SAMPLE)
        finally:
            # transmission-cli exits cleanly (with a "stopped" announce) on SIGINT only.
            self.stop(p, sig=signal.SIGINT if who == "transmission" else signal.SIGTERM)
            shutil.rmtree(os.path.join(self.work, label + "-trcfg"), ignore_errors=True)
        res["anon"] = peak_anon
        return res


def cpu_s(pid):
    """User+sys CPU seconds of a live process so far (/proc/PID/stat); 0 if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


# In a BENCHMARKS.md section, everything from this line to the section's end
# is written by hand (history, profiles) and survives the benchmark's rewrite.
NOTES_MARK = "<!-- notes: written by hand, kept when the benchmark rewrites this section -->"


def replace_section(bench_md, title, body):
    """Puts `title` + body in BENCHMARKS.md in place of the section of that
    title (up to the next "## "), or at the end; the section's hand-written
    notes (from NOTES_MARK on) are kept."""
    text = open(bench_md).read() if os.path.exists(bench_md) else "# Benchmarks\n"
    section = title + "\n\n" + body
    i = text.find(title + "\n")
    if i < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        j = text.find("\n## ", i + len(title))
        old = text[i:j if j >= 0 else len(text)]
        k = old.find(NOTES_MARK)
        if k >= 0:
            section = section.rstrip("\n") + "\n\n" + old[k:].rstrip("\n") + "\n"
        text = text[:i] + section + (text[j:] if j >= 0 else "")
    with open(bench_md, "w") as f:
        f.write(text)
    print("section %r replaced in %s" % (title, bench_md))


def plot(rows, png, size_mib):
    """Draws the download race with gnuplot; returns the PNG's path or None.
    The time axis turns logarithmic when the slowest median is over 10x the
    fastest (transmission-cli's bar would flatten the others)."""
    if not rows or not shutil.which("gnuplot"):
        print("gnuplot missing (apt-get install -y gnuplot-nox): no figure")
        return None
    dat = os.path.join(REPO, "bench", "out", "download-race.dat")
    os.makedirs(os.path.dirname(dat), exist_ok=True)
    with open(dat, "w") as f:
        for label, m, lo, hi in rows:
            f.write('"%s" %.3f %.3f %.3f\n' % (label, m, lo, hi))
    meds = [m for _, m, _, _ in rows]
    logscale = 1 if max(meds) > 10 * min(meds) else 0
    ymin = 10 ** math.floor(math.log10(max(1e-3, min(lo for _, _, lo, _ in rows))))
    size = "%d GiB" % (size_mib // 1024) if size_mib % 1024 == 0 else "%d MiB" % size_mib
    os.makedirs(os.path.dirname(png), exist_ok=True)
    r = subprocess.run(["gnuplot", "-e", "datafile='%s'; outfile='%s'; size='%s'; logscale=%d; ymin=%g" % (
        dat, png, size, logscale, ymin), os.path.join(REPO, "bench", "plot_download.gp")], capture_output=True, text=True)
    if r.returncode != 0:
        print("gnuplot failed: %s" % r.stderr.strip())
        return None
    print("figure written to %s" % png)
    return png


def fmt_table(results, whos, size_mib, tried, fails):
    """The markdown table of one scenario. results[w]: the good runs; tried[w]:
    runs attempted; fails[w]: "timeout"/"failed" per bad run. A downloader
    with no good run gets a row saying so."""
    rivals = [w for w in whos if not w.startswith("mtorrent") and results.get(w)]
    med = {w: {k: statistics.median(r[k] for r in results[w]) for k in ("time", "cpu")} for w in whos if results.get(w)}
    peak = {w: {k: max(r[k] for r in results[w]) for k in ("rss", "anon")} for w in whos if results.get(w)}
    fastest = min(rivals, key=lambda w: med[w]["time"]) if rivals else None
    lines = ["| downloader | runs | median time | MiB/s | CPU s (median) | peak RSS | peak RssAnon | time vs fastest rival | CPU vs fastest rival | all times |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for w in whos:
        if not tried.get(w):
            continue
        n = "%d" % len(results[w])
        if fails[w]:
            n += " of %d (%s)" % (tried[w], ", ".join("%d %s" % (fails[w].count(k), k)
                                                       for k in sorted(set(fails[w]))))
        if w not in med:
            lines.append("| %s | %s | - | - | - | - | - | - | - | - |" % (w, n))
            continue
        m, pk = med[w], peak[w]
        rt = rc = ""
        if fastest:
            rt = "%.2f" % (m["time"] / med[fastest]["time"])
            rc = "%.2f" % (m["cpu"] / med[fastest]["cpu"]) if med[fastest]["cpu"] > 0 else ""
        lines.append("| %s | %s | %.2f s | %.0f | %.2f | %.1f MiB | %.1f MiB | %s | %s | %s |" % (
            w, n, m["time"], size_mib / m["time"], m["cpu"], pk["rss"] / 1024, pk["anon"] / 1024, rt, rc,
            " ".join("%.2f" % r["time"] for r in results[w])))
    return lines, fastest, med, peak


TR_NOTE = ("transmission-cli 3.00 drops every tracker peer in 127.0.0.0/8 as a \"martian\" address "
           "and keeps one connection per IP address: it never connects out here, and of the 3 seeders that "
           "connect to it (each learns of it from the tracker within about 2 s) it keeps the first and closes "
           "the other two, so it downloads from one seeder only. It says Interested only on its 10 s rechoke "
           "timer, and it refills its requests to a peer about once a second, growing them with the measured "
           "rate (4, 20, 120, ... blocks) up to the peer's advertised queue (reqq: 2000 blocks for libtorrent "
           "and ours), so one peer gives it at most about reqq x 16 KiB per second. A fair race would need a "
           "distinct non-loopback address per seeder (addresses on lo or network namespaces), which this "
           "benchmark does not set up.")


def helper_args(name, argv, n_numbers):
    """The arguments every bench helper takes, as bench/lib.sh passes them:
    N_NUMBERS integers, OUT_MD, then [--append-benchmarks FILE] [--command
    TEXT]. Returns (numbers, out_md, bench_md or None, command)."""
    numbers = [int(a) for a in argv[:n_numbers]]
    out_md = argv[n_numbers]
    bench_md, command = None, "bench/%s.sh %s" % (name, " ".join(str(n) for n in numbers))
    rest = argv[n_numbers + 1:]
    while rest:
        if rest[0] == "--append-benchmarks" and len(rest) > 1:
            bench_md, rest = rest[1], rest[2:]
        elif rest[0] == "--command" and len(rest) > 1:
            command, rest = rest[1], rest[2:]
        else:
            sys.exit("%s_helper: unknown option %s" % (name, rest[0]))
    return numbers, out_md, bench_md, command


def main(name="get"):
    """name "get": one file; "get_folder": SIZE_MIB FILES RUNS, a folder."""
    if name == "get_folder":
        (size_mib, files, runs), out_md, bench_md, command = helper_args(name, sys.argv[1:], 3)
    else:
        (size_mib, runs), out_md, bench_md, command = helper_args(name, sys.argv[1:], 2)
        files = 0
    whos = ["mtorrent"]
    if shutil.which("aria2c"):
        whos.append("aria2c")
    else:
        print("aria2c not installed: skipped (apt-get install -y aria2)")
    if lt is not None:
        whos.append("libtorrent")
    else:
        print("python3-libtorrent not importable by %s: libtorrent leecher and scenario A skipped" % sys.executable)
    if shutil.which("transmission-cli"):
        whos.append("transmission")
    else:
        print("transmission-cli not installed: skipped (apt-get install -y transmission-cli)")
    tr_runs = int(os.environ.get("BENCH_TR_RUNS") or min(runs, 3))
    scenarios = [("A", "libtorrent"), ("B", "mtorrent")] if lt is not None else [("B", "mtorrent")]
    whos[1:1] = list(VARIANTS)
    if os.environ.get("BENCH_WHO"):
        keep = os.environ["BENCH_WHO"].split(",")
        whos = [w for w in whos if w in keep]
    if os.environ.get("BENCH_SCENARIOS"):
        keep = os.environ["BENCH_SCENARIOS"].split(",")
        scenarios = [s for s in scenarios if s[0] in keep]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup in finally
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    load_before = open("/proc/loadavg").read().split()[:3]
    b = Bench(size_mib, runs, files)
    print("bench/get: %d MiB random file, %d run(s) per downloader (transmission: %d, limit %.0f s), "
          "interleaved; %d cores; load %s" % (size_mib, runs, tr_runs, TR_TIMEOUT, os.cpu_count(),
                                               " ".join(load_before)), flush=True)
    sections = []
    failures = []
    plot_rows = []  # (label, median, min, max) for the figure
    try:
        for tag, seeder_kind in scenarios:
            b.new_swarm(tag)
            t = time.time()
            seeders = b.start_seeders(seeder_kind)
            print("scenario %s: 3 %s seeders up (%.1f s)" % (tag, seeder_kind, time.time() - t), flush=True)
            results = {w: [] for w in whos}
            tried = {w: 0 for w in whos}
            fails = {w: [] for w in whos}
            for run in range(max(runs, tr_runs if "transmission" in whos else 0)):
                for w in whos:
                    if run >= (tr_runs if w == "transmission" else runs):
                        continue
                    label = "%s-%s-%d" % (tag, w, run)
                    tried[w] += 1
                    try:
                        r = b.download(w, label)
                    except Exception as e:
                        fails[w].append("timeout" if isinstance(e, Timeout) else "failed")
                        failures.append("%s: %s" % (label, e))
                        print("  %s: FAILED %s" % (label, e), flush=True)
                        continue
                    results[w].append(r)
                    print("  %-22s %7.2f s  %6.0f MiB/s  cpu %6.2f s  rss %7.1f MiB  anon %7.1f MiB" % (
                        label, r["time"], size_mib / r["time"], r["cpu"], r["rss"] / 1024, r["anon"] / 1024),
                        flush=True)
            for p in seeders:
                b.stop(p)
            lines, fastest, med, peak = fmt_table(results, whos, size_mib, tried, fails)
            for w in whos:
                if results.get(w):
                    ts = [r["time"] for r in results[w]]
                    plot_rows.append(("%s: %s" % (tag, "ours" if w == "mtorrent" else w), med[w]["time"],
                                      min(ts), max(ts)))
            head = "#### Scenario %s: %d MiB%s from 3 %s seeders (`%s`)" % (
                tag, size_mib, " in %d files" % files if files else "", seeder_kind, "bin/client seed" if seeder_kind == "mtorrent" else "libtorrent 2.0.8 python")
            notes = []
            if fastest and "mtorrent" in med:
                m, f = med["mtorrent"], med[fastest]
                notes.append("Targets (fastest rival: %s): time <= 0.8x: %.2fx (%s); peak RSS <= 64 MiB: %.1f MiB (%s); "
                             "CPU <= fastest's: %.2fx (%s)." % (
                                 fastest, m["time"] / f["time"], "met" if m["time"] <= 0.8 * f["time"] else "not met",
                                 peak["mtorrent"]["rss"] / 1024, "met" if peak["mtorrent"]["rss"] <= 64 * 1024 else "not met",
                                 m["cpu"] / f["cpu"], "met" if m["cpu"] <= f["cpu"] else "not met"))
            sections.append("\n".join([head, ""] + lines + [""] + notes))
            print("\n" + sections[-1] + "\n", flush=True)
    finally:
        b.close()
    load_after = open("/proc/loadavg").read().split()[:3]
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    order = ", ".join("ours" if w == "mtorrent" else w for w in whos)
    what = ("a folder of %d random files (about %d KiB each, in 10 subfolders)" % (files, size_mib * 1024 // files)
            if files else "random file")
    header = ("Command: `%s` (commit %s, %s). %d MiB %s, private torrent listing our "
              "tracker pair (--interval 2 --min-interval 1; the libtorrent clients follow it too: "
              "min_announce_interval 1, their default floor is 300 s), every client on 127.0.0.1 with "
              "DHT/LSD/PEX/UPnP/NAT-PMP/uTP off; median of %d run(s) per downloader, downloaders interleaved "
              "(%s, ...); fresh empty destination each time; warm page cache "
              "(the source was just written; the page cache cannot be dropped here). %d cores; load average "
              "before/after: %s / %s.\n\n"
              "Time: spawn to complete and verified (process exit for ours and aria2c --seed-time=0; "
              "libtorrent: its is_seeding, polled every 20 ms, includes starting Python). CPU: user+sys of "
              "the downloader process. Peak RSS: VmHWM and peak RssAnon, /proc/PID/status sampled every 20 ms "
              "(libtorrent 2.x maps the file, so its RSS counts file pages; compare RssAnon). "
              "Every download's SHA-1 checked." % (
                  command, commit, time.strftime("%Y-%m-%d"), size_mib, what, runs, order, os.cpu_count(),
                  " ".join(load_before), " ".join(load_after)))
    if "transmission" in whos:
        header += ("\n\ntransmission-cli 3.00: %d run(s) per scenario (BENCH_TR_RUNS), in the first rounds, "
                   "each limited to %.0f s (BENCH_TR_TIMEOUT; then recorded as a timeout); fresh config "
                   "folder (-g) each run with DHT/LPD/PEX/uTP/port forwarding off, bound to 127.0.0.1, "
                   "encryption tolerated (plaintext, as the others); time: spawn to the clock written by its "
                   "torrent-done script (-f); CPU from /proc/PID/stat then; stopped by PID (SIGINT). %s" % (
                       tr_runs, TR_TIMEOUT, TR_NOTE))
    if failures:
        header += "\n\nFailed downloads: " + "; ".join(f.replace("\n", " ")[:300] for f in failures)
    body = header + "\n\n" + "\n\n".join(sections) + "\n"
    os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
    with open(out_md, "w") as f:
        f.write(body)
    print(header)
    print("written to %s" % out_md)
    # --quick (no BENCHMARKS.md) draws the figure into bench/out/ instead of docs/.
    if files:
        if bench_md:
            replace_section(bench_md, "## Download of a folder (bench/get_folder)", body)
        return 1 if failures else 0
    png = os.path.join(os.path.dirname(bench_md), "docs", "download-race.png") if bench_md else \
        os.path.join(REPO, "bench", "out", "download-race.png")
    figure = plot(plot_rows, png, size_mib)
    if bench_md:
        if figure:
            body += "\n![Download race](docs/download-race.png)\n\nThe figure: `bench/plot_download.gp` " \
                    "(gnuplot), median time per downloader and scenario (A: libtorrent seeders, B: ours), " \
                    "bars from the fastest to the slowest run; the time axis is logarithmic when the " \
                    "slowest median is over 10x the fastest.\n"
        replace_section(bench_md, "## Download (bench/get)", body)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--lt-child":
        lt_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    sys.exit(main())
