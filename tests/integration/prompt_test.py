#!/usr/bin/env python3
"""The interactive client (bin/client <ip:port> <tracker1> <tracker2> <log>),
driven as a script would: through a pipe (tests/integration/terminal_test.py
drives it at a terminal), killed with -9 and restarted, following a watched folder,
and two clients sharing through the tracker pair.

tests/pylib/prompt_client.py drives it (one reply per command).
"""
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
import types
import urllib.parse

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import damage, sha1_file, BIN, Suite, bdecode, free_port, http_get, stop_process, tracker_pair, wait_until  # noqa: E402
from swarm import FakeSeeder  # noqa: E402
from prompt_client import Client  # noqa: E402

MIB = 1 << 20
PIECE = 512 * 1024
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
def write_random(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def tracker_search(t, text):
    """The tracker's own /search (JSON): {name: [(info_hash, seeders), ...]}."""
    _, body = http_get(t.url("/search?format=json&q=" + urllib.parse.quote(text)))
    out = {}
    for r in json.loads(body)["results"]:
        out.setdefault(r["name"], []).append((r["info_hash"], r["seeders"]))
    return out


def seeded(t, name):
    """info_hashes of `name` with at least one seeder on tracker t."""
    return {h for h, s in tracker_search(t, name).get(name, []) if s > 0}


def scrape(t, info_hash_hex):
    ih = bytes.fromhex(info_hash_hex)
    _, body = http_get(t.url("/scrape?info_hash=" + urllib.parse.quote(ih, safe="")))
    f = bdecode(body)[b"files"].get(ih, {})
    return f.get(b"complete", 0), f.get(b"incomplete", 0)


def info_hash_of(mtorrent):
    r = subprocess.run([os.path.join(BIN, "client"), "info", mtorrent], capture_output=True, text=True, timeout=20)
    return re.search(r"info_hash:\s*([0-9a-f]{40})", r.stdout).group(1)


def both(pred):
    return lambda: pred(0) and pred(1)


# ---- cases --------------------------------------------------------------------------

def commands_through_a_pipe(suite):
    """Every command and every failure code, through a pipe."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "pipe", t1, t2)
    d = a.dir
    data = write_random(os.path.join(d, "file with space.bin"), 3 * MIB)
    other = write_random(os.path.join(d, "other.bin"), 100 * 1024)
    open(os.path.join(d, "empty.bin"), "wb").close()
    with open(os.path.join(d, "garbage.mtorrent"), "wb") as f:
        f.write(b"d4:info")
    os.makedirs(os.path.join(d, "folder"))
    open(os.path.join(d, "exists.bin"), "wb").close()

    h = a.expect("help")
    if len(h.lines) < 11 or not any("watch <dir>" in x for x in h.lines):
        raise AssertionError("help: %r" % h)
    r = a.expect("frobnicate now", "UNKNOWN_COMMAND")
    if "help lists them" not in r.detail or len(r.text) > 120:
        raise AssertionError("unknown command: want a short pointer to help, got %r" % r)
    r = a.expect("shwo downloads", "UNKNOWN_COMMAND")
    if "did you mean 'show'?" not in r.detail:
        raise AssertionError("a typo should suggest the nearest command: %r" % r)
    if a.expect("STATUS").value != "3" or a.expect("Show Downloads").value != "0":
        raise AssertionError("commands are case-insensitive")
    r = a.expect("help get")
    if not r.lines or not r.lines[0].strip().startswith("usage: get ") or len(r.lines) < 4:
        raise AssertionError("help get: %r" % r)
    r = a.expect("help")
    for word in ("share", "get", "show downloads", "remove", "pause", "resume", "verify", "limit", "search",
                 "watch", "unwatch", "status", "peers", "files", "select", "deselect", "help", "quit"):
        if not any(x.strip().startswith(word) for x in r.lines):
            raise AssertionError("help does not list %s: %r" % (word, r))
    a.expect("help frobnicate", "UNKNOWN_COMMAND")
    for bad in ("share", "share only-one", "get x", "show", "show uploads", "remove", "remove a b",
                "search", "watch", "unwatch a b", "status now", "peers", "help me now", "quit now",
                "share \"unterminated x.mtorrent"):
        a.expect(bad, "INVALID_ARGUMENTS")
    a.expect("share missing.bin m.mtorrent", "FILE_NOT_FOUND")
    a.expect("share other.bin other.txt", "INVALID_ARGUMENTS")
    a.expect("share empty.bin e.mtorrent", "INVALID_ARGUMENTS")
    a.expect("share folder f.mtorrent", "INVALID_ARGUMENTS")
    r = a.expect("share \"file with space.bin\" 'sp ace.mtorrent'")
    if r.value != "sp ace.mtorrent":  # the label, quoted because of its space
        raise AssertionError("share reply %r" % r)
    mt = os.path.join(d, "sp ace.mtorrent")
    if not os.path.exists(mt):
        raise AssertionError("share wrote no .mtorrent")
    ih = info_hash_of(mt)
    if ih not in r.detail:
        raise AssertionError("share reply lacks the info_hash %s: %r" % (ih, r))
    a.expect("share \"file with space.bin\" again.mtorrent", "ALREADY_SHARED")
    a.expect("share other.bin \"sp ace.mtorrent\"", "ALREADY_SHARED")

    a.expect("get missing.mtorrent out.bin", "MTORRENT_FILE_NOT_FOUND")
    a.expect("get garbage.mtorrent out.bin", "INVALID_MTORRENT")
    a.expect("get ./folder out.bin", "INVALID_MTORRENT")
    a.expect("get \"sp ace.mtorrent\" exists.bin", "ALREADY_EXISTS")
    a.expect("get \"sp ace.mtorrent\" copy.bin", "ALREADY_EXISTS")  # we seed it already
    a.expect("get \"sp ace.mtorrent\" nowhere/copy.bin", "INVALID_ARGUMENTS")
    a.expect("get %s out.bin" % ih, "ALREADY_EXISTS")
    unknown = "ab" * 20
    a.expect("get %s unknown.bin" % unknown)  # returns at once; fails in the background
    a.expect("get no-such-file.iso nosuch.bin")
    a.expect("get other.bin other-copy.bin")  # a local file that is no .mtorrent: a name to look up

    def shown(pattern):
        return any(re.search(pattern, x) for x in a.transfers())
    if not wait_until(lambda: shown(r"\[!\] %s  FAILURE:METAINFO_NOT_FOUND" % unknown)
                      and shown(r"\[!\] no-such-file.iso  FAILURE:METAINFO_NOT_FOUND"), 15, 0.1):
        raise AssertionError("lookups did not fail with METAINFO_NOT_FOUND: %r" % a.transfers())
    if not shown(r"\[S\] sp ace.mtorrent  100.0%.*ETA done"):
        raise AssertionError("show downloads: %r" % a.transfers())
    a.expect("remove %s" % unknown)  # a failed lookup is removed like a transfer
    a.expect("remove no-such-file.iso")
    if not wait_until(lambda: shown(r"\[!\] other.bin  FAILURE:METAINFO_NOT_FOUND"), 10, 0.1):
        raise AssertionError("a local file shadowed the name lookup: %r" % a.transfers())
    a.expect("remove other.bin")

    if not wait_until(lambda: any(ih in x and " 1 seeder," in x for x in a.expect("search space").lines), 10, 0.1):
        raise AssertionError("search does not find the share: %r" % a.cmd("search space"))
    if a.expect("search nothing-matches-this").value != "0":
        raise AssertionError("search for nothing found something")
    st = a.expect("status")
    tracker_lines = [x for x in st.lines if x.strip().startswith("tracker ")]
    if (len(st.lines) != 3 or len(tracker_lines) != 2 or not all(" live" in x for x in tracker_lines)
            or "in use" not in st.text or not st.lines[2].strip().startswith("dht: ")):
        raise AssertionError("status: %r" % st)
    if a.expect("peers \"sp ace.mtorrent\"").value != "0":
        raise AssertionError("peers of a lone seeder")
    a.expect("peers %s" % ih)  # by info_hash too
    a.expect("peers nope.mtorrent", "NOT_FOUND")
    a.expect("remove nope.mtorrent", "NOT_FOUND")

    # Two transfers labelled alike: a name that fits both is refused, the info_hash is not.
    os.makedirs(os.path.join(d, "sub"))
    subprocess.run([os.path.join(BIN, "client"), "create", other, os.path.join(d, "sub", "twin.mtorrent"),
                    "--tracker", t1.url("/announce"), "--tracker", t2.url("/announce")],
                   check=True, capture_output=True, timeout=30)
    twin_ih = info_hash_of(os.path.join(d, "sub", "twin.mtorrent"))
    write_random(os.path.join(d, "twin.bin"), 50 * 1024)
    a.expect("share twin.bin twin.mtorrent")
    a.expect("get sub/twin.mtorrent twin-copy.bin")
    a.expect("peers twin.mtorrent", "AMBIGUOUS")
    r = a.expect("remove twin.mtorrent", "AMBIGUOUS")
    if twin_ih not in r.detail:
        raise AssertionError("AMBIGUOUS does not list the info_hashes: %r" % r)
    a.expect("remove %s" % twin_ih.upper())
    a.expect("remove twin.mtorrent")
    if os.path.exists(os.path.join(d, "twin.mtorrent")) or not os.path.exists(os.path.join(d, "sub", "twin.mtorrent")):
        raise AssertionError("remove deleted the wrong .mtorrent (ours goes, the given one stays)")

    a.expect("watch no-such-dir", "DIR_NOT_FOUND")
    a.expect("watch other.bin", "INVALID_ARGUMENTS")
    a.expect("watch folder")
    a.expect("watch folder/", "ALREADY_WATCHED")
    a.expect("unwatch other-folder", "NOT_WATCHED")
    a.expect("unwatch folder")

    a.expect("x" * 70000, "INVALID_ARGUMENTS")  # a line over 64 KiB
    r = a.cmd("\x01\x02\xff\xfe garbage")
    if r.ok or r.value != "UNKNOWN_COMMAND":
        raise AssertionError("binary garbage: %r" % r)

    r = a.expect("remove \"sp ace.mtorrent\"")
    if os.path.exists(mt) or not os.path.exists(data):
        raise AssertionError("remove must delete the .mtorrent and keep the data")
    if not wait_until(lambda: scrape(t1, ih)[0] == 0 and scrape(t2, ih)[0] == 0, 5, 0.05):
        raise AssertionError("the trackers still list the removed share: %s %s" % (scrape(t1, ih), scrape(t2, ih)))
    a.expect("remove \"sp ace.mtorrent\"", "NOT_FOUND")

    # Both trackers down: search fails with a reason, status says so.
    t1.stop()
    t2.stop()
    a.expect("search space", "TRACKERS_UNREACHABLE")
    st = a.expect("status")
    if "DOWN" not in st.text:
        raise AssertionError("status with dead trackers: %r" % st)
    rc = a.quit("exit")
    if rc != 0:
        raise AssertionError("exit: rc %d" % rc)
    log = a.logtext()
    for want in ("INFO command: share", "WARN reply: FAILURE:FILE_NOT_FOUND", "session stopped"):
        if want not in log:
            raise AssertionError("log lacks %r: %r" % (want, log[-500:]))


def two_clients(suite):
    """share on one, search and get by name on the other, remove, quit:
    both trackers' lists follow each step."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "alice", t1, t2)
    b = Client(suite, "bob", t1, t2)
    src = write_random(os.path.join(a.dir, "holiday.mp4"), 5 * MIB + 123)
    r = a.expect("share holiday.mp4 holiday.mtorrent")
    ih = info_hash_of(os.path.join(a.dir, "holiday.mtorrent"))
    trackers = (t1, t2)
    if not wait_until(both(lambda i: scrape(trackers[i], ih) == (1, 0)), 5, 0.05):
        raise AssertionError("trackers after share: %s %s" % (scrape(t1, ih), scrape(t2, ih)))
    hits = [x for x in b.expect("search holiday").lines if ih in x]
    if not hits or "1 seeder," not in hits[0]:
        raise AssertionError("bob's search: %r" % hits)
    r = b.expect("get holiday.mp4 .")
    dest = os.path.join(b.dir, "holiday.mp4")
    if r.value != dest:
        raise AssertionError("get by name answered %r, want %s" % (r, dest))
    if not wait_until(lambda: any(x.startswith("  [S] holiday.mp4.mtorrent  100.0%") or
                                  x.startswith("[S] holiday.mp4.mtorrent  100.0%") for x in b.transfers()), 30, 0.1):
        raise AssertionError("bob's download did not finish: %r" % b.transfers())
    if sha1_file(dest) != sha1_file(src):
        raise AssertionError("bob's copy differs")
    if not wait_until(both(lambda i: scrape(trackers[i], ih) == (2, 0)), 5, 0.05):
        raise AssertionError("trackers after get: %s %s" % (scrape(t1, ih), scrape(t2, ih)))
    peers = a.expect("peers holiday.mtorrent")
    b.expect("peers holiday.mp4.mtorrent")
    a.expect("remove holiday.mtorrent")
    if not wait_until(both(lambda i: scrape(trackers[i], ih) == (1, 0)), 5, 0.05):
        raise AssertionError("trackers after remove: %s %s" % (scrape(t1, ih), scrape(t2, ih)))
    # Alice's remove ended bob's connection to her: bob's peers reply counts why.
    ended = []
    if not wait_until(lambda: ended.append(b.expect("peers holiday.mp4.mtorrent").detail) or
                      "connections ended: " in ended[-1], 10, 0.2):
        raise AssertionError("bob's peers reply never counted the ended connection: %r" % ended[-1:])
    if b.quit() != 0:
        raise AssertionError("bob's quit failed")
    if not wait_until(both(lambda i: scrape(trackers[i], ih) == (0, 0)), 5, 0.05):
        raise AssertionError("trackers after quit: %s %s" % (scrape(t1, ih), scrape(t2, ih)))
    if a.quit() != 0:
        raise AssertionError("alice's quit failed")
    if "download complete: holiday.mp4.mtorrent" not in b.logtext():
        raise AssertionError("no completion line in bob's log")
    print("  two_clients: alice saw %s peer(s) of bob before the remove" % peers.value, flush=True)


def get_by_info_hash_from_peers(suite):
    """A file no tracker holds the metainfo of (made with `client create`,
    never published) is seeded by a one-shot seeder; `get <info_hash>` on the
    prompt finds the metainfo through the swarm (BEP 9 ut_metadata from the
    seeder) and downloads the file."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    # Not "bob": two_clients' bob left a finished [S] transfer in that state
    # folder, which satisfied the wait below before this download was done.
    b = Client(suite, "dora", t1, t2)
    work = os.path.join(suite.work, "unpublished")
    os.makedirs(work)
    src = write_random(os.path.join(work, "secret-plans.pdf"), 3 * MIB + 7)
    tor = os.path.join(work, "plans.mtorrent")
    binary = os.path.join(BIN, "client")
    r = subprocess.run([binary, "create", src, tor, "--tracker", t1.url("/announce"), "--tracker",
                        t2.url("/announce")], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("create: %s" % r.stderr)
    ih = info_hash_of(tor)
    seeder = subprocess.Popen([binary, "seed", tor, src, "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        if not wait_until(both(lambda i: scrape((t1, t2)[i], ih)[0] == 1), 10, 0.05):
            raise AssertionError("the seeder is not listed")
        r = b.expect("get %s ." % ih)
        dest = os.path.join(b.dir, "secret-plans.pdf")
        if not wait_until(lambda: os.path.exists(dest) and any(
                "[S] " in x and "100.0%" in x and "secret-plans" in x for x in b.transfers()), 30, 0.1):
            raise AssertionError("download by info_hash did not finish: %r; log %r" % (
                b.transfers(), b.logtext()[-800:]))
        if sha1_file(dest) != sha1_file(src):
            raise AssertionError("the copy differs")
        if "(ut_metadata)" not in b.logtext() or "from peer" not in b.logtext():
            raise AssertionError("the log does not say the metainfo came from a peer: %r" % b.logtext()[-800:])
        if b.quit() != 0:
            raise AssertionError("bob's quit failed")
    finally:
        stop_process(seeder, signal.SIGTERM, 10)


def watched_folder(suite):
    """A watched folder gains a file, one changes, one is deleted: the
    trackers' search shows each within 5 s."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "watcher", t1, t2)
    w = os.path.join(a.dir, "shared")
    os.makedirs(w)
    write_random(os.path.join(w, "w-alpha.bin"), 700 * 1024)
    write_random(os.path.join(w, "w-beta.bin"), 300 * 1024)
    a.expect("watch shared")
    trackers = (t1, t2)
    if not wait_until(both(lambda i: seeded(trackers[i], "w-alpha.bin") and seeded(trackers[i], "w-beta.bin")),
                      8, 0.05):
        raise AssertionError("initial files not on the trackers: %s" % tracker_search(t1, "w-"))
    old_alpha = seeded(t1, "w-alpha.bin")
    timings = []

    def within5(what, pred):
        t0 = time.time()
        if not wait_until(both(pred), 5, 0.05):
            raise AssertionError("%s not reflected within 5 s: %s / %s" % (what, tracker_search(t1, "w-"),
                                                                        tracker_search(t2, "w-")))
        timings.append("%s %.1f s" % (what, time.time() - t0))

    write_random(os.path.join(w, "w-gamma.bin"), 200 * 1024)
    within5("new", lambda i: seeded(trackers[i], "w-gamma.bin"))
    write_random(os.path.join(w, "w-alpha.bin"), 710 * 1024)
    within5("changed", lambda i: seeded(trackers[i], "w-alpha.bin")
            and not (seeded(trackers[i], "w-alpha.bin") & old_alpha))
    os.unlink(os.path.join(w, "w-beta.bin"))
    within5("deleted", lambda i: not seeded(trackers[i], "w-beta.bin"))
    # A folder in the watched folder is shared as a folder torrent, and
    # shared again when a file inside it changes.
    staged = os.path.join(a.dir, "staged-delta")
    os.makedirs(os.path.join(staged, "sub"))
    write_random(os.path.join(staged, "sub", "one.bin"), 100 * 1024)
    write_random(os.path.join(staged, "two.bin"), 50 * 1024)
    os.rename(staged, os.path.join(w, "w-delta"))
    within5("new folder", lambda i: seeded(trackers[i], "w-delta"))
    old_delta = seeded(t1, "w-delta")
    write_random(os.path.join(w, "w-delta", "sub", "one.bin"), 101 * 1024)
    within5("changed inside a folder", lambda i: seeded(trackers[i], "w-delta")
            and not (seeded(trackers[i], "w-delta") & old_delta))
    lines = a.transfers()
    if len(lines) != 3 or any("w-beta" in x for x in lines):
        raise AssertionError("show downloads after the changes: %r" % lines)
    if a.quit() != 0:
        raise AssertionError("quit failed")
    print("  watched_folder: " + ", ".join(timings), flush=True)


def resume_file_pieces(path):
    """Verified pieces in a .mtresume (docs/PROTOCOL.md): bitfield at offset 44."""
    try:
        b = open(path, "rb").read()
    except OSError:
        return -1
    if len(b) < 48 or b[:8] != b"MTRESUM1":
        return -1
    n = struct.unpack(">I", b[32:36])[0]
    return sum(bin(x).count("1") for x in b[44:44 + (n + 7) // 8])


def kill9_resume(suite):
    """kill -9 with half the file verified; the restart fetches under 60%."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "resume", t1, t2, start=False)
    size = 16 * PIECE
    data = write_random(os.path.join(suite.work, "resume-src.bin"), size)
    mt = os.path.join(suite.work, "resume.mtorrent")
    subprocess.run([os.path.join(BIN, "client"), "create", data, mt, "--tracker", t1.url("/announce"),
                    "--tracker", t2.url("/announce")], check=True, capture_output=True, timeout=30)
    ih = info_hash_of(mt)
    sw = types.SimpleNamespace(pieces=16, piece_length=PIECE, data=data, info_hash=bytes.fromhex(ih), t1=t1, t2=t2)
    seeder = FakeSeeder(sw, have=range(8))  # holds only the first half
    try:
        seeder.announce()
        a.start()
        dest = os.path.join(a.dir, "resume.bin")
        a.expect("get %s resume.bin" % mt)
        resume = os.path.join(a.state, "torrents", ih + ".mtresume")
        if not wait_until(lambda: resume_file_pieces(resume) >= 8, 20, 0.02):
            raise AssertionError("half never verified: %d pieces; %r" % (resume_file_pieces(resume), a.transfers()))
        a.kill9()
        seeder.have = set(range(16))  # now it has everything
        a.start()
        if not wait_until(lambda: "download complete: resume.mtorrent" in a.logtext(), 30, 0.05):
            raise AssertionError("the restart did not complete: %r" % a.transfers())
        m = re.search(r"download complete: resume.mtorrent: (\d+) bytes received in this run", a.logtext())
        got = int(m.group(1))
        if got >= 0.6 * size:
            raise AssertionError("the restart fetched %d of %d bytes" % (got, size))
        if "8 of 16 pieces already verified" not in a.logtext():
            raise AssertionError("the restart did not resume from 8 verified pieces")
        if sha1_file(dest) != sha1_file(data):
            raise AssertionError("the resumed file differs")
        if a.quit() != 0:
            raise AssertionError("quit failed")
        print("  kill9_resume: the restart fetched %d of %d bytes (%.0f%%)" % (got, size, 100.0 * got / size),
              flush=True)
    finally:
        seeder.stop()


def persistence(suite):
    """State survives quit, EOF and SIGTERM; a changed share is re-hashed; a
    corrupt state file is set aside."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "persist", t1, t2)
    f = write_random(os.path.join(a.dir, "keep.bin"), 1 * MIB)
    w = os.path.join(a.dir, "wdir")
    os.makedirs(w)
    write_random(os.path.join(w, "inside.bin"), 64 * 1024)
    a.expect("share keep.bin keep.mtorrent")
    ih = info_hash_of(os.path.join(a.dir, "keep.mtorrent"))
    a.expect("watch wdir")
    if not wait_until(lambda: seeded(t1, "inside.bin"), 8, 0.05):
        raise AssertionError("watched file not shared")
    # End of input quits like quit.
    a.proc.stdin.close()
    if a.wait() != 0:
        raise AssertionError("EOF: bad exit")
    if not wait_until(lambda: scrape(t1, ih)[0] == 0, 5, 0.05):
        raise AssertionError("no stopped announce at EOF")
    a.start()
    lines = a.transfers()
    if len(lines) != 2 or not any("[S] keep.mtorrent" in x for x in lines):
        raise AssertionError("after restart: %r" % lines)
    if not wait_until(lambda: scrape(t1, ih)[0] == 1 and seeded(t1, "inside.bin"), 5, 0.05):
        raise AssertionError("shares not announced again after the restart")
    # SIGTERM quits like quit.
    a.stop(signal.SIGTERM)
    if a.proc.returncode != 0:
        raise AssertionError("SIGTERM: exit %s" % a.proc.returncode)
    with open(f, "ab") as fh:
        fh.write(b"more bytes")
    a.start()
    if not wait_until(lambda: "changed since the last run; shared again as" in a.err(), 10, 0.05):
        raise AssertionError("no re-share of the changed file: %r" % a.err()[-400:])
    new_ih = info_hash_of(os.path.join(a.dir, "keep.mtorrent"))
    if new_ih == ih or not wait_until(lambda: scrape(t1, new_ih)[0] == 1, 5, 0.05):
        raise AssertionError("the changed file is not seeded as a new torrent")
    if a.quit() != 0:
        raise AssertionError("quit failed")
    state = os.path.join(a.state, "session.state")
    with open(state, "r+b") as fh:
        fh.seek(20)
        fh.write(b"\xffGARBAGE")
    a.start()
    if a.expect("show downloads").value != "0":
        raise AssertionError("a corrupt state was trusted")
    if "is damaged" not in a.err() or not any(n.startswith("session.state.corrupt-") for n in os.listdir(a.state)):
        raise AssertionError("corrupt state not reported and set aside: %r %s" % (a.err()[-300:], os.listdir(a.state)))
    if a.quit() != 0:
        raise AssertionError("quit failed")


def trackers_come_back(suite):
    """Shared while both trackers are down: published and announced once they
    are up (the prompt answered at once all the same)."""
    from mtlib import Tracker
    p1, p2 = free_port(), free_port()
    t1 = Tracker(suite, "late1", p1, p2, extra=TRACKER_FLAGS)
    t2 = Tracker(suite, "late2", p2, p1, extra=TRACKER_FLAGS)
    a = Client(suite, "late", t1, t2)
    write_random(os.path.join(a.dir, "late.bin"), 256 * 1024)
    t0 = time.time()
    a.expect("share late.bin late.mtorrent")
    if time.time() - t0 > 1.5:
        raise AssertionError("share waited on the dead trackers for %.1f s" % (time.time() - t0))
    t1.start()
    t2.start()
    if not wait_until(lambda: seeded(t1, "late.bin") and seeded(t2, "late.bin"), 15, 0.1):
        raise AssertionError("not published and announced after the trackers came back: %s"
                             % tracker_search(t1, "late"))
    if "cannot publish late.mtorrent" not in a.logtext():
        raise AssertionError("the failed publish was not logged")
    if a.quit() != 0:
        raise AssertionError("quit failed")


def honest_answers(suite):
    """What the prompt says is true (issue 15, items 7-10): a finished
    download's rate drops to 0; watch says what it leaves out; status lists
    the watched folders, at most one tracker in use, never a DOWN one, how
    old live/DOWN is, and still knows the last announce once the transfers
    are gone; with both trackers down, share says the file is shared but not
    announced (and status counts it), and search names both trackers'
    errors."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "honest-a", t1, t2)
    b = Client(suite, "honest-b", t1, t2)
    # A seeder capped at 2 MiB/s: the download takes seconds, and shows a rate.
    src = write_random(os.path.join(a.dir, "r.bin"), 6 * MIB)
    mt = os.path.join(a.dir, "r.mtorrent")
    subprocess.run([os.path.join(BIN, "client"), "create", src, mt, "--tracker", t1.url("/announce"),
                    "--tracker", t2.url("/announce")], check=True, capture_output=True, timeout=20)
    seeder = subprocess.Popen([os.path.join(BIN, "client"), "seed", mt, src, "--max-upload-rate", "2048"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        b.expect("get %s ." % mt)
        if not wait_until(lambda: any(re.search(r"down [1-9]", x) for x in b.transfers()), 15, 0.2):
            raise AssertionError("no download rate shown: %r" % b.transfers())
        if not wait_until(lambda: any("[S] r.mtorrent  100.0%" in x for x in b.transfers()), 30, 0.1):
            raise AssertionError("the download did not finish: %r" % b.transfers())
        if not wait_until(lambda: any("down 0 B/s" in x for x in b.transfers()), 4, 0.2):
            raise AssertionError("a finished download still shows a rate: %r" % b.transfers())
        if not any(re.search(r"sent \S+ \S+ \(ratio \d+\.\d\d\)", x) for x in b.transfers()):
            raise AssertionError("no upload total and ratio: %r" % b.transfers())
    finally:
        stop_process(seeder)

    w = os.path.join(a.dir, "w")
    os.makedirs(w)
    write_random(os.path.join(w, "x.bin"), 1000)
    open(os.path.join(w, "empty.bin"), "wb").close()
    os.symlink(os.path.join(a.dir, "r.bin"), os.path.join(w, "link.bin"))
    r = a.expect("watch %s" % w)
    if "1 empty file or folder" not in r.detail or "1 symbolic link" not in r.detail:
        raise AssertionError("watch does not say what it skips: %r" % r)
    st = a.expect("status")
    if not any(x.strip().startswith("watching " + os.path.realpath(w)) for x in st.lines):
        raise AssertionError("status does not list the watched folder: %r" % st)

    # A file whose only sharer quit: search leaves it out unless --all.
    c = Client(suite, "honest-c", t1, t2)
    write_random(os.path.join(c.dir, "gone.bin"), 300 * 1024)
    c.expect("share gone.bin gone.mtorrent")
    if c.quit() != 0:
        raise AssertionError("the sharer's quit failed")
    if not wait_until(lambda: tracker_search(t1, "gone.bin").get("gone.bin", [(0, 1)])[0][1] == 0, 10, 0.1):
        raise AssertionError("the quit sharer is still counted: %s" % tracker_search(t1, "gone.bin"))
    r = b.expect("search gone.bin")
    if r.value != "0" or "1 more has no peers now" not in r.detail:
        raise AssertionError("search lists a file nobody has: %r" % r)
    r = b.expect("search --all gone.bin")
    if r.value != "1" or "gone.bin" not in r.lines[0]:
        raise AssertionError("search --all: %r" % r)

    b.expect("remove r.mtorrent")
    st = b.expect("status")
    trackers = [x for x in st.lines if x.strip().startswith("tracker ")]
    if len(trackers) != 2 or all("last announce never" in x for x in trackers):
        raise AssertionError("status forgot the last announce with the transfer: %r" % st)
    t1.stop()
    b.cmd("search r.bin")  # tracker 1 is refused, tracker 2 answers
    st = b.expect("status")
    trackers = [x for x in st.lines if x.strip().startswith("tracker ")]
    in_use = [x for x in trackers if "in use" in x]
    if len(in_use) != 1 or "DOWN" in in_use[0] or "tracker 2" not in in_use[0]:
        raise AssertionError("status: want tracker 2 alone in use, got %r" % st)
    if "DOWN" not in trackers[0] or "last answer" not in trackers[0]:
        raise AssertionError("status: tracker 1 should be DOWN with the age of its last answer: %r" % st)

    t2.stop()
    write_random(os.path.join(a.dir, "s.bin"), 100 * 1024)
    r = a.expect("share s.bin s.mtorrent")
    if "NOT announced" not in r.detail:
        raise AssertionError("share with both trackers down answered %r" % r)
    if "1 share not announced yet" not in a.expect("status").text:
        raise AssertionError("status does not count the unannounced share: %r" % a.cmd("status"))
    r = a.cmd("search s.bin")
    if r.ok or "tracker 1 (" not in r.text or "tracker 2 (" not in r.text:
        raise AssertionError("search with both trackers down: want both errors, got %r" % r)


def edited_while_seeding(suite):
    """Issue 15, item 6: a shared file edited in place is noticed, its stale
    pieces are no longer served, and it is hashed and shared again (the old
    entry withdrawn): another client's get by name fetches the new bytes. A
    finished download edited in place stops being served and says why."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "edit-a", t1, t2)
    b = Client(suite, "edit-b", t1, t2)
    path = write_random(os.path.join(a.dir, "notes.bin"), 2 * MIB)
    a.expect("share notes.bin notes.mtorrent")
    old = info_hash_of(os.path.join(a.dir, "notes.mtorrent"))
    if not wait_until(both(lambda i: seeded((t1, t2)[i], "notes.bin") == {old}), 10, 0.1):
        raise AssertionError("the share was never listed")
    time.sleep(1.1)
    with open(path, "r+b") as f:  # an edit in place: same size, other bytes
        f.seek(MIB)
        f.write(os.urandom(4096))
    want = sha1_file(path)
    if not wait_until(lambda: info_hash_of(os.path.join(a.dir, "notes.mtorrent")) != old, 10, 0.2):
        raise AssertionError("the edit was not noticed: %r" % a.transfers())
    new = info_hash_of(os.path.join(a.dir, "notes.mtorrent"))
    if not wait_until(both(lambda i: seeded((t1, t2)[i], "notes.bin") == {new}), 10, 0.1):
        raise AssertionError("trackers after the edit: %s %s (old %s, new %s)" % (
            tracker_search(t1, "notes.bin"), tracker_search(t2, "notes.bin"), old, new))
    if "changed; shared again as " + new not in a.logtext():
        raise AssertionError("the log does not say so: %r" % a.logtext()[-500:])
    r = b.expect("get notes.bin .")
    if not wait_until(lambda: any("[S] notes.bin.mtorrent  100.0%" in x for x in b.transfers()), 30, 0.1):
        raise AssertionError("get by name after the edit: %r" % b.transfers())
    got = os.path.join(b.dir, "notes.bin")
    if sha1_file(got) != want:
        raise AssertionError("bob got the stale bytes")
    # Bob edits his finished download: he stops serving it, and says why.
    time.sleep(1.1)
    with open(got, "r+b") as f:
        f.write(b"scribble")
    if not wait_until(lambda: any("[!] notes.bin.mtorrent" in x and "changed on disk" in x
                                  for x in b.transfers()), 10, 0.2):
        raise AssertionError("an edited download is still served: %r" % b.transfers())


def bad_startup(suite):
    """Wrong arguments: usage, exit 2; a port in use: exit 1; one-shot commands still work."""
    c = os.path.join(BIN, "client")
    r = subprocess.run([c, "127.0.0.1:1", "127.0.0.1:2"], capture_output=True, text=True, timeout=10)
    if r.returncode != 2 or "usage" not in r.stderr:
        raise AssertionError("too few arguments: %d %r" % (r.returncode, r.stderr))
    r = subprocess.run([c, "127.0.0.1:1", "127.0.0.1:2", "nonsense", "log", "--state-dir"], capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 2:
        raise AssertionError("bad tracker: %d %r" % (r.returncode, r.stderr))
    work = os.path.join(suite.work, "startup")
    os.makedirs(work)
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        r = subprocess.run([c, "127.0.0.1:%d" % s.getsockname()[1], "127.0.0.1:1", "127.0.0.1:2",
                            os.path.join(work, "log"), "--state-dir", os.path.join(work, "st")],
                           capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    finally:
        s.close()
    if r.returncode != 1 or "cannot listen" not in r.stderr:
        raise AssertionError("port in use: %d %r" % (r.returncode, r.stderr))
    if r.stderr.count("cannot listen") != 1:
        raise AssertionError("the error says it twice: %r" % r.stderr)
    if os.path.exists(os.path.join(work, "st")):
        raise AssertionError("a client that failed to start left a state folder behind")
    r = subprocess.run([c, "--version"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0 or "mtorrent client" not in r.stdout:
        raise AssertionError("--version broke")
    r = subprocess.run([c, "--help"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0 or "<my_ip:port>" not in r.stdout or "client create" not in r.stdout:
        raise AssertionError("--help (on stdout, exit 0) lacks the interactive form: %r" % r.stdout)
    for args, says in ((["create", "--bogus"], "unknown option --bogus"),
                       (["get", "x.mtorrent", "d", "--port"], "--port needs a value"),
                       (["get", "x.mtorrent", "d", "--port", "12abc"],
                        "invalid value for --port: '12abc'"),
                       (["127.0.0.1:0", "nowhere", "127.0.0.1:2", "log"],
                        "bad tracker address 'nowhere': not ip:port")):
        r = subprocess.run([c] + args, capture_output=True, text=True, timeout=10,
                           stdin=subprocess.DEVNULL, cwd=work)
        if r.returncode != 2 or says not in r.stderr:
            raise AssertionError("%r: want exit 2 and %r, got %d %r" % (args, says, r.returncode, r.stderr))
    t = os.path.join(BIN, "tracker")
    r = subprocess.run([t, "--version"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0 or "mtorrent tracker" not in r.stdout:
        raise AssertionError("tracker --version: %d %r" % (r.returncode, r.stdout))
    r = subprocess.run([t, "--interval", "0", "127.0.0.1:1", "127.0.0.1:2", "s", "l"],
                       capture_output=True, text=True, timeout=10, cwd=work)
    if r.returncode != 2 or "invalid value for --interval: '0' (want a whole number from 1 to 86400)" not in r.stderr:
        raise AssertionError("tracker --interval 0: %d %r" % (r.returncode, r.stderr))


def folders(suite):
    """share <folder> at one prompt, get it at another (byte for byte),
    files lists it, deselect/select change what is fetched, and a restart
    keeps the selection; the folder is seeded again after quit."""
    from folders import make_tree, tree_digest, check_tree
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "fa", t1, t2)
    b = Client(suite, "fb", t1, t2)
    make_tree(os.path.join(a.dir, "album"), seed=3, many=40)
    want = tree_digest(os.path.join(a.dir, "album"))
    r = a.expect("share album album.mtorrent")
    if "seeding album" not in r.detail:
        raise AssertionError("share of a folder answered %r" % r)
    mt = os.path.join(a.dir, "album.mtorrent")
    ih = info_hash_of(mt)
    if not wait_until(both(lambda i: scrape((t1, t2)[i], ih) == (1, 0)), 5, 0.05):
        raise AssertionError("the folder's seeder was never listed")
    r = b.expect("get %s ." % mt)
    dest = os.path.join(b.dir, "album")
    if r.value != dest:
        raise AssertionError("get answered %r, want %s" % (r, dest))
    if not wait_until(lambda: any("[S] album.mtorrent  100.0%" in x for x in b.transfers()), 30, 0.1):
        raise AssertionError("bob's folder download did not finish: %r" % b.transfers())
    check_tree(dest, want)
    files = b.expect("files album.mtorrent")
    if len(files.lines) != len(want) or not all("100%  selected" in x for x in files.lines):
        raise AssertionError("files: %r" % files.lines[:5])
    b.expect("deselect album.mtorrent many")
    files = b.expect("files album.mtorrent")
    skipped = [x for x in files.lines if "skipped" in x]
    if len(skipped) != 40 or not all("many/" in x for x in skipped):
        raise AssertionError("after deselect: %r" % skipped[:3])
    b.expect("deselect album.mtorrent 999", code="INVALID_ARGUMENTS")
    b.expect("files holiday.mtorrent", code="NOT_FOUND")
    if b.quit() != 0:
        raise AssertionError("bob's quit failed")
    b2 = Client(suite, "fb", t1, t2, state_dir=b.state)
    files = b2.expect("files album.mtorrent")
    if len([x for x in files.lines if "skipped" in x]) != 40:
        raise AssertionError("the selection did not survive a restart: %r" % files.lines[:3])
    b2.expect("select album.mtorrent *.txt")
    if any("skipped" in x for x in b2.expect("files album.mtorrent").lines):
        raise AssertionError("select *.txt left files skipped")
    check_tree(dest, want)
    # get --only at the prompt: only those files come into being; select
    # adds more later.
    c = Client(suite, "fc", t1, t2)
    c.expect("get %s . --only nothing" % mt, code="INVALID_ARGUMENTS")
    c.expect("get %s . --only" % mt, code="INVALID_ARGUMENTS")
    c.expect("get %s . --only *.iso --only README.txt" % mt)
    cdest = os.path.join(c.dir, "album")
    if not wait_until(lambda: any("[S] album.mtorrent  100.0%" in x for x in c.transfers()), 30, 0.1):
        raise AssertionError("carol's download did not finish: %r" % c.transfers())
    check_tree(cdest, want, lambda p: p in ("big.iso", "README.txt"))
    c.expect("select album.mtorrent many")
    if not wait_until(lambda: any("[S] album.mtorrent  100.0%" in x for x in c.transfers()) and
                      len(os.listdir(os.path.join(cdest, "many"))) == 40, 30, 0.1):
        raise AssertionError("the selected files did not come: %r" % c.transfers())
    check_tree(cdest, want, lambda p: p in ("big.iso", "README.txt") or p.startswith("many/"))
    c.quit()
    b2.quit()
    a.quit()

def pause_resume_limit(suite):
    """pause stops a transfer's traffic and tells the trackers, resume carries
    on, both survive a restart; limit changes the rate at run time and is
    kept; what a share sent (and its ratio) survives a restart."""
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "pr-alice", t1, t2)
    b = Client(suite, "pr-bob", t1, t2)
    size = 6 * MIB
    src = write_random(os.path.join(a.dir, "big.bin"), size)
    a.expect("share big.bin big.mtorrent")
    ih = info_hash_of(os.path.join(a.dir, "big.mtorrent"))
    r = b.expect("limit down 512")
    if "down 512 KiB/s" not in r.detail:
        raise AssertionError("limit down 512 answered %r" % r)
    b.expect("get %s ." % os.path.join(a.dir, "big.mtorrent"))

    def verified():
        line = [x for x in b.transfers() if "big.mtorrent" in x][0]
        return float(re.search(r"(\d+\.\d)%", line).group(1)), line
    if not wait_until(lambda: verified()[0] > 0, 15, 0.1):
        raise AssertionError("bob's download never started: %r" % b.transfers())
    r = b.expect("pause big.mtorrent")
    b.expect("pause big.mtorrent", "ALREADY_PAUSED")
    if not wait_until(lambda: "[P] big.mtorrent" in verified()[1] and scrape(t1, ih)[1] == 0, 10, 0.1):
        raise AssertionError("pause: %r; tracker (seeders, leechers) %s" % (verified()[1], scrape(t1, ih)))
    before = verified()[0]
    time.sleep(1.5)
    after, line = verified()
    if after != before or "paused" not in line:
        raise AssertionError("a paused download went on: %.1f%% -> %.1f%% (%r)" % (before, after, line))
    # Paused across a restart.
    if b.quit() != 0:
        raise AssertionError("bob's quit failed")
    b.start()
    line = verified()[1]
    if "[P] big.mtorrent" not in line or abs(verified()[0] - before) > 0.05:
        raise AssertionError("after a restart the pause or its progress was lost: %r (was %.1f%%)" % (line, before))
    r = b.expect("limit")
    if "down 512 KiB/s" not in r.detail:
        raise AssertionError("the limit was not kept across the restart: %r" % r)
    b.expect("resume big.mtorrent")
    again = b.cmd("resume big.mtorrent")  # while it resumes, or once it has
    if again.ok or again.value not in ("ALREADY_RESUMING", "NOT_PAUSED"):
        raise AssertionError("a second resume: %r" % again)
    if not wait_until(lambda: verified()[0] > before, 15, 0.1):
        raise AssertionError("resume did not carry on: %r" % b.transfers())
    b.expect("limit down off")
    if not wait_until(lambda: "[S] big.mtorrent  100.0%" in verified()[1], 30, 0.1):
        raise AssertionError("bob's download did not finish: %r" % b.transfers())
    if sha1_file(os.path.join(b.dir, "big.bin")) != sha1_file(src):
        raise AssertionError("bob's copy differs")
    # What alice sent, and the ratio, in this run and after a restart (at
    # least the file: what was in flight when bob paused counts too).
    def sent():
        line = [x for x in a.transfers() if "big.mtorrent" in x][0]
        m = re.search(r"sent (\d+\.\d\d) MiB \(ratio (\d+\.\d\d)\)", line)
        if not m:
            raise AssertionError("alice's transfer line has no upload total: %r" % line)
        return m.group(0), float(m.group(1)), float(m.group(2))
    before_quit = sent()
    if before_quit[1] < 6.0 or abs(before_quit[2] - before_quit[1] / 6.0) > 0.01:
        raise AssertionError("alice's upload total: %r" % (before_quit,))
    if a.quit() != 0:
        raise AssertionError("alice's quit failed")
    a.start()
    if sent()[0] != before_quit[0]:
        raise AssertionError("alice's upload total was not kept across the restart: %r, was %r" %
                             (sent()[0], before_quit[0]))
    a.expect("pause nothing.mtorrent", "NOT_FOUND")
    a.quit()
    b.quit()


def verify_and_delete_data(suite):
    """verify re-hashes a transfer's data on disk: a finished download whose
    bytes were damaged counts fewer pieces and fetches the bad ones again
    from its peer (byte for byte), running or paused (a paused one stays
    paused, its progress shown); a share is checked and never written.
    remove --delete-data deletes a finished download's file, or exactly the
    files of a folder torrent, and refuses a share (NOT_OUR_DATA)."""
    from folders import make_tree, tree_digest
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    a = Client(suite, "vd-alice", t1, t2)
    b = Client(suite, "vd-bob", t1, t2)
    src = write_random(os.path.join(a.dir, "film.bin"), 6 * PIECE)
    a.expect("share film.bin film.mtorrent")
    mt = os.path.join(a.dir, "film.mtorrent")
    b.expect("get %s ." % mt)
    got = os.path.join(b.dir, "film.bin")

    def line(c, label):
        return next((x for x in c.transfers() if "] %s " % label in x), "")
    if not wait_until(lambda: "[S] film.mtorrent  100.0%" in line(b, "film.mtorrent"), 30, 0.1):
        raise AssertionError("bob's download did not finish: %r" % b.transfers())
    # Bob's copy is damaged in one piece: verify counts 5 of 6, then fetches
    # the piece from alice.
    damage(got, 2 * PIECE + 100)
    if sha1_file(got) == sha1_file(src):
        raise AssertionError("the damage did not take")
    r = b.expect("verify film.mtorrent")
    if "verifying" not in r.detail:
        raise AssertionError("verify answered %r" % r)
    want = "verified film.mtorrent: 5 of 6 pieces good; fetching the others from peers"
    if not wait_until(lambda: want in b.logtext(), 20, 0.1):
        raise AssertionError("no %r in bob's log: %r" % (want, b.logtext()[-800:]))
    if not wait_until(lambda: "[S] film.mtorrent  100.0%" in line(b, "film.mtorrent"), 30, 0.1):
        raise AssertionError("the damaged piece was not fetched again: %r" % b.transfers())
    if sha1_file(got) != sha1_file(src):
        raise AssertionError("bob's copy was not repaired")
    # Paused: checked where it is, stays paused with its progress, resume fetches.
    b.expect("pause film.mtorrent")
    if not wait_until(lambda: "[P] film.mtorrent" in line(b, "film.mtorrent"), 10, 0.1):
        raise AssertionError("pause: %r" % b.transfers())
    damage(got, 5 * PIECE + 7)
    b.expect("verify film.mtorrent")
    want = "verified film.mtorrent: 5 of 6 pieces good; resume fetches the others"
    if not wait_until(lambda: want in b.logtext(), 20, 0.1):
        raise AssertionError("no %r in bob's log: %r" % (want, b.logtext()[-800:]))
    if "[P] film.mtorrent   83.3%  paused" not in line(b, "film.mtorrent"):
        raise AssertionError("a paused transfer's verified progress: %r" % line(b, "film.mtorrent"))
    b.expect("resume film.mtorrent")
    if not wait_until(lambda: "[S] film.mtorrent  100.0%" in line(b, "film.mtorrent"), 30, 0.1):
        raise AssertionError("resume did not fetch the damaged piece: %r" % b.transfers())
    if sha1_file(got) != sha1_file(src):
        raise AssertionError("bob's copy was not repaired after resume")
    # Alice's share: checked, all good; her own data is never deleted.
    a.expect("verify film.mtorrent")
    if not wait_until(lambda: "verified film.mtorrent: all 6 pieces good" in a.logtext(), 20, 0.1):
        raise AssertionError("alice's verify: %r" % a.logtext()[-500:])
    r = a.expect("remove film.mtorrent --delete-data", "NOT_OUR_DATA")
    if not os.path.exists(src) or "[S] film.mtorrent" not in line(a, "film.mtorrent"):
        raise AssertionError("a refused --delete-data removed something: %r" % r)
    a.expect("verify nothing.mtorrent", "NOT_FOUND")
    b.expect("remove film.mtorrent --keep --delete-data", "INVALID_ARGUMENTS")
    # Bob's finished file goes with --delete-data; what is beside it stays.
    with open(os.path.join(b.dir, "beside.txt"), "w") as f:
        f.write("mine")
    b.expect("remove film.mtorrent --delete-data")
    if not wait_until(lambda: not os.path.exists(got), 10, 0.05):
        raise AssertionError("--delete-data left %s" % got)
    if not os.path.exists(os.path.join(b.dir, "beside.txt")):
        raise AssertionError("--delete-data deleted a file beside the download")
    # A folder: exactly the files its .mtorrent lists, then its empty folders.
    make_tree(os.path.join(a.dir, "album"), seed=5, many=20)
    a.expect("share album album.mtorrent")
    b.expect("get %s ." % os.path.join(a.dir, "album.mtorrent"))
    dest = os.path.join(b.dir, "album")
    if not wait_until(lambda: "[S] album.mtorrent  100.0%" in line(b, "album.mtorrent"), 30, 0.1):
        raise AssertionError("bob's folder download did not finish: %r" % b.transfers())
    with open(os.path.join(dest, "many", "notes.txt"), "w") as f:
        f.write("bob's own notes")
    b.expect("remove album.mtorrent --delete-data")
    if not wait_until(lambda: tree_digest(dest).keys() == {os.path.join("many", "notes.txt")}, 10, 0.05):
        raise AssertionError("--delete-data of a folder left %r" % sorted(tree_digest(dest))[:5])
    if sorted(os.listdir(dest)) != ["many"]:
        raise AssertionError("the emptied folders were not removed: %r" % os.listdir(dest))
    if tree_digest(os.path.join(a.dir, "album")) == {}:
        raise AssertionError("alice's folder suffered")
    a.quit()
    b.quit()


def main():
    suite = Suite()
    cases = [commands_through_a_pipe, two_clients, get_by_info_hash_from_peers,
             watched_folder, kill9_resume, persistence, trackers_come_back, bad_startup, folders,
             honest_answers, edited_while_seeding, pause_resume_limit, verify_and_delete_data]
    return suite.run(cases)


if __name__ == "__main__":
    sys.exit(main())
