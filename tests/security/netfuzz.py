#!/usr/bin/env python3
"""A bounded network fuzzer for a live tracker pair, a live seeder and a live
downloader (issue 12).

It starts a tracker pair, a `client seed` of a small random file and a
`client get` of a second file that only the fuzzer's fake seeder offers, and
drives random, valid-looking message sequences at them:

  tracker  HTTP announce/scrape/search/publish/metainfo/stats with mutated
           parameters (huge and negative numbers, repeated keys, bad
           %-escapes, long values), pipelined requests, partial sends,
           keep-alive; UDP connect/announce/scrape with right and wrong
           connection ids, truncated and extended datagrams; the replication
           magic followed by junk.
  seeder   a peer-wire handshake, then random messages (choke ... cancel,
           port, extended with ut_metadata and junk bencode, BEP 6 fast
           messages, unknown ids, bitfields of wrong sizes, requests at edge
           offsets, oversized length prefixes), the stream split at random
           byte boundaries.
  getter   the same messages from a fake seeder the downloader connects to.

Afterwards every process must still run and answer: an honest HTTP and UDP
announce on both trackers, the pair converged again (equal state digests),
an honest download from the seeder, and the fuzzed
downloader finishing once a real seeder of its file appears. A sanitizer
report in any process's stderr fails the run.

Every session is generated from its own RNG, seeded by (run seed, phase,
session number), so a failure is reproduced with
    netfuzz.py --seed S --only PHASE:N
and the bytes of the last sessions sent before a failure are saved under the
folder printed (one file per session). The fuzzer plays from 127.0.0.2 and up;
the honest checks come from 127.0.0.1, so a ban or a per-address cap the
fuzzer provokes does not hide a real failure.

usage: netfuzz.py [--seed N] [--seconds S | --minutes M] [--sessions N]
                  [--phases tracker,seeder,getter] [--only PHASE:N] [--save DIR] [--bin DIR]
exit status 0 when every check passed.
"""
import argparse
import hashlib
import os
import random
import re
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import mtlib  # noqa: E402
from mtlib import bencode  # noqa: E402

PHASES = ("tracker", "seeder", "getter")
SAN_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer", "runtime error:")
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
KEEP_SESSIONS = 30  # sessions whose bytes are kept for the failure report


def session_rng(seed, phase, n):
    return random.Random("%d/%s/%d" % (seed, phase, n))


# ---- value generators ---------------------------------------------------------------

EDGE_U32 = [0, 1, 2, 7, 8, 255, 256, 16383, 16384, 16385, 32768, 65535, 65536, 1 << 20, (1 << 31) - 1, 1 << 31,
            (1 << 32) - 16384, (1 << 32) - 1]


def edge_u32(r, near=()):
    if near and r.random() < 0.5:
        v = r.choice(list(near)) + r.choice([-1, 0, 0, 1])
        return v & 0xffffffff
    return r.choice(EDGE_U32) if r.random() < 0.8 else r.getrandbits(32)


def junk(r, n=None):
    n = r.randint(0, 64) if n is None else n
    return bytes(r.getrandbits(8) for _ in range(n))


def mutate(r, data, rounds=None):
    """Bit flips, cuts, insertions, duplications of a byte string."""
    b = bytearray(data)
    for _ in range(rounds or r.randint(1, 4)):
        op = r.randrange(6)
        if op == 0 and b:
            i = r.randrange(len(b))
            b[i] ^= 1 << r.randrange(8)
        elif op == 1 and b:
            del b[r.randrange(len(b)):]
        elif op == 2:
            i = r.randint(0, len(b))
            b[i:i] = junk(r, r.randint(1, 16))
        elif op == 3 and b:
            i = r.randrange(len(b))
            j = min(len(b), i + r.randint(1, 32))
            b[j:j] = b[i:j] * r.randint(1, 4)
        elif op == 4 and b:
            i = r.randrange(len(b))
            b[i] = r.choice(b"%&=:ie0-9dl\x00\xff")
        else:
            b += junk(r, r.randint(0, 8))
    return bytes(b)





def split_send(r, sock, data, pause=True):
    """Sends data in random pieces, now and then with a short pause."""
    i = 0
    while i < len(data):
        if r.random() < 0.3:
            n = r.randint(1, 8)
        else:
            n = r.randint(1, max(1, len(data) - i))
        sock.sendall(data[i:i + n])
        i += n
        if pause and r.random() < 0.05:
            time.sleep(r.uniform(0.001, 0.02))


def drain(sock, seconds):
    """Reads what arrives for up to `seconds` (until EOF); returns the bytes."""
    got = b""
    deadline = time.time() + seconds
    while time.time() < deadline and len(got) < (4 << 20):
        sock.settimeout(max(0.001, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, BlockingIOError):
            break
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got


class Recorder:
    """The bytes each session sent, for the failure report."""

    def __init__(self):
        self.sessions = []
        self.answered = {}  # phase -> sessions the target answered at all

    def start(self, phase, n, kind):
        self.sessions.append({"phase": phase, "n": n, "kind": kind, "chunks": []})
        del self.sessions[:-KEEP_SESSIONS]

    def sent(self, data):
        self.sessions[-1]["chunks"].append(bytes(data))

    def got(self, data):
        """Bytes the target answered in the current session."""
        cur = self.sessions[-1]
        if data and not cur.get("answered"):
            cur["answered"] = True
            self.answered[cur["phase"]] = self.answered.get(cur["phase"], 0) + 1

    def save(self, folder):
        os.makedirs(folder, exist_ok=True)
        names = []
        for s in self.sessions:
            name = "%s-%06d-%s.bin" % (s["phase"], s["n"], s["kind"])
            with open(os.path.join(folder, name), "wb") as f:
                # one record per send: u32 length | bytes (a UDP session's datagrams stay apart)
                for c in s["chunks"]:
                    f.write(struct.pack(">I", len(c)) + c)
            names.append(name)
        return names


# ---- the tracker --------------------------------------------------------------------

HTTP_PATHS = ["/announce", "/scrape", "/search", "/publish", "/metainfo", "/stats", "/", "/stats?format=html",
              "/announce/", "//announce", "/ANNOUNCE", "/%61nnounce", "/x" * 200]


def tracker_query(r, ctx):
    ih = r.choice(ctx["hashes"]) if r.random() < 0.8 else junk(r, r.choice([0, 19, 21, 40]))
    pid = b"-FZ0001-" + junk(r, 12) if r.random() < 0.9 else junk(r, r.choice([0, 19, 21]))
    params = [("info_hash", ih), ("peer_id", pid), ("port", str(r.randint(1, 65535)).encode()),
              ("uploaded", b"0"), ("downloaded", b"0"), ("left", str(r.choice([0, 100, 1 << 40])).encode()),
              ("compact", r.choice([b"1", b"0", b"2", b""]))]
    if r.random() < 0.5:
        params.append(("event", r.choice([b"started", b"completed", b"stopped", b"", b"paused"])))
    if r.random() < 0.4:
        params.append(("numwant", str(r.choice([-1, 0, 1, 50, 200, 201, 1 << 31, -(1 << 40), 10 ** 30])).encode()))
    if r.random() < 0.3:
        params.append(("key", r.choice([b"DEADBEEF", b"0x1", b"12345", junk(r, r.randint(1, 80))])))
    if r.random() < 0.2:
        params.append(("ip", r.choice([b"127.0.0.1", b"10.0.0.1", b"1.2.3", b"256.0.0.1", b"::1"])))
    if r.random() < 0.2:
        params.append(("no_peer_id", b"1"))
    if r.random() < 0.3:
        params.append(("q", r.choice([b"data", b"", b"a" * 300, junk(r, 20), b"%"])))
    for _ in range(r.choice([0, 0, 0, 1, 3])):  # mutate numbers and lengths
        i = r.randrange(len(params))
        k, _v = params[i]
        params[i] = (k, r.choice([b"-1", b"99999999999999999999999", b"1e5", b" 1", b"+5", b"0x10",
                                  str(r.getrandbits(64)).encode(), b"x" * r.randint(100, 5000)]))
    for _ in range(r.choice([0, 0, 1, 2])):  # repeated keys
        params.append(r.choice(params))
    r.shuffle(params) if r.random() < 0.2 else None
    parts = []
    for k, v in params:
        ev = "".join("%%%02X" % c for c in v) if r.random() < 0.9 else v.decode("latin-1")
        parts.append("%s=%s" % (k, ev))
    q = "&".join(parts)
    if r.random() < 0.15:  # bad escapes
        q += r.choice(["%", "%4", "%zz", "&%G1=%", "&&&=&"])
    if r.random() < 0.1:
        q = mutate(r, q.encode()).decode("latin-1")
    return q


def http_request(r, ctx):
    path = r.choice(HTTP_PATHS)
    if path in ("/announce", "/scrape", "/search", "/metainfo") or r.random() < 0.2:
        if path == "/metainfo" and r.random() < 0.5:
            path += "?info_hash=" + r.choice([ctx["pub_hex"], ctx["pub_hex"].upper(), "00" * 20, "zz", ""])
        elif path == "/search" and r.random() < 0.5:
            path += "?q=" + r.choice(["fuzz", "", "%00", "a" * 300, "pub"])
        else:
            path += ("&" if "?" in path else "?") + tracker_query(r, ctx)
    method = "GET"
    body = b""
    if path.startswith("/publish") or r.random() < 0.05:
        method = "POST" if r.random() < 0.9 else r.choice(["PUT", "GET", "HEAD", "X" * 50])
        body = ctx["metainfo"] if r.random() < 0.3 else mutate(r, ctx["metainfo"])
    version = r.choice(["HTTP/1.1"] * 8 + ["HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", ""])
    headers = ["Host: 127.0.0.1"]
    if r.random() < 0.3:
        headers.append("Connection: " + r.choice(["keep-alive", "close", "Upgrade", ""]))
    cl = len(body)
    if body or r.random() < 0.05:
        choice = r.random()
        if choice < 0.8:
            headers.append("Content-Length: %d" % cl)
        elif choice < 0.9:
            headers.append("Content-Length: " + r.choice(["-1", "99999999999999999999", "1e3", "", "0x10",
                                                          str(cl + r.randint(1, 100))]))
        else:
            headers.append("Transfer-Encoding: chunked")
            body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    if r.random() < 0.1:
        headers.append("X-Long: " + "y" * r.choice([100, 5000, 20000]))
    if r.random() < 0.05:
        headers += ["X-Many: z"] * r.randint(50, 200)
    if r.random() < 0.05:
        headers.append(r.choice(["NoColon", ": empty", "Bad\x00Header: 1", " folded"]))
    head = "%s %s %s\r\n%s\r\n\r\n" % (method, path, version, "\r\n".join(headers))
    req = head.encode("latin-1") + body
    if r.random() < 0.05:
        req = mutate(r, req)
    return req


def fuzz_http(r, ctx, rec, target, src):
    rec.start("tracker", ctx["n"], "http")
    with socket.socket() as s:
        s.bind((src, 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", target.port))
        reqs = b"".join(http_request(r, ctx) for _ in range(r.choice([1, 1, 1, 2, 3, 8])))
        if r.random() < 0.1:
            reqs = reqs[:r.randint(0, len(reqs))]  # a partial request, then leave
        rec.sent(reqs)
        try:
            split_send(r, s, reqs)
            rec.got(drain(s, r.choice([0.005, 0.02, 0.1])))
        except OSError:
            pass


def fuzz_udp(r, ctx, rec, target, src):
    rec.start("tracker", ctx["n"], "udp")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((src, 0))
        s.settimeout(0.1)
        cid = None
        tx = r.getrandbits(32)
        if r.random() < 0.7:
            pkt = struct.pack(">QII", 0x41727101980, 0, tx)
            rec.sent(pkt)
            s.sendto(pkt, ("127.0.0.1", target.port))
            try:
                data, _ = s.recvfrom(2048)
                rec.got(data)
                if len(data) >= 16:
                    cid = struct.unpack(">Q", data[8:16])[0]
            except OSError:
                pass
        for _ in range(r.randint(1, 6)):
            use = cid if (cid is not None and r.random() < 0.7) else r.choice([0x41727101980, 0, r.getrandbits(64)])
            action = r.choice([0, 1, 1, 2, 2, 3, 4, 0xffffffff])
            body = b""
            if action == 1:
                body = struct.pack(">20s20sQQQIIIiH", r.choice(ctx["hashes"]), b"-FZ0001-" + junk(r, 12),
                                   r.getrandbits(63), r.choice([0, 100, (1 << 63) - 1]), 0,
                                   r.choice([0, 1, 2, 3, 4, 0xffffffff]), r.choice([0, 0x7f000001, 0xffffffff]),
                                   r.getrandbits(32), r.choice([-1, 0, 50, 200, 1 << 30, -(1 << 31)]),
                                   r.randint(0, 65535))
                if r.random() < 0.2:
                    body += junk(r, r.choice([2, 20, 100]))  # BEP 41 options or junk after
            elif action == 2:
                body = b"".join(r.choice(ctx["hashes"]) for _ in range(r.choice([0, 1, 2, 74, 75, 200])))
            else:
                body = junk(r, r.randint(0, 40))
            pkt = struct.pack(">QII", use, action, r.getrandbits(32)) + body
            roll = r.random()
            if roll < 0.15:
                pkt = pkt[:r.randint(0, len(pkt))]
            elif roll < 0.25:
                pkt = mutate(r, pkt)
            rec.sent(pkt)
            s.sendto(pkt, ("127.0.0.1", target.port))
        deadline = time.time() + 0.01
        while time.time() < deadline:
            try:
                rec.got(s.recvfrom(65536)[0])
            except OSError:
                break


def fuzz_repl(r, ctx, rec, target, src):
    rec.start("tracker", ctx["n"], "repl")
    with socket.socket() as s:
        s.bind((src, 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", target.port))
        data = b"MTREPL01"
        roll = r.random()
        if roll < 0.3:
            data += bytes([r.choice([0, 1, 2, 255])]) + junk(r, 16)  # a whole first hello
            data += junk(r, r.choice([0, 31, 32, 33, 100]))            # a wrong proof
        elif roll < 0.5:
            data = data[:r.randint(1, 8)]
        else:
            data += junk(r, r.randint(0, 300))
        rec.sent(data)
        try:
            split_send(r, s, data)
            rec.got(drain(s, r.choice([0.02, 0.1])))
        except OSError:
            pass


# ---- the peer wire --------------------------------------------------------------------

def msg(mid, payload=b""):
    return struct.pack(">IB", 1 + len(payload), mid) + payload


def peer_message(r, t):
    """One random, valid-looking peer-wire message for torrent info t."""
    npieces, plen, total = t["pieces"], t["piece_length"], t["size"]
    k = r.randrange(22)
    if k < 4:
        return msg(k, b"" if r.random() < 0.9 else junk(r, r.randint(1, 8)))
    if k == 4:
        return msg(4, struct.pack(">I", edge_u32(r, [0, npieces - 1, npieces])))
    if k == 5:
        n = (npieces + 7) // 8 + r.choice([0, 0, 0, -1, 1, 100])
        bits = bytes([0xff] * max(0, n)) if r.random() < 0.5 else junk(r, max(0, n))
        return msg(5, bits)
    if k in (6, 8, 16):
        return msg(k, struct.pack(">III", edge_u32(r, [0, npieces - 1, npieces]),
                                  edge_u32(r, [0, 16384, plen, total % plen]),
                                  edge_u32(r, [16384, 1, 0, 32768, 131072])))
    if k == 7:
        return msg(7, struct.pack(">II", edge_u32(r, [0, npieces - 1, npieces]), edge_u32(r, [0, 16384, plen]))
                   + junk(r, r.choice([0, 1, 100, 16384, 16385])))
    if k == 9:
        return msg(9, struct.pack(">H", r.getrandbits(16)) if r.random() < 0.8 else junk(r, r.randint(0, 5)))
    if k == 10:  # extended handshake
        d = {"m": {"ut_metadata": r.choice([0, 1, 2, 3, 255, 256, -1])}, "v": "fuzz"}
        if r.random() < 0.5:
            d["metadata_size"] = r.choice([0, 1, t["info_size"], 8 << 20, (8 << 20) + 1, -5])
        if r.random() < 0.3:
            d["reqq"] = r.choice([0, 1, 250, 1 << 40])
        if r.random() < 0.3:
            d["p"] = r.choice([0, 6881, 65536, -1])
        body = bencode(d)
        return msg(20, b"\x00" + (body if r.random() < 0.7 else mutate(r, body)))
    if k in (11, 12):  # ut_metadata (we speak to the client's id 2)
        mt = r.choice([0, 0, 0, 1, 2, 3, -1])
        d = {"msg_type": mt, "piece": edge_u32(r, [0, t["info_size"] // 16384, 512]) if r.random() < 0.8 else -1}
        if mt == 1:
            d["total_size"] = r.choice([t["info_size"], 1, 8 << 20])
        body = bencode(d)
        if r.random() < 0.2:
            body = mutate(r, body)
        if mt == 1:
            body += junk(r, r.choice([0, 10, 16384, 16385]))
        return msg(20, bytes([r.choice([2, 2, 2, 1, 0, 3, 255])]) + body)
    if k == 13:  # junk bencode in an extended message
        return msg(20, bytes([r.randint(0, 255)]) + r.choice([b"d", b"de", b"i-0e", b"l" * 100, b"d1:a", junk(r)]))
    if k == 14:
        return msg(r.choice([13, 17]), struct.pack(">I", edge_u32(r, [0, npieces - 1, npieces])))
    if k == 15:
        return msg(r.choice([14, 15]))  # have-all, have-none
    if k == 17:
        return msg(r.randint(21, 255), junk(r, r.randint(0, 32)))
    if k == 18:
        return b"\x00\x00\x00\x00"  # keep-alive
    if k == 19:  # a length prefix that lies
        return struct.pack(">I", r.choice([16384 + 14, 16384 + 13 + 1, 1 << 20, (1 << 31) - 1, (1 << 32) - 1])) + \
            bytes([r.choice([7, 20, 5, 99])]) + junk(r, r.randint(0, 64))
    if k == 20:  # wrong-size fixed messages
        return msg(r.choice([4, 6, 8, 9, 13, 16, 17]), junk(r, r.choice([0, 1, 3, 11, 13, 100])))
    return msg(6, struct.pack(">III", r.randrange(max(1, npieces)), 16384 * r.randrange(max(1, plen // 16384)),
                              16384))


def full_bitfield(pieces):
    bits = bytearray([0xff] * ((pieces + 7) // 8))
    if pieces % 8:
        bits[-1] = (0xff << (8 - pieces % 8)) & 0xff
    return bytes(bits)


def handshake(r, t):
    reserved = bytearray(8)
    if r.random() < 0.8:
        reserved[5] |= 0x10  # BEP 10
    if r.random() < 0.7:
        reserved[7] |= 0x04  # BEP 6
    if r.random() < 0.1:
        reserved = bytearray(junk(r, 8))
    ih = t["info_hash"] if r.random() < 0.93 else junk(r, 20)
    h = b"\x13BitTorrent protocol" + bytes(reserved) + ih + b"-FZ0001-" + junk(r, 12)
    if r.random() < 0.03:
        h = mutate(r, h)
    return h


def peer_session_bytes(r, t, first=b""):
    out = first
    for _ in range(r.choice([1, 3, 10, 30, 100])):
        out += peer_message(r, t)
    if r.random() < 0.1:
        out = mutate(r, out)
    return out


def fuzz_seeder(r, ctx, rec, n, src):
    rec.start("seeder", n, "peer")
    t = ctx["seed_torrent"]
    with socket.socket() as s:
        s.bind((src, 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", ctx["seed_port"]))
        data = peer_session_bytes(r, t, handshake(r, t))
        rec.sent(data)
        try:
            split_send(r, s, data)
            rec.got(drain(s, r.choice([0.005, 0.02, 0.1])))
        except OSError:
            pass


def fuzz_getter(r, ctx, rec, n, c):
    """Feeds the downloader that connected to a fake seeder on socket c."""
    t = ctx["get_torrent"]
    rec.start("getter", n, "peer")
    with c:
        c.settimeout(2)
        try:
            drain_until(c, 68, 2)
            first = handshake(r, t) if r.random() < 0.9 else b""
            if r.random() < 0.7:
                first += msg(5, full_bitfield(t["pieces"])) + msg(1)
            data = peer_session_bytes(r, t, first)
            rec.sent(data)
            split_send(r, c, data)
            rec.got(drain(c, r.choice([0.01, 0.05, 0.3])))
        except OSError:
            pass


def drain_until(sock, n, seconds):
    got = b""
    deadline = time.time() + seconds
    while len(got) < n and time.time() < deadline:
        sock.settimeout(max(0.001, deadline - time.time()))
        chunk = sock.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


# ---- the run --------------------------------------------------------------------------

def client_run(args, timeout=60):
    return subprocess.run([os.path.join(mtlib.BIN, "client")] + args, capture_output=True, text=True,
                          timeout=timeout)


def make_torrent(work, name, size, trackers, rnd):
    data = os.path.join(work, name + ".bin")
    with open(data, "wb") as f:
        f.write(bytes(rnd.getrandbits(8) for _ in range(size)))
    mt = os.path.join(work, name + ".mtorrent")
    args = ["create", data, mt]
    for t in trackers:
        args += ["--tracker", t.url("/announce")]
    r = client_run(args)
    if r.returncode != 0:
        raise RuntimeError("create failed: %s" % r.stderr)
    info = client_run(["info", mt]).stdout
    ih = bytes.fromhex(re.search(r"info_hash:\s*([0-9a-f]{40})", info).group(1))
    plen = int(re.search(r"piece[ _]length:\s*(\d+)", info, re.I).group(1))
    raw = open(mt, "rb").read()
    i = raw.find(b"4:info")
    return {"data": data, "mtorrent": mt, "info_hash": ih, "piece_length": plen, "size": size,
            "pieces": (size + plen - 1) // plen, "raw": raw,
            "info_size": len(raw) - (i + 6) - 1 if i >= 0 else 100,
            "sha1": hashlib.sha1(open(data, "rb").read()).hexdigest()}


def http_get_from(src, port, target):
    """One GET from a chosen source address; the whole reply (headers too)."""
    with socket.socket() as s:
        s.bind((src, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % target).encode())
        return drain(s, 5)


def sanitizer_reports(procs):
    out = []
    for p in procs:
        path = getattr(p, "stderr_path", None)
        if path and os.path.exists(path):
            text = open(path, errors="replace").read()
            for m in SAN_MARKERS:
                if m in text:
                    out.append("%s: %s" % (path, text[text.index(m):][:600]))
    return out


class Run:
    def __init__(self, args):
        self.args = args
        self.suite = mtlib.Suite()
        self.rec = Recorder()
        self.failures = []
        self.counts = {p: 0 for p in PHASES}
        self.src_n = 0

    def src(self):
        """A fresh attacker source address 127.0.0.2 .. 127.0.0.254."""
        self.src_n += 1
        return "127.0.0.%d" % (2 + self.src_n % 253)

    def fail(self, what):
        print("netfuzz: FAIL %s" % what, flush=True)
        self.failures.append(what)

    def alive(self):
        dead = [name for name, p in self.procs.items() if not p.alive()]
        return dead

    def setup(self):
        s = self.suite
        rnd = random.Random(self.args.seed)
        self.t1, self.t2 = mtlib.tracker_pair(s, extra=TRACKER_FLAGS)
        self.seed_t = make_torrent(s.work, "seedfile", 3 * 256 * 1024 + 1234, (self.t1, self.t2), rnd)
        self.get_t = make_torrent(s.work, "getfile", 2 * 256 * 1024 + 77, (self.t1, self.t2), rnd)
        # The fake seeder of the second file: the downloader finds it through the trackers.
        self.listeners = []
        self.fake_ids = {}  # port -> peer_id of each fake seeder
        self.fake_n = 0
        self.seed_port = mtlib.free_port()
        self.seeder = mtlib.ClientProc(s, "seeder", ["seed", self.seed_t["mtorrent"], self.seed_t["data"],
                                                     "--port", str(self.seed_port), "--bind", "127.0.0.1"])
        self.get_dest = os.path.join(s.work, "fuzzed.out")
        self.getter = mtlib.ClientProc(s, "getter", ["get", self.get_t["mtorrent"], self.get_dest,
                                                     "--timeout", "600", "--bind", "127.0.0.1"])
        self.procs = {"tracker1": self.t1, "tracker2": self.t2, "seeder": self.seeder, "getter": self.getter}
        if not mtlib.wait_until(lambda: mtlib.port_open(self.seed_port), 15):
            raise RuntimeError("seeder did not listen: %s" % self.seeder.describe())
        self.new_fake_seeders()
        pub = open(self.get_t["mtorrent"], "rb").read()
        self.ctx = {
            "hashes": [self.get_t["info_hash"][:19] + b"\x01", b"\xaa" * 20, b"\x00" * 20,
                       mtlib.info_hash(7), mtlib.info_hash(8)],
            "metainfo": pub, "pub_hex": self.get_t["info_hash"].hex(),
            "seed_torrent": self.seed_t, "get_torrent": self.get_t, "seed_port": self.seed_port, "n": 0,
        }

    def new_fake_seeders(self, k=8):
        """k fake seeders of the downloader's file, each on a fresh address and
        port, announced to both trackers from that address: a downloader that
        dropped or banned the last ones meets strangers again."""
        for lst in self.listeners:
            # Gone from the trackers too, or the downloader's next peer lists
            # fill up with dead fakes and it stops meeting new ones.
            src, port = lst.getsockname()
            for t in (self.t1, self.t2):
                try:
                    http_get_from(src, t.port, "/announce?" + mtlib.announce_query(
                        self.get_t["info_hash"], self.fake_ids[port], port, left=0, event="stopped"))
                except OSError:
                    pass
            lst.close()
        self.listeners = []
        for _ in range(k):
            self.fake_n += 1
            src = "127.0.%d.%d" % (1 + self.fake_n // 250 % 250, 1 + self.fake_n % 250)
            lst = socket.socket()
            lst.bind((src, 0))
            lst.listen(8)
            lst.setblocking(False)
            port = lst.getsockname()[1]
            pid = b"-FZFAKE-" + b"%012d" % self.fake_n
            self.fake_ids[port] = pid
            for t in (self.t1, self.t2):
                reply = http_get_from(src, t.port, "/announce?" + mtlib.announce_query(
                    self.get_t["info_hash"], pid, port, left=0, event="started"))
                if b"interval" not in reply:
                    raise RuntimeError("fake seeder announce: %r" % reply[-300:])
            self.listeners.append(lst)

    def accept_getter(self, timeout):
        """A connection from the downloader to one of the fake seeders, or None."""
        if not self.listeners:
            return None
        ready, _, _ = select.select(self.listeners, [], [], timeout)
        for lst in ready:
            try:
                c, _ = lst.accept()
            except OSError:
                continue
            c.setblocking(True)
            return c
        return None

    def one(self, phase, n):
        r = session_rng(self.args.seed, phase, n)
        if phase == "tracker":
            self.ctx["n"] = n
            target = self.t1 if r.random() < 0.6 else self.t2
            kind = r.random()
            try:
                if kind < 0.6:
                    fuzz_http(r, self.ctx, self.rec, target, self.src())
                elif kind < 0.9:
                    fuzz_udp(r, self.ctx, self.rec, target, self.src())
                else:
                    fuzz_repl(r, self.ctx, self.rec, target, self.src())
            except OSError:
                pass
            return True
        if phase == "seeder":
            try:
                fuzz_seeder(r, self.ctx, self.rec, n, self.src())
            except OSError:
                pass
            return True
        c = self.accept_getter(0.5)
        if c is None:
            return False
        fuzz_getter(r, self.ctx, self.rec, n, c)
        return True

    def fuzz(self):
        a = self.args
        if a.only:
            phase, n = a.only.split(":")
            self.one(phase, int(n))
            self.counts[phase] += 1
            return
        start = time.time()
        phases = [p for p in PHASES if p in a.phases.split(",")]
        share = a.seconds / max(1, len(phases))
        for pi, phase in enumerate(phases):
            phase_end = start + share * (pi + 1)
            n = 0
            misses = 0
            while n < a.sessions and time.time() < phase_end:
                if not self.one(phase, n):
                    misses += 1
                    if misses % 3 == 0:
                        self.new_fake_seeders()
                    if misses > 40:  # 20 s: the downloader stopped coming to the fake seeders
                        print("netfuzz: %s: the downloader stopped connecting after %d sessions" % (phase, n),
                              flush=True)
                        break
                    continue
                misses = 0  # counted in a row
                n += 1
                self.counts[phase] += 1
                if n % 20 == 0:
                    dead = self.alive()
                    if dead:
                        self.fail("%s died during %s session %d" % (",".join(dead), phase, n))
                        return
            print("netfuzz: %s: %d sessions in %.1f s" % (phase, n, time.time() - start - share * pi), flush=True)

    def honest(self):
        dead = self.alive()
        if dead:
            self.fail("dead after fuzzing: %s" % ", ".join("%s (%s)" % (d, self.procs[d].describe()
                                                                        if hasattr(self.procs[d], "describe")
                                                                        else "exited") for d in dead))
            return
        ih = mtlib.info_hash(424242)
        for t in (self.t1, self.t2):
            try:
                t0 = time.time()
                rep = mtlib.announce(t, ih, mtlib.peer_id(1), 6881)
                if b"interval" not in rep:
                    self.fail("honest HTTP announce to %s: %r" % (t.name, rep))
                u = mtlib.UdpTrackerClient(t.port)
                u.connect()
                ur = u.announce(ih, mtlib.peer_id(2), 6882)
                if "interval" not in ur:
                    self.fail("honest UDP announce to %s: %r" % (t.name, ur))
                print("netfuzz: honest announces to %s answered in %.0f ms" % (t.name, (time.time() - t0) * 1000),
                      flush=True)
            except Exception as e:
                self.fail("honest announce to %s: %s: %s" % (t.name, type(e).__name__, e))
        # The pair converges again after what the fuzzer announced and published.
        t0 = time.time()
        if not mtlib.wait_until(lambda: self.t1.digest() is not None and self.t1.digest() == self.t2.digest(), 20,
                                0.2):
            self.fail("the tracker pair did not converge within 20 s: %s vs %s" % (self.t1.digest(),
                                                                                  self.t2.digest()))
        else:
            print("netfuzz: the tracker pair converged (%.1f s)" % (time.time() - t0), flush=True)
        # An honest download from the fuzzed seeder.
        dest = os.path.join(self.suite.work, "honest.out")
        g = mtlib.ClientProc(self.suite, "honest", ["get", self.seed_t["mtorrent"], dest, "--timeout", "40",
                                                    "--bind", "127.0.0.1"])
        rc = g.wait(50)
        if rc != 0 or hashlib.sha1(open(dest, "rb").read()).hexdigest() != self.seed_t["sha1"]:
            self.fail("honest download from the fuzzed seeder: %s" % g.describe())
        else:
            print("netfuzz: honest download from the fuzzed seeder complete in %.1f s" % (time.time() - g.started),
                  flush=True)
        # The fuzzed downloader finishes once a real seeder of its file appears.
        for lst in self.listeners:
            lst.close()
        s2 = mtlib.ClientProc(self.suite, "seeder2", ["seed", self.get_t["mtorrent"], self.get_t["data"]])
        t0 = time.time()
        rc = self.getter.wait(60)
        s2.stop()
        if rc != 0 or not os.path.exists(self.get_dest) or \
                hashlib.sha1(open(self.get_dest, "rb").read()).hexdigest() != self.get_t["sha1"]:
            self.fail("the fuzzed downloader did not finish from an honest seeder: %s" % self.getter.describe())
        else:
            print("netfuzz: the fuzzed downloader finished in %.1f s once an honest seeder came" %
                  (time.time() - t0), flush=True)

    def main(self):
        a = self.args
        print("netfuzz: seed %d (replay with --seed %d), up to %.0f s, %s" % (
            a.seed, a.seed, a.seconds, mtlib.BIN), flush=True)
        try:
            self.setup()
            self.fuzz()
            if not self.failures:
                self.honest()
        except Exception as e:
            self.fail("%s: %s" % (type(e).__name__, e))
        finally:
            for p in self.suite.procs:
                p.stop()
            for lst in getattr(self, "listeners", []):
                lst.close()
        for rep in sanitizer_reports(self.suite.procs):
            self.fail("sanitizer report: " + rep)
        print("netfuzz: sessions %s (answered: %s)" % (
            ", ".join("%s %d" % (p, self.counts[p]) for p in PHASES),
            ", ".join("%s %d" % (p, self.rec.answered.get(p, 0)) for p in PHASES)), flush=True)
        if self.failures:
            folder = a.save or os.path.join(tempfile.gettempdir(), "netfuzz-failure-%d" % a.seed)
            names = self.rec.save(folder)
            for p in self.suite.procs:  # keep the processes' stderr and logs beside the bytes
                for path in (getattr(p, "stderr_path", None), getattr(p, "log", None)):
                    if path and os.path.exists(path):
                        subprocess.call(["cp", path, os.path.join(folder, "%s.%s" % (
                            os.path.basename(os.path.dirname(path)), os.path.basename(path)))])
            print("netfuzz: %d failure(s); the last %d sessions' bytes are in %s (u32 length | bytes per send)"
                  % (len(self.failures), len(names), folder), flush=True)
            subprocess.call(["rm", "-rf", self.suite.work])
            return 1
        if os.environ.get("NETFUZZ_KEEP"):
            print("netfuzz: kept %s" % self.suite.work, flush=True)
        else:
            subprocess.call(["rm", "-rf", self.suite.work])
        print("netfuzz: ok", flush=True)
        return 0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--seconds", type=float, default=30.0, help="fuzzing time, split over the three phases")
    p.add_argument("--minutes", type=float, default=None, help="long run: fuzzing time in minutes")
    p.add_argument("--sessions", type=int, default=100000, help="at most this many sessions per phase")
    p.add_argument("--phases", default=",".join(PHASES), help="which phases to run (default all: %(default)s)")
    p.add_argument("--only", default=None, help="PHASE:N replays one session (tracker, seeder, getter)")
    p.add_argument("--save", default=None, help="folder for the failure report (default $TMPDIR/netfuzz-failure-SEED)")
    p.add_argument("--bin", default=None, help="folder of bin/tracker and bin/client (default $BIN or bin/)")
    a = p.parse_args(argv)
    if a.seed is None:
        a.seed = random.SystemRandom().getrandbits(31)
    if a.minutes is not None:
        a.seconds = a.minutes * 60
    if a.bin:
        mtlib.BIN = a.bin
    return a


if __name__ == "__main__":
    sys.exit(Run(parse_args(sys.argv[1:])).main())
