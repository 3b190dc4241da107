#!/usr/bin/python3
"""bench/web_scale: what a web front costs with thousands of transfers, ours
(`bin/client daemon --web`) against transmission-daemon (its RPC and its own
web interface), both on loopback, both holding the same N torrents paused.

The torrents: N single-file torrents (16 KiB, one piece each, names
file-00000.bin ...) whose trackers listen nowhere. Ours gets them as a
saved session (session.state listing N paused downloads, the metainfo
copies in torrents/), as a client that was stopped with N transfers would
find them; transmission gets them through RPC torrent-add (paused), and is
then restarted so that both are measured starting from their saved state.

Measured, each R times (medians):
  start      from exec to the first answer listing all N transfers
  RSS        of the daemon with all N listed and the page open
  full       one full list: ours GET /api/sync?rid=0; transmission
             torrent-get (ids omitted) with the fields its web page asks for
             each transfer (FIELDS): bytes and milliseconds
  nothing    the incremental answer when nothing changed: ours
             /api/sync?rid=<last>; transmission torrent-get ids
             "recently-active" (what its page polls with)
  one        the incremental answer after one transfer changed (resumed)
  push       ours only: the SSE stream /api/events: bytes of its first
             event (the full state) and bytes per minute while nothing
             changes (keep-alives); n/a if the build has no stream
  page       the time a headless chromium takes from opening the page to
             showing all N rows, and the CPU (daemon, browser) in the
             IDLE_S seconds that follow with the page open and nothing
             changing
No DHT, LPD, UPnP/NAT-PMP or PEX anywhere; every address is 127.0.0.1.

usage: bench/web_scale.sh [--quick] [N (5000)] [R (3)]
"""
import base64
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pylib"))
import mtlib  # noqa: E402

BIN = os.environ.get("BIN", os.path.join(HERE, "..", "bin"))
IDLE_S = 20
# What transmission's own web page (3.00, torrent.js Fields.Stats and the
# list's metadata) asks for each torrent.
FIELDS = ["id", "name", "status", "percentDone", "rateDownload", "rateUpload", "peersConnected",
          "eta", "uploadRatio", "totalSize", "error", "errorString", "isFinished", "sizeWhenDone",
          "leftUntilDone", "uploadedEver", "downloadedEver", "queuePosition", "addedDate",
          "hashString", "metadataPercentComplete", "recheckProgress", "seedRatioLimit",
          "seedRatioMode", "isStalled", "peersGettingFromUs", "peersSendingToUs",
          "webseedsSendingToUs", "trackers"]


# ---- torrents and the saved session ---------------------------------------------------

def crc32c(data):
    table = crc32c.table
    if table is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    c = 0xFFFFFFFF
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


crc32c.table = None


def make_torrents(n, dead_urls):
    rng = random.Random(42)
    out = []
    for i in range(n):
        info = {b"name": b"file-%05d.bin" % i, b"length": 16384, b"piece length": 16384,
                b"pieces": hashlib.sha1(rng.randbytes(64)).digest()}
        meta = {b"announce": dead_urls[0], b"announce-list": [[u] for u in dead_urls], b"info": info}
        out.append((hashlib.sha1(mtlib.bencode(info)).digest(), mtlib.bencode(meta)))
    return out


def write_session(state, downloads, torrents):
    os.makedirs(os.path.join(state, "torrents"), mode=0o700)
    transfers = []
    for i, (ih, meta) in enumerate(torrents):
        with open(os.path.join(state, "torrents", ih.hex() + ".mtorrent"), "wb") as f:
            f.write(meta)
        transfers.append({b"complete": 0, b"data": os.path.join(downloads, "file-%05d.bin" % i).encode(),
                          b"info_hash": ih, b"kind": b"download", b"label": b"file-%05d.mtorrent" % i,
                          b"mtime_ns": 0, b"mtorrent": b"", b"paused": 1, b"size": 0, b"watch": b""})
    payload = mtlib.bencode({b"lookups": [], b"transfers": transfers, b"watched": []})
    head = b"MTSESS01" + struct.pack(">II", 1, len(payload)) + payload
    with open(os.path.join(state, "session.state"), "wb") as f:
        f.write(head + struct.pack(">I", crc32c(head)))


# ---- processes -------------------------------------------------------------------------

def cpu_seconds(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / tick


def pids_with(text):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if text in open("/proc/%s/cmdline" % d, "rb").read().decode(errors="replace"):
                    out.append(int(d))
            except OSError:
                pass
    return out


def timed(fn, repeats):
    times, size = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        size = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), size


class Http:
    def __init__(self, port, headers):
        self.port, self.headers = port, headers

    def call(self, method, path, body=None, extra=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            h = dict(self.headers)
            h.update(extra or {})
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            c.close()


# ---- ours ---------------------------------------------------------------------------------

class Ours:
    name = "ours (client daemon --web)"

    def __init__(self, work, torrents):
        self.work = work
        self.state = os.path.join(work, "state")
        self.downloads = os.path.join(work, "downloads")
        os.makedirs(self.downloads)
        write_session(self.state, self.downloads, torrents)
        self.n = len(torrents)
        self.ids = [ih.hex() for ih, _ in torrents]
        self.proc = None

    def start(self):
        err = os.path.join(self.work, "stderr")
        t1, t2 = mtlib.free_port(), mtlib.free_port()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "client"), "daemon", "127.0.0.1:%d" % mtlib.free_port(), "127.0.0.1:%d" % t1,
             "127.0.0.1:%d" % t2, os.path.join(self.work, "client.log"), "--state-dir", self.state,
             "--web", "127.0.0.1:0", "--download-dir", self.downloads, "--no-dht", "--no-pex"],
            cwd=self.work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(err, "wb"))
        deadline = time.time() + 120
        while time.time() < deadline:
            m = re.search(r"open (http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+))", open(err).read())
            if m:
                break
            if self.proc.poll() is not None:
                raise RuntimeError("our daemon exited: %s" % open(err).read()[-400:])
            time.sleep(0.01)
        self.url, self.token = m.group(1), m.group(3)
        self.http = Http(int(m.group(2)), {"Host": "127.0.0.1:%s" % m.group(2),
                                           "Authorization": "Bearer " + self.token})
        while len(self.sync(0)[1].get("transfers", {})) < self.n:
            time.sleep(0.05)
        return (time.perf_counter() - t0) * 1000

    def stop(self):
        mtlib.stop_process(self.proc)

    def sync(self, rid):
        status, _, body = self.http.call("GET", "/api/sync?rid=%d" % rid)
        return len(body), json.loads(body) if status == 200 else {}

    def full(self):
        return self.sync(0)[0]

    def nothing(self):
        """The incremental call alone (the rid it names fetched first)."""
        rid = self.sync(0)[1]["rid"]
        return lambda: self.sync(rid)[0]

    def one(self):
        rid = self.sync(0)[1]["rid"]
        form = {"X-MTorrent-CSRF": "1", "Content-Type": "application/x-www-form-urlencoded"}
        self.http.call("POST", "/api/resume", "id=" + self.ids[0], form)
        time.sleep(1.2)
        size, j = self.sync(rid)
        self.http.call("POST", "/api/pause", "id=" + self.ids[0], form)
        return size, len(j.get("transfers", {}))

    def settle(self):
        pass

    def push(self, seconds):
        """(bytes of the first event, bytes in `seconds` after it) or None."""
        s = socket.create_connection(("127.0.0.1", self.http.port), timeout=5)
        s.sendall(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                   "Accept: text/event-stream\r\n\r\n" % (self.http.port, self.token)).encode())
        buf = b""
        deadline = time.time() + 30
        try:
            while time.time() < deadline:
                if b"\r\n\r\n" in buf and not buf.startswith(b"HTTP/1.1 200"):
                    break  # no stream in this build
                if b"\n\n" in buf.split(b"\r\n\r\n", 1)[-1]:
                    break  # the first event is whole
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                buf += chunk
        except socket.timeout:
            pass
        if not buf.startswith(b"HTTP/1.1 200") or b"\r\n\r\n" not in buf:
            s.close()
            return None
        first = len(buf.split(b"\r\n\r\n", 1)[1])
        later = 0
        s.settimeout(0.5)
        end = time.time() + seconds
        while time.time() < end:
            try:
                chunk = s.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                break
            later += len(chunk)
        s.close()
        return first, later

    def page_url(self):
        return self.url

    def page_rows(self, driver):
        return driver.execute_script("return document.querySelectorAll('#rows tr').length")

    def pids(self):
        return [self.proc.pid]


# ---- transmission-daemon -------------------------------------------------------------------

class Transmission:
    name = "transmission-daemon 3.00 (RPC, its web page)"

    def __init__(self, work, torrents):
        self.work = work
        self.conf = os.path.join(work, "conf")
        self.downloads = os.path.join(work, "downloads")
        os.makedirs(self.conf)
        os.makedirs(self.downloads)
        self.port = mtlib.free_port()
        self.n = len(torrents)
        self.torrents = torrents
        self.proc = None
        with open(os.path.join(self.conf, "settings.json"), "w") as f:
            json.dump({"dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
                       "port-forwarding-enabled": False, "rpc-authentication-required": False,
                       "rpc-bind-address": "127.0.0.1", "rpc-whitelist": "127.0.0.1", "rpc-port": self.port,
                       "rpc-host-whitelist-enabled": False, "peer-port": mtlib.free_port(),
                       "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
                       "download-dir": self.downloads, "incomplete-dir-enabled": False,
                       "start-added-torrents": False, "message-level": 1}, f)
        self.sid = ""

    def rpc(self, method, args=None):
        body = json.dumps({"method": method, "arguments": args or {}}).encode()
        for _ in range(3):
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                c.request("POST", "/transmission/rpc", body=body,
                          headers={"X-Transmission-Session-Id": self.sid, "Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()
                if r.status == 409:
                    self.sid = r.getheader("X-Transmission-Session-Id")
                    continue
                return len(data), json.loads(data)
            finally:
                c.close()
        raise RuntimeError("transmission RPC: no session id")

    def launch(self):
        self.proc = subprocess.Popen(["transmission-daemon", "-f", "-g", self.conf, "-p", str(self.port),
                                      "-T", "-O", "-Y", "-M"],
                                     cwd=self.work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.work, "stderr"), "ab"))

    def count(self):
        try:
            return len(self.rpc("torrent-get", {"fields": ["id"]})[1]["arguments"]["torrents"])
        except (OSError, RuntimeError, KeyError, ValueError, http.client.HTTPException):
            return -1

    def prepare(self):
        self.launch()
        mtlib.wait_until(lambda: self.count() >= 0, 60, 0.05)
        for _, meta in self.torrents:
            self.rpc("torrent-add", {"metainfo": base64.b64encode(meta).decode(), "paused": True})
        self.stop()

    def start(self):
        t0 = time.perf_counter()
        self.launch()
        if not mtlib.wait_until(lambda: self.count() >= self.n, 180, 0.05):
            raise RuntimeError("transmission did not list %d torrents" % self.n)
        return (time.perf_counter() - t0) * 1000

    def stop(self):
        mtlib.stop_process(self.proc, timeout=60)

    def full(self):
        return self.rpc("torrent-get", {"fields": FIELDS})[0]

    def settle(self):
        """Transmission counts every torrent as recently active for about a
        minute after its start; its page's polls are measured after that,
        as a page open for long sees them."""
        mtlib.wait_until(lambda: len(self.rpc("torrent-get", {"fields": ["id"], "ids": "recently-active"})[1]
                                     ["arguments"]["torrents"]) == 0, 90, 1.0)

    def nothing(self):
        return lambda: self.rpc("torrent-get", {"fields": FIELDS, "ids": "recently-active"})[0]

    def one(self):
        first = self.rpc("torrent-get", {"fields": ["id"]})[1]["arguments"]["torrents"][0]["id"]
        self.rpc("torrent-start", {"ids": [first]})
        time.sleep(1.2)
        size, j = self.rpc("torrent-get", {"fields": FIELDS, "ids": "recently-active"})
        self.rpc("torrent-stop", {"ids": [first]})
        return size, len(j["arguments"]["torrents"])

    def push(self, seconds):
        return None

    def page_url(self):
        return "http://127.0.0.1:%d/transmission/web/" % self.port

    def page_rows(self, driver):
        return driver.execute_script("return document.querySelectorAll('#torrent_list li.torrent').length")

    def pids(self):
        return [self.proc.pid]


# ---- the browser ----------------------------------------------------------------------------

def open_browser(profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
              "--window-size=1280,900", "--disable-dev-shm-usage"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)


def page(sut, work):
    """(ms to show every row, daemon CPU %, browser CPU %) or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        return None
    profile = tempfile.mkdtemp(prefix="chromium-", dir=work)
    driver = open_browser(profile)
    try:
        t0 = time.perf_counter()
        driver.get(sut.page_url())
        if not mtlib.wait_until(lambda: sut.page_rows(driver) >= sut.n, 120, 0.05):
            return None
        shown = (time.perf_counter() - t0) * 1000
        time.sleep(2)
        browser = pids_with(profile)
        d0, b0, w0 = cpu_seconds(sut.pids()), cpu_seconds(browser), time.time()
        time.sleep(IDLE_S)
        d1, b1, w1 = cpu_seconds(sut.pids()), cpu_seconds(pids_with(profile)), time.time()
        rss = mtlib.rss_mib(sut.proc.pid)[0]
        return shown, 100 * (d1 - d0) / (w1 - w0), 100 * (b1 - b0) / (w1 - w0), rss
    finally:
        driver.quit()


# ---- the run --------------------------------------------------------------------------------

def measure(sut, work, repeats, quick=False):
    r = {"start": [], "rss": [], "page": []}
    for i in range(repeats):
        r["start"].append(sut.start())
        try:
            if i == 0:
                if not quick:  # (a smoke run does not wait the minute out)
                    sut.settle()
                r["full"] = timed(sut.full, 3)
                r["nothing"] = timed(sut.nothing(), 3)
                r["one"] = sut.one()
                r["push"] = sut.push(30)
            p = page(sut, work)
            if p:
                r["page"].append(p)
            r["rss"].append(mtlib.rss_mib(sut.proc.pid)[0])
        finally:
            sut.stop()
    return r


def kib(n):
    return "%.1f KiB" % (n / 1024.0)


def report(n, repeats, results, command):
    out = ["## Web front with %d transfers (`%s`)" % (n, command), "",
           "Medians over %d starts; %d paused single-file torrents, trackers dead, no DHT/LPD/PEX; page "
           "idle %d s in headless chromium. Measured %s on %s." %
           (repeats, n, IDLE_S, time.strftime("%Y-%m-%d"), os.uname().nodename), "",
           "| | start to full list | RSS | full list | nothing changed | one changed | push: first event, "
           "idle per min | page shows all rows | CPU idle, daemon | CPU idle, browser |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results:
        pg = r["page"]
        push = r.get("push")
        out.append("| %s | %.0f ms | %.1f MiB | %s, %.1f ms | %s, %.1f ms | %s (%d listed) | %s | %s | %s | %s |" % (
            name, statistics.median(r["start"]), statistics.median(r["rss"]),
            kib(r["full"][1]), r["full"][0], kib(r["nothing"][1]), r["nothing"][0],
            kib(r["one"][0]), r["one"][1],
            "%s, %s" % (kib(push[0]), kib(push[1] * 60 / 30)) if push else "n/a",
            "%.0f ms" % statistics.median(p[0] for p in pg) if pg else "n/a",
            "%.1f%%" % statistics.median(p[1] for p in pg) if pg else "n/a",
            "%.1f%%" % statistics.median(p[2] for p in pg) if pg else "n/a"))
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    command, append = "bench/web_scale.sh", None
    if "--command" in args:
        i = args.index("--command")
        command = args[i + 1]
        del args[i:i + 2]
    if "--append-benchmarks" in args:
        i = args.index("--append-benchmarks")
        append = args[i + 1]
        del args[i:i + 2]
    n, repeats, out_md = int(args[0]), int(args[1]), args[2]
    work = tempfile.mkdtemp(prefix="mt-web-scale-")
    suts = []

    def cleanup(*_):
        for s in suts:
            if s.proc is not None and s.proc.poll() is None:
                mtlib.stop_process(s.proc)
        shutil.rmtree(work, ignore_errors=True)
        sys.exit(130)
    signal.signal(signal.SIGTERM, cleanup)
    try:
        dead = [b"http://127.0.0.1:%d/announce" % mtlib.free_port() for _ in range(2)]
        torrents = make_torrents(n, dead)
        results = []
        os.makedirs(os.path.join(work, "ours"))
        ours = Ours(os.path.join(work, "ours"), torrents)
        suts.append(ours)
        quick = "--quick" in command
        results.append((ours.name, measure(ours, work, repeats, quick)))
        if shutil.which("transmission-daemon"):
            tr = Transmission(os.path.join(work, "transmission"), torrents)
            suts.append(tr)
            tr.prepare()
            results.append((tr.name, measure(tr, work, repeats, quick)))
        else:
            print("bench/web_scale: transmission-daemon missing (apt-get install -y transmission-daemon)")
        text = report(n, repeats, results, command)
        print(text)
        os.makedirs(os.path.dirname(out_md), exist_ok=True)
        with open(out_md, "w") as f:
            f.write(text)
        if append:
            with open(append, "a") as f:
                f.write("\n" + text)
    finally:
        for s in suts:
            if s.proc is not None and s.proc.poll() is None:
                mtlib.stop_process(s.proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
