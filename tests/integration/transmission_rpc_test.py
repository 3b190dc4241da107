#!/usr/bin/env python3
"""Debian's `transmission-remote` (transmission-cli) driving `bin/client
daemon ... --web` through /transmission/rpc: add a .mtorrent served by a
seeder on the prompt, list it to 100%, stop and start it, verify it (a
damaged piece fetched again), remove it (--remove-and-delete deletes a
finished download, and is refused for a share); a wrong password refused
(401); the X-Transmission-Session-Id handshake (409) as a raw request sees it. Skipped without transmission-remote (failed with
CI=true, see mtlib.Suite.skip)."""
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import Suite, bdecode, bencode, sha1_file, tracker_pair, wait_until  # noqa: E402
from prompt_client import Client  # noqa: E402
from web_client import WebDaemon  # noqa: E402

MIB = 1 << 20
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
REMOTE = shutil.which("transmission-remote")


def remote(d, *args, password=None):
    """transmission-remote against the daemon: (exit code, stdout + stderr)."""
    cmd = [REMOTE, "127.0.0.1:%d" % d.web_port, "--auth",
           "mtorrent:" + (d.token if password is None else password)] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def info_hash_of(mt):
    with open(mt, "rb") as f:
        meta = bdecode(f.read())
    return hashlib.sha1(bencode(meta[b"info"])).hexdigest()


def listed(d):
    """The rows of `-l` (without the header and the Sum line)."""
    rc, out = remote(d, "-l")
    assert rc == 0, out
    lines = out.splitlines()
    assert lines and lines[0].split()[:2] == ["ID", "Done"], out
    return [x for x in lines[1:] if not x.startswith("Sum:")]


def add_list_stop_start_remove(suite):
    if not REMOTE:
        return "skip: transmission-remote is not installed (apt-get install transmission-cli)"
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    seeder = Client(suite, "seeder", t1, t2)
    data = os.path.join(seeder.dir, "rpc data.bin")
    with open(data, "wb") as f:
        f.write(os.urandom(2 * MIB))
    mt = os.path.join(seeder.dir, "rpc.mtorrent")
    seeder.expect('share "%s" "%s"' % (data, mt))
    d = WebDaemon(suite, "daemon", t1, t2)
    assert listed(d) == [], "a new daemon lists transfers"
    rc, out = remote(d, "-a", mt)
    assert rc == 0 and '"success"' in out, out
    rc, out = remote(d, "-a", mt)
    assert rc == 0, "adding it again (torrent-duplicate): %s" % out

    def row():
        rows = listed(d)
        assert len(rows) == 1, rows
        return rows[0]
    assert wait_until(lambda: re.search(r"^\s*1\s+100%.*\bDone\b.*rpc data\.bin$", row()), 60, 0.3), \
        "never 100%%/Done: %r" % row()
    assert "Stopped" not in row(), row()
    print("  -l: %s" % row().strip(), flush=True)
    got = os.path.join(d.downloads, "rpc data.bin")
    assert sha1_file(got) == sha1_file(data), "the downloaded file differs"
    rc, out = remote(d, "-t", "1", "-S")
    assert rc == 0 and '"success"' in out, out
    assert wait_until(lambda: "Stopped" in row(), 20, 0.2), row()
    rc, out = remote(d, "-t", "1", "-s")
    assert rc == 0 and '"success"' in out, out
    assert wait_until(lambda: "Stopped" not in row() and "100%" in row(), 30, 0.2), row()
    # Verify: the session's verify; a damaged piece is fetched again.
    rc, out = remote(d, "-t", "1", "-v")
    assert rc == 0 and '"success"' in out, (rc, out)
    # (In the background: a second verify meanwhile would be refused, BUSY.)
    assert wait_until(lambda: "all 4 pieces good" in d.logtext(), 20, 0.2), d.logtext()[-600:]
    st = os.stat(got)
    with open(got, "r+b") as f:
        f.seek(MIB + 5)
        f.write(b"damage")
    os.utime(got, ns=(st.st_atime_ns, st.st_mtime_ns))  # only hashing can tell
    rc, out = remote(d, "-t", "1", "-v")
    assert rc == 0 and '"success"' in out, (rc, out)
    assert wait_until(lambda: "3 of 4 pieces good" in d.logtext(), 20, 0.2), d.logtext()[-600:]
    assert wait_until(lambda: re.search(r"^\s*1\s+100%.*\bDone\b", row()) and
                      sha1_file(got) == sha1_file(data), 30, 0.3), "not repaired: %r" % row()
    # The version and the session stats read.
    rc, out = remote(d, "-si")
    assert rc == 0 and "RPC version: 17" in out and "mtorrent" in out, out
    rc, out = remote(d, "-st")
    assert rc == 0, out
    rc, out = remote(d, "-t", "1", "-r")
    assert rc == 0 and '"success"' in out, out
    assert wait_until(lambda: listed(d) == [], 20, 0.2), listed(d)
    assert os.path.exists(got), "-r (without --remove-and-delete) kept the data"
    # Again as a magnet link: the same id (kept by info_hash for the run),
    # the metainfo found through the trackers, the data already there.
    ih = info_hash_of(mt)
    rc, out = remote(d, "-a", "magnet:?xt=urn:btih:" + ih)
    assert rc == 0 and '"success"' in out, out
    assert wait_until(lambda: re.search(r"^\s*1\s+100%.*\bDone\b.*rpc data\.bin$", row()), 60, 0.3), \
        "the magnet never reached 100%%/Done: %r" % listed(d)
    # That data was there before this download (checked and adopted, never
    # written): --remove-and-delete is refused, nothing removed.
    rc, out = remote(d, "-t", ih, "--remove-and-delete")
    assert rc != 0 and "NOT_OUR_DATA" in out, (rc, out)
    assert len(listed(d)) == 1 and os.path.exists(got), listed(d)
    rc, out = remote(d, "-t", ih, "-r")
    assert rc == 0 and '"success"' in out, out
    assert wait_until(lambda: listed(d) == [], 20, 0.2), listed(d)
    # Downloaded afresh (the file gone first): this one it deletes.
    os.remove(got)
    rc, out = remote(d, "-a", mt)
    assert rc == 0 and '"success"' in out, out
    assert wait_until(lambda: re.search(r"^\s*1\s+100%.*\bDone\b.*rpc data\.bin$", row()), 60, 0.3), \
        "the new download never reached 100%%/Done: %r" % listed(d)
    # What the daemon shares is the person's: --remove-and-delete is refused.
    mine = os.path.join(d.dir, "mine.bin")
    with open(mine, "wb") as f:
        f.write(os.urandom(MIB))
    status, j = d.api("POST", "/api/add", mine)
    assert status == 200 and j["ok"], j
    assert wait_until(lambda: len(listed(d)) == 2, 10, 0.2), listed(d)
    mine_ih = next(h for h in d.transfers() if h != ih)
    rc, out = remote(d, "-t", mine_ih, "--remove-and-delete")
    assert rc != 0 and "NOT_OUR_DATA" in out, (rc, out)
    assert len(listed(d)) == 2 and os.path.exists(mine), listed(d)
    rc, out = remote(d, "-t", mine_ih, "-r")
    assert rc == 0 and '"success"' in out, out
    # A finished download: --remove-and-delete deletes its file.
    rc, out = remote(d, "-t", ih, "--remove-and-delete")
    assert rc == 0 and '"success"' in out, (rc, out)
    assert wait_until(lambda: listed(d) == [] and not os.path.exists(got), 20, 0.2), (listed(d), got)
    assert os.path.exists(mine) and os.path.exists(data), "only the download's file goes"
    d.stop()
    assert d.proc.returncode == 0, d.err()[-400:]
    seeder.stop()


def refusals(suite):
    if not REMOTE:
        return "skip: transmission-remote is not installed (apt-get install transmission-cli)"
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    d = WebDaemon(suite, "guarded", t1, t2)
    # curl sends the password after a 401; the wrong one gets 401 again.
    rc, out = remote(d, "-l", password="not-the-token")
    assert rc != 0 and "UNAUTHORIZED" in out, (rc, out)
    wrong = "Basic " + base64.b64encode(b"mtorrent:not-the-token").decode()
    st, h, _ = d.request("POST", "/transmission/rpc", "{}", auth=False, csrf=False,
                         headers={"Authorization": wrong})
    assert st == 401 and h["www-authenticate"].startswith("Basic"), (st, h)
    # The handshake as a raw client sees it: 409 with the id, then served.
    auth = "Basic " + base64.b64encode(("mtorrent:" + d.token).encode()).decode()
    body = json.dumps({"method": "session-get", "tag": 3})
    st, h, _ = d.request("POST", "/transmission/rpc", body, auth=False, csrf=False,
                         headers={"Authorization": auth})
    assert st == 409 and len(h.get("x-transmission-session-id", "")) >= 32, (st, h)
    sid = h["x-transmission-session-id"]
    st, h, raw = d.request("POST", "/transmission/rpc", body, auth=False, csrf=False,
                           headers={"Authorization": auth, "X-Transmission-Session-Id": sid})
    j = json.loads(raw)
    assert st == 200 and j["result"] == "success" and j["tag"] == 3, (st, j)
    assert j["arguments"]["rpc-version"] == 17, j
    # Bad JSON: 400 with a reason; the Host check holds here too.
    st, _, raw = d.request("POST", "/transmission/rpc", "{nope", auth=False, csrf=False,
                           headers={"Authorization": auth, "X-Transmission-Session-Id": sid})
    assert st == 400 and "JSON" in json.loads(raw)["result"], (st, raw)
    st, _, _ = d.request("POST", "/transmission/rpc", body, auth=False, csrf=False,
                         headers={"Authorization": auth, "X-Transmission-Session-Id": sid,
                                  "Host": "evil.example:%d" % d.web_port})
    assert st == 403, st
    # A new run, a new session id: the old one gets 409.
    d.stop()
    d.start()
    st, h, _ = d.request("POST", "/transmission/rpc", body, auth=False, csrf=False,
                         headers={"Authorization": auth, "X-Transmission-Session-Id": sid})
    assert st == 409 and h["x-transmission-session-id"] != sid, (st, h)
    d.stop()


def main():
    suite = Suite()
    return suite.run([add_list_stop_start_remove, refusals])


if __name__ == "__main__":
    sys.exit(main())
