"""bench/wan network: one namespace per peer joined through a hub namespace,
htb rate caps, and the delay/loss stage (bench/wan/delay.cpp) in the hub.

Layout (every address in the benchmark range 198.18.0.0/15, every name
prefixed PREFIX = mtw<owner pid>; nothing is linked to the caller's namespace,
so no packet can leave the namespaces made here):

  PREFIX-hub   lo: 198.18.0.1, 198.18.0.2 (the tracker pair);
               v<i>: 198.18.<i+1>.1/24, the hub side of peer i's link
               (egress: htb at peer i's downlink cap, if any);
               dly0: the TUN device of the delay stage.
               ip_forward on, rp_filter off; `ip rule iif v<i> lookup 100`
               and table 100 `default dev dly0`: every packet a peer sends
               to another peer goes through the delay stage, which writes it
               back into dly0, from where the main table routes it to v<j>.
               Packets for the hub's own addresses (the trackers) match the
               local table first and are not delayed.
  PREFIX-p<i>  eth0: 198.18.<i+1>.2/24, default route via the hub
               (egress: htb at peer i's uplink cap). Peer 0 is the seeder.
IPv6 is off in every namespace; tcp_no_metrics_save=1 so that no run
inherits the previous one's TCP metrics for the same address.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

HUB_TRACKERS = ("198.18.0.1", "198.18.0.2")
DELAY_DEV = "dly0"
TABLE = "100"


def sh(*args, check=True):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def peer_ip(i):
    return "198.18.%d.2" % (i + 1)


def hub_ip(i):
    return "198.18.%d.1" % (i + 1)


def pid_alive(pid):
    return os.path.exists("/proc/%d" % pid)


def owner_alive(pid):
    """Whether pid still runs this benchmark (wan.sh or wan.py), not a
    process that reused the number."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"wan" in f.read()
    except OSError:
        return False


def netns_list():
    return [line.split()[0] for line in sh("ip", "netns", "list").splitlines() if line.strip()]


def kill_ns_pids(spaces):
    """Stops every process left in namespaces of ours (SIGTERM, then SIGKILL):
    they can only be processes this benchmark started there."""
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 2.0)):
        pids = [int(p) for ns in spaces for p in sh("ip", "netns", "pids", ns, check=False).split()]
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + wait
        while time.time() < deadline and any(pid_alive(p) for p in pids):
            time.sleep(0.05)


def remove_namespaces(prefix):
    spaces = [ns for ns in netns_list() if ns.startswith(prefix + "-")]
    kill_ns_pids(spaces)
    for ns in spaces:
        sh("ip", "netns", "del", ns, check=False)


def remove_stale(tmp_root=None):
    """Removes the namespaces and temp folders of earlier runs of this
    benchmark whose owner (the PID in the mtw<pid>- prefix) is gone. Returns
    the prefixes removed."""
    tmp_root = tmp_root or tempfile.gettempdir()
    gone = set()
    for ns in netns_list():
        m = re.match(r"^mtw(\d+)-", ns)
        if m and not owner_alive(int(m.group(1))):
            gone.add("mtw" + m.group(1))
    for prefix in sorted(gone):
        remove_namespaces(prefix)
    for name in os.listdir(tmp_root):
        m = re.match(r"^mtw(\d+)-", name)
        if m and not owner_alive(int(m.group(1))):
            shutil.rmtree(os.path.join(tmp_root, name), ignore_errors=True)
            gone.add("mtw" + m.group(1))
    return sorted(gone)


def htb(ns, dev, mbit, buffer_ms=100):
    """Caps dev's egress at mbit Mbit/s: htb with one class and a bfifo of
    buffer_ms worth of bytes at that rate (at least 32 KiB)."""
    rate = int(mbit * 1e6)
    limit = max(32768, int(rate / 8 * buffer_ms / 1000))
    sh("ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb",
       "default", "1")
    sh("ip", "netns", "exec", ns, "tc", "class", "replace", "dev", dev, "parent", "1:", "classid", "1:1",
       "htb", "rate", "%dbit" % rate, "ceil", "%dbit" % rate, "quantum", "15140")
    sh("ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", dev, "parent", "1:1", "handle", "10:",
       "bfifo", "limit", str(limit))


def sysctls(ns, *pairs):
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", *pairs)


def link_stats(ns, dev="eth0"):
    """(tx_bytes, tx_packets, rx_bytes, rx_packets) of a device in ns."""
    d = json.loads(sh("ip", "-n", ns, "-s", "-j", "link", "show", "dev", dev))[0]["stats64"]
    return d["tx"]["bytes"], d["tx"]["packets"], d["rx"]["bytes"], d["rx"]["packets"]


def cpu_ticks(pid):
    """(user+sys) clock ticks of a live process, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return None


TICK = os.sysconf("SC_CLK_TCK")


def host_cpu():
    """(busy, total) clock ticks of all cores since boot (/proc/stat); busy
    excludes idle and iowait. The busy share of the host between two
    readings tells whether a swarm was short of CPU."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


class Net:
    """The namespaces and the delay stage of one configuration. close()
    removes everything (also what a failed set-up left)."""

    def __init__(self, prefix, work, peers, up_mbit, down_mbit, delay_ms, loss_pct, delay_bin, mtu=0,
                 cc=None, rt_priority=10):
        """up_mbit/down_mbit: lists, one rate per peer (None: no cap)."""
        self.prefix = prefix
        self.hub = prefix + "-hub"
        self.peers = [prefix + "-p%d" % i for i in range(peers)]
        self.work = work
        self.delay = None
        self.stats_path = os.path.join(work, "delay.stats")
        self.cc = cc
        try:
            self._make(up_mbit, down_mbit, mtu, cc)
            self._start_delay(delay_bin, delay_ms, loss_pct, mtu, rt_priority)
        except BaseException:
            self.close()
            raise

    def ns_sysctls(self, ns, mtu):
        pairs = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                 "net.ipv4.tcp_no_metrics_save=1"]
        if self.cc:
            pairs.append("net.ipv4.tcp_congestion_control=%s" % self.cc)
        sysctls(ns, *pairs)

    def _make(self, up, down, mtu, cc):
        hub = self.hub
        sh("ip", "netns", "add", hub)
        sh("ip", "-n", hub, "link", "set", "lo", "up")
        self.ns_sysctls(hub, mtu)
        sysctls(hub, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.all.send_redirects=0",
                "net.ipv4.conf.default.send_redirects=0")
        for a in HUB_TRACKERS:
            sh("ip", "-n", hub, "addr", "add", a + "/32", "dev", "lo")
        for i, ns in enumerate(self.peers):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            self.ns_sysctls(ns, mtu)
            v = "v%d" % i
            sh("ip", "-n", hub, "link", "add", v, "type", "veth", "peer", "name", "eth0", "netns", ns)
            if mtu:
                sh("ip", "-n", hub, "link", "set", v, "mtu", str(mtu))
                sh("ip", "-n", ns, "link", "set", "eth0", "mtu", str(mtu))
            sh("ip", "-n", hub, "addr", "add", hub_ip(i) + "/24", "dev", v)
            sh("ip", "-n", hub, "link", "set", v, "up")
            sh("ip", "-n", ns, "addr", "add", peer_ip(i) + "/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "route", "add", "default", "via", hub_ip(i))
            sh("ip", "-n", hub, "rule", "add", "iif", v, "lookup", TABLE, "pref", "100")
            if up[i]:
                htb(ns, "eth0", up[i])
            if down[i]:
                htb(hub, v, down[i])

    def _start_delay(self, delay_bin, delay_ms, loss_pct, mtu, rt_priority):
        ready = os.path.join(self.work, "delay.ready")
        args = ["ip", "netns", "exec", self.hub, delay_bin, "--dev", DELAY_DEV, "--delay-ms", "%g" % delay_ms,
                "--loss", "%g" % loss_pct, "--stats", self.stats_path, "--ready", ready,
                "--rt-priority", str(rt_priority)]
        if mtu:
            args += ["--mtu", str(mtu)]
        log = open(os.path.join(self.work, "delay.log"), "ab")
        self.delay = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if self.delay.poll() is not None or time.time() > deadline:
                with open(log.name, errors="replace") as f:
                    raise RuntimeError("delay stage did not start: %s" % f.read()[-400:])
            time.sleep(0.02)
        sysctls(self.hub, "net.ipv4.conf.%s.rp_filter=0" % DELAY_DEV)
        sh("ip", "-n", self.hub, "route", "add", "default", "dev", DELAY_DEV, "table", TABLE)

    def exec_prefix(self, ns):
        return ["ip", "netns", "exec", ns]

    def delay_stats(self):
        """The delay stage's cumulative counters (see delay.cpp), fresh: asks
        for a new file (SIGUSR1) and waits for its sequence number to move."""
        old = self._read_stats().get("seq", 0)
        self.delay.send_signal(signal.SIGUSR1)
        deadline = time.time() + 5
        while time.time() < deadline:
            s = self._read_stats()
            if s.get("seq", 0) > old:
                s["cpu_s"] = (cpu_ticks(self.delay.pid) or 0) / TICK
                return s
            time.sleep(0.01)
        raise RuntimeError("delay stage does not answer SIGUSR1")

    def _read_stats(self):
        out = {"flows": {}}
        try:
            with open(self.stats_path) as f:
                for line in f:
                    w = line.split()
                    if not w:
                        continue
                    if w[0] == "late_hist":
                        out["late_hist"] = [(float(u), int(c)) for u, c in (x.split(":") for x in w[1:])]
                    elif w[0] == "flow":
                        out["flows"][(w[1], w[2])] = {"packets": int(w[3]), "bytes": int(w[4]),
                                                      "payload": int(w[5]), "lost": int(w[6])}
                    else:
                        for k, v in zip(w[::2], w[1::2]):
                            out[k] = int(v)
        except OSError:
            pass
        return out

    def close(self):
        if self.delay is not None and self.delay.poll() is None:
            self.delay.terminate()
            try:
                self.delay.wait(5)
            except subprocess.TimeoutExpired:
                self.delay.kill()
                self.delay.wait()
        remove_namespaces(self.prefix)


def stats_delta(a, b):
    """Counters of the delay stage between two snapshots (b later)."""
    out = {k: b.get(k, 0) - a.get(k, 0) for k in ("packets", "bytes", "lost", "overflow", "write_errors",
                                                  "late_us_sum")}
    out["cpu_s"] = b["cpu_s"] - a["cpu_s"]
    out["late_us_max"] = b.get("late_us_max", 0)  # the stage's maxima are since the previous snapshot
    out["queue_max_packets"] = b.get("queue_max_packets", 0)
    ha = dict(a.get("late_hist", []))
    out["late_hist"] = [(u, c - ha.get(u, 0)) for u, c in b.get("late_hist", [])]
    flows = {}
    for key, f in b["flows"].items():
        g = a["flows"].get(key, {})
        flows[key] = {k: f[k] - g.get(k, 0) for k in f}
    out["flows"] = flows
    return out


def late_quantile(hist, q):
    """The bucket bound (us) below which a fraction q of the packets were
    written, from a late_hist [(bound_us, count)] (inf: above the last)."""
    total = sum(c for _, c in hist)
    if total == 0:
        return 0.0
    run = 0
    for bound, c in hist:
        run += c
        if run >= q * total:
            return bound
    return float("inf")
