"""Records the README's prompt session from a real run.

Starts two trackers (127.0.0.1:6969 and :6970) and bob (a client on a pipe,
upload capped at 4 MiB/s so the download can be watched) who shares a 40 MiB
holiday.mp4; then alice's client runs at a pseudo-terminal, as a person
would use it, and types the keys below. Prints the screen as a terminal
emulator (python3-pyte, tests/pylib/term.py) shows it, for README.md. Every
process is stopped by PID and the work folder removed.

usage: /usr/bin/python3 scripts/prompt_session.py   (BIN: folder of tracker and client)
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.environ.get("BIN", os.path.join(REPO, "bin"))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(REPO, "tests", "pylib"))
from term import Terminal  # noqa: E402  (python3-pyte)

# (what is typed, seconds to wait before typing it); "\t" is Tab.
SESSION = [
    ("search holiday\r", 0.5),
    ("get holiday.mp4 downloads/\r", 0),
    ("show downloads\r", 4),
    ("stauts\r", 0),
    ("sta\t\r", 0),
    ("pause hol\t\r", 0),
    ("show downloads\r", 1.5),
    ("resume holiday.mp4.mtorrent\r", 0),
    ("help limit\r", 0),
    ("peers holiday.mp4.mtorrent\r", 1.5),
    ("", 9),  # the download finishes: a notice at the prompt
    ("show downloads\r", 0),
    ("remove holiday.mp4.mtorrent\r", 0),
    ("quit\r", 0),
]


def main():
    work = tempfile.mkdtemp(prefix="prompt-demo-")
    procs = []
    try:
        t = [os.path.join(BIN, "tracker")]
        for me, other in (("6969", "6970"), ("6970", "6969")):
            procs.append(subprocess.Popen(t + ["127.0.0.1:" + me, "127.0.0.1:" + other, "t%s.state" % me,
                                               "t%s.log" % me], cwd=work, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
        time.sleep(0.5)
        bob_dir = os.path.join(work, "bob")
        os.makedirs(bob_dir)
        with open(os.path.join(bob_dir, "holiday.mp4"), "wb") as f:
            f.write(os.urandom(40 << 20))
        bob = subprocess.Popen([os.path.join(BIN, "client"), "127.0.0.1:6882", "127.0.0.1:6969", "127.0.0.1:6970",
                                "bob.log", "--state-dir", "bob-state", "--max-upload-rate", "4096"], cwd=bob_dir,
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(bob)
        bob.stdin.write(b"share holiday.mp4 holiday.mtorrent\n")
        bob.stdin.flush()
        time.sleep(1.5)
        term = Terminal([os.path.join(BIN, "client"), "127.0.0.1:6881", "127.0.0.1:6969", "127.0.0.1:6970",
                         "alice.log"], cwd=work, cols=200, rows=400)
        term.wait(r"^mtorrent>", 10)
        for keys, wait in SESSION:
            time.sleep(wait)
            term.pump(0.05)
            if keys:
                term.type(keys, 0.5 if keys != "quit\r" else 0.05)
        term.wait_exit(30)
        term.close()
        lines = term.lines()
        while lines and not lines[-1]:
            lines.pop()
        for line in lines:
            print("    " + line.replace(work, "/tmp/prompt-demo").rstrip())
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
