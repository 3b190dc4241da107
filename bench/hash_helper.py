"""bench/hash helper: how fast `bin/client create` hashes a file into a
.mtorrent, next to mktorrent, transmission-create and libtorrent, with a warm
and with a cold page cache, and the machine's SHA-1 limits, in one run.

usage: hash_helper.py SIZE_MIB RUNS OUT_MD [--append-benchmarks FILE] [--command TEXT]

One random file of SIZE_MIB MiB, 512 KiB pieces. Warm: the file was just
read. Cold: before every run the file's pages are dropped from the page cache
(posix_fadvise DONTNEED), so each tool reads it from the disk. The tools run
in turn, round after round (a change in the machine's load hits all alike);
each one's median of RUNS. Time: spawn to exit. CPU: user+sys and peak RSS
from /usr/bin/time. The limits: `openssl speed -multi NPROC -bytes 524288 sha1`
(OpenSSL one message at a time on every core, in cache: the issue's "2-core
SHA-1 limit") and bench/sha1_speed (the same, and our two-lane SHA-1, both
hashing 4 MiB buffers in memory on every core).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import get_helper as gh  # noqa: E402

MIB = 1 << 20
URL = "http://127.0.0.1:1/announce"


def git_commit():
    return subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "?"


def lt_create(path, out):
    """The libtorrent child: a 512 KiB-piece torrent of `path` into `out`."""
    import libtorrent as lt
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, 524288)
    ct.add_tracker(URL)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))


def tools(data, out):
    client = os.path.join(os.environ.get("BIN", os.path.join(REPO, "bin")), "client")
    t = [("mtorrent (`bin/client create`)", [client, "create", data, out, "--tracker", URL, "--force"])]
    if shutil.which("mktorrent"):
        t.append(("`mktorrent -l 19 -t 2`", ["mktorrent", "-l", "19", "-t", "2", "-a", URL, "-o", out, data]))
    if shutil.which("transmission-create"):
        t.append(("`transmission-create -s 512`", ["transmission-create", "-s", "512", "-t", URL, "-o", out, data]))
    if gh.lt is not None:
        t.append(("libtorrent %s (python)" % gh.lt.__version__,
                  [sys.executable, os.path.abspath(__file__), "--lt-create", data, out]))
    return t


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def run_one(args, out):
    """Wall seconds, user+sys CPU seconds and peak RSS (MiB) of one run. The
    RSS comes from /usr/bin/time, which is small: a fork of this Python would
    carry its own peak into the child's ru_maxrss."""
    if os.path.exists(out):
        os.unlink(out)
    stats = out + ".time"
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", stats] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    if p.returncode != 0 or not os.path.exists(out):
        raise RuntimeError("%s failed (%s): %s" % (args[0], p.returncode, p.stderr.decode(errors="replace")[-300:]))
    user, sys_s, rss_kib = open(stats).read().split()[-3:]
    return wall, float(user) + float(sys_s), int(rss_kib) / 1024.0


def openssl_limit():
    """MiB/s of `openssl speed -multi NPROC -bytes 524288 -seconds 3 sha1`."""
    out = subprocess.run(["openssl", "speed", "-multi", str(os.cpu_count()), "-bytes", "524288",
                          "-seconds", "3", "sha1"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("sha1 "):
            return float(line.split()[-1].rstrip("k")) * 1000 / MIB
    raise RuntimeError("openssl speed: no sha1 line: " + out[-300:])


def sha1_speed():
    tool = os.path.join(os.environ.get("BENCH_BIN", os.path.join(REPO, "build/release/bench")), "sha1_speed")
    if not os.access(tool, os.X_OK):
        subprocess.run(["make", "-s", "-C", REPO, "bench-tools"], check=True)
    return json.loads(subprocess.run([tool], capture_output=True, text=True, check=True).stdout)


def main():
    if sys.argv[1] == "--lt-create":
        return lt_create(sys.argv[2], sys.argv[3])
    (size_mib, runs), out_md, bench_md, command = gh.helper_args("hash", sys.argv[1:], 2)
    work = tempfile.mkdtemp(prefix="mt-bench-hash.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        data = os.path.join(work, "payload.bin")
        with open(data, "wb") as f:
            for _ in range(size_mib // 16):
                f.write(os.urandom(16 * MIB))
            f.write(os.urandom(size_mib % 16 * MIB))
        out = os.path.join(work, "out.torrent")
        load0 = open("/proc/loadavg").read().split()[:3]
        res = {}
        names = [n for n, _ in tools(data, out)]
        for cache in ("warm", "cold"):
            if cache == "warm":
                with open(data, "rb") as f:
                    while f.read(16 * MIB):
                        pass
            for r in range(runs):
                for name, args in tools(data, out):
                    if cache == "cold":
                        drop_cache(data)
                    wall, cpu, rss = run_one(args, out)
                    res.setdefault((cache, name), []).append((wall, cpu, rss))
                    print("  %-5s %-40s %6.3f s  cpu %5.2f s  rss %6.1f MiB" % (cache, name, wall, cpu, rss),
                          flush=True)
        limit = openssl_limit()
        ours = sha1_speed()
        load1 = open("/proc/loadavg").read().split()[:3]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ncpu = os.cpu_count()
    t_limit = size_mib / limit

    def med(cache, name, k):
        return statistics.median(x[k] for x in res[(cache, name)])

    lines = []
    lines.append("Command: `%s` (commit %s, %s). A %d MiB random file, 512 KiB pieces; the tools run in turn, "
                 "round after round, median of %d run(s) each. Time: spawn to exit (libtorrent's includes "
                 "starting Python and importing libtorrent). CPU: user+sys. Warm: the file was just read. "
                 "Cold: its pages dropped from the page cache (posix_fadvise DONTNEED) before every run, so "
                 "each tool reads it from this VM's disk. %d cores with SHA-NI; load average before/after: "
                 "%s / %s." % (command, git_commit(), time.strftime("%Y-%m-%d"), size_mib, runs, ncpu,
                               " ".join(load0), " ".join(load1)))
    mk = next((n for n in names if n.startswith("`mktorrent")), None)
    verdict = {}
    for cache in ("warm", "cold"):
        lines.append("")
        lines.append("#### %s page cache" % cache.capitalize())
        lines.append("")
        lines.append("| tool | median time | MiB/s | CPU s | peak RSS | time vs mktorrent | share of the "
                     "%d-core OpenSSL limit | all times |" % ncpu)
        lines.append("|---|---|---|---|---|---|---|---|")
        for name in names:
            t = med(cache, name, 0)
            vs = "%.2f" % (t / med(cache, mk, 0)) if mk else ""
            lines.append("| %s | %.3f s | %.0f | %.2f | %.1f MiB | %s | %.0f%% | %s |" % (
                name, t, size_mib / t, med(cache, name, 1), max(x[2] for x in res[(cache, name)]), vs,
                100 * t_limit / t, " ".join("%.3f" % x[0] for x in res[(cache, name)])))
        if mk:
            verdict[cache] = med(cache, names[0], 0) < med(cache, mk, 0)
    lines.append("")
    lines.append("#### SHA-1 limits (in memory, every core)")
    lines.append("")
    lines.append("| what | MiB/s | time for %d MiB |" % size_mib)
    lines.append("|---|---|---|")
    lines.append("| `openssl speed -multi %d -bytes 524288 -seconds 3 sha1` (the limit) | %.0f | %.3f s |" % (
        ncpu, limit, t_limit))
    lines.append("| bench/sha1_speed: OpenSSL, one piece at a time, %d threads | %.0f | %.3f s |" % (
        ours["threads"], ours["openssl_mib_s"], size_mib / ours["openssl_mib_s"]))
    lines.append("| bench/sha1_speed: ours, two pieces at a time (SHA-NI lanes: %s), %d threads | %.0f | %.3f s |" % (
        "yes" if ours["sha_ni_lanes"] else "no", ours["threads"], ours["pairs_mib_s"],
        size_mib / ours["pairs_mib_s"]))
    lines.append("")
    warm_share = 100 * t_limit / med("warm", names[0], 0)
    lines.append("Targets: faster than mktorrent: warm %s (%.2fx), cold %s (%.2fx); at least 85%% of the limit "
                 "when warm: %.0f%% (%s)." % (
                     "met" if verdict.get("warm") else "NOT met",
                     med("warm", names[0], 0) / med("warm", mk, 0) if mk else 0,
                     "met" if verdict.get("cold") else "NOT met",
                     med("cold", names[0], 0) / med("cold", mk, 0) if mk else 0,
                     warm_share, "met" if warm_share >= 85 else "NOT met"))
    body = "\n".join(lines) + "\n"
    print(body)
    os.makedirs(os.path.dirname(out_md), exist_ok=True)
    with open(out_md, "w") as f:
        f.write(body)
    if bench_md:
        gh.replace_section(bench_md, "## Creating a .mtorrent (bench/hash)", body)


if __name__ == "__main__":
    main()
