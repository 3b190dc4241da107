#!/usr/bin/python3
"""bench/conns: what 200 connected peers cost one seeder (threads, memory,
CPU), ours (bin/client seed) against libtorrent, on loopback.

For each seeder: a 64 MiB file, no tracker (the peers dial it directly).
N peers (default 200) connect from 127.0.0.1 in one Python process (one
selector loop), one every 5 ms (a burst of 200 at once meets the seeder's
handshake-flood guard, 64 at a time), each sends its handshake, an empty bitfield, `interested`,
and then keeps 4 block requests in flight while unchoked (requests for
pieces the seeder showed it, or any piece if it showed all). After a warm-up
the seeder's thread count, RSS and CPU are sampled for MEASURE seconds; the
peers count the bytes they received. Our seeder runs with --max-peers and
--max-peers-per-ip raised to let them in (its defaults are 60 and 8);
libtorrent with connections_limit raised likewise.

usage: bench/conns.sh [N_PEERS (200)] [MEASURE_S (10)]
"""
import hashlib
import os
import random
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pylib"))
sys.path.insert(0, HERE)
import mtlib  # noqa: E402

try:
    import libtorrent as lt
except ImportError:
    lt = None

BLOCK = 16384


def bencode(v):
    return mtlib.bencode(v)


def make_torrent(folder, size):
    data = os.path.join(folder, "payload.bin")
    with open(data, "wb") as f:
        f.write(random.Random(5).randbytes(size))
    plen = 512 * 1024
    pieces = b""
    with open(data, "rb") as f:
        while True:
            chunk = f.read(plen)
            if not chunk:
                break
            pieces += hashlib.sha1(chunk).digest()
    info = {b"name": b"payload.bin", b"length": size, b"piece length": plen, b"pieces": pieces}
    tor = os.path.join(folder, "payload.mtorrent")
    with open(tor, "wb") as f:
        f.write(bencode({b"announce": b"http://127.0.0.1:1/announce", b"info": info}))
    return data, tor, hashlib.sha1(bencode(info)).digest(), size // plen


class Peer:
    def __init__(self, ih, n_pieces):
        self.ih = ih
        self.n = n_pieces
        self.sock = None
        self.buf = b""
        self.shown = set()
        self.all = False
        self.unchoked = False
        self.inflight = 0
        self.received = 0
        self.handshaken = False

    def start(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        pid = b"-XX0001-" + os.urandom(12)
        self.sock.sendall(b"\x13BitTorrent protocol" + b"\0" * 8 + self.ih + pid)
        self.sock.sendall(struct.pack(">IB", 1, 2))  # interested
        self.sock.setblocking(False)

    def request_more(self):
        out = b""
        while self.unchoked and self.inflight < 4:
            pool = range(self.n) if self.all else sorted(self.shown)
            if not pool:
                break
            p = random.choice(list(pool))
            out += struct.pack(">IBIII", 13, 6, p, random.randrange(32) * BLOCK, BLOCK)
            self.inflight += 1
        if out:
            try:
                self.sock.sendall(out)
            except (BlockingIOError, OSError):
                pass

    def on_readable(self):
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        self.buf += data
        if not self.handshaken:
            if len(self.buf) < 68:
                return True
            self.buf = self.buf[68:]
            self.handshaken = True
        while len(self.buf) >= 4:
            (length,) = struct.unpack(">I", self.buf[:4])
            if len(self.buf) < 4 + length:
                break
            msg, self.buf = self.buf[4:4 + length], self.buf[4 + length:]
            if not msg:
                continue
            kind = msg[0]
            if kind == 1:
                self.unchoked = True
            elif kind == 0:
                self.unchoked = False
                self.inflight = 0
            elif kind == 4:
                self.shown.add(struct.unpack(">I", msg[1:5])[0])
            elif kind == 5:
                bits = msg[1:]
                self.shown |= {i for i in range(self.n) if bits[i // 8] & (0x80 >> (i % 8))}
            elif kind == 14:  # have all
                self.all = True
            elif kind == 7:
                self.received += len(msg) - 9
                self.inflight = max(0, self.inflight - 1)
            elif kind == 16:  # reject
                self.inflight = max(0, self.inflight - 1)
        self.request_more()
        return True


def proc_sample(pid):
    st = open("/proc/%d/status" % pid).read()
    threads = int(st.split("Threads:")[1].split()[0])
    rss = int(st.split("VmRSS:")[1].split()[0]) / 1024.0
    hwm = int(st.split("VmHWM:")[1].split()[0]) / 1024.0
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    cpu = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    return threads, rss, hwm, cpu


def lt_seeder(tor, folder, port):
    code = r"""
import libtorrent as lt, sys, time, signal
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
s = lt.session({"listen_interfaces": "127.0.0.1:%d", "enable_dht": False, "enable_lsd": False,
                "enable_upnp": False, "enable_natpmp": False, "enable_outgoing_utp": False,
                "enable_incoming_utp": False, "connections_limit": 400,
                "allow_multiple_connections_per_ip": True}, 0)
h = s.add_torrent({"ti": lt.torrent_info(%r), "save_path": %r, "flags": lt.torrent_flags.seed_mode})
h.set_max_connections(400)
while True:
    time.sleep(1)
""" % (port, tor, folder)
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_one(who, tor, data, ih, n_pieces, n_peers, measure_s, work):
    port = mtlib.free_port()
    if who == "mtorrent":
        p = subprocess.Popen([os.path.join(mtlib.BIN, "client"), "seed", tor, data, "--port", str(port),
                              "--bind", "127.0.0.1", "--max-peers", str(n_peers + 20),
                              "--max-peers-per-ip", str(n_peers + 20), "--log", os.path.join(work, "seed.log")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        p = lt_seeder(tor, os.path.dirname(data), port)
    peers = []
    try:
        if not mtlib.wait_until(lambda: mtlib.port_open(port), 20, 0.1):
            raise RuntimeError("%s seeder did not listen" % who)
        base_threads = proc_sample(p.pid)[0]
        sel = selectors.DefaultSelector()
        for _ in range(n_peers):  # 200 per second, as peers trickle in
            peer = Peer(ih, n_pieces)
            peer.start(port)
            sel.register(peer.sock, selectors.EVENT_READ, peer)
            peers.append(peer)
            time.sleep(0.005)

        def pump(seconds):
            end = time.time() + seconds
            while time.time() < end:
                for key, _ in sel.select(0.05):
                    if not key.data.on_readable():
                        sel.unregister(key.fileobj)
        pump(3)  # warm-up: handshakes, first unchokes
        t0, c0, r0 = time.time(), proc_sample(p.pid)[3], sum(x.received for x in peers)
        samples = []
        end = time.time() + measure_s
        while time.time() < end:
            pump(1)
            samples.append(proc_sample(p.pid))
        dt = time.time() - t0
        threads = max(s[0] for s in samples)
        rss = max(s[1] for s in samples)
        hwm = samples[-1][2]
        cpu = (samples[-1][3] - c0) / dt
        rate = (sum(x.received for x in peers) - r0) / dt / 2**20
        connected = sum(1 for x in peers if x.handshaken)
        return {"who": who, "connected": connected, "threads": threads, "base_threads": base_threads,
                "rss": rss, "hwm": hwm, "cpu": cpu, "rate": rate,
                "unchoked": sum(1 for x in peers if x.unchoked)}
    finally:
        for x in peers:
            try:
                x.sock.close()
            except OSError:
                pass
        mtlib.stop_process(p, signal.SIGTERM, 10)


def main():
    from get_helper import helper_args, replace_section
    (n_peers, measure_s), out_md, bench_md, command = helper_args("conns", sys.argv[1:], 2)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    work = tempfile.mkdtemp(prefix="mt-conns-")
    try:
        data, tor, ih, n_pieces = make_torrent(work, 64 * 2**20)
        rows = []
        for who in ["mtorrent"] + (["libtorrent"] if lt is not None else []):
            r = run_one(who, tor, data, ih, n_pieces, n_peers, measure_s, work)
            rows.append(r)
            print("%-10s %3d peers connected, %3d unchoked: %3d threads (%d before they came), RSS %.1f MiB "
                  "(peak %.1f), CPU %.0f%% of a core, the peers took %.0f MiB/s"
                  % (who, r["connected"], r["unchoked"], r["threads"], r["base_threads"], r["rss"], r["hwm"],
                     100 * r["cpu"], r["rate"]), flush=True)
        body = ("Command: `%s` (%d peers, %d s measured; %s).\n\n" % (command, n_peers, measure_s, time.strftime("%Y-%m-%d")) +
                "| seeder | peers connected | unchoked | threads (before) | RSS MiB (peak) | CPU | the peers took MiB/s |\n"
                "|---|---|---|---|---|---|---|\n")
        for r in rows:
            body += "| %s | %d | %d | %d (%d) | %.1f (%.1f) | %.0f%% | %.0f |\n" % (
                r["who"], r["connected"], r["unchoked"], r["threads"], r["base_threads"], r["rss"], r["hwm"],
                100 * r["cpu"], r["rate"])
        os.makedirs(os.path.dirname(out_md), exist_ok=True)
        with open(out_md, "w") as f:
            f.write(body)
        if bench_md:
            replace_section(bench_md, "## Many connections (bench/conns)", body)
    finally:
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
