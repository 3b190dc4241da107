#!/usr/bin/env python3
"""Magnet links through the real programs: bin/client seed serves the info
dictionary (BEP 10 + BEP 9), bin/client magnet fetches it through a tracker
pair and writes a .mtorrent, bin/client get downloads with it.

Python peers stand in where a real client cannot misbehave on demand: a fake
peer that answers the extension handshake and then serves wrong metadata (or
claims an oversized one), and a raw client that floods our seeder with bad
ut_metadata requests.
"""
import base64
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import BIN, Suite, bdecode, wait_until  # noqa: E402
from swarm import Proc, Swarm  # noqa: E402

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
                     "runtime error:")
FAKE_UT_METADATA = 3  # the id the fake peer asks for; ours is 2


def client(args, timeout=60):
    r = subprocess.run([os.path.join(BIN, "client")] + args, capture_output=True, text=True, timeout=timeout)
    for m in SANITIZER_MARKERS:
        if m in r.stderr:
            raise AssertionError("sanitizer report: %s" % r.stderr[r.stderr.index(m):][:400])
    return r


def describe(r):
    return "rc=%s out=%r err=%r" % (r.returncode, r.stdout[-400:], r.stderr[-400:])


def info_hash_of(path):
    out = client(["info", path]).stdout
    return re.search(r"info_hash:\s*([0-9a-f]{40})", out).group(1)


def raw_info(path):
    """The info dictionary's exact bytes in a .mtorrent (our files end with it)."""
    data = open(path, "rb").read()
    i = data.index(b"4:infod")
    return data[i + 6:-1]


# ---- wire helpers for the Python peers ----------------------------------------------

def handshake(info_hash, peer_id, ext=True):
    reserved = bytearray(8)
    if ext:
        reserved[5] |= 0x10
    return b"\x13BitTorrent protocol" + bytes(reserved) + info_hash + peer_id


def extended(ext_id, payload):
    return struct.pack(">IBB", 2 + len(payload), 20, ext_id) + payload


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_message(sock):
    (length,) = struct.unpack(">I", read_exact(sock, 4))
    return read_exact(sock, length) if length else b""


class FakePeer:
    """Accepts connections, speaks the handshake and the extension handshake,
    then answers every ut_metadata request with wrong bytes of the right
    size (or claims `claimed_size` as metadata_size). Counts what it served."""

    def __init__(self, size, claimed_size=None):
        self.size = size
        self.claimed = claimed_size or size
        self.served = 0
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def address(self):
        return "127.0.0.1:%d" % self.port

    def serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.connections += 1
            try:
                conn.settimeout(5)
                self.talk(conn)
            except (OSError, EOFError):
                pass
            finally:
                conn.close()

    def talk(self, conn):
        theirs = read_exact(conn, 68)
        conn.sendall(handshake(theirs[28:48], b"-FK0001-000000000000"))
        conn.sendall(extended(0, b"d1:md11:ut_metadatai%dee13:metadata_sizei%dee" % (FAKE_UT_METADATA, self.claimed)))
        their_id = 0
        while True:
            msg = read_message(conn)
            if not msg or msg[0] != 20:
                continue
            if msg[1] == 0:
                m = re.search(rb"11:ut_metadatai(\d+)e", msg[2:])
                their_id = int(m.group(1)) if m else 0
                continue
            m = re.search(rb"5:piecei(\d+)e", msg[2:])
            if msg[1] != FAKE_UT_METADATA or not m or not their_id:
                continue
            piece = int(m.group(1))
            n = min(16384, self.size - piece * 16384)
            body = b"d8:msg_typei1e5:piecei%de10:total_sizei%dee" % (piece, self.size) + os.urandom(n)
            conn.sendall(extended(their_id, body))
            self.served += 1

    def stop(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()


# ---- cases ------------------------------------------------------------------------

def magnet_args(s, out, extra=()):
    return ["magnet", s.info_hash.hex(), out, "--tracker", s.t1.url("/announce"),
            "--tracker", s.t2.url("/announce"), "--timeout", "30", "--bind", "127.0.0.1"] + list(extra)


def magnet_info_hash_then_get(suite, w):
    """info_hash -> .mtorrent with the same info_hash and trackers -> get."""
    s = w.s
    out = os.path.join(s.dir, "fetched.mtorrent")
    log = os.path.join(s.dir, "magnet.log")
    r = client(magnet_args(s, out, ["--log", log]))
    assert r.returncode == 0, describe(r)
    assert "wrote %s" % out in r.stdout, r.stdout
    assert s.info_hash.hex() in r.stdout, r.stdout
    assert info_hash_of(out) == s.info_hash.hex(), (info_hash_of(out), s.info_hash.hex())
    assert raw_info(out) == raw_info(s.torrent)
    meta = bdecode(open(out, "rb").read())
    want = [s.t1.url("/announce").encode(), s.t2.url("/announce").encode()]
    assert meta[b"announce"] == want[0] and meta[b"announce-list"] == [want], meta.get(b"announce-list")
    g = Proc(suite, "get-fetched", ["get", out, os.path.join(s.dir, "got.bin"), "--bind", "127.0.0.1"])
    g.dest = os.path.join(s.dir, "got.bin")
    s.check_get(g, 60)


def magnet_uri_base32_udp_tracker(suite, w):
    """A full magnet URI: base32 hash, dn, the UDP tracker as %-escaped tr."""
    s = w.s
    out = os.path.join(s.dir, "uri.mtorrent")
    b32 = base64.b32encode(s.info_hash).decode()
    udp = "udp://127.0.0.1:%d" % s.t2.port
    uri = "magnet:?xt=urn:btih:%s&dn=some+name&tr=%s" % (b32, udp.replace(":", "%3A").replace("/", "%2F"))
    r = client(["magnet", uri, out, "--timeout", "30"])
    assert r.returncode == 0, describe(r)
    assert info_hash_of(out) == s.info_hash.hex()
    meta = bdecode(open(out, "rb").read())
    assert meta[b"announce"] == udp.encode(), meta.get(b"announce")


def bad_metadata_peer_rejected_honest_used(suite, w):
    """A fake peer (tried first: --peer) serves wrong metadata; it is
    rejected and the seeder's is used."""
    s = w.s
    fake = FakePeer(len(raw_info(s.torrent)))
    try:
        out = os.path.join(s.dir, "after-bad.mtorrent")
        r = client(magnet_args(s, out, ["--peer", fake.address()]))
        assert r.returncode == 0, describe(r)
        assert fake.served >= 1, "the fake peer was never asked (%d connections)" % fake.connections
        assert re.search(r"rejected bad metadata from:.* %s\b" % re.escape(fake.address()), r.stdout), r.stdout
        assert info_hash_of(out) == s.info_hash.hex()
    finally:
        fake.stop()


def only_bad_peers_fail_cleanly(suite, w):
    s = w.s
    fake = FakePeer(len(raw_info(s.torrent)))
    liar = FakePeer(1000, claimed_size=100 * 1024 * 1024)
    try:
        out = os.path.join(s.dir, "never.mtorrent")
        start = time.time()
        r = client(["magnet", s.info_hash.hex(), out, "--peer", fake.address(), "--peer", liar.address(),
                    "--timeout", "4"])
        took = time.time() - start
        assert r.returncode == 1, describe(r)
        assert "no metadata for %s within 4 s" % s.info_hash.hex() in r.stderr, r.stderr
        assert "sent bad metadata" in r.stderr or "rejected bad metadata from %s" % fake.address() in r.stderr, \
            r.stderr
        assert "over the limit" in r.stderr, r.stderr  # the liar's metadata_size
        assert not os.path.exists(out)
        assert took < 8, "took %.1f s" % took
    finally:
        fake.stop()
        liar.stop()


def seeder_serves_pieces_and_drops_flooder(suite, w):
    """A raw client: our seeder's extension handshake, a good piece, then bad
    requests until the seeder hangs up."""
    s, seeder = w.s, w.seeder
    info = raw_info(s.torrent)
    port = int(re.search(r"on port (\d+)", seeder.out()).group(1))
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        sock.sendall(handshake(s.info_hash, b"-PY0001-000000000001"))
        theirs = read_exact(sock, 68)
        assert theirs[25] & 0x10, "seeder did not set the BEP 10 bit"
        ext = None
        while ext is None:
            msg = read_message(sock)
            if msg[:2] == b"\x14\x00":
                ext = bdecode(msg[2:])
        assert ext[b"metadata_size"] == len(info), ext
        our_id = ext[b"m"][b"ut_metadata"]
        sock.sendall(extended(0, b"d1:md11:ut_metadatai7eee"))
        sock.sendall(extended(our_id, b"d8:msg_typei0e5:piecei0ee"))
        while True:
            msg = read_message(sock)
            if msg[:2] == b"\x14\x07":
                break
        body = msg[2:]
        head = b"d8:msg_typei1e5:piecei0e10:total_sizei%dee" % len(info)
        assert body == head + info[:16384], body[:80]
        pieces = (len(info) + 16383) // 16384
        bad = b"d8:msg_typei0e5:piecei%dee" % pieces
        sock.sendall(extended(our_id, bad))
        while True:
            msg = read_message(sock)
            if msg[:2] == b"\x14\x07":
                break
        assert msg[2:] == b"d8:msg_typei2e5:piecei%dee" % pieces, msg
        closed = False
        try:
            for _ in range(40):
                sock.sendall(extended(our_id, bad))
            sock.settimeout(5)
            while read_message(sock) is not None:
                pass
        except (EOFError, ConnectionResetError, BrokenPipeError):
            closed = True
        assert closed, "the seeder kept a peer that sent 41 bad requests"
    finally:
        sock.close()
    assert wait_until(lambda: "invalid requests (metadata pieces" in open(seeder.log).read(), 5), \
        "no drop line in the seeder's log"


def usage_errors(suite, w):
    s = w.s
    r = client(["magnet", "not-a-hash", os.path.join(s.dir, "x.mtorrent"), "--tracker", s.t1.url("/announce")])
    assert r.returncode == 2 and "neither 40 hex digits nor 32 base32" in r.stderr, describe(r)
    r = client(["magnet", s.info_hash.hex(), os.path.join(s.dir, "x.mtorrent")])
    assert r.returncode == 2 and "needs a tracker" in r.stderr, describe(r)
    r = client(["magnet", s.info_hash.hex(), os.path.join(s.dir, "x.mtorrent"), "--tracker", "ftp://x"])
    assert r.returncode == 2 and "ftp" in r.stderr, describe(r)


class World:
    """One swarm with a seeder, which every case uses."""

    def __init__(self, suite):
        self.s = Swarm(suite, "meta", 3 * 1024 * 1024 + 777)
        self.seeder = self.s.seed()
        self.s.wait_seeders(1)


def main():
    return Suite().run([magnet_info_hash_then_get, magnet_uri_base32_udp_tracker,
                        bad_metadata_peer_rejected_honest_used, only_bad_peers_fail_cleanly,
                        seeder_serves_pieces_and_drops_flooder, usage_errors], setup=World)


if __name__ == "__main__":
    sys.exit(main())
