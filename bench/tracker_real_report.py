#!/usr/bin/env python3
"""The report of bench/tracker_real.sh: reads its results (one JSON object a
line: tracker, kind, mode, run, cpu_s per tracker process, busy_cores, the
load generator's JSON line under "gen"; "rss" lines with [before, after] KiB
per process) and prints the markdown section: medians over the runs, ratios
ours / opentracker."""
import argparse
import json
import statistics

OURS, OT = "ours", "opentracker"


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    return "–" if a is None or not b else f"{a / b:.2f}"


class Results:
    def __init__(self, path):
        self.rows = [json.loads(line) for line in open(path) if line.strip()]

    def pick(self, tracker, kind, mode=None):
        return [r for r in self.rows if r["tracker"] == tracker and r["kind"] == kind
                and (mode is None or r.get("mode") == mode)]

    def stat(self, tracker, kind, mode, f):
        return med([f(r) for r in self.pick(tracker, kind, mode)])

    def model(self):
        for r in self.rows:
            if "gen" in r and "model" in r["gen"]:
                return r["gen"]["model"]
        return {}


def cpu_us(r):
    n = r["gen"]["answered"]
    return sum(r["cpu_s"]) * 1e6 / n if n else None


def first_cpu_us(r):
    n = r["gen"]["answered"]
    return r["cpu_s"][0] * 1e6 / n if n else None


def active_s(r):
    """The load's duration: to the last answer (the generator then waits
    for the last timeouts, idle)."""
    g_ = r["gen"]
    return g_.get("active_s") or g_["wall_s"]


def gen_pct(r):
    w = active_s(r)
    return r["gen"]["gen_cpu_s"] / w * 100 if w else None


def tracker_cores(r):
    w = active_s(r)
    return sum(r["cpu_s"]) / w if w else None


def g(key):
    return lambda r: r["gen"][key]


def header(res, a):
    m = res.model()
    peers, torrents = m.get("peers", 0), m.get("torrents", 0)
    le10 = m.get("swarms_le10", 0)
    print(f"Command: `{a.command}` (commit {a.commit}, {a.date}, {a.cores} cores, loopback). "
          "**Ours makes every membership change durable (journal fsync, group commit) before it "
          "answers and replicates it to its partner; opentracker keeps nothing on disk.** "
          f"Load: {torrents:,} torrents, {peers:,} peers (swarm sizes p50 {m.get('size_p50')}, "
          f"p90 {m.get('size_p90')}, max {m.get('size_max'):,}; {le10:,} swarms "
          f"({100 * le10 / max(1, torrents):.1f}%) of 10 peers or fewer; {m.get('big_swarms')} of "
          f"{m.get('big_size'):,}), at {m.get('addresses'):,} source addresses 127.x.y.z, every "
          "peer a distinct (address, port); events 5% started, 5% stopped, 5% completed, 85% "
          "refreshes, numwant 50; the same model and event sequence for every tracker. "
          "Ours: both trackers of the pair take announces (peer index % 2), replication on; "
          "opentracker: one process with a whitelist. Per run and mode the trackers take turns "
          "(ours, opentracker): (a) saturation, closed loop (UDP 64 in flight, HTTP 32 "
          "connections); (b) a light fixed rate; (c) open loop at 50% and 90% of (a)'s rate "
          f"for that tracker, {a.step} s each, latency from each announce's due time. Median of "
          f"{a.runs} run(s). CPU: utime + stime of the tracker process(es), ours read once "
          f"replication has caught up. Load average before/after: {a.load}.")
    print()


def warmup(res):
    print("Warm-up: the join of every initial member over UDP (event=started, a new peer each).")
    print()
    print("| tracker | announces | rate (ann/s) | p99 (µs) | CPU µs/announce | memory per peer entry |")
    print("|---|---|---|---|---|---|")
    cpu = {}
    for t in (OURS, OT):
        rows = res.pick(t, "join")
        rss = res.pick(t, "rss")
        if not rows:
            continue
        r = rows[0]
        n = r["gen"]["answered"]
        cpu[t] = cpu_us(r)
        mem = ""
        if rss and n:
            per = [(after - before) * 1024 / n for before, after in rss[0]["rss_kib"]]
            mem = (f"tracker 1 {per[0]:.0f} B, tracker 2 {per[1]:.0f} B" if len(per) == 2
                   else f"{per[0]:.0f} B")
        print(f"| {t} | {n:,} | {fmt(r['gen']['rate'])} | {fmt(r['gen']['p99_us'])} | "
              f"{fmt(cpu[t], 1)} | {mem} |")
    print(f"| ratio ours/ot | | | | {ratio(cpu.get(OURS), cpu.get(OT))} | |")
    print()


def capacity(res, a, modes, light):
    print("Capacity and CPU per announce (ours: tracker 1 + tracker 2).")
    print()
    print("| mode | saturation ours (ann/s) | opentracker | ratio | CPU µs/ann at saturation ours "
          "| opentracker | ratio | light rate | CPU µs/ann light ours | opentracker | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for mode in modes:
        ro, rt = (res.stat(t, "saturation", mode, g("rate")) for t in (OURS, OT))
        co, ct = (res.stat(t, "saturation", mode, cpu_us) for t in (OURS, OT))
        lo, lt = (res.stat(t, "light", mode, cpu_us) for t in (OURS, OT))
        print(f"| {mode} | {fmt(ro)} | {fmt(rt)} | {ratio(ro, rt)} | {fmt(co, 1)} | {fmt(ct, 1)} | "
              f"{ratio(co, ct)} | {light[mode]:,}/s | {fmt(lo, 1)} | {fmt(lt, 1)} | {ratio(lo, lt)} |")
    print()


def latency(res, modes):
    print("Latency (µs, from each announce's due time) under open-loop load: at the light rate "
          "and at 50% and 90% of the tracker's own saturation rate in that run; \"rate\" is the "
          "rate asked for (achieved), \"gen\" the load generator's CPU in % of a core: near "
          "100% it could not keep the pace, and the latency is partly its own.")
    print()
    print("| mode | tracker | light p50 / p99 | gen | 50%: rate | p50 / p99 | gen "
          "| 90%: rate | p50 / p99 | gen |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode in modes:
        for t in (OURS, OT):
            def p(kind):
                return (f"{fmt(res.stat(t, kind, mode, g('p50_us')))} / "
                        f"{fmt(res.stat(t, kind, mode, g('p99_us')))}")
            cells = [p("light"), fmt(res.stat(t, "light", mode, gen_pct))]
            for kind in ("at50", "at90"):
                cells.append(f"{fmt(res.stat(t, kind, mode, g('rate_target')))} "
                             f"({fmt(res.stat(t, kind, mode, g('rate')))})")
                cells.append(p(kind))
                cells.append(fmt(res.stat(t, kind, mode, gen_pct)))
            print(f"| {mode} | {t} | " + " | ".join(cells) + " |")
    print()


def limits(res, a, modes):
    print(f"What limited each load: host busy cores (of {a.cores}, from /proc/stat), the load "
          "generator's CPU (one thread: near 100% of a core means it was the limit) and the "
          "tracker's CPU in cores (ours: both processes), over the time to the last answer. "
          "/proc/stat samples on the scheduler tick and misses short bursts of work on an "
          "otherwise idle machine, so it is shown for the saturation runs only.")
    print()
    print("| mode | tracker | saturation: host busy cores | generator % | tracker cores "
          "| light rate: generator % | tracker cores |")
    print("|---|---|---|---|---|---|---|")
    for mode in modes:
        for t in (OURS, OT):
            cells = [fmt(res.stat(t, "saturation", mode, lambda r: r["busy_cores"]), 2)]
            for kind in ("saturation", "light"):
                cells += [fmt(res.stat(t, kind, mode, gen_pct)),
                          fmt(res.stat(t, kind, mode, tracker_cores), 2)]
            print(f"| {mode} | {t} | " + " | ".join(cells) + " |")
    print()


def refresh(res):
    rows = res.pick(OURS, "refresh")
    if not rows:
        return
    ro, rt = (res.stat(t, "refresh", "udp", g("rate")) for t in (OURS, OT))
    co, ct = (res.stat(t, "refresh", "udp", cpu_us) for t in (OURS, OT))
    c1 = res.stat(OURS, "refresh", "udp", first_cpu_us)
    print("Continuity, bench/tracker's workload (refresh announces only, 10 peers per torrent, "
          "one source address, UDP to tracker 1):")
    print()
    print("| load | rate ours | opentracker | CPU µs/ann ours (t1+t2) | ours t1 alone | opentracker "
          "| ratio |")
    print("|---|---|---|---|---|---|---|")
    n = rows[0]["gen"]["count"]
    print(f"| refresh-only UDP, {n:,} per run | {fmt(ro)} | {fmt(rt)} | {fmt(co, 1)} | {fmt(c1, 1)} "
          f"| {fmt(ct, 1)} | {ratio(co, ct)} |")
    print()


def problems(res):
    lines = []
    for t in (OURS, OT):
        bad = [r for r in res.rows if r["tracker"] == t and "gen" in r
               and (r["gen"]["failures"] or r["gen"]["timeouts"] or r["gen"]["not_sent"])]
        for r in bad:
            gen = r["gen"]
            lines.append(f"{t} {r['kind']} {r.get('mode', '')} run {r.get('run')}: "
                         f"{gen['failures']} failed, {gen['timeouts']} timed out, "
                         f"{gen['not_sent']} not sent" + (f" ({r['error']})" if r.get("error") else ""))
    refused = [r for r in res.rows if r["kind"] == "stats" and r.get("refused")]
    for r in refused:
        lines.append(f"ours tracker {r['id']} counted {r['refused']} refused requests (/stats)")
    if lines:
        print("Failures, timeouts and refusals: " + "; ".join(lines) + ". (A UDP announce lost "
              "in a full socket receive buffer is a timeout: the generator does not send it "
              "again.)")
    else:
        print("No announce failed or timed out; no request was refused.")
    print()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    for opt in ("command", "commit", "date", "cores", "runs", "load", "step", "light", "modes"):
        p.add_argument("--" + opt, required=True)
    a = p.parse_args()
    res = Results(a.results)
    modes = a.modes.split()
    udp_rate, http_rate = (int(x) for x in a.light.split(","))
    light = {m: udp_rate if m == "udp" else http_rate for m in modes}
    header(res, a)
    warmup(res)
    capacity(res, a, modes, light)
    latency(res, modes)
    limits(res, a, modes)
    refresh(res)
    problems(res)
    print("opentracker closes every HTTP connection after one reply, so its http-keepalive rows "
          "are a connection per announce; ours keeps a connection for up to 100 announces of "
          "one address.")


if __name__ == "__main__":
    main()
