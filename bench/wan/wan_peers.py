"""bench/wan peers: one seeder or leecher of a given kind (ours, aria2c,
libtorrent, transmission) in its own network namespace, bound to that
namespace's address with DHT, LSD/LPD, PEX, UPnP, NAT-PMP and uTP off.

Every leecher keeps seeding once complete, until the swarm is over (as the
Kumar-Ross bound assumes). When a leecher is complete:
  ours          its stdout says "complete and verified" (bin/client get
                --seed-after; seen by polling, within 50 ms)
  aria2c        its --on-bt-download-complete hook writes the clock
                (run when the download is complete, before seeding)
  libtorrent    bench/wan/lt_peer.py writes the clock at is_seeding (20 ms poll)
  transmission  its torrent-done script (-f) writes the clock
Every downloaded file's SHA-1 is checked after the swarm.
CPU: user+sys from /proc/PID/stat (every peer is still running at the end of
the swarm), or wait4's rusage if it exited early.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "pylib"))
import real_clients as tct  # noqa: E402

KINDS = ("ours", "aria2c", "libtorrent", "transmission")
SEED_FOREVER = 100000  # seconds: bin/client get --seed-after; stopped by SIGTERM long before
TICK = os.sysconf("SC_CLK_TCK")


def done_script(path, marker):
    """A hook script that writes the clock to marker (atomically)."""
    with open(path, "w") as f:
        f.write("#!/bin/sh\ndate +%%s.%%N > '%s.tmp' && mv '%s.tmp' '%s'\n" % (marker, marker, marker))
    os.chmod(path, 0o755)


class Peer:
    def __init__(self, kind, seeder, index, ns, ip, port, folder, torrent, data_dir, name, bin_dir, timeout):
        """folder: this peer's own folder (config, logs, download); data_dir:
        the seeder's data folder; name: the payload's file name."""
        self.kind = kind
        self.seeder = seeder
        self.index = index
        self.ns = ns
        self.ip = ip
        self.port = port
        self.folder = folder
        self.torrent = torrent
        self.name = name
        self.dest = data_dir if seeder else os.path.join(folder, "dl")
        self.marker = os.path.join(folder, "done")
        self.log = os.path.join(folder, "out.log")
        self.bin_dir = bin_dir
        self.timeout = timeout
        self.proc = None
        self.rusage_cpu = None  # set if the process exited (wait4)
        self.exit_code = None
        self.started = None
        self.done_at = None
        self._log_pos = 0
        os.makedirs(folder, exist_ok=True)
        if not seeder:
            os.makedirs(self.dest, exist_ok=True)

    def args(self):
        ip, port, folder = self.ip, self.port, self.folder
        if self.kind == "ours":
            client = os.path.join(self.bin_dir, "client")
            log = ["--log", os.path.join(folder, "client.log")]
            if self.seeder:
                return [client, "seed", self.torrent, os.path.join(self.dest, self.name), "--port", str(port),
                        "--bind", ip] + log + os.environ.get("WAN_OUR_SEED_ARGS", "").split()
            return [client, "get", self.torrent, self.dest, "--port", str(port), "--bind", ip,
                    "--seed-after", str(SEED_FOREVER), "--timeout", str(int(self.timeout) + 60),
                    "--progress-ms", "1000"] + log
        if self.kind == "aria2c":
            a = ["aria2c", "--no-conf=true", "--enable-dht=false", "--enable-dht6=false",
                 "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
                 "--interface=%s" % ip, "--listen-port=%d" % port, "--dir=%s" % self.dest,
                 "--summary-interval=0", "--console-log-level=warn", "--async-dns=false",
                 "--follow-torrent=false", "--bt-save-metadata=false", "--auto-save-interval=0",
                 "--seed-ratio=0.0"]
            if self.seeder:
                return a + ["-V", self.torrent]
            script = os.path.join(folder, "done.sh")
            done_script(script, self.marker)
            return a + ["--on-bt-download-complete=%s" % script, self.torrent]
        if self.kind == "libtorrent":
            return [sys.executable, os.path.join(HERE, "lt_peer.py"), self.torrent, self.dest, ip, str(port),
                    self.marker]
        if self.kind == "transmission":
            cfg = os.path.join(folder, "trcfg")
            shutil.rmtree(cfg, ignore_errors=True)
            os.makedirs(cfg)
            settings = tct.transmission_settings(port, self.dest, 1)
            settings.update({"bind-address-ipv4": ip, "alt-speed-enabled": False, "watch-dir-enabled": False,
                             "encryption": 0})
            with open(os.path.join(cfg, "settings.json"), "w") as f:
                json.dump(settings, f)
            a = ["transmission-cli", "-g", cfg, "-w", self.dest, "-p", str(port), "-M", "-D", "-U", "-et"]
            if self.seeder:
                return a + ["-v", self.torrent]
            script = os.path.join(folder, "done.sh")
            done_script(script, self.marker)
            return a + ["-f", script, self.torrent]
        raise ValueError("unknown kind %r" % self.kind)

    def start(self, exec_prefix):
        args = self.args()
        log = open(self.log, "ab")
        self.started = time.time()
        # `ip netns exec` execs the program: the PID is the peer's own.
        self.proc = subprocess.Popen(list(exec_prefix) + args, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()

    def alive(self):
        """False once the process has exited (reaped with wait4, its CPU kept)."""
        if self.proc is None or self.exit_code is not None:
            return False
        pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.exit_code
        self.rusage_cpu = ru.ru_utime + ru.ru_stime
        return False

    def check_done(self):
        """The time this leecher completed (seconds since the epoch) or None."""
        if self.done_at is not None:
            return self.done_at
        if self.kind == "ours":
            try:
                with open(self.log, "rb") as f:
                    f.seek(self._log_pos)
                    chunk = f.read()
            except OSError:
                return None
            if b"complete and verified" in chunk:
                self.done_at = time.time()
            else:
                self._log_pos += max(0, len(chunk) - 64)  # a line may be split across reads
            return self.done_at
        if os.path.exists(self.marker):
            with open(self.marker) as f:
                text = f.read()
            self.done_at = json.loads(text)["t"] if self.kind == "libtorrent" else float(text)
        return self.done_at

    def cpu_s(self):
        if self.rusage_cpu is not None:
            return self.rusage_cpu
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, AttributeError):
            return 0.0

    def signal_stop(self):
        """SIGINT for transmission-cli (its clean exit), SIGTERM for the others."""
        if self.proc is not None and self.alive():
            self.proc.send_signal(signal.SIGINT if self.kind == "transmission" else signal.SIGTERM)

    def wait_stopped(self, timeout=10):
        """Waits for the exit after signal_stop(); SIGKILL past the timeout."""
        if self.proc is None:
            return
        deadline = time.time() + timeout
        while self.alive() and time.time() < deadline:
            time.sleep(0.02)
        if self.alive():
            self.proc.kill()
            while self.alive():
                time.sleep(0.02)

    def tail(self, n=400):
        try:
            with open(self.log, "rb") as f:
                return f.read()[-n:].decode(errors="replace").replace("\n", " | ")
        except OSError:
            return ""

    def downloaded(self):
        return os.path.join(self.dest, self.name)
