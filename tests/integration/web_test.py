#!/usr/bin/env python3
"""`bin/client daemon ... --web`: the session without a terminal, driven
through its web interface's JSON API (tests/pylib/web_client.py) against a
seeder on the prompt (tests/pylib/prompt_client.py) and a tracker pair:
adding a .mtorrent, progress to 100% through /api/sync, pause, resume,
remove; GET /api/torrent, search, log, rates, verify and delete_data;
the Server-Sent Events stream /api/events (the first state, then only
changes; at most 8 streams); the security checks refusing what they must;
the token file; a clean stop on SIGTERM."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import BIN, Suite, damage, sha1_file, tracker_pair, wait_until  # noqa: E402
from prompt_client import Client  # noqa: E402
from web_client import WebDaemon  # noqa: E402

MIB = 1 << 20
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]


def seeder_with_file(suite, t1, t2, size=3 * MIB, name="web data.bin", who="seeder"):
    s = Client(suite, who, t1, t2)
    data = os.path.join(s.dir, name)
    with open(data, "wb") as f:
        f.write(os.urandom(size))
    mt = os.path.join(s.dir, "web.mtorrent")
    s.expect('share "%s" "%s"' % (data, mt))
    return s, data, mt


def one(d, pred=lambda t: True):
    ts = [t for t in d.transfers().values() if pred(t)]
    return ts[0] if len(ts) == 1 else None


def download_pause_resume_remove(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    seeder, data, mt = seeder_with_file(suite, t1, t2)
    d = WebDaemon(suite, "daemon", t1, t2)
    assert d.url in d.logtext(), "the URL is not in the log"
    with open(mt, "rb") as f:
        status, j = d.api("POST", "/api/add", f.read())
    assert status == 200 and j["ok"], (status, j)
    # Progress reaches 100% as /api/sync tells it, incrementally after rid 0.
    status, first = d.api("GET", "/api/sync?rid=0")
    assert status == 200 and first["full_update"] and len(first["transfers"]) == 1, first
    tid = next(iter(first["transfers"]))
    seen = {"rid": first["rid"], "t": first["transfers"][tid], "incremental": 0}

    def done():
        s, j = d.api("GET", "/api/sync?rid=%d" % seen["rid"])
        if not j["full_update"]:
            seen["incremental"] += 1
        seen["rid"] = j["rid"]
        if tid in j["transfers"]:
            seen["t"] = j["transfers"][tid]
        return seen["t"]["progress"] == 1 and seen["t"]["state"] == "seeding"
    assert wait_until(done, 60, 0.2), "no 100%%: %r" % seen
    assert seen["incremental"] > 0, "every sync was a full update"
    t = seen["t"]
    assert t["name"] == "web data.bin" and t["size"] == 3 * MIB, t
    for k in ("down_rate", "up_rate", "peers", "eta", "ratio"):
        assert k in t, k
    got = os.path.join(d.downloads, "web data.bin")
    assert sha1_file(got) == sha1_file(data), "the downloaded file differs"
    # The same command underneath as the prompt: its failure codes come back as JSON.
    status, j = d.api("POST", "/api/resume", "id=" + tid)
    assert status == 200 and not j["ok"] and j["error"] == "NOT_PAUSED", j
    status, j = d.api("POST", "/api/pause", "id=" + tid)
    assert j["ok"], j
    assert wait_until(lambda: one(d)["state"] == "paused", 20, 0.1), d.transfers()
    status, j = d.api("POST", "/api/resume", "id=" + tid)
    assert j["ok"], j
    assert wait_until(lambda: one(d)["state"] == "seeding", 30, 0.1), d.transfers()
    status, j = d.api("POST", "/api/remove", "id=" + tid)
    assert j["ok"], j
    s, j = d.api("GET", "/api/sync?rid=%d" % seen["rid"])
    assert j["removed"] == [tid] and not j["transfers"], j
    assert os.path.exists(got), "remove without delete_data kept the finished file"
    status, j = d.api("POST", "/api/remove", "id=" + tid)
    assert not j["ok"] and j["error"] == "NOT_FOUND", j
    # SIGTERM: a clean stop (exit 0), the state saved.
    d.stop(signal.SIGTERM)
    assert d.proc.returncode == 0, (d.proc.returncode, d.err()[-400:])
    assert os.path.exists(os.path.join(d.state, "session.state"))
    seeder.stop()


def event_stream(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    seeder, data, mt = seeder_with_file(suite, t1, t2, name="pushed.bin", who="pusher")
    d = WebDaemon(suite, "pushed", t1, t2)
    es = d.events()
    assert es.status == 200, (es.status, es.body)
    assert es.headers["content-type"] == "text/event-stream", es.headers
    assert "content-length" not in es.headers, es.headers
    assert "default-src 'self'" in es.headers["content-security-policy"], es.headers
    first = es.next_sync()
    assert first["full_update"] and first["transfers"] == {} and first["removed"] == [], first
    with open(mt, "rb") as f:
        status, j = d.api("POST", "/api/add", f.read())
    assert status == 200 and j["ok"], (status, j)
    # The change comes as an increment naming the new transfer, then more
    # increments until it is complete; no full update in between.
    ev = es.next_sync()
    assert not ev["full_update"] and len(ev["transfers"]) == 1, ev
    tid, t = next(iter(ev["transfers"].items()))
    assert t["name"] == "pushed.bin", t
    rid = ev["rid"]
    deadline = time.time() + 60
    while t["progress"] < 1 and time.time() < deadline:
        ev = es.next_sync()
        assert not ev["full_update"] and ev["rid"] > rid, ev
        rid = ev["rid"]
        t = ev["transfers"].get(tid, t)
    assert t["progress"] == 1, t
    # A stream naming a rid starts from there: nothing to send yet, or a
    # small increment, never the full state.
    resumed = d.events("/api/events?rid=%d" % rid)
    assert resumed.status == 200
    # At most 8 streams: the 9th gets 503; a closed one frees its place.
    more = [d.events() for _ in range(6)]
    assert all(m.status == 200 for m in more), [m.status for m in more]
    ninth = d.events()
    assert ninth.status == 503, (ninth.status, ninth.body)
    assert json.loads(ninth.body)["error"] == "TOO_MANY_STREAMS", ninth.body
    assert "content-length" in ninth.headers
    more.pop().close()
    assert wait_until(lambda: d.events().status == 200, 10, 0.1), "the closed stream kept its place"
    # Without the token: 401, and no stream.
    anon = d.events(auth=False)
    assert anon.status == 401 and b"UNAUTHORIZED" in anon.body, (anon.status, anon.body)
    # Streams open: SIGTERM still stops it at once, and cleanly.
    d.stop(signal.SIGTERM)
    assert d.proc.returncode == 0, (d.proc.returncode, d.err()[-400:])
    for s in [es, resumed] + more:
        try:
            while True:
                s.next_event(10)
        except EOFError:
            pass


def detail_search_log_rates_verify_delete(suite):
    """GET /api/torrent (pieces, files, peers, trackers; escaped), search,
    log and rates; POST /api/verify repairs a damaged download from its
    seeder; POST /api/remove with delete_data=1 deletes the finished file."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    name = "web <b>data<b> & 'x'.bin"
    seeder, data, mt = seeder_with_file(suite, t1, t2, size=6 * 512 * 1024, name=name, who="seeder2")
    seeder.expect("limit up 1024")  # a few seconds: the daemon's rates see it
    d = WebDaemon(suite, "daemon2", t1, t2)
    with open(mt, "rb") as f:
        status, j = d.api("POST", "/api/add", f.read())
    assert status == 200 and j["ok"], (status, j)
    assert wait_until(lambda: one(d) and one(d)["state"] == "seeding", 60, 0.2), d.transfers()
    tid = one(d)["id"]
    got = os.path.join(d.downloads, name)
    st, _, raw = d.request("GET", "/api/torrent?id=" + tid)
    assert st == 200 and b"<" not in raw, (st, raw[:300])
    t = json.loads(raw)
    assert t["transfer"]["id"] == tid and t["transfer"]["name"] == name, t["transfer"]
    assert t["piece_length"] == 512 * 1024 and t["piece_count"] == 6, t
    assert t["have"] == "fc", t["have"]  # 6 pieces, BEP 3 bit order
    assert t["files"] == [{"path": name, "size": 6 * 512 * 1024, "done": 6 * 512 * 1024,
                           "selected": True}], t["files"]
    assert t["files_omitted"] == 0 and t["peers_omitted"] == 0, t
    for p in t["peers"]:
        assert set(p) == {"address", "client", "down_rate", "up_rate", "progress", "flags"}, p
    urls = sorted(x["url"] for x in t["trackers"])
    assert urls == sorted("http://127.0.0.1:%d" % x.port for x in (t1, t2)), t["trackers"]
    assert sum(x["in_use"] for x in t["trackers"]) == 1, t["trackers"]
    st, j = d.api("GET", "/api/torrent?id=" + "0" * 40)
    assert st == 404 and j["error"] == "NOT_FOUND", (st, j)
    st, j = d.api("GET", "/api/torrent?id=" + tid[:39])
    assert st == 400, (st, j)
    # Search: the trackers' view of the name, through the session's search.
    def found():
        st, j = d.api("GET", "/api/search?q=" + urllib.parse.quote("<b>data"))
        return st == 200 and j["ok"] and any(h["info_hash"] == tid and h["seeders"] >= 1 for h in j["hits"])
    assert wait_until(found, 15, 0.2), d.api("GET", "/api/search?q=data")
    st, _, raw = d.request("GET", "/api/search?q=data")
    assert b"<" not in raw, raw
    # The rates: one sample a second; the download showed in one of them.
    assert wait_until(lambda: any(s[0] > 0 for s in d.api("GET", "/api/rates")[1]["samples"]), 10, 0.2), \
        d.api("GET", "/api/rates")
    st, r = d.api("GET", "/api/rates")
    assert r["interval_ms"] == 1000 and 0 < len(r["samples"]) <= 600, r
    # Verify: the damaged piece counted, then fetched again from the seeder.
    damage(got, 3 * 512 * 1024 + 10)
    st, j = d.api("POST", "/api/verify", "id=" + tid)
    assert st == 200 and j["ok"], (st, j)
    # (A .mtorrent added through the web is kept as <info_hash>/<name>.mtorrent:
    # its label is the torrent's name.)
    want = "verified %s.mtorrent: 5 of 6 pieces good; fetching the others from peers" % one(d)["name"]

    def logged():
        st, j = d.api("GET", "/api/log?n=500")
        return any(want in x for x in j["lines"])
    assert wait_until(logged, 20, 0.2), d.api("GET", "/api/log?n=20")
    assert wait_until(lambda: one(d)["state"] == "seeding" and one(d)["progress"] == 1, 30, 0.2), d.transfers()
    assert sha1_file(got) == sha1_file(data), "the damaged piece was not fetched again"
    st, j = d.api("GET", "/api/log?n=3")
    assert st == 200 and len(j["lines"]) == 3, j
    st, _, raw = d.request("GET", "/api/log")
    default = json.loads(raw)["lines"]
    everything = d.api("GET", "/api/log?n=500")[1]["lines"]
    assert b"<" not in raw and 0 < len(default) <= 100, raw[-200:]
    assert all(x in everything for x in default), (default, everything)
    assert d.token not in "".join(everything), "the log tail shows the token"
    # Remove with delete_data=1: the finished file goes.
    st, j = d.api("POST", "/api/remove", "id=%s&delete_data=1" % tid)
    assert j["ok"], j
    assert wait_until(lambda: not os.path.exists(got), 10, 0.05), "delete_data=1 left the file"
    assert os.path.exists(data), "the seeder's file"
    d.stop()
    seeder.stop()


def refusals(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    d = WebDaemon(suite, "guarded", t1, t2)
    port = d.web_port
    st, _, body = d.request("GET", "/api/sync", auth=False)
    assert st == 401 and b"UNAUTHORIZED" in body, (st, body)
    st, _, _ = d.request("GET", "/api/sync", headers={"Authorization": "Bearer " + "0" * 64})
    assert st == 401, st
    st, _, body = d.request("GET", "/api/sync", headers={"Host": "evil.example:%d" % port})
    assert st == 403 and b"BAD_HOST" in body, (st, body)
    st, _, body = d.request("POST", "/api/pause", "id=x", headers={"Origin": "http://evil.example"})
    assert st == 403 and b"BAD_ORIGIN" in body, (st, body)
    st, _, body = d.request("POST", "/api/pause", "id=x", csrf=False)
    assert st == 403 and b"CSRF_HEADER_MISSING" in body, (st, body)
    # The page: the token URL sets the cookie and sends the browser to /.
    st, h, _ = d.request("GET", "/?token=" + d.token, auth=False)
    assert st == 303 and h["location"] == "/", (st, h)
    cookie = h["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie
    st, h, body = d.request("GET", "/", auth=False, headers={"Cookie": cookie.split(";")[0]})
    assert st == 200 and b"/app.js" in body, st
    assert "default-src 'self'" in h["content-security-policy"], h
    assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff", h
    # A bad request is an error, not a crash; the server still answers.
    st, _, body = d.request("POST", "/api/add", b"x" * 100)
    assert st == 400 and b"INVALID_ARGUMENTS" in body, (st, body)
    st, _, body = d.request("POST", "/api/add", b"d4:infoe")
    assert st == 400 and b"INVALID_MTORRENT" in body, (st, body)
    # Failed logins are slowed: after a few, even the token waits.
    for i in range(6):
        d.request("GET", "/api/sync", headers={"Authorization": "Bearer wrong%d" % i})
    st, _, body = d.request("GET", "/api/sync")
    assert st == 429, (st, body)
    d.stop()
    assert d.proc.returncode == 0


def token_file(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    d = WebDaemon(suite, "tokened", t1, t2)
    path = os.path.join(d.state, "web.token")
    assert os.stat(path).st_mode & 0o777 == 0o600, oct(os.stat(path).st_mode)
    token = d.token
    d.stop()
    d.start()  # kept across restarts
    assert d.token == token
    d.stop()
    os.chmod(path, 0o644)
    d.start(wait=False)
    rc = d.wait(20)
    assert rc == 1 and "chmod 600" in d.err(), (rc, d.err()[-400:])
    os.chmod(path, 0o600)


def public_bind_needs_password(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    d = WebDaemon(suite, "public", t1, t2, start=False, web="0.0.0.0:0")
    d.start(wait=False)
    rc = d.wait(20)
    assert rc == 1 and "--web-password" in d.err(), (rc, d.err()[-400:])
    r = subprocess.run([os.path.join(BIN, "client"), "daemon", "127.0.0.1:0", "127.0.0.1:1",
                        "127.0.0.1:2", os.path.join(suite.work, "x.log")],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "--web" in r.stderr, (r.returncode, r.stderr)


def main():
    suite = Suite()
    return suite.run([download_pause_resume_remove, detail_search_log_rates_verify_delete, event_stream,
                      refusals, token_file, public_bind_needs_password])


if __name__ == "__main__":
    sys.exit(main())
