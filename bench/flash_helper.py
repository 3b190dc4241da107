"""bench/flash helper: a flash crowd. One seeder and N leechers (default 16)
of one file, all started at once, all ours (bin/client seed + N x bin/client
get --seed-after) or all libtorrent (python3-libtorrent, one process each), on
loopback. Reports the time until the last leecher has the whole file
verified, and the CPU seconds of every process of the swarm (seeder and
leechers, user+sys from /proc/PID/stat) at that moment. Finished leechers of
both kinds keep seeding, as in a real swarm. Run by bench/flash.sh with
Debian's /usr/bin/python3.

usage: flash_helper.py SIZE_MIB LEECHERS RUNS OUT_MD [--append-benchmarks FILE] [--command TEXT]

The setup is bench/get's (get_helper.Bench): a fresh tracker pair and a
private torrent per run, every client on 127.0.0.1, DHT/LSD/PEX/UPnP/NAT-PMP/
uTP off. The two kinds alternate, run after run. Every copy's SHA-1 is checked.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import get_helper as gh  # noqa: E402

cpu_s = gh.cpu_s


def crowd(b, kind, n, run, deadline_s):
    """One flash crowd; returns {"time", "cpu", "rss_mib"}."""
    b.new_swarm("F%d%s" % (run, kind[:2]))
    seeder = b.start_seeders(kind, n=1, extra=["--max-peers-per-ip", "64"])[0]  # the crowd shares 127.0.0.1
    leechers = []
    t0 = time.time()
    for i in range(n):
        label = "F-%s-%d-%d" % (kind, run, i)
        dest = os.path.join(b.work, "dl-" + label)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        marker = os.path.join(b.work, label + ".done")
        port = gh.free_port()
        if kind == "mtorrent":
            args = [os.path.join(gh.mtlib.BIN, "client"), "get", b.mtorrent, dest, "--port", str(port),
                    "--bind", "127.0.0.1", "--timeout", str(deadline_s), "--seed-after", "3600",
                    "--max-peers-per-ip", "64",  # the whole crowd is on 127.0.0.1
                    "--progress-ms", "60000"]
        else:
            args = [sys.executable, gh.__file__, "--lt-child", b.torrent, dest, str(port), marker]
        p = b.spawn(label, args)
        leechers.append((p, dest, marker))
    done = {}
    peak_rss = 0
    while len(done) < n:
        for i, (p, dest, marker) in enumerate(leechers):
            if i in done:
                continue
            finished = os.path.exists(marker) if kind == "libtorrent" else \
                "complete and verified" in open(p.logpath, errors="replace").read()
            if finished:
                done[i] = time.time() - t0
            elif p.poll() is not None:
                raise RuntimeError("%s leecher %d exited %s: %s" % (kind, i, p.returncode, b.tail(p)))
        for p, _, _ in leechers:
            peak_rss = max(peak_rss, gh.status_kib(p.pid, "RssAnon") or 0)
        if time.time() - t0 > deadline_s:
            raise RuntimeError("%s: %d of %d leechers done after %d s" % (kind, len(done), n, deadline_s))
        time.sleep(gh.SAMPLE)  # the sampling period of the poll loop
    took = max(done.values())
    cpu = sum(cpu_s(p.pid) for p, _, _ in leechers) + cpu_s(seeder.pid)
    for p, _, _ in leechers:
        b.stop(p)
    b.stop(seeder)
    for _, dest, _ in leechers:
        got = os.path.join(dest, b.name)
        if not os.path.exists(got) or gh.sha1_file(got) != b.sha1:
            raise RuntimeError("%s: a copy's SHA-1 differs" % kind)
        shutil.rmtree(dest, ignore_errors=True)
    return {"time": took, "first": min(done.values()), "cpu": cpu, "rss_mib": peak_rss / 1024}


def main():
    (size_mib, n, runs), out_md, bench_md, command = gh.helper_args("flash", sys.argv[1:], 3)
    kinds = ["mtorrent"] + (["libtorrent"] if gh.lt is not None else [])
    if gh.lt is None:
        print("python3-libtorrent missing: only our swarm runs")
    load_before = open("/proc/loadavg").read().split()[:3]
    b = gh.Bench(size_mib, 1)
    print("bench/flash: %d MiB, 1 seeder + %d leechers, %d run(s) per kind; load %s" % (
        size_mib, n, runs, " ".join(load_before)), flush=True)
    results = {k: [] for k in kinds}
    deadline = max(300, size_mib)
    try:
        for run in range(runs):
            for kind in kinds:
                r = crowd(b, kind, n, run, deadline)
                results[kind].append(r)
                print("  %-10s run %d: last leecher done %6.2f s (first %5.2f s), swarm CPU %6.2f s, "
                      "largest leecher RssAnon %6.1f MiB" % (kind, run, r["time"], r["first"], r["cpu"],
                                                             r["rss_mib"]), flush=True)
    finally:
        b.close()
    load_after = open("/proc/loadavg").read().split()[:3]
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("time", "cpu", "first")} for k, v in results.items()}
    lines = ["| swarm | last leecher done (median) | first done | swarm CPU s (median) | largest leecher RssAnon | all times |",
             "|---|---|---|---|---|---|"]
    for k in kinds:
        lines.append("| %s | %.2f s | %.2f s | %.2f | %.1f MiB | %s |" % (
            "all ours" if k == "mtorrent" else "all libtorrent 2.0.8", med[k]["time"], med[k]["first"],
            med[k]["cpu"], max(x["rss_mib"] for x in results[k]), " ".join("%.2f" % x["time"] for x in results[k])))
    notes = ""
    if "libtorrent" in med:
        m, l = med["mtorrent"], med["libtorrent"]
        notes = "Ours / libtorrent: time %.2fx, CPU %.2fx." % (m["time"] / l["time"], m["cpu"] / l["cpu"])
    commit = subprocess.run(["git", "-C", gh.REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    header = ("Command: `%s` (commit %s, %s). One seeder and %d leechers of a %d MiB random file, all started "
              "at once; all ours (`bin/client seed`, `bin/client get --seed-after`) or all libtorrent 2.0.8 "
              "(python3-libtorrent, a process each); finished leechers keep seeding. Time: until the last leecher "
              "has the file verified (ours: its log line; libtorrent: is_seeding, polled every 20 ms). CPU: "
              "user+sys of every process of the swarm at that moment. Median of %d run(s), kinds alternating; "
              "fresh tracker pair per run; %d cores; load average before/after: %s / %s." % (
                  command, commit, time.strftime("%Y-%m-%d"), n, size_mib, runs, os.cpu_count(),
                  " ".join(load_before), " ".join(load_after)))
    body = header + "\n\n" + "\n".join(lines) + "\n\n" + notes + "\n"
    print("\n" + body)
    os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
    with open(out_md, "w") as f:
        f.write(body)
    if bench_md:
        gh.replace_section(bench_md, "## Flash crowd (bench/flash)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
