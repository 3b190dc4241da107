"""`bin/client daemon ... --web 127.0.0.1:0` and its web interface, as a
script (or a browser test) drives it: the URL with the token read from its
stderr, raw HTTP requests whose every header the test chooses, and the
Server-Sent Events stream GET /api/events read over a raw socket."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

import mtlib
from mtlib import BIN, free_port, stop_process


class WebDaemon:
    def __init__(self, suite, name, t1, t2, extra=(), start=True, web="127.0.0.1:0"):
        self.suite = suite
        self.t1, self.t2 = t1, t2
        self.port = free_port()
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = os.path.join(self.dir, "state")
        self.downloads = os.path.join(self.dir, "downloads")
        self.log = os.path.join(self.dir, "client.log")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.extra = list(extra)
        self.web = web
        self.proc = None
        self.url = self.token = None
        self.web_port = None
        suite.procs.append(self)
        if start:
            self.start()

    def args(self):
        return [os.path.join(BIN, "client"), "daemon", mtlib.host_port("127.0.0.1", self.port),
                mtlib.host_port(self.t1.host, self.t1.port), mtlib.host_port(self.t2.host, self.t2.port),
                self.log, "--state-dir", self.state, "--web", self.web,
                "--download-dir", self.downloads] + self.extra

    def start(self, wait=True):
        open(self.stderr_path, "wb").close()
        self.proc = subprocess.Popen(self.args(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.stderr_path, "ab"))
        if not wait:
            return self
        deadline = time.time() + 20
        while time.time() < deadline:
            m = re.search(r"web interface: open (http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+))", self.err())
            if m:
                self.url, self.web_port, self.token = m.group(1), int(m.group(2)), m.group(3)
                return self
            if self.proc.poll() is not None:
                raise AssertionError("the daemon exited (rc=%s): %r" % (self.proc.returncode, self.err()[-500:]))
            time.sleep(0.05)
        raise AssertionError("the daemon printed no URL: %r" % self.err()[-500:])

    def err(self):
        return open(self.stderr_path, errors="replace").read() if os.path.exists(self.stderr_path) else ""

    def logtext(self):
        return open(self.log, errors="replace").read() if os.path.exists(self.log) else ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20):
        stop_process(self.proc, sig, timeout)

    def wait(self, timeout=20):
        return self.proc.wait(timeout)

    def request(self, method, path, body=None, headers=None, auth=True, csrf=True):
        """(status, {header: value} lower-cased, body bytes). By default with
        the token (Bearer) and, for a POST, the CSRF header."""
        h = {"Host": "127.0.0.1:%d" % self.web_port}
        if auth:
            h["Authorization"] = "Bearer " + self.token
        if csrf and method == "POST":
            h["X-MTorrent-CSRF"] = "1"
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        c = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=15)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def api(self, method, path, body=None, **kw):
        status, _, data = self.request(method, path, body, **kw)
        return status, json.loads(data)

    def transfers(self):
        """The full state: {id: transfer}."""
        status, j = self.api("GET", "/api/sync?rid=0")
        if status != 200:
            raise AssertionError("sync: %d %r" % (status, j))
        return j["transfers"]

    def events(self, path="/api/events", auth=True):
        """An EventStream on `path` (its head already read)."""
        return EventStream(self.web_port, path, self.token if auth else None)


class EventStream:
    """GET /api/events over a raw socket: `status`, `headers` (lower-cased
    names) and, for a stream, next_event() parsing text/event-stream; for
    any other answer `body` holds the (Content-Length) body."""

    def __init__(self, port, path, token):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        req = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (path, port)
        if token:
            req += "Authorization: Bearer %s\r\n" % token
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        self.comments = 0
        while b"\r\n\r\n" not in self.buf:
            self._recv(15)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in
                        (ln.split(":", 1) for ln in lines[1:])}
        self.body = b""
        if "content-length" in self.headers:
            n = int(self.headers["content-length"])
            while len(self.buf) < n:
                self._recv(15)
            self.body = self.buf[:n]

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the stream")
        self.buf += data

    def next_event(self, timeout=15):
        """(event name, data) of the next event; comments are counted and
        skipped. socket.timeout when none comes within `timeout`."""
        deadline = time.time() + timeout
        while True:
            while b"\n\n" not in self.buf:
                left = deadline - time.time()
                if left <= 0:
                    raise socket.timeout("no event within %.0f s" % timeout)
                self._recv(left)
            block, self.buf = self.buf.split(b"\n\n", 1)
            name, data = "message", []
            for line in block.decode().split("\n"):
                if line.startswith(":"):
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
            if not data:
                self.comments += 1
                continue
            return name, "\n".join(data)

    def next_sync(self, timeout=15):
        """The JSON of the next "sync" event."""
        name, data = self.next_event(timeout)
        if name != "sync":
            raise AssertionError("unexpected event %r: %r" % (name, data[:200]))
        return json.loads(data)

    def close(self):
        self.sock.close()
