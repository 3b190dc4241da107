"""`bin/client daemon ... --web 127.0.0.1:0` and its web interface, as a
script (or a browser test) drives it: the URL with the token read from its
stderr, and raw HTTP requests whose every header the test chooses."""
import http.client
import json
import os
import re
import signal
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
