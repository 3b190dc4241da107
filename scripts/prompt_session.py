"""Records the README's prompt session from a real run.

Starts two trackers (127.0.0.1:6969 and :6970) and bob (a client on a pipe,
upload capped at 4 MiB/s so the download can be watched) who shares a 40 MiB
holiday.mp4; then alice's client runs at a pseudo-terminal, as a person
would use it, and types the commands below. Prints the terminal's text
(control sequences of the progress line removed) for README.md. Every
process is stopped by PID and the work folder removed.

usage: python3 scripts/prompt_session.py   (BIN: folder of tracker and client)
"""
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.environ.get("BIN", os.path.join(REPO, "bin"))
PROMPT = b"mtorrent> "

# (command, seconds to wait before typing it)
SESSION = [
    ("search holiday", 0.5),
    ("get holiday.mp4 downloads/", 0),
    ("show downloads", 4),
    ("status", 0),
    ("peers holiday.mp4.mtorrent", 0),
    ("show downloads", 9),
    ("remove holiday.mp4.mtorrent", 0),
    ("bogus", 0),
    ("quit", 0),
]


def read_until(fd, marker, timeout):
    out = b""
    end = time.monotonic() + timeout
    while marker not in out and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def plain(raw):
    """The text a person saw: carriage-return redraws resolved, escapes gone."""
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", raw).decode(errors="replace")
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        lines.append(line.split("\r")[-1])
    return lines


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
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(work)
            os.execv(os.path.join(BIN, "client"), [os.path.join(BIN, "client"), "127.0.0.1:6881",
                                                     "127.0.0.1:6969", "127.0.0.1:6970", "alice.log"])
        raw = read_until(fd, PROMPT, 10)
        for cmd, wait in SESSION:
            time.sleep(wait)
            os.write(fd, cmd.encode() + b"\r")
            raw += read_until(fd, PROMPT if cmd != "quit" else b"\x00", 20 if cmd == "quit" else 10)
        os.waitpid(pid, 0)
        for line in plain(raw):
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
