"""bench/failover helper: tracker failover while a download runs, ours and
libtorrent side by side.

A tracker pair (announce interval 2 s), 3 of our seeders each capped at
--max-upload-rate so the download of SIZE_MIB lasts several seconds, and one
downloader: our `get` (--progress-ms 100, --log) or libtorrent 2.0.8 (Debian's
python3-libtorrent, in a child process of this script, --lt-child). When a
quarter of the file is verified, tracker 1 is taken out:
  killed:  SIGKILL (its port refuses connections);
  hung:    SIGSTOP (connections are accepted by the kernel and never
           answered: the downloader's tracker timeout decides; ours 2 s,
           hedged by a second request to tracker 2 after 500 ms; libtorrent
           waits for an HTTP tracker's answer up to its
           tracker_completion_timeout, default 30 s).
Each (run, mode) runs ours, then libtorrent, each with a fresh tracker pair,
fresh seeders and a fresh destination folder.

The torrent (bench/get_helper.Bench.new_swarm: bin/client create, then
private=1) lists both trackers in ONE announce-list tier, [tracker 1,
tracker 2], and `announce` = tracker 1. Ours uses them in that order.
libtorrent 2.0.8 shuffles the trackers of each tier when it loads a torrent
(BEP 12), so in about half the runs it would announce to tracker 2 from the
start and never notice tracker 1's death; the child therefore adds the
torrent paused, pins the file's order with replace_trackers (same single
tier) and only then resumes it. libtorrent keeps its other tracker defaults
(announce_to_all_trackers/tiers off: one tracker of the tier at a time;
tracker_completion_timeout 30 s); only min_announce_interval is lowered to 1 s
(default floor 300 s) so that it follows the tracker's 2 s interval like ours,
as in bench/get_helper.lt_settings.

Measured per run:
  death -> next try         when the downloader next tried tracker 1 (its
                            schedule: the tracker's interval, or for
                            libtorrent also its "completed" announce)
  failover                  from the start of that failed attempt to the next
                            successful announce (to any tracker)
  death -> success          the two together
  longest gap               the longest time between two increases of the
                            byte count while downloading
  complete, SHA-1           the download finished and its SHA-1 matches.
Ours: from the client's log (ms wall-clock timestamps: "announce to URL failed
after N ms", "tracker failover: now using") and its progress lines (verified
bytes; printed at most every 250 ms). libtorrent: the child stamps every
tracker alert (tracker_announce_alert when a request is sent, tracker_reply_alert,
tracker_error_alert) with time.monotonic() as it pops it, and samples
status().total_wanted_done every 50 ms; this script stamps the kill with
time.monotonic() too (CLOCK_MONOTONIC, one clock for all processes). The
child keeps running after it completes until it has had a successful announce
after the kill (at most LT_AFTER_DONE s), since libtorrent's hung-tracker
timeout is longer than the quick download.
Targets (issue 7, ours): failover under 1 s, longest gap under 2 s.

usage: failover_helper.py SIZE_MIB RUNS OUT_MD [--append-benchmarks FILE] [--command TEXT]
       failover_helper.py --lt-child TORRENT DEST PORT LOG URL1 URL2   (internal)
"""
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import get_helper as gh  # noqa: E402

SEEDER_CAP_KIB = 8192
LT_SAMPLE = 0.05  # libtorrent child: status() sampling period
LT_AFTER_DONE = 40  # s a complete libtorrent may wait for its first success after the kill
DL_TIMEOUT = 120
LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z")
WHOS = ("ours", "libtorrent")
MODES = ("killed", "hung")


def log_time(line):
    m = LOG_TS.match(line)
    if not m:
        return None
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def longest_gap(samples, total):
    """The longest time between two increases of the byte count, from the
    first byte until `total`; samples: [(t, bytes)] in time order."""
    gap, last_t, last_v = 0.0, None, -1
    for t, v in samples:
        if v > last_v:
            if last_t is not None and last_v > 0:
                gap = max(gap, t - last_t)
            last_t, last_v = t, v
        if v >= total:
            break
    return gap


# ---------------------------------------------------------------- libtorrent child

def lt_child(torrent, dest, port, log_path, urls):
    """libtorrent leecher: writes JSON lines {"t": monotonic, "ev": ...} to
    log_path: "trackers" (loaded and pinned order), "announce"/"reply"/
    "error"/"warning" (tracker alerts, with url), "progress" (done:
    total_wanted_done, verified: whole pieces) every LT_SAMPLE s until
    complete, "done" once seeding. Runs until SIGTERM, then exits at once
    (os._exit: no "stopped" announces to wait for)."""
    lt = gh.lt
    log = open(log_path, "w", buffering=1)

    def put(ev, **kw):
        kw.update(t=time.monotonic(), ev=ev)
        log.write(json.dumps(kw) + "\n")

    signal.signal(signal.SIGTERM, lambda *_: (log.flush(), os._exit(0)))
    settings = gh.lt_settings(port)
    settings["alert_mask"] = (lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification |
                              lt.alert.category_t.status_notification)
    ses = lt.session(settings, 0)  # flags=0: no ut_pex, no DHT/LSD/UPnP/NAT-PMP
    ti = lt.torrent_info(torrent)
    loaded = [e.url for e in ti.trackers()]
    h = ses.add_torrent({"ti": ti, "save_path": dest, "flags": lt.torrent_flags.paused})
    h.replace_trackers([{"url": u, "tier": 0} for u in urls])
    pinned = [(e["url"], e["tier"]) for e in h.trackers()]
    put("trackers", loaded=loaded, pinned=pinned)
    h.resume()
    plen = ti.piece_length()
    total = ti.total_size()
    done = False
    next_sample = time.monotonic()
    kinds = {"tracker_announce_alert": "announce", "tracker_reply_alert": "reply",
             "tracker_error_alert": "error", "tracker_warning_alert": "warning"}
    while True:
        ses.wait_for_alert(max(1, int((next_sample - time.monotonic()) * 1000)) if not done else 500)
        for a in ses.pop_alerts():
            kind = kinds.get(type(a).__name__)
            if kind == "announce":  # event: 0 none (periodic), 1 completed, 2 started, 3 stopped
                put(kind, url=a.tracker_url(), event=int(a.event))
            elif kind == "error":
                put(kind, url=a.tracker_url(), msg=a.error.message())
            elif kind:
                put(kind, url=a.tracker_url(), msg=a.message())
        now = time.monotonic()
        if not done and now >= next_sample:
            st = h.status()
            put("progress", done=st.total_wanted_done, verified=min(total, st.num_pieces * plen))
            if st.is_seeding:
                put("done")
                done = True
            next_sample = now + LT_SAMPLE


class JsonLines:
    """Reads the complete lines a child appends to its JSON-lines log."""

    def __init__(self, path):
        self.path, self.pos, self.rows = path, 0, []

    def poll(self):
        try:
            with open(self.path) as f:
                f.seek(self.pos)
                chunk = f.read()
        except OSError:
            return []
        end = chunk.rfind("\n") + 1
        self.pos += len(chunk[:end].encode())
        new = [json.loads(x) for x in chunk[:end].splitlines() if x.strip()]
        self.rows += new
        return new


# ---------------------------------------------------------------- one run

def new_run(b, tag, run):
    """Fresh tracker pair and torrent, 3 capped seeders listed by both."""
    b.new_swarm(tag)
    seeders = []
    for i in range(3):
        seeders.append(b.spawn("%s-seed%d" % (tag, i), [
            os.path.join(gh.mtlib.BIN, "client"), "seed", b.mtorrent, b.data, "--port", str(gh.free_port()),
            "--bind", "127.0.0.1", "--max-upload-rate", str(SEEDER_CAP_KIB)]))
    b.wait_seeders(3, seeders)
    return seeders


def take_out(tracker, mode):
    os.kill(tracker.proc.pid, signal.SIGKILL if mode == "killed" else signal.SIGSTOP)


def finish(b, t1, mode, procs):
    if mode == "hung" and t1.proc is not None and t1.proc.poll() is None:
        os.kill(t1.proc.pid, signal.SIGCONT)
    for p in procs:
        b.stop(p)


def check_file(b, dest):
    path = os.path.join(dest, b.name)
    ok = os.path.exists(path) and gh.sha1_file(path) == b.sha1
    shutil.rmtree(dest, ignore_errors=True)
    return ok


def run_ours(b, mode, run):
    tag = "FO%d%s-ours" % (run, mode)
    seeders = new_run(b, tag, run)
    t1 = b.trackers[0]
    log = os.path.join(b.work, tag + ".clientlog")
    dest = os.path.join(b.work, tag + "-dl")
    os.makedirs(dest)
    g = b.spawn(tag + "-get", [
        os.path.join(gh.mtlib.BIN, "client"), "get", b.mtorrent, dest, "--port", str(gh.free_port()),
        "--bind", "127.0.0.1", "--progress-ms", "100", "--log", log, "--timeout", str(DL_TIMEOUT)])
    total = b.size_mib * gh.MIB
    progress = re.compile(r"\((\d+) of (\d+) bytes verified, ([\d.]+) s\)")
    t_kill = None
    try:
        deadline = time.time() + DL_TIMEOUT
        while g.poll() is None and time.time() < deadline:
            if t_kill is None:
                got = progress.findall(open(g.logpath, errors="replace").read())
                if got and int(got[-1][0]) >= total // 4:
                    t_kill = time.time()
                    take_out(t1, mode)
            time.sleep(0.02)  # the sampling period of this poll loop
        complete = g.poll() == 0
    finally:
        finish(b, t1, mode, seeders + [g])
    r = {"complete": complete, "sha1_ok": check_file(b, dest), "to_try": None, "failover": None, "to_ok": None,
         "gap": None}
    if t_kill is None:
        return r
    lines = open(log, errors="replace").read().splitlines()
    url1 = t1.url("/announce")
    # The failed attempt's start: its log line is written when it fails and
    # says how long it took ("failed after N ms").
    t_try = None
    for x in lines:
        m = re.search(r"announce to %s failed after (\d+) ms" % re.escape(url1), x)
        if m and log_time(x) >= t_kill - 0.01:
            t_try = log_time(x) - int(m.group(1)) / 1000.0
            break
    t_ok = next((log_time(x) for x in lines if "tracker failover: now using" in x and log_time(x) >= t_kill - 0.01),
                None)
    if t_try is not None and t_ok is not None:
        r.update(to_try=t_try - t_kill, failover=t_ok - t_try, to_ok=t_ok - t_kill)
    samples = [(float(s), int(v)) for v, _, s in progress.findall(open(g.logpath, errors="replace").read())]
    r["gap"] = longest_gap(samples, total)
    return r


def recovered(ev, t_kill, url1):
    """A successful announce after the death: from tracker 2, or from any
    tracker after tracker 1 failed (not a reply that was in flight)."""
    t_err = next((x["t"] for x in ev if x["ev"] == "error" and x["url"] == url1 and x["t"] >= t_kill), None)
    return any(x["ev"] == "reply" and x["t"] >= t_kill and (x["url"] != url1 or (t_err is not None and x["t"] >= t_err))
               for x in ev)


def run_lt(b, mode, run):
    tag = "FO%d%s-lt" % (run, mode)
    seeders = new_run(b, tag, run)
    t1, t2 = b.trackers
    url1, url2 = t1.url("/announce"), t2.url("/announce")
    log = os.path.join(b.work, tag + ".jsonl")
    dest = os.path.join(b.work, tag + "-dl")
    os.makedirs(dest)
    child = b.spawn(tag, [sys.executable, os.path.abspath(__file__), "--lt-child", b.torrent, dest,
                          str(gh.free_port()), log, url1, url2])
    total = b.size_mib * gh.MIB
    rows = JsonLines(log)
    t_kill = t_done = None
    try:
        deadline = time.monotonic() + DL_TIMEOUT
        while child.poll() is None and time.monotonic() < deadline:
            for x in rows.poll():
                if x["ev"] == "progress" and t_kill is None and x["verified"] >= total // 4:
                    t_kill = time.monotonic()
                    take_out(t1, mode)
                elif x["ev"] == "done":
                    t_done = x["t"]
                    deadline = min(deadline, time.monotonic() + LT_AFTER_DONE)
            if t_done is not None and t_kill is None:
                break  # complete before a quarter was seen: nothing to measure
            if t_done is not None and t_kill is not None and recovered(rows.rows, t_kill, url1):
                break
            time.sleep(0.02)
        rows.poll()
        if child.poll() is not None:
            print("  libtorrent child exited %s: %s" % (child.returncode, b.tail(child)), flush=True)
    finally:
        finish(b, t1, mode, seeders + [child])
    ev = rows.rows
    order = next((x for x in ev if x["ev"] == "trackers"), None)
    pinned = order and [u for u, _ in order["pinned"]]
    if pinned != [url1, url2]:
        print("  libtorrent: tracker order not pinned to [tracker 1, tracker 2]: %s" % pinned, flush=True)
    loaded = order and ",".join("t%d" % ((url1, url2).index(u) + 1) for u in order["loaded"])
    r = {"complete": t_done is not None, "sha1_ok": check_file(b, dest), "to_try": None, "failover": None,
         "to_ok": None, "gap": None, "to_t2": None, "ok_by": None, "loaded": loaded, "done_after_kill": None,
         "before": {u: sum(1 for x in ev if x["ev"] == "announce" and x["url"] == u and
                           (t_kill is None or x["t"] < t_kill)) for u in (url1, url2)}}
    r["gap"] = longest_gap([(x["t"], x["done"]) for x in ev if x["ev"] == "progress"], total)
    if t_kill is None:
        return r
    # The failed attempt: the first error from tracker 1 after the kill; it
    # started with the last announce sent to tracker 1 before that error.
    err = next((x for x in ev if x["ev"] == "error" and x["url"] == url1 and x["t"] >= t_kill - 0.01), None)
    t_try = None
    if err is not None:
        sent = [x for x in ev if x["ev"] == "announce" and x["url"] == url1 and x["t"] <= err["t"]]
        t_try = sent[-1]["t"] if sent else err["t"]
        r["try_event"] = {0: "periodic", 1: "completed", 2: "started", 3: "stopped"}.get(
            sent[-1]["event"]) if sent else None
        r["to_try"] = t_try - t_kill
        r["err"] = err["msg"]
    ok = next((x for x in ev if x["ev"] == "reply" and x["t"] >= (t_try if t_try is not None else t_kill)), None)
    if ok is not None:
        r["to_ok"] = ok["t"] - t_kill
        r["ok_by"] = 1 if ok["url"] == url1 else 2
        if t_try is not None:
            r["failover"] = ok["t"] - t_try
    t2 = next((x["t"] for x in ev if x["ev"] == "announce" and x["url"] == url2 and x["t"] >= t_kill), None)
    if t2 is not None:
        r["to_t2"] = t2 - t_kill
    r["done_after_kill"] = t_done - t_kill if t_done is not None else None
    return r


# ---------------------------------------------------------------- report

def f3(x, unit=" s"):
    return "-" if x is None else "%.3f%s" % (x, unit)


def median(rs, k):
    xs = [r[k] for r in rs if r.get(k) is not None]
    return statistics.median(xs) if xs else None


def run_line(who, mode, run, r):
    s = "  %-10s %-6s run %d: death->next try %s, failover %s, death->success %s, longest gap %s, %s, SHA-1 %s" % (
        who, mode, run, f3(r["to_try"]), f3(r["failover"]), f3(r["to_ok"]), f3(r["gap"]),
        "complete" if r["complete"] else "NOT complete", "ok" if r["sha1_ok"] else "BAD")
    if who == "libtorrent":
        s += "; success from tracker %s, death->first try of tracker 2 %s, complete %s after death, " \
             "announces before death t1/t2 %s, tier order as loaded %s (pinned t1,t2)" % (
                 r["ok_by"] or "-", f3(r["to_t2"]), f3(r["done_after_kill"]), "/".join(
                     str(v) for v in r["before"].values()), r["loaded"])
        if r.get("err"):
            s += ", failed try of tracker 1: %s announce, %s" % (r.get("try_event") or "?", r["err"])
    return s


def main():
    (size_mib, runs), out_md, bench_md, command = gh.helper_args("failover", sys.argv[1:], 2)
    whos = WHOS if gh.lt is not None else ("ours",)
    if gh.lt is None:
        print("python3-libtorrent not importable by %s: libtorrent skipped" % sys.executable)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup in finally
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    load_before = open("/proc/loadavg").read().split()[:3]
    b = gh.Bench(size_mib, 1)
    print("bench/failover: %d MiB, %d run(s) per mode and downloader (%s, interleaved); load %s" % (
        size_mib, runs, ", ".join(whos), " ".join(load_before)), flush=True)
    results = {(w, m): [] for w in whos for m in MODES}
    try:
        for run in range(runs):
            for mode in MODES:
                for who in whos:
                    r = (run_ours if who == "ours" else run_lt)(b, mode, run)
                    results[(who, mode)].append(r)
                    print(run_line(who, mode, run, r), flush=True)
    finally:
        b.close()
    load_after = open("/proc/loadavg").read().split()[:3]
    lines = ["| downloader | tracker 1 | complete, SHA-1 ok | death -> next try of tracker 1 | failover (failed try "
             "-> success) | death -> success | longest gap in bytes | all death -> success | all gaps |",
             "|---|---|---|---|---|---|---|---|---|"]
    med = {}
    for who in whos:
        for m in MODES:
            rs = results[(who, m)]
            med[(who, m)] = {k: median(rs, k) for k in ("to_try", "failover", "to_ok", "gap")}
            md = med[(who, m)]
            lines.append("| %s | %s | %d/%d | %s | %s | %s | %s | %s | %s |" % (
                "ours" if who == "ours" else "libtorrent 2.0.8",
                "SIGKILL (refuses)" if m == "killed" else "SIGSTOP (hangs)",
                sum(1 for r in rs if r["complete"] and r["sha1_ok"]), len(rs),
                f3(md["to_try"]), f3(md["failover"]), f3(md["to_ok"]), f3(md["gap"]),
                " ".join(f3(r["to_ok"], "") for r in rs), " ".join(f3(r["gap"], "") for r in rs)))
    verdict = []
    for m in MODES:
        rs = results[("ours", m)]
        fs = [r["failover"] for r in rs]
        gs = [r["gap"] for r in rs]
        worst_f = None if None in fs else max(fs)
        worst_g = None if None in gs else max(gs)
        verdict.append("%s: failover under 1 s %s (worst %s), longest gap under 2 s %s (worst %s)" % (
            m, "met" if worst_f is not None and worst_f < 1 else "not met", f3(worst_f),
            "met" if worst_g is not None and worst_g < 2 else "not met", f3(worst_g)))
    compare = []
    if "libtorrent" in whos:
        for m in MODES:
            o, lt_ = med[("ours", m)], med[("libtorrent", m)]
            parts = []
            for k, name in (("to_ok", "death -> success"), ("failover", "failover"),
                            ("gap", "longest gap (resolution: ours 0.25 s, libtorrent 0.05 s)")):
                ratio = ""
                if o[k] is not None and lt_[k] is not None and o[k] > 0:
                    ratio = " (libtorrent/ours %.2fx)" % (lt_[k] / o[k])
                parts.append("%s ours %s, libtorrent %s%s" % (name, f3(o[k]), f3(lt_[k]), ratio))
            compare.append("%s: %s" % (m, "; ".join(parts)))
        lt_rs = [r for m in MODES for r in results[("libtorrent", m)]]
        t2_hung = [r["to_t2"] for r in results[("libtorrent", "hung")]]
        before = [r["before"] for r in lt_rs]
        compare.append("libtorrent announces before the death, tracker 1/tracker 2 per run: %s; death -> its first "
                       "request to tracker 2 when tracker 1 hangs: %s; its failed request to tracker 1 (killed, "
                       "hung): %s" % (
                           " ".join("/".join(str(v) for v in x.values()) for x in before),
                           " ".join(f3(x, "") for x in t2_hung) + " s",
                           ", ".join("%s announce, %s" % (r.get("try_event") or "?", r.get("err") or "no error")
                                     for m in MODES for r in results[("libtorrent", m)])))
    commit = subprocess.run(["git", "-C", gh.REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    header = ("Command: `%s` (commit %s, %s). A %d MiB file from 3 of our seeders capped at %d KiB/s each, "
              "through our tracker pair (announce interval 2 s), downloaded by our `get` and by libtorrent 2.0.8 "
              "(python3-libtorrent; min_announce_interval 1 so that it follows the 2 s interval, other tracker "
              "settings default: one tracker of a tier at a time, tracker_completion_timeout 30 s); tracker 1 is "
              "taken out when a quarter of the file is verified. The torrent lists both trackers in one "
              "announce-list tier [tracker 1, tracker 2]; libtorrent shuffles a tier's trackers on loading, so "
              "its child pins the file's order (replace_trackers before it starts) to start on tracker 1 like "
              "ours. %d run(s) per mode and downloader, interleaved (ours, libtorrent), each with a fresh "
              "tracker pair and seeders; medians; %d cores; load average before/after: %s / %s.\n\n"
              "Ours: times from its log (ms timestamps) and progress lines (verified bytes, at most every "
              "250 ms). libtorrent: tracker alerts (announce sent, reply, error) stamped with CLOCK_MONOTONIC "
              "as popped, status().total_wanted_done every 50 ms; the kill is stamped on the same clock. "
              "\"death -> next try\": start of the first failed request to tracker 1 after the death (negative "
              "if it was already in flight); \"failover\": from there to the next successful announce to any "
              "tracker; libtorrent stays up after completing until that success (at most %d s)." % (
                  command, commit, time.strftime("%Y-%m-%d"), size_mib, SEEDER_CAP_KIB, runs, os.cpu_count(),
                  " ".join(load_before), " ".join(load_after), LT_AFTER_DONE))
    body = header + "\n\n" + "\n".join(lines) + "\n\nTargets (ours): " + "; ".join(verdict) + ".\n"
    if compare:
        body += "\nOurs vs libtorrent (medians): " + ". ".join(compare) + ".\n"
    print("\n" + body)
    os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
    with open(out_md, "w") as f:
        f.write(body)
    if bench_md:
        gh.replace_section(bench_md, "## Failover (bench/failover)", body)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "--lt-child":
        lt_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6:8])
    sys.exit(main())
