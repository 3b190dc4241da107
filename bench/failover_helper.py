"""bench/failover helper: tracker failover while a download runs, ours.

A tracker pair (announce interval 2 s), 3 of our seeders each capped at
--max-upload-rate so the download of SIZE_MIB lasts several seconds, and our
`get` (--progress-ms 100, --log). When a quarter of the file is verified,
tracker 1 is taken out:
  killed:  SIGKILL (its port refuses connections);
  hung:    SIGSTOP (connections are accepted by the kernel and never
           answered: the client's 2 s tracker timeout decides).
Measured per run, from the client's log and progress lines:
  death -> next announce    when the client next tried tracker 1 (its
                            schedule: the tracker's interval)
  failover                  from the start of that failed attempt (its log
                            line says how long it took) to the successful
                            announce to tracker 2 ("tracker failover" line)
  death -> success          the two together
  longest gap               the longest time between two increases of the
                            verified byte count while downloading.
Targets (issue 7): failover under 1 s, longest gap under 2 s.

usage: failover_helper.py SIZE_MIB RUNS OUT_MD [--append-benchmarks FILE] [--command TEXT]
"""
import datetime
import os
import re
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import get_helper as gh  # noqa: E402

SEEDER_CAP_KIB = 8192
LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z")


def log_time(line):
    m = LOG_TS.match(line)
    if not m:
        return None
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def one_run(b, mode, run):
    b.new_swarm("FO%d%s" % (run, mode))
    t1 = b.trackers[0]
    seeders = []
    for i in range(3):
        seeders.append(b.spawn("fo-seed%d-%d" % (run, i), [
            os.path.join(gh.mtlib.BIN, "client"), "seed", b.mtorrent, b.data, "--port", str(gh.free_port()),
            "--bind", "127.0.0.1", "--max-upload-rate", str(SEEDER_CAP_KIB)]))
    b.wait_seeders(3, seeders)
    log = os.path.join(b.work, "fo-get-%s-%d.clientlog" % (mode, run))
    dest = os.path.join(b.work, "fo-dl-%s-%d" % (mode, run))
    os.makedirs(dest)
    g = b.spawn("fo-get-%s-%d" % (mode, run), [
        os.path.join(gh.mtlib.BIN, "client"), "get", b.mtorrent, dest, "--port", str(gh.free_port()),
        "--bind", "127.0.0.1", "--progress-ms", "100", "--log", log, "--timeout", "120"])
    total = b.size_mib * gh.MIB
    progress = re.compile(r"\((\d+) of (\d+) bytes verified, ([\d.]+) s\)")
    t_kill = None
    try:
        deadline = time.time() + 120
        while g.poll() is None and time.time() < deadline:
            if t_kill is None:
                got = progress.findall(open(g.logpath, errors="replace").read())
                if got and int(got[-1][0]) >= total // 4:
                    t_kill = time.time()
                    os.kill(t1.proc.pid, signal.SIGKILL if mode == "killed" else signal.SIGSTOP)
            time.sleep(0.02)  # the sampling period of this poll loop
        if g.poll() != 0:
            raise RuntimeError("get did not finish: %s" % b.tail(g))
    finally:
        if mode == "hung" and t1.proc is not None and t1.proc.poll() is None:
            os.kill(t1.proc.pid, signal.SIGCONT)
        for p in seeders:
            b.stop(p)
    if gh.sha1_file(os.path.join(dest, b.name)) != b.sha1:
        raise RuntimeError("SHA-1 differs")
    lines = open(log, errors="replace").read().splitlines()
    url1 = t1.url("/announce")
    # The failed attempt's start: its log line is written when it fails and
    # says how long it took ("failed after N ms").
    t_try = None
    for x in lines:
        m = re.search(r"announce to %s failed after (\d+) ms" % re.escape(url1), x)
        if m and log_time(x) >= t_kill - 0.01:
            t_try = log_time(x) - int(m.group(1)) / 1000.0
            break
    t_ok = next((log_time(x) for x in lines if "tracker failover: now using" in x and log_time(x) >= t_kill - 0.01),
                None)
    if t_try is None or t_ok is None:
        raise RuntimeError("no failover in the client log: %s" % "\n".join(lines[-10:]))
    # Longest gap between increases of the verified count, while downloading.
    samples = [(float(s), int(v)) for v, _, s in progress.findall(open(g.logpath, errors="replace").read())]
    gap, last_t, last_v = 0.0, None, -1
    for t, v in samples:
        if v > last_v:
            if last_t is not None and last_v > 0:
                gap = max(gap, t - last_t)
            last_t, last_v = t, v
        if v >= total:
            break
    return {"to_try": t_try - t_kill, "failover": t_ok - t_try, "to_ok": t_ok - t_kill, "gap": gap}


def main():
    size_mib, runs, out_md = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    bench_md, command = None, "bench/failover.sh %d %d" % (size_mib, runs)
    rest = sys.argv[4:]
    while rest:
        if rest[0] == "--append-benchmarks":
            bench_md, rest = rest[1], rest[2:]
        elif rest[0] == "--command":
            command, rest = rest[1], rest[2:]
        else:
            sys.exit("failover_helper: unknown option %s" % rest[0])
    load_before = open("/proc/loadavg").read().split()[:3]
    b = gh.Bench(size_mib, 1)
    print("bench/failover: %d MiB, %d run(s) per mode; load %s" % (size_mib, runs, " ".join(load_before)), flush=True)
    modes = ("killed", "hung")
    results = {m: [] for m in modes}
    try:
        for run in range(runs):
            for mode in modes:
                r = one_run(b, mode, run)
                results[mode].append(r)
                print("  %-6s run %d: death->next announce %.3f s, failover %.3f s, death->success %.3f s, "
                      "longest gap %.3f s" % (mode, run, r["to_try"], r["failover"], r["to_ok"], r["gap"]),
                      flush=True)
    finally:
        b.close()
    load_after = open("/proc/loadavg").read().split()[:3]
    lines = ["| tracker 1 | death -> next announce | failover (failed try -> success) | death -> success | "
             "longest gap in verified bytes | all failovers | all gaps |", "|---|---|---|---|---|---|---|"]
    verdict = []
    for m in modes:
        rs = results[m]
        med = {k: statistics.median(x[k] for x in rs) for k in ("to_try", "failover", "to_ok", "gap")}
        worst_f, worst_g = max(x["failover"] for x in rs), max(x["gap"] for x in rs)
        lines.append("| %s | %.3f s | %.3f s | %.3f s | %.3f s | %s | %s |" % (
            "SIGKILL (refuses)" if m == "killed" else "SIGSTOP (hangs)", med["to_try"], med["failover"], med["to_ok"],
            med["gap"], " ".join("%.3f" % x["failover"] for x in rs), " ".join("%.2f" % x["gap"] for x in rs)))
        verdict.append("%s: failover under 1 s %s (worst %.3f s), longest gap under 2 s %s (worst %.2f s)" % (
            m, "met" if worst_f < 1 else "not met", worst_f, "met" if worst_g < 2 else "not met", worst_g))
    commit = subprocess.run(["git", "-C", gh.REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    header = ("Command: `%s` (commit %s, %s). Our `get` of a %d MiB file from 3 of our seeders capped at %d KiB/s "
              "each, through our tracker pair (announce interval 2 s); tracker 1 is taken out when a quarter of "
              "the file is verified. Times from the client's log (ms timestamps) and its progress lines (every "
              "100 ms); %d run(s) per mode, medians; %d cores; load average before/after: %s / %s." % (
                  command, commit, time.strftime("%Y-%m-%d"), size_mib, SEEDER_CAP_KIB, runs, os.cpu_count(),
                  " ".join(load_before), " ".join(load_after)))
    body = header + "\n\n" + "\n".join(lines) + "\n\nTargets: " + "; ".join(verdict) + ".\n"
    print("\n" + body)
    os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
    with open(out_md, "w") as f:
        f.write(body)
    if bench_md:
        gh.replace_section(bench_md, "## Failover (bench/failover)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
