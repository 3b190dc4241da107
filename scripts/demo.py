"""make demo: the whole system on loopback, in under a minute.

Starts tracker 1 and tracker 2 and three interactive clients (alice, bob,
carol), drives the clients through their prompts (a pipe: one command, one
reply), and narrates:
  1. alice shares a generated 64 MiB file (her upload capped at 8 MiB/s so
     the transfer lasts long enough to watch);
  2. bob and carol get it at once;
  3. tracker 1 is killed (SIGKILL) half-way: the downloads go on through
     tracker 2;
  4. both finish; tracker 1 restarts and catches up (same state digest as
     tracker 2);
  5. a short report: times, rates, SHA-1 match, replication state.
Every process it started is stopped by PID, and its folder removed, on the
way out (also on Ctrl-C or failure).

usage: python3 scripts/demo.py [--keep]   (BIN: folder of tracker and client)
"""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "pylib"))
import mtlib  # noqa: E402
from mtlib import sha1_file, Suite, free_port, stop_process, tracker_pair, wait_until  # noqa: E402

MIB = 1024 * 1024
SIZE = 64 * MIB
UPLOAD_CAP_KIB = 8192
LIST_COMMANDS = ("show", "status", "peers", "search", "help")
T0 = time.time()


def say(text=""):
    print("[%5.1fs] %s" % (time.time() - T0, text) if text else "", flush=True)


class Client:
    """An interactive bin/client driven through a pipe: one command, one reply."""

    def __init__(self, work, name, trackers, extra=()):
        self.name = name
        self.port = free_port()
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "client.log")
        args = [os.path.join(mtlib.BIN, "client"), "127.0.0.1:%d" % self.port] + \
               ["127.0.0.1:%d" % t.port for t in trackers] + \
               [self.log, "--state-dir", os.path.join(self.dir, "state")] + list(extra)
        self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(self.dir, "stderr"), "ab"), text=True, bufsize=1)
        self.lock = threading.Lock()

    def ask(self, command, timeout=20):
        """Sends one command and returns the reply's lines (first line first)."""
        with self.lock:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
            deadline = time.time() + timeout
            first = self._line(deadline)
            lines = [first]
            if command.split()[0] in LIST_COMMANDS and first.startswith("SUCCESS:"):
                n = int(first.split()[0].split(":", 1)[1])
                lines += [self._line(deadline) for _ in range(n)]
            return lines

    def _line(self, deadline):
        # The client answers at once (the prompt never waits on the network);
        # readline blocks on the pipe, bounded by the process being alive.
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("%s: the client closed its output (exit %s)" % (self.name, self.proc.poll()))
        if time.time() > deadline:
            raise RuntimeError("%s: reply too late" % self.name)
        return line.rstrip("\n")

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.ask("quit", timeout=15)
            except Exception:
                pass
        stop_process(self.proc, signal.SIGTERM, 15)


def percent(line):
    for tok in line.split():
        if tok.endswith("%"):
            try:
                return float(tok[:-1])
            except ValueError:
                pass
    return None


def main():
    keep = "--keep" in sys.argv
    suite = Suite()
    work = suite.work
    clients = []
    try:
        say("mtorrent demo: 2 trackers, 3 clients, one 64 MiB file, on 127.0.0.1 (work folder %s)" % work)
        t1, t2 = tracker_pair(suite, extra=["--interval", "2", "--min-interval", "1"])
        say("tracker 1 on 127.0.0.1:%d and tracker 2 on 127.0.0.1:%d are up, replicating to each other" %
            (t1.port, t2.port))
        alice = Client(work, "alice", (t1, t2), ["--max-upload-rate", str(UPLOAD_CAP_KIB)])
        bob = Client(work, "bob", (t1, t2))
        carol = Client(work, "carol", (t1, t2))
        clients = [alice, bob, carol]
        say("clients alice (:%d, upload capped at %d MiB/s so we can watch), bob (:%d), carol (:%d) started" %
            (alice.port, UPLOAD_CAP_KIB // 1024, bob.port, carol.port))

        src = os.path.join(alice.dir, "holiday-video.bin")
        with open(src, "wb") as f:
            for _ in range(SIZE // MIB):
                f.write(os.urandom(MIB))
        want = sha1_file(src)
        torrent = os.path.join(work, "holiday-video.mtorrent")
        say("alice> share %s holiday-video.mtorrent" % os.path.basename(src))
        r = alice.ask("share %s %s" % (src, torrent), timeout=60)
        say("  " + r[0])
        if not r[0].startswith("SUCCESS"):
            raise RuntimeError("share failed")
        ok = wait_until(lambda: all((t.stats() or {}).get("seeders", 0) >= 1 for t in (t1, t2)), 15, 0.1)
        say("both trackers list alice as a seeder" if ok else "trackers do not list alice yet")

        dests = {}
        start = time.time()
        for c in (bob, carol):
            dests[c] = os.path.join(c.dir, "holiday-video.bin")
            r = c.ask("get %s %s" % (torrent, dests[c]))
            say("%s> get holiday-video.mtorrent -> %s" % (c.name, r[0]))
            if not r[0].startswith("SUCCESS"):
                raise RuntimeError("%s: get failed" % c.name)

        killed_at = None
        done = {}
        while len(done) < 2 and time.time() - start < 50:
            line = []
            for c in (bob, carol):
                rows = c.ask("show downloads")[1:]
                row = next((x for x in rows if "holiday" in x), "")
                p = percent(row) or 0.0
                line.append("%s %5.1f%%" % (c.name, p))
                if c not in done and (row.lstrip().startswith("[S]") or p >= 100.0):
                    done[c] = time.time() - start
            say("progress: " + "   ".join(line))
            if killed_at is None and all(float(x.split()[1][:-1]) >= 50 for x in line):
                t1.kill9()
                killed_at = time.time() - start
                say("*** tracker 1 killed (SIGKILL), %.1f s into the downloads; the clients go on through tracker 2" % killed_at)
            time.sleep(0.5)  # the demo's refresh period
        if len(done) < 2:
            raise RuntimeError("downloads did not finish within 50 s")
        for c in (bob, carol):
            say("%s finished in %.1f s" % (c.name, done[c]))
        st = bob.ask("status")
        say("bob> status")
        for x in st:
            say("  " + x)

        say("restarting tracker 1 ...")
        t1.start()
        t_restart = time.time()
        caught = wait_until(lambda: t1.digest() is not None and t1.digest() == t2.digest(), 20, 0.1)
        s1, s2 = t1.stats() or {}, t2.stats() or {}
        say("tracker 1 caught up in %.1f s: state digest %s == tracker 2's %s; seeders %s / %s" % (
            time.time() - t_restart, (t1.digest() or "?")[:12], (t2.digest() or "?")[:12],
            s1.get("seeders"), s2.get("seeders")) if caught else "tracker 1 did NOT catch up within 20 s")

        say()
        say("report")
        all_ok = caught and killed_at is not None
        for c in (bob, carol):
            got = sha1_file(dests[c])
            match = got == want
            all_ok = all_ok and match
            say("  %-6s 64 MiB in %5.1f s (%5.1f MiB/s), SHA-1 %s" % (
                c.name, done[c], 64 / done[c], "matches" if match else "DIFFERS"))
        say("  tracker 1 killed %.1f s into the downloads; they continued through tracker 2" % (killed_at or -1))
        say("  replication: tracker 1 %s after its restart" % ("caught up" if caught else "did NOT catch up"))
        say("demo %s" % ("OK" if all_ok else "FAILED"))
        return 0 if all_ok else 1
    finally:
        for c in clients:
            c.quit()
        for t in suite.procs:
            t.stop()
        if keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
