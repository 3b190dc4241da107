"""bench/hash_folder helper: `bin/client create` of a folder of many small
files next to mktorrent -t 2, transmission-create and libtorrent, warm page
cache, in one run (the folder case of issue 14: 1 GiB in 10,000 files of
about 100 KiB).

usage: hash_folder_helper.py SIZE_MIB FILES RUNS OUT_MD [--append-benchmarks FILE] [--command TEXT]

The files are random, of sizes spread evenly around SIZE_MIB/FILES (each
between half and one and a half of it), in 100 subfolders; 512 KiB pieces.
Every file was just read (warm). The tools run in turn, round after round;
each one's median of RUNS. Time: spawn to exit; CPU: user+sys and peak RSS
from /usr/bin/time (hash_helper.run_one).
"""
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import get_helper as gh  # noqa: E402
import hash_helper as hh  # noqa: E402

MIB = 1 << 20


def make_folder(root, size_mib, files):
    return gh.make_folder(root, size_mib, files)


def warm(root):
    for d, _, fs in os.walk(root):
        for f in fs:
            with open(os.path.join(d, f), "rb") as h:
                while h.read(4 * MIB):
                    pass


def main():
    (size_mib, files, runs), out_md, bench_md, command = gh.helper_args("hash_folder", sys.argv[1:], 3)
    work = tempfile.mkdtemp(prefix="mt-bench-hashf.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        root = os.path.join(work, "folder")
        make_folder(root, size_mib, files)
        out = os.path.join(work, "out.torrent")
        load0 = open("/proc/loadavg").read().split()[:3]
        res = {}
        names = [n for n, _ in hh.tools(root, out)]
        warm(root)
        for _ in range(runs):
            for name, args in hh.tools(root, out):
                wall, cpu, rss = hh.run_one(args, out)
                res.setdefault(name, []).append((wall, cpu, rss))
                print("  %-40s %6.3f s  cpu %5.2f s  rss %6.1f MiB" % (name, wall, cpu, rss), flush=True)
        load1 = open("/proc/loadavg").read().split()[:3]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(name, k):
        return statistics.median(x[k] for x in res[name])

    mk = next((n for n in names if n.startswith("`mktorrent")), None)
    lines = ["Command: `%s` (commit %s, %s). %d MiB of random bytes in %d files (%.0f KiB each on "
             "average, in 100 subfolders), 512 KiB pieces, warm page cache; the tools run in turn, round "
             "after round, median of %d run(s) each. Time: spawn to exit (libtorrent's includes starting "
             "Python). CPU: user+sys. %d cores; load average before/after: %s / %s." % (
                 command, hh.git_commit(), time.strftime("%Y-%m-%d"), size_mib, files,
                 size_mib * 1024.0 / files, runs, os.cpu_count(), " ".join(load0), " ".join(load1)),
             "",
             "| tool | median time | MiB/s | CPU s | peak RSS | time vs mktorrent | all times |",
             "|---|---|---|---|---|---|---|"]
    for name in names:
        t = med(name, 0)
        vs = "%.2f" % (t / med(mk, 0)) if mk else ""
        lines.append("| %s | %.3f s | %.0f | %.2f | %.1f MiB | %s | %s |" % (
            name, t, size_mib / t, med(name, 1), max(x[2] for x in res[name]), vs,
            " ".join("%.3f" % x[0] for x in res[name])))
    if mk:
        ratio = med(names[0], 0) / med(mk, 0)
        lines += ["", "Target: faster than mktorrent: %s (%.2fx its time)." % (
            "met" if ratio < 1 else "NOT met", ratio)]
    body = "\n".join(lines) + "\n"
    print(body)
    os.makedirs(os.path.dirname(out_md), exist_ok=True)
    with open(out_md, "w") as f:
        f.write(body)
    if bench_md:
        gh.replace_section(bench_md, "## Creating a .mtorrent of a folder (bench/hash_folder)", body)


if __name__ == "__main__":
    main()
