"""The interactive client (bin/client <ip:port> <tracker1> <tracker2> <log>)
on a pipe, as a script drives it: one command in, exactly one reply out.

Every reply starts with SUCCESS:<value> or FAILURE:<REASON>; a list reply
SUCCESS:<N> is followed by N lines indented by two spaces, which is how the
driver reads exactly one reply per command. (tests/pylib/term.py drives it
at a terminal instead.)
"""
import os
import queue
import re
import signal
import subprocess
import threading

import mtlib
from mtlib import BIN, free_port, stop_process

LIST_COMMANDS = ("show", "search", "status", "peers", "help", "files")


class Reply:
    def __init__(self, first, lines):
        m = re.match(r'(SUCCESS|FAILURE):("(?:[^"\\]|\\.)*"|\S*)(?: (.*))?$', first)
        if not m:
            raise AssertionError("reply does not start with SUCCESS:/FAILURE: %r" % first)
        self.ok = m.group(1) == "SUCCESS"
        v = m.group(2)
        # A value with blanks or quotes comes quoted, as the prompt's own
        # tokenizer reads it.
        self.value = re.sub(r'\\(.)', r'\1', v[1:-1]) if v.startswith('"') else v
        self.detail = m.group(3) or ""
        self.lines = lines
        self.text = "\n".join([first] + lines)

    def __repr__(self):
        return repr(self.text[:600])


class Client:
    """One interactive bin/client on a pipe; stdout is read by a thread."""

    def __init__(self, suite, name, t1, t2, state_dir=None, start=True, host="127.0.0.1", extra=()):
        """host: the address it serves peers on (::1 for IPv6); extra: more
        command-line options."""
        self.extra = list(extra)
        self.suite = suite
        self.t1, self.t2 = t1, t2
        self.host = host
        self.port = free_port(host)
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = state_dir or os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "client.log")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.proc = None
        suite.procs.append(self)
        if start:
            self.start()

    def start(self):
        args = [os.path.join(BIN, "client"), mtlib.host_port(self.host, self.port),
                mtlib.host_port(self.t1.host, self.t1.port), mtlib.host_port(self.t2.host, self.t2.port),
                self.log, "--state-dir", self.state] + self.extra
        self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(self.stderr_path, "ab"))
        self.out = queue.Queue()
        proc = self.proc

        def pump():
            for raw in proc.stdout:
                self.out.put(raw.decode(errors="replace").rstrip("\n"))
            self.out.put(None)
        self.reader = threading.Thread(target=pump, daemon=True)
        self.reader.start()
        return self

    def line(self, timeout):
        try:
            line = self.out.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no reply within %.0f s; stderr %r" % (timeout, self.err()[-300:]))
        if line is None:
            raise AssertionError("the client exited (rc=%s); stderr %r" % (self.proc.poll(), self.err()[-300:]))
        return line

    def cmd(self, text, timeout=15):
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()
        first = self.line(timeout)
        r = Reply(first, [])
        word = text.split()[0].lower() if text.split() else ""
        if r.ok and word in LIST_COMMANDS and r.value.isdigit():
            r.lines = [self.line(timeout) for _ in range(int(r.value))]
            for x in r.lines:
                if not x.startswith("  "):
                    raise AssertionError("list line not indented: %r" % x)
            r.text = "\n".join([first] + r.lines)
        return r

    def expect(self, text, code=None, **kw):
        """Runs a command; code None: must succeed, else must fail with that code."""
        r = self.cmd(text, **kw)
        if code is None and not r.ok:
            raise AssertionError("%r failed: %r" % (text, r))
        if code is not None and (r.ok or r.value != code):
            raise AssertionError("%r: want FAILURE:%s, got %r" % (text, code, r))
        return r

    def quit(self, word="quit", timeout=20):
        r = self.expect(word)
        if r.value != "quit":
            raise AssertionError("quit answered %r" % r)
        return self.wait(timeout)

    def wait(self, timeout=20):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("the client did not exit within %d s" % timeout)
        self.reader.join(5)
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20):
        stop_process(self.proc, sig, timeout)

    def kill9(self):
        self.stop(signal.SIGKILL)
        self.reader.join(5)

    def err(self):
        return open(self.stderr_path, errors="replace").read() if os.path.exists(self.stderr_path) else ""

    def logtext(self):
        return open(self.log, errors="replace").read() if os.path.exists(self.log) else ""

    def transfers(self):
        return self.expect("show downloads").lines

    def transfer_state(self, label):
        """(state letter, percent or None) of the transfer labelled so, or None."""
        for x in self.transfers():
            m = re.match(r"\s*\[(.)\] (\S+)  (?:\[[#.]*\] )?\s*(?:([\d.]+)%)?", x)
            if m and m.group(2) == label:
                return m.group(1), (float(m.group(3)) if m.group(3) else None)
        return None
