"""Network namespaces, veth pairs and qdiscs for the fault drills (needs root).

A NetLab owns everything it creates and removes all of it in close(), which
the drills call in finally blocks: namespaces are deleted (taking their
interfaces, addresses and qdiscs with them) and root-side veth ends removed.
Names carry the test's PID so concurrent runs never collide, and the 10.x.y.0/24
subnet is picked among those no interface of the machine already uses.
"""
import os
import random
import subprocess


def is_root():
    return os.geteuid() == 0


def sh(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r


def netns_available():
    """None if namespaces work here, else the reason they do not."""
    if not is_root():
        return "needs root (network namespaces, veth, tc)"
    name = "mtprobe%d" % os.getpid()
    r = sh("ip", "netns", "add", name, check=False)
    if r.returncode != 0:
        return "ip netns add failed: %s" % r.stderr.strip()
    sh("ip", "netns", "del", name, check=False)
    return None


def _used_subnets():
    out = sh("ip", "-o", "-4", "addr", "show", check=False).stdout
    out += sh("ip", "-4", "route", "show", "table", "all", check=False).stdout
    used = set()
    for tok in out.split():
        parts = tok.split("/")[0].split(".")
        if len(parts) == 4 and parts[0] == "10":
            used.add((parts[1], parts[2]))
    return used


class NetLab:
    """Namespaces joined to the root namespace (where the test runs) by veth pairs."""

    def __init__(self, tag):
        self.tag = "%s%d" % (tag, os.getpid() % 100000)  # short: interface names are <= 15 chars
        self.namespaces = []
        self.root_links = []
        self.etc_dirs = []  # /etc/netns/NS folders hosts() made
        used = _used_subnets()
        rnd = random.Random()
        for _ in range(200):
            b, c = rnd.randrange(200, 250), rnd.randrange(0, 256)
            if (str(b), str(c)) not in used:
                self.prefix = "10.%d.%d." % (b, c)
                break
        else:
            raise RuntimeError("no free 10.x.y.0/24 subnet")

    def addr(self, n):
        return self.prefix + str(n)

    def add_ns(self, short):
        ns = "mt%s%s" % (self.tag, short)
        sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        return ns

    def link_root(self, ns, short, root_host, ns_host):
        """veth between the root namespace (.root_host/30) and ns (.ns_host/30)."""
        root_if, ns_if = "r%s%s" % (self.tag, short), "n%s%s" % (self.tag, short)
        sh("ip", "link", "add", root_if, "type", "veth", "peer", "name", ns_if)
        self.root_links.append(root_if)
        sh("ip", "link", "set", ns_if, "netns", ns)
        sh("ip", "addr", "add", self.addr(root_host) + "/30", "dev", root_if)
        sh("ip", "-n", ns, "addr", "add", self.addr(ns_host) + "/30", "dev", ns_if)
        sh("ip", "link", "set", root_if, "up")
        sh("ip", "-n", ns, "link", "set", ns_if, "up")
        return root_if, ns_if

    def link_ns(self, ns_a, ns_b, short, host_a, host_b):
        """veth directly between two namespaces (no route through the root one)."""
        a_if, b_if = "a%s%s" % (self.tag, short), "b%s%s" % (self.tag, short)
        sh("ip", "link", "add", a_if, "netns", ns_a, "type", "veth", "peer", "name", b_if, "netns", ns_b)
        sh("ip", "-n", ns_a, "addr", "add", self.addr(host_a) + "/30", "dev", a_if)
        sh("ip", "-n", ns_b, "addr", "add", self.addr(host_b) + "/30", "dev", b_if)
        sh("ip", "-n", ns_a, "link", "set", a_if, "up")
        sh("ip", "-n", ns_b, "link", "set", b_if, "up")
        return a_if, b_if

    def set_link(self, ns, ifname, up):
        sh("ip", "-n", ns, "link", "set", "dev", ifname, "up" if up else "down")

    def limit_rate(self, ns, ifname, rate):
        """What leaves ns through ifname is shaped to `rate` (tc syntax, e.g. 40mbit)."""
        sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", ifname, "root", "tbf", "rate", rate,
           "burst", "64kb", "latency", "100ms")

    def tx_bytes(self, ns, ifname):
        """Bytes ns has sent through ifname (the kernel's interface counter)."""
        out = sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/%s/statistics/tx_bytes" % ifname).stdout
        return int(out.strip())

    def exec_prefix(self, ns):
        return ["ip", "netns", "exec", ns]

    def hosts(self, ns, text):
        """Gives ns its own /etc/hosts (`ip netns exec` mounts /etc/netns/NS/hosts
        over /etc/hosts for what it runs): names for tests that resolve them."""
        d = os.path.join("/etc/netns", ns)
        os.makedirs(d, exist_ok=True)
        self.etc_dirs.append(d)
        with open(os.path.join(d, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n::1 localhost\n" + text)

    def close(self):
        """Removes everything; returns a list of what could not be removed."""
        left = []
        for ifname in self.root_links:
            r = sh("ip", "link", "del", ifname, check=False)
            if r.returncode != 0 and "Cannot find" not in r.stderr:
                left.append("link %s: %s" % (ifname, r.stderr.strip()))
        for ns in self.namespaces:
            r = sh("ip", "netns", "del", ns, check=False)
            if r.returncode != 0:
                left.append("netns %s: %s" % (ns, r.stderr.strip()))
        for d in self.etc_dirs:
            try:
                for name in os.listdir(d):
                    os.unlink(os.path.join(d, name))
                os.rmdir(d)
            except FileNotFoundError:
                pass
            except OSError as e:
                left.append("%s: %s" % (d, e))
        self.root_links, self.namespaces, self.etc_dirs = [], [], []
        return left
