"""A program on a pseudo-terminal, read through a real terminal emulator
(pyte, python3-pyte), so that a test asserts what a person would see on
the screen, not which bytes went by."""
import copy
import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time

import pyte


def _controlling_terminal():
    """In the child: a new session whose controlling terminal is the pty on
    stdin, so Ctrl-C there sends SIGINT as in a real terminal."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class _Screen(pyte.Screen):
    """pyte's screen with the alternate screen (private mode 1049) that
    full-screen views use: entering it keeps the normal screen, leaving it
    brings that back, as xterm does."""

    def set_mode(self, *modes, **kwargs):
        if kwargs.get("private") and 1049 in modes:
            self._saved = (copy.deepcopy(self.buffer), self.cursor.x, self.cursor.y)
            self.erase_in_display(2)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes, **kwargs):
        if kwargs.get("private") and 1049 in modes and getattr(self, "_saved", None):
            buf, x, y = self._saved
            self.buffer.clear()
            self.buffer.update(buf)
            self.cursor_position(y + 1, x + 1)
            self._saved = None
            self.dirty.update(range(self.lines))
        super().reset_mode(*modes, **kwargs)


class Terminal:
    def __init__(self, argv, cwd, cols=120, rows=40, env=None, log_path=None):
        """`log_path`: every byte written is appended there too (where
        mtlib.Suite looks for sanitizer reports)."""
        self.cols, self.rows = cols, rows
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                                     close_fds=True, preexec_fn=_controlling_terminal, env=env)
        os.close(slave)
        self.screen = _Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""  # every byte the program wrote
        self.closed = False
        self.log = open(log_path, "ab") if log_path else None

    def pump(self, timeout=0.05):
        """Reads what the program wrote within `timeout` into the screen."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            r, _, _ = select.select([self.master], [], [], max(left, 0))
            if not r:
                return
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                self.closed = True
                return
            if not chunk:
                self.closed = True
                return
            self.raw += chunk
            if self.log:
                self.log.write(chunk)
                self.log.flush()
            self.stream.feed(chunk)

    def type(self, data, pause=0.05):
        if isinstance(data, str):
            data = data.encode()
        os.write(self.master, data)
        self.pump(pause)

    def lines(self):
        return [line.rstrip() for line in self.screen.display]

    def text(self):
        return "\n".join(self.lines())

    def cursor_line(self):
        """The cursor's row up to the end of its text or the cursor,
        whichever is further (so a blank typed last shows)."""
        row = self.screen.display[self.screen.cursor.y]
        return row[:max(len(row.rstrip()), self.screen.cursor.x)]

    def wait(self, pattern, timeout=15, where="screen"):
        """Until the regex matches the screen (or the cursor's line, or the
        raw output); returns the match, raises with the screen otherwise."""
        deadline = time.time() + timeout
        while True:
            hay = {"screen": self.text, "line": self.cursor_line,
                   "raw": lambda: self.raw.decode(errors="replace")}[where]()
            m = re.search(pattern, hay, re.M)
            if m:
                return m
            if time.time() > deadline or self.closed:
                raise AssertionError("waited for %r on the %s; it shows:\n%s" % (pattern, where, self.text()))
            self.pump(0.1)

    def termios_flags(self):
        """The terminal's local flags now (ICANON, ECHO...)."""
        return termios.tcgetattr(self.master)[3]

    def wait_exit(self, timeout=20):
        deadline = time.time() + timeout
        while self.proc.poll() is None and time.time() < deadline:
            self.pump(0.1)
        return self.proc.wait(max(deadline - time.time(), 0.1))

    def close(self):
        self.pump(0.05)  # what it wrote last (a sanitizer's report) reaches the log
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass
