"""bench/wan report: the Kumar-Ross bound, the tables and the figure."""
import os
import shutil
import statistics
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024
KIND_ORDER = ("ours", "aria2c", "libtorrent", "transmission")  # the figure's data blocks 1-4


def t_min(size_bytes, n, up_seeder, up_leecher, down_leecher):
    """Kumar-Ross lower bound in seconds: max(F/u_s, F/d_min, N F/(u_s + sum u_i)),
    rates in Mbit/s (10^6 bit/s; None: no cap)."""
    f = size_bytes * 8
    terms = [f / (up_seeder * 1e6), n * f / ((up_seeder + n * up_leecher) * 1e6)]
    if down_leecher:
        terms.append(f / (down_leecher * 1e6))
    return max(terms)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, spec="%.1f", none="-"):
    return none if x is None else spec % x


def shares(r):
    """Each leecher's bytes from the seeder over the fair share (seeder bytes / N)."""
    per = r.get("from_seeder") or {}
    total = sum(per.values())
    if not per or total == 0:
        return {}
    fair = total / len(per)
    return {i: b / fair for i, b in per.items()}


def table(results, kinds, tmin):
    """Markdown lines for one configuration: one row per swarm kind."""
    lines = ["| swarm (seeder/leechers) | N | runs | last finish (median) | x T_min | leecher finish (median) "
             "| seeder upload / F (stage; veth) | seeder share per leecher, min-max x fair | within 2x of fair "
             "| all peer-to-peer bytes / (N F) | total CPU s | last finish, every run |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for kind in kinds:
        rs = [r for r in results if r["kind"] == kind]
        if not rs:
            continue
        ok = [r for r in rs if r.get("complete")]
        bad = len(rs) - len(ok)
        runs = "%d" % len(ok) + (" of %d (%s)" % (len(rs), ", ".join(sorted(set(
            "timeout" if r.get("timeout") else "failed" for r in rs if not r.get("complete"))))) if bad else "")
        last = med(r["last_s"] for r in ok)
        finish = med(med(r["times"].values()) for r in ok)
        up = med(r.get("seeder_up_F") for r in ok)
        upv = med(r.get("seeder_up_F_veth") for r in ok)
        sh = [s for r in ok for s in shares(r).values()]
        within = "yes" if sh and all(0.5 <= s <= 2.0 for s in sh) else ("no" if sh else "-")
        nf = med(r.get("swarm_payload_NF") for r in ok)
        cpu = med(r.get("cpu_s") for r in ok)
        every = " ".join(fmt(r.get("last_s"), "%.1f", "timeout" if r.get("timeout") else "failed") for r in rs)
        lines.append("| %s | %d | %s | %s | %s | %s | %s; %s | %s | %s | %s | %s | %s |" % (
            kind, rs[0]["n"], runs, fmt(last, "%.1f s"), fmt(last / tmin if last else None, "%.2f"), fmt(finish, "%.1f s"),
            fmt(up, "%.2f"), fmt(upv, "%.2f"), "%.2f-%.2f" % (min(sh), max(sh)) if sh else "-", within,
            fmt(nf, "%.2f"), fmt(cpu, "%.1f"), every))
        if "/" in kind and ok:  # mixed: per leecher kind
            by = {}
            for r in ok:
                s = shares(r)
                for i, k in r["leecher_kinds"].items():
                    by.setdefault(k, {"t": [], "s": [], "cpu": []})
                    by[k]["t"].append(r["times"].get(i))
                    by[k]["s"].append(s.get(i))
                for k, cs in r.get("cpu_by_kind", {}).items():
                    by.setdefault(k, {"t": [], "s": [], "cpu": []})["cpu"].extend(cs)
            notes.append("%s, per leecher kind (median finish; seeder share x fair, min-max; CPU s per "
                         "leecher, median): %s." % (kind, "; ".join(
                             "%s %s, %s, %s" % (k, fmt(med(v["t"]), "%.1f s"),
                                                "%.2f-%.2f" % (min(v["s"]), max(v["s"])) if v["s"] and None not in
                                                v["s"] else "-", fmt(med(v["cpu"]), "%.1f"))
                             for k, v in sorted(by.items()))))
    done = [r for r in results if r.get("wall_s") and r.get("delay")]
    if done:
        core = [100 * r["delay"]["cpu_s"] / r["wall_s"] for r in done]
        pps = [r["delay"]["packets"] / r["wall_s"] for r in done]
        mean = [r["delay"]["late_us_sum"] / max(1, r["delay"]["packets"] - r["delay"]["lost"]) for r in done]
        busy = [100 * r["host_busy"] for r in done]
        notes.append("During the swarms: the delay stage used %.0f-%.0f%% of a core (median %.0f%%) at %.0f-%.0f "
                     "packets/s and wrote packets late by %.0f-%.0f us on average (p99 under %g us, max %.1f ms, "
                     "over every swarm); %d packet(s) dropped for lack of buffer; the host's CPU (all cores) was "
                     "%.0f-%.0f%% busy (near 100%%: the swarm was short of CPU, its times are not the network's)." % (
                         min(core), max(core), med(core), min(pps), max(pps), min(mean), max(mean),
                         max(r["delay"]["late_p99_us"] for r in done),
                         max(r["delay"]["late_us_max"] for r in done) / 1000,
                         sum(r["delay"]["overflow"] for r in done), min(busy), max(busy)))
    return lines, notes


def run_line(r, tmin):
    """One console line per swarm run."""
    d = r.get("delay", {})
    s = shares(r)
    return ("  %-22s N=%-3d %s  spawn spread %.2f s  seeder up %.2fxF (veth %.2f)  shares %s  bytes/(NF) %.2f  CPU %.1f s  host busy %.0f%%  "
            "stage: %.1f s CPU, %d pkts, late mean %.0f p99 %s max %d us, lost %d, overflow %d" % (
                r["kind"], r["n"],
                ("last %.1f s (%.2fx T_min)" % (r["last_s"], r["last_s"] / tmin)) if r.get("complete") else
                ("TIMEOUT" if r.get("timeout") else "FAILED"), r.get("spawn_spread_s", 0),
                r.get("seeder_up_F", 0), r.get("seeder_up_F_veth", 0),
                "%.2f-%.2f" % (min(s.values()), max(s.values())) if s else "-",
                r.get("swarm_payload_NF", 0), r.get("cpu_s", 0), 100 * r.get("host_busy", 0), d.get("cpu_s", 0),
                d.get("packets", 0),
                d.get("late_us_sum", 0) / max(1, d.get("packets", 0) - d.get("lost", 0)), fmt(d.get("late_p99_us"), "%g"), d.get("late_us_max", 0), d.get("lost", 0), d.get("overflow", 0)))


def plot(results, configs, png):
    """Every leecher's completion time per swarm kind and N (points; all
    runs), the median last finish (a cross) and T_min (a dash). Returns the
    PNG path or None."""
    if not results or not shutil.which("gnuplot"):
        print("gnuplot missing (apt-get install -y gnuplot-nox): no figure")
        return None
    os.makedirs(os.path.dirname(png), exist_ok=True)
    dat = os.path.splitext(png)[0] + ".dat"
    cats = []
    for n, kinds, tmin in configs:
        for k in kinds:
            rs = [r for r in results if r["n"] == n and r["kind"] == k]
            if rs:
                cats.append((n, k, tmin, rs))
    with open(dat, "w") as f:
        f.write("# index label tmin median_last\n")
        for x, (n, k, tmin, rs) in enumerate(cats):
            last = med(r.get("last_s") for r in rs if r.get("complete"))
            f.write('%d "%s (N=%d)" %.3f %s\n' % (x, k, n, tmin, "%.3f" % last if last else "NaN"))
        for kind in KIND_ORDER:  # blocks 1-4: x time, one line per leecher of that kind and run
            f.write("\n\n# %s leechers: x time\n" % kind)
            for x, (n, k, tmin, rs) in enumerate(cats):
                for j, r in enumerate(rs):
                    for i, t in sorted(r["times"].items()):
                        if r["leecher_kinds"].get(i) == kind:
                            f.write("%.3f %.3f\n" % (x - 0.25 + 0.5 * ((i * 7 + j * 3) % 11) / 10, t))
            f.write("NaN NaN\n")  # an empty block would end the file for gnuplot
    r = subprocess.run(["gnuplot", "-e", "datafile='%s'; outfile='%s'; ncat=%d" % (dat, png, len(cats)),
                        os.path.join(HERE, "plot.gp")], capture_output=True, text=True)
    if r.returncode != 0:
        print("gnuplot failed: %s" % r.stderr.strip())
        return None
    print("figure written to %s" % png)
    return png
