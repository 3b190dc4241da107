"""Shared helpers for mtorrent's Python integration suites (stdlib only).

Every case prints one line "NAME: ok", "NAME: FAIL (detail)" or
"NAME: skipped (reason)"; Suite.finish() prints "N passed, M failed" and
returns the exit status. Processes are started by the suite and stopped by
PID, never by name.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import hashlib
import json
import random
import re
import urllib.parse
import urllib.request

BIN = os.environ.get("BIN") or os.path.join(os.path.dirname(__file__), "..", "..", "bin")


class Suite:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.work = tempfile.mkdtemp(prefix="mt-it-")
        self.procs = []

    def ok(self, name):
        print("%s: ok" % name, flush=True)
        self.passed += 1

    def fail(self, name, detail):
        line = "%s: FAIL (%s)" % (name, str(detail).replace("\n", " ")[:400])
        print(line, flush=True)
        self.failed += 1
        # make test repeats every failed case at the very end of its output.
        path = os.environ.get("MT_FAILED_FILE")
        if path:
            with open(path, "a") as f:
                f.write("    %s %s\n" % (os.path.basename(sys.argv[0]), line))

    def skip(self, name, why, known_limitation=False):
        """A case that cannot run. In CI (CI=true) that hides coverage and
        fails the case, unless it is a known limitation that no machine can
        run (said in the case and in the docs)."""
        if os.environ.get("CI") == "true" and not known_limitation:
            self.fail(name, "skipped in CI, which hides coverage: " + why)
            return
        print("%s: skipped (%s)" % (name, why), flush=True)
        self.skipped += 1

    def check(self, name, cond, detail=""):
        if cond:
            self.ok(name)
        else:
            self.fail(name, detail)
        return cond

    def case(self, name, fn):
        """Runs fn(); an exception or a false result fails the case."""
        try:
            r = fn()
            if r is False:
                self.fail(name, "returned false")
            else:
                self.ok(name)
        except Exception as e:  # a failing case must not stop the suite
            self.fail(name, "%s: %s" % (type(e).__name__, e))

    def run(self, cases, names=None, plain=(), setup=None):
        """The one case runner: each fn(suite) in `cases` (only those named in
        `names`, default sys.argv[1:]; an unknown name exits 2), timed; a
        case returning "skip: why" is skipped, an exception fails it (the
        message alone for the exception types in `plain`, else with its
        type), the others pass. With `setup`, setup(suite) makes the world
        the cases share, which each gets as fn(suite, world) and which is
        closed (its close(), if it has one) after the last; if setup
        raises, the suite fails as "setup" and no case runs. Returns
        finish()'s exit code."""
        names = sys.argv[1:] if names is None else names
        known = [fn.__name__ for fn in cases]
        unknown = [n for n in names if n not in known]
        if unknown:
            print("unknown case(s): %s; known: %s" % (" ".join(unknown), " ".join(known)), flush=True)
            return 2
        started = time.time()
        world = None
        try:
            if setup is not None:
                try:
                    world = setup(self)
                except Exception as e:
                    self.fail("setup", "%s: %s" % (type(e).__name__, e))
                    cases = []  # none runs; finish() below reports the failure
            args = () if setup is None else (world,)
            for fn in cases:
                if names and fn.__name__ not in names:
                    continue
                t0 = time.time()
                try:
                    r = fn(self, *args)
                    if isinstance(r, str) and r.startswith("skip: "):
                        self.skip(fn.__name__, r[6:])
                    elif r is False:
                        self.fail(fn.__name__, "returned false")
                    else:
                        self.ok(fn.__name__)
                except Exception as e:  # a failing case must not stop the suite
                    detail = str(e) if isinstance(e, plain) else "%s: %s" % (type(e).__name__, e)
                    self.fail(fn.__name__, detail)
                print("  (%s: %.1f s)" % (fn.__name__, time.time() - t0), flush=True)
        finally:
            if world is not None and hasattr(world, "close"):
                world.close()
            print("  (total %.1f s)" % (time.time() - started), flush=True)
            code = self.finish()
        return code

    def finish(self):
        for p in self.procs:
            p.stop()
        # A sanitizer build's report in any process we started fails the suite.
        reports = []
        for p in self.procs:
            err = getattr(p, "stderr_path", None)
            if err and os.path.exists(err):
                text = open(err, errors="replace").read()
                for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
                               "runtime error:"):
                    if marker in text:
                        report = text[text.index(marker):]
                        reports.append("%s: %s" % (err, report[:300]))
                        # The whole report (bounded) goes to the log: the
                        # work folder is removed below.
                        print("---- %s\n%s\n----" % (err, "\n".join(report.splitlines()[:150])), flush=True)
        if reports:
            self.fail("no_sanitizer_reports", " | ".join(reports))
        line = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            line += ", %d skipped" % self.skipped
        print(line, flush=True)
        subprocess.call(["rm", "-rf", self.work])
        return 0 if self.failed == 0 else 1


def stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Signals a Popen we started and waits for it; kills it past the deadline."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port(host="127.0.0.1"):
    """A port free for both TCP and UDP on `host` (127.0.0.1, or ::1)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        t = socket.socket(family)
        t.bind((host, 0))
        port = t.getsockname()[1]
        u = socket.socket(family, socket.SOCK_DGRAM)
        try:
            u.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def wait_until(pred, timeout=10.0, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(step)
    return False


class ClientProc:
    """One one-shot bin/client process (get, seed, ...), optionally run under a
    command prefix (e.g. `ip netns exec NS`); stdout, stderr and its --log go
    to files in its own folder of the suite's work dir."""

    def __init__(self, suite, name, args, prefix=()):
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.stdout_path = os.path.join(self.dir, "stdout")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.log = os.path.join(self.dir, "client.log")
        self.started = time.time()
        self.proc = subprocess.Popen(list(prefix) + [os.path.join(BIN, "client")] + args + ["--log", self.log],
                                     stdout=open(self.stdout_path, "wb"), stderr=open(self.stderr_path, "wb"),
                                     stdin=subprocess.DEVNULL)
        suite.procs.append(self)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        stop_process(self.proc, sig, timeout)

    def kill9(self):
        self.stop(signal.SIGKILL)

    def wait(self, timeout):
        """The exit code, or None (after killing it) if it outlived the timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return None

    def out(self):
        return open(self.stdout_path, errors="replace").read()

    def err(self):
        return open(self.stderr_path, errors="replace").read()

    def logtext(self):
        return open(self.log, errors="replace").read() if os.path.exists(self.log) else ""

    def describe(self):
        return "rc=%s out=%r err=%r log=%r" % (self.proc.poll(), self.out()[-300:], self.err()[-300:],
                                               self.logtext()[-1500:])


class Tracker:
    """One bin/tracker process in its own folder of the suite's work dir."""

    def __init__(self, suite, name, port, other_port, extra=(), secret_dir=None, host="127.0.0.1",
                 other_host=None):
        self.suite = suite
        self.name = name
        self.host = host
        self.other_host = other_host or host
        self.port = port
        self.other_port = other_port
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.secret_dir = secret_dir or suite.work
        self.extra = list(extra)
        self.proc = None
        self.log = os.path.join(self.dir, "tracker.log")
        self.state = os.path.join(self.dir, "seeders.state")
        suite.procs.append(self)

    def start(self, wait=True):
        args = [os.path.join(BIN, "tracker"), host_port(self.host, self.port),
                host_port(self.other_host, self.other_port),
                self.state, self.log, "--secret-file", os.path.join(self.secret_dir, "mtorrent.secret")] + self.extra
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.proc = subprocess.Popen(args, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=open(
            self.stderr_path, "ab"))
        if wait and not wait_until(lambda: self.stats() is not None, 10):
            raise RuntimeError("tracker %s did not come up" % self.name)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        stop_process(self.proc, sig, timeout)
        self.proc = None

    def kill9(self):
        self.stop(signal.SIGKILL)

    def url(self, path, scheme="http"):
        return "%s://%s%s" % (scheme, host_port(self.host, self.port), path)

    def stats(self, digest=False):
        try:
            with urllib.request.urlopen(self.url("/stats" + ("?digest=1" if digest else "")), timeout=2) as r:
                return json.loads(r.read())
        except Exception:
            return None

    def digest(self):
        s = self.stats(True)
        return s and s["state_digest"]

    def scrape(self, ih):
        """(seeders, leechers) of one torrent, or None if the tracker does not answer."""
        try:
            _, body = http_get(self.url("/scrape?info_hash=" + "".join("%%%02X" % b for b in ih)), timeout=2)
            f = bdecode(body)[b"files"].get(ih, {})
            return f.get(b"complete", 0), f.get(b"incomplete", 0)
        except Exception:
            return None


def peer_id(n):
    return b"-MT0100-" + ("%012d" % n).encode()


def info_hash(n):
    return struct.pack(">I", n) + b"\x00" * 12 + struct.pack(">I", n * 2654435761 & 0xffffffff)


def announce_query(ih, pid, port, left=100, event=None, compact=1, numwant=None, extra=""):
    q = "info_hash=%s&peer_id=%s&port=%d&uploaded=0&downloaded=0&left=%d&compact=%d" % (
        urllib.parse.quote(ih, safe=""), urllib.parse.quote(pid, safe=""), port, left, compact)
    if event:
        q += "&event=" + event
    if numwant is not None:
        q += "&numwant=%d" % numwant
    return q + extra


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def sha1_file(path):
    """The hex SHA-1 of a file's bytes, read 1 MiB at a time."""
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def damage(path, offset, nbytes=4096):
    """Overwrites bytes of path in place, its size and mtime kept: only
    hashing can tell."""
    st = os.stat(path)
    with open(path, "r+b") as f:
        f.seek(offset)
        old = f.read(nbytes)
        f.seek(offset)
        f.write(bytes(b ^ 0xFF for b in old))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def bencode(v):
    """ints, str/bytes, lists and dicts (str or bytes keys, sorted) as bencode."""
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def bdecode(data):
    """A small bencode decoder for test assertions (trusts its input)."""
    def dec(i):
        c = data[i:i + 1]
        if c == b"i":
            j = data.index(b"e", i)
            return int(data[i + 1:j]), j + 1
        if c == b"l":
            i += 1
            out = []
            while data[i:i + 1] != b"e":
                v, i = dec(i)
                out.append(v)
            return out, i + 1
        if c == b"d":
            i += 1
            out = {}
            while data[i:i + 1] != b"e":
                k, i = dec(i)
                v, i = dec(i)
                out[k] = v
            return out, i + 1
        j = data.index(b":", i)
        n = int(data[i:j])
        return data[j + 1:j + 1 + n], j + 1 + n
    v, _ = dec(0)
    return v


def compact_peers(blob):
    return [(socket.inet_ntoa(blob[i:i + 4]), struct.unpack(">H", blob[i + 4:i + 6])[0])
            for i in range(0, len(blob), 6)]


def compact_peers6(blob):
    """BEP 7 peers6: 16-byte address, 2-byte port."""
    if len(blob) % 18:
        raise AssertionError("peers6 of %d bytes is not a multiple of 18" % len(blob))
    return [(socket.inet_ntop(socket.AF_INET6, blob[i:i + 16]), struct.unpack(">H", blob[i + 16:i + 18])[0])
            for i in range(0, len(blob), 18)]


def port_open(port):
    """True if something accepts TCP connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def recv_to_eof(sock):
    """Everything the other end sends until it closes."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def accept_loop(sock, stopping, on_accept):
    """Accepts on a listening socket that has a timeout, until stopping() is
    true or the socket is closed; on_accept(conn) for each connection."""
    while not stopping():
        try:
            c, _ = sock.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        on_accept(c)


def announce(tracker, ih, pid, port, **kw):
    """HTTP announce; returns the decoded reply dict."""
    _, body = http_get(tracker.url("/announce?" + announce_query(ih, pid, port, **kw)))
    return bdecode(body)


def make_mtorrent(work, name, size, trackers):
    """A file `name` of `size` seeded-random bytes in `work`, made into a
    .mtorrent by bin/client create; returns (metainfo bytes, info_hash)."""
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(random.Random(size).randbytes(size))
    out = path + ".mtorrent"
    cmd = [os.path.join(BIN, "client"), "create", path, out]
    for t in trackers:
        cmd += ["--tracker", t.url("/announce")]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    info = subprocess.run([os.path.join(BIN, "client"), "info", out], check=True, capture_output=True,
                          text=True).stdout
    m = re.search(r"info_hash:\s*([0-9a-f]{40})", info)
    if not m:
        raise RuntimeError("no info_hash in: " + info)
    with open(out, "rb") as f:
        return f.read(), bytes.fromhex(m.group(1))


def publish(tracker, data, timeout=5):
    """POSTs a .mtorrent to /publish; returns the decoded reply dict."""
    req = urllib.request.Request(tracker.url("/publish"), data=data, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return bdecode(r.read())


class UdpTrackerClient:
    """BEP 15 client for tests."""

    def __init__(self, port, timeout=2.0, source=None, host="127.0.0.1"):
        """source: the local address to send from (any 127.0.0.0/8 one);
        host: the tracker's address (::1: BEP 15 over IPv6, 18-byte peers)."""
        self.addr = (host, port)
        self.v6 = ":" in host
        self.sock = socket.socket(socket.AF_INET6 if self.v6 else socket.AF_INET, socket.SOCK_DGRAM)
        if source is not None:
            self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.conn_id = None

    def close(self):
        self.sock.close()

    def request(self, payload):
        self.sock.sendto(payload, self.addr)
        data, _ = self.sock.recvfrom(65536)
        return data

    def connect(self):
        tx = random.getrandbits(32)
        r = self.request(struct.pack(">QII", 0x41727101980, 0, tx))
        action, rtx, cid = struct.unpack(">IIQ", r[:16])
        assert action == 0 and rtx == tx, r
        self.conn_id = cid
        return cid

    def announce(self, ih, pid, port, left=100, event=0, numwant=-1, key=0):
        tx = random.getrandbits(32)
        pkt = struct.pack(">QII20s20sQQQIIIiH", self.conn_id, 1, tx, ih, pid, 0, left, 0, event, 0, key, numwant, port)
        r = self.request(pkt)
        action, rtx = struct.unpack(">II", r[:8])
        if action == 3:
            return {"error": r[8:].decode(errors="replace")}
        assert action == 1 and rtx == tx, r
        interval, leechers, seeders = struct.unpack(">III", r[8:20])
        peers = compact_peers6(r[20:]) if self.v6 else compact_peers(r[20:])
        return {"interval": interval, "leechers": leechers, "seeders": seeders, "peers": peers}

    def scrape(self, hashes):
        tx = random.getrandbits(32)
        r = self.request(struct.pack(">QII", self.conn_id, 2, tx) + b"".join(hashes))
        action, rtx = struct.unpack(">II", r[:8])
        if action == 3:
            return {"error": r[8:].decode(errors="replace")}
        return [struct.unpack(">III", r[8 + 12 * i:20 + 12 * i]) for i in range(len(hashes))]


def host_port(host, port):
    """"1.2.3.4:5" or "[::1]:5"."""
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def tracker_pair(suite, extra=(), host="127.0.0.1", names=("t1", "t2")):
    p1, p2 = free_port(host), free_port(host)
    while p2 == p1:
        p2 = free_port(host)
    t1 = Tracker(suite, names[0], p1, p2, extra=extra, host=host)
    t2 = Tracker(suite, names[1], p2, p1, extra=extra, host=host)
    t1.start()
    t2.start()
    return t1, t2


if __name__ == "__main__":
    sys.exit("mtlib is a library for the integration suites")


def rss_mib(pid):
    """A process's resident set now and at its peak (VmRSS, VmHWM), in MiB."""
    now = peak = 0.0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024.0
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024.0
    return now, peak


VARIANT = os.environ.get("MT_VARIANT", "release")
# Memory bounds hold for the product's build; sanitizers add their own shadow.
CHECK_RSS = VARIANT == "release"
# The 100 ms announce p99 holds for the product's build; sanitizers (TSan
# above all) slow every request several times, so they get a looser bound.
P99_BOUND_S = 0.100 if VARIANT == "release" else 0.500
