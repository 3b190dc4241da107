"""bench/seed helper: one libtorrent leecher fetches a file from ONE seeder,
ours (bin/client seed) or libtorrent's, on loopback; reports the leecher's
time and the seeder's CPU seconds (user+sys from /proc/PID/stat, sampled just
before the leecher starts and when it is done). Run by bench/seed.sh with
Debian's /usr/bin/python3 (python3-libtorrent).

usage: seed_helper.py SIZE_MIB RUNS OUT_MD [--append-benchmarks FILE] [--command TEXT]

Each run uses a fresh tracker pair and a fresh empty destination; the two
seeder kinds alternate (ours, libtorrent, ours, ...). The seeder reads from a
warm page cache (the file was just written). The setup is bench/get's
(get_helper.Bench): private torrent, every client on 127.0.0.1, DHT/LSD/PEX/
UPnP/NAT-PMP/uTP off.
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import get_helper as gh  # noqa: E402

cpu_s = gh.cpu_s


def main():
    (size_mib, runs), out_md, bench_md, command = gh.helper_args("seed", sys.argv[1:], 2)
    if gh.lt is None:
        sys.exit("seed_helper: python3-libtorrent is needed (the leecher is libtorrent)")
    load_before = open("/proc/loadavg").read().split()[:3]
    b = gh.Bench(size_mib, runs)
    print("bench/seed: %d MiB, %d run(s) per seeder, alternating; load %s" % (
        size_mib, runs, " ".join(load_before)), flush=True)
    results = {"mtorrent": [], "libtorrent": []}
    try:
        for run in range(runs):
            for kind in ("mtorrent", "libtorrent"):
                b.new_swarm("S%d%s" % (run, kind[:2]))
                seeder = b.start_seeders(kind, n=1)[0]
                time.sleep(0.5)  # let the seeder settle after its start-up check
                c0 = cpu_s(seeder.pid)
                r = b.download("libtorrent", "S-%s-%d" % (kind, run))
                r["seeder_cpu"] = cpu_s(seeder.pid) - c0
                b.stop(seeder)
                results[kind].append(r)
                print("  %-12s run %d: leecher %6.2f s  %6.0f MiB/s  seeder CPU %5.2f s" % (
                    kind, run, r["time"], size_mib / r["time"], r["seeder_cpu"]), flush=True)
    finally:
        b.close()
    load_after = open("/proc/loadavg").read().split()[:3]
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("time", "seeder_cpu")} for k, v in results.items()}
    lines = ["| seeder | leecher time (median) | MiB/s | seeder CPU s (median) | all times | all seeder CPU |",
             "|---|---|---|---|---|---|"]
    for k in ("mtorrent", "libtorrent"):
        lines.append("| %s | %.2f s | %.0f | %.2f | %s | %s |" % (
            "ours (`bin/client seed`)" if k == "mtorrent" else "libtorrent 2.0.8", med[k]["time"],
            size_mib / med[k]["time"], med[k]["seeder_cpu"],
            " ".join("%.2f" % x["time"] for x in results[k]), " ".join("%.2f" % x["seeder_cpu"] for x in results[k])))
    m, l = med["mtorrent"], med["libtorrent"]
    verdict = "Target (ours no slower, with fewer CPU seconds): time %.2fx (%s), CPU %.2fx (%s)." % (
        m["time"] / l["time"], "met" if m["time"] <= l["time"] else "not met",
        m["seeder_cpu"] / l["seeder_cpu"] if l["seeder_cpu"] else 0,
        "met" if m["seeder_cpu"] < l["seeder_cpu"] else "not met")
    commit = subprocess.run(["git", "-C", gh.REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    header = ("Command: `%s` (commit %s, %s). A libtorrent 2.0.8 leecher (python3-libtorrent) fetches a %d MiB "
              "random file from one seeder, ours or libtorrent's; median of %d run(s) each, alternating, fresh "
              "tracker pair and destination each run; warm page cache. Leecher time: spawn to is_seeding. Seeder "
              "CPU: user+sys of the seeder process over the download. %d cores; load average before/after: "
              "%s / %s." % (command, commit, time.strftime("%Y-%m-%d"), size_mib, runs, os.cpu_count(),
                            " ".join(load_before), " ".join(load_after)))
    body = header + "\n\n" + "\n".join(lines) + "\n\n" + verdict + "\n"
    print("\n" + body)
    os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
    with open(out_md, "w") as f:
        f.write(body)
    if bench_md:
        gh.replace_section(bench_md, "## Seeding (bench/seed)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
