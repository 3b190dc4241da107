"""bench/wan helper: BitTorrent swarms over an emulated WAN, one network
namespace per peer. Run by bench/wan.sh with Debian's /usr/bin/python3 (it
has python3-libtorrent); as root (namespaces, tc, TUN). See bench/wan.sh for
what is measured and how; wan_net.py for the network, wan_swarm.py for one
swarm, wan_peers.py for the clients, wan_report.py for the tables and the figure.

usage: wan.py --delay-bin PATH [--bin DIR] [--owner PID] [--n LIST] [--runs R]
              [--kinds LIST] [--size MIB] [--rtt MS] [--up MBIT]
              [--leecher-up MBIT] [--leecher-down MBIT] [--loss PCT]
              [--timeout S] [--mtu BYTES] [--cc NAME] [--quick]
              [--out MD] [--bench-md FILE] [--figure PNG] [--command TEXT] [--logs DIR]
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.append(os.path.join(REPO, "bench"))  # get_helper.replace_section
sys.path.append(os.path.join(REPO, "tests", "pylib"))
import wan_net as net  # noqa: E402
import wan_report as report  # noqa: E402
import wan_swarm as swarm  # noqa: E402
from wan_swarm import Swarm  # noqa: E402

MIB = 1024 * 1024
DEFAULT_KINDS = "ours,aria2c,libtorrent,transmission,ours/mix,libtorrent/ours,aria2c/ours"
TITLE = "## WAN swarms (bench/wan)"


def parse_args(argv):
    p = argparse.ArgumentParser(description="bench/wan: BitTorrent swarms over an emulated WAN")
    p.add_argument("--delay-bin", required=True)
    p.add_argument("--bin", default=os.environ.get("BIN") or os.path.join(REPO, "bin"))
    p.add_argument("--owner", type=int, default=os.getpid(), help="PID in the names (mtw<PID>-...)")
    p.add_argument("--n", default="8", help="leecher counts, e.g. 8,16,32")
    p.add_argument("--runs", type=int, default=None)
    p.add_argument("--kinds", default=DEFAULT_KINDS)
    p.add_argument("--size", type=int, default=None, help="MiB")
    p.add_argument("--rtt", type=float, default=40.0, help="ms between two peers (one-way delay = rtt/2)")
    p.add_argument("--up", type=float, default=20.0, help="Mbit/s uplink of every peer")
    p.add_argument("--leecher-up", type=float, default=None, help="Mbit/s uplink of the leechers")
    p.add_argument("--leecher-down", type=float, default=None, help="Mbit/s downlink of the leechers")
    p.add_argument("--loss", type=float, default=0.0, help="percent, per packet between peers")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per swarm")
    p.add_argument("--mtu", type=int, default=0, help="MTU of every link and the TUN (0: 1500)")
    p.add_argument("--cc", default=None, help="TCP congestion control in every namespace (default: the host's)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=os.path.join(REPO, "bench", "out", "wan.md"))
    p.add_argument("--bench-md", default=None, help="replace the section of this BENCHMARKS.md")
    p.add_argument("--figure", default=os.path.join(REPO, "bench", "out", "wan.png"))
    p.add_argument("--command", default="bench/wan.sh")
    p.add_argument("--logs", default=None, help="copy every swarm's logs into this folder")
    p.add_argument("--section", default=None,
                   help="a section of its own in BENCHMARKS.md: '%s: SECTION'" % TITLE)
    a = p.parse_args(argv)
    a.runs = a.runs or (1 if a.quick else 3)
    a.size = a.size or (16 if a.quick else 64)
    a.n = [int(x) for x in a.n.split(",") if x]
    a.kinds = [k for k in a.kinds.split(",") if k]
    a.leecher_up = a.leecher_up if a.leecher_up is not None else a.up
    a.bin_dir = a.bin
    a.probe_s = 4.0 if a.quick else 8.0
    if any(n < 2 or n > 250 for n in a.n):
        p.error("--n: between 2 and 250 leechers")
    for k in a.kinds:
        s, cycle = swarm.parse_kind(k)
        bad = [x for x in [s] + cycle if x not in swarm.MIX]
        if bad:
            p.error("--kinds: unknown kind %s in %r (kinds: %s; 'SEEDER/LEECHERS', 'mix', 'a+b')" % (
                bad[0], k, ", ".join(swarm.MIX)))
    return a


def available(kinds):
    """The kinds whose programs are installed; prints what is skipped."""
    missing = set()
    if not shutil.which("aria2c"):
        missing.add("aria2c")
    if not shutil.which("transmission-cli"):
        missing.add("transmission")
    if importlib.util.find_spec("libtorrent") is None:
        missing.add("libtorrent")
    keep = []
    for k in kinds:
        s, cycle = swarm.parse_kind(k)
        lack = missing & set([s] + cycle)
        if lack:
            print("bench/wan: %s skipped: %s not installed (apt-get install -y aria2 transmission-cli "
                  "python3-libtorrent; libtorrent: for %s)" % (k, ", ".join(sorted(lack)), sys.executable))
        else:
            keep.append(k)
    return keep


def ping(netw, src, dst_ip, count, interval):
    """(min, avg, max, mdev) ms of `ping` from namespace src, or None."""
    if not shutil.which("ping"):
        return None
    out = subprocess.run(netw.exec_prefix(src) + ["ping", "-n", "-q", "-c", str(count), "-i", str(interval),
                                                  dst_ip], capture_output=True, text=True).stdout
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", out)
    return tuple(float(x) for x in m.groups()) if m else None


def probe(netw, cfg):
    """What the emulation adds: RTT between two leechers (idle), one TCP flow
    from the seeder to leecher 1 against the caps, the RTT leecher 1 -> seeder
    meanwhile (the replies queue behind the flow in the seeder's uplink), and
    the delay stage's CPU and packet rate during the flow."""
    out = {"rtt_idle": ping(netw, netw.peers[1], net.peer_ip(2), 20, 0.05)}
    port = 5001
    procs = []
    try:
        rx = subprocess.Popen(netw.exec_prefix(netw.peers[1]) + [
            sys.executable, os.path.join(HERE, "probe.py"), "recv", net.peer_ip(1), str(port)],
            stdout=subprocess.PIPE, text=True)
        procs.append(rx)
        rx.stdout.readline()  # "listening"
        d0 = netw.delay_stats()
        tx = subprocess.Popen(netw.exec_prefix(netw.peers[0]) + [
            sys.executable, os.path.join(HERE, "probe.py"), "send", net.peer_ip(1), str(port), str(cfg.probe_s)])
        procs.append(tx)
        time.sleep(1.0)  # past slow start: the queue has formed
        out["rtt_loaded"] = ping(netw, netw.peers[1], net.peer_ip(0), int((cfg.probe_s - 2) / 0.1), 0.1)
        tx.wait(cfg.probe_s + 30)
        out["tcp"] = json.loads(rx.stdout.readline())
        rx.wait(10)
        d = net.stats_delta(d0, netw.delay_stats())
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    secs = out["tcp"]["seconds"]
    out["stage"] = {"cpu_s": d["cpu_s"], "seconds": secs, "pps": d["packets"] / max(secs, 1e-9),
                    "packets": d["packets"], "lost": d["lost"],
                    "late_p99_us": net.late_quantile(d["late_hist"], 0.99), "late_us_max": d["late_us_max"],
                    "late_us_mean": d["late_us_sum"] / max(1, d["packets"] - d["lost"])}
    return out


def probe_text(pr, cfg, cap_mbit):
    lines = []
    r = pr.get("rtt_idle")
    if r:
        lines.append("RTT between two leechers, idle (ping, 20 x 56 bytes): configured %.1f ms, measured min %.2f / "
                     "avg %.2f / max %.2f ms (mdev %.2f)" % (cfg.rtt, r[0], r[1], r[2], r[3]))
    else:
        lines.append("RTT: ping missing (apt-get install -y iputils-ping): not measured")
    t = pr["tcp"]
    mss_eff = 1448.0 / 1514.0 if not cfg.mtu else (cfg.mtu - 52.0) / (cfg.mtu + 14.0)
    lines.append("One TCP flow seeder -> leecher 1 for %.0f s: %.2f Mbit/s of payload (second half %.2f) against a "
                 "cap of %.1f Mbit/s, i.e. %.0f%% of the most TCP can carry through it (%.2f Mbit/s: the cap "
                 "counts Ethernet + IP + TCP headers)" % (
                     cfg.probe_s, t["mbit"], t["mbit_2nd_half"], cap_mbit,
                     100 * t["mbit_2nd_half"] / (cap_mbit * mss_eff), cap_mbit * mss_eff))
    r = pr.get("rtt_loaded")
    if r:
        lines.append("RTT leecher 1 -> seeder during that flow (replies queue in the seeder's uplink buffer, "
                     "100 ms at its rate): min %.1f / avg %.1f / max %.1f ms" % (r[0], r[1], r[2]))
    s = pr["stage"]
    lines.append("Delay stage during the flow: %.2f s CPU in %.1f s (%.0f%% of a core) for %.0f packets/s; "
                 "written late by %.0f us on average, p99 under %g us, max %d us; dropped %d of %d packets "
                 "(%.2f%%, --loss %g%%)" % (
                     s["cpu_s"], s["seconds"], 100 * s["cpu_s"] / s["seconds"], s["pps"], s["late_us_mean"],
                     s["late_p99_us"], s["late_us_max"], s["lost"], s["packets"],
                     100.0 * s["lost"] / max(1, s["packets"]), cfg.loss))
    return lines


class Bench:
    def __init__(self, cfg):
        self.cfg = cfg
        self.prefix = "mtw%d" % cfg.owner
        self.work = tempfile.mkdtemp(prefix=self.prefix + "-")
        self.results = []
        self.sections = []
        self.configs = []
        self.failures = []
        self.swarm_count = 0
        data_dir = os.path.join(self.work, "seed")
        os.makedirs(data_dir)
        self.data_dir, self.name = data_dir, "payload.bin"
        path = os.path.join(data_dir, self.name)
        with open(path, "wb") as f:
            left = cfg.size * MIB
            while left:
                n = min(left, 16 * MIB)
                f.write(os.urandom(n))
                left -= n
        self.sha1 = swarm.sha1_file(path)
        self.torrent = os.path.join(self.work, "wan.torrent")
        self.info_hash = self._make_torrent(path)

    def _make_torrent(self, path):
        """bin/client create listing both hub trackers, marked private."""
        import mtlib
        import real_clients as tct
        mtlib.BIN = self.cfg.bin_dir
        urls = swarm.Trackers.urls()

        class Where:
            work = self.work
        info = tct.create_info(Where, path, urls)
        return tct.write_torrent(self.torrent, info, [u.encode() for u in urls])

    def rates(self, n):
        c = self.cfg
        up = [c.up] + [c.leecher_up] * n
        down = [None] + [c.leecher_down] * n
        return up, down

    def run_config(self, n, kinds):
        c = self.cfg
        up, down = self.rates(n)
        tmin = report.t_min(c.size * MIB, n, c.up, c.leecher_up, c.leecher_down)
        self.configs.append((n, kinds, tmin))
        print("\n== N=%d leechers: T_min %.1f s; setting up %d namespaces" % (n, tmin, n + 2), flush=True)
        folder = os.path.join(self.work, "n%d" % n)
        os.makedirs(folder)
        netw = net.Net(self.prefix, folder, n + 1, up, down, c.rtt / 2, c.loss, c.delay_bin, c.mtu, c.cc)
        try:
            pr = probe(netw, c)
            plines = probe_text(pr, c, min(c.up, c.leecher_down or c.up))
            for ln in plines:
                print("  " + ln, flush=True)
            results = []
            for run in range(c.runs):
                for kind in kinds:
                    self.swarm_count += 1
                    label = "%s-n%d-r%d" % (kind.replace("/", "_"), n, run)
                    sw = Swarm(netw, c, self.torrent, self.info_hash, self.data_dir, self.name, self.sha1,
                               c.size * MIB, label, os.path.join(folder, label), 20000 + self.swarm_count)
                    try:
                        r = sw.run(kind)
                    except Exception as e:  # a swarm that could not start: recorded, the others go on
                        r = {"kind": kind, "n": n, "times": {}, "leecher_kinds": {}, "failures": ["%s" % e],
                             "timeout": False, "complete": False, "last_s": None}
                    r["run"] = run
                    results.append(r)
                    for f in r["failures"]:
                        self.failures.append("%s: %s" % (label, f))
                        print("  %s: %s" % (label, f[:300]), flush=True)
                    print(report.run_line(r, tmin), flush=True)
        finally:
            netw.close()
        self.results += results
        lines, notes = report.table(results, kinds, tmin)
        head = ("#### N = %d leechers: %d MiB, uplinks %g Mbit/s (seeder) / %g (leechers), leecher downlink %s, "
                "RTT %g ms, loss %g%%: T_min = %.1f s" % (
                    n, c.size, c.up, c.leecher_up, "%g Mbit/s" % c.leecher_down if c.leecher_down else "uncapped",
                    c.rtt, c.loss, tmin))
        body = [head, "", "What the emulation adds (measured before the swarms):", ""]
        body += ["- " + ln for ln in plines] + [""] + lines + [""] + notes
        self.sections.append("\n".join(body))
        print("\n" + self.sections[-1] + "\n", flush=True)

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)
        net.remove_namespaces(self.prefix)


HOW = """Each peer in its own network namespace with its own address (198.18.0.0/15), joined through a hub
namespace that runs our tracker pair (bin/tracker --interval 2 --min-interval 1). Every peer's uplink is capped by
htb on its veth (a bfifo of 100 ms at the rate behind it), leecher downlinks by htb on the hub side when set.
Packets between peers go through a TUN device in the hub, held for the one-way delay (RTT/2) by
bench/wan/delay.cpp (this kernel has no netem), which also drops them at random for --loss and counts the TCP
payload of every source/destination pair. One seeder and N leechers of one kind (or SEEDER/LEECHERS, where
"mix" = aria2c, libtorrent, transmission, ours in turn); every client binds its namespace's address with
DHT/LSD/PEX/UPnP/NAT-PMP/uTP off; the torrent is private. The leechers start together once both trackers list
the seeder, and keep seeding until the last one is complete.

Last finish: from the leechers' start until the last is complete (completion: our client's "complete and
verified" line, aria2c's --on-bt-download-complete hook, libtorrent's is_seeding, transmission's torrent-done
script; every file's SHA-1 checked afterwards). T_min: the Kumar-Ross bound max(F/u_s, F/d_min, N F/(u_s +
sum u_i)) from the configured rates (Mbit = 10^6 bit). Seeder upload / F: TCP payload the delay stage saw from
the seeder to the leechers (retransmissions included); after the semicolon the same from the seeder's veth
counters (tx bytes - 66 bytes per packet, announces included). Seeder share: each leecher's bytes from the
seeder over the fair share (the seeder's total / N). All peer-to-peer bytes / (N F): payload between all
peers over what the leechers needed (1.00 = nothing sent twice). Total CPU: user+sys of every peer process
(the seeder from the leechers' start; libtorrent's include starting Python), read at the last finish.
Medians over the runs; a swarm not complete within the time limit is recorded as a timeout."""


def main(argv):
    cfg = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the cleanup runs in finally
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    gone = net.remove_stale()
    if gone:
        print("bench/wan: removed leftovers of earlier runs: %s" % ", ".join(gone))
    kinds = available(cfg.kinds)
    if not kinds:
        print("bench/wan: nothing to run")
        return 2
    load_before = open("/proc/loadavg").read().split()[:3]
    cc = cfg.cc or open("/proc/sys/net/ipv4/tcp_congestion_control").read().strip()
    print("bench/wan: %d MiB, N in %s, %d run(s), kinds %s, RTT %g ms, up %g/%g Mbit/s, down %s, loss %g%%, "
          "TCP %s; %d cores, load %s" % (cfg.size, cfg.n, cfg.runs, ", ".join(kinds), cfg.rtt, cfg.up,
                                         cfg.leecher_up, cfg.leecher_down or "uncapped", cfg.loss, cc,
                                         os.cpu_count(), " ".join(load_before)), flush=True)
    b = Bench(cfg)
    try:
        for n in cfg.n:
            b.run_config(n, kinds)
    finally:
        b.close()
    load_after = open("/proc/loadavg").read().split()[:3]
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    if os.path.realpath(cfg.bin_dir) != os.path.realpath(os.path.join(REPO, "bin")):
        commit += "; binaries from BIN=%s" % cfg.bin_dir  # maybe another commit's: say which
    header = ("Command: `%s` (commit %s, %s). %d MiB random file, %d run(s) per swarm kind, runs interleaved; "
              "TCP congestion control %s; MTU %d; %d cores; load average before/after: %s / %s.\n\n%s" % (
                  cfg.command, commit, time.strftime("%Y-%m-%d"), cfg.size, cfg.runs, cc, cfg.mtu or 1500,
                  os.cpu_count(), " ".join(load_before), " ".join(load_after),
                  "\n\n".join(par.replace("\n", " ") for par in HOW.split("\n\n"))))
    if b.failures:
        header += "\n\nFailures: " + "; ".join(f.replace("\n", " ")[:300] for f in b.failures)
    body = header + "\n\n" + "\n\n".join(b.sections) + "\n"
    png = report.plot(b.results, b.configs, cfg.figure)
    if png:
        rel = os.path.relpath(png, REPO)
        what = ("every leecher's completion time per swarm kind (coloured by client), the median last finish "
                "and T_min; bench/wan/plot.gp")
        if rel.startswith(os.path.join("bench", "out")):  # not kept in git: named, not embedded
            body += "\nFigure (written by the run into `%s`, which git ignores): %s.\n" % (rel, what)
        else:
            body += "\n![WAN swarms](%s)\n\nThe figure: %s.\n" % (rel, what)
    os.makedirs(os.path.dirname(cfg.out), exist_ok=True)
    with open(cfg.out, "w") as f:
        f.write(body)
    print("written to %s" % cfg.out)
    if cfg.bench_md and not cfg.quick:
        from get_helper import replace_section
        replace_section(cfg.bench_md, TITLE + (": " + cfg.section if cfg.section else ""), body)
    return 1 if b.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
