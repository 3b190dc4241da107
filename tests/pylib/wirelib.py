"""A small BEP 3 / BEP 6 peer-wire toolkit for the security suites (stdlib only).

Plays a hostile (or honest) peer against a live bin/client on loopback:
connect from a chosen source address (127.0.0.0/8 gives distinct IPs),
handshake, frame and parse messages. Also a source-bound HTTP announce, so a
Python peer is listed by the tracker under the address it really uses.

Ideas from tests/integration/swarm_test.py (FakeSeeder) and
tests/integration/metadata_test.py (FakePeer).
"""
import os
import re
import socket
import struct
import subprocess

import mtlib

PROTOCOL = b"\x13BitTorrent protocol"
BLOCK = 16 * 1024

# Message ids (BEP 3, BEP 6, BEP 10).
CHOKE, UNCHOKE, INTERESTED, NOT_INTERESTED, HAVE, BITFIELD, REQUEST, PIECE, CANCEL = range(9)
HAVE_ALL, HAVE_NONE, REJECT = 0x0E, 0x0F, 0x10


def peer_id(tag=b"PY"):
    return b"-" + tag[:2] + b"0001-" + os.urandom(6).hex().encode()


def handshake_bytes(info_hash, pid, fast=True, extended=False):
    reserved = bytearray(8)
    if extended:
        reserved[5] |= 0x10
    if fast:
        reserved[7] |= 0x04
    return PROTOCOL + bytes(reserved) + info_hash + pid


def frame(msg_id, payload=b""):
    return struct.pack(">IB", 1 + len(payload), msg_id) + payload


def request(index, begin, length=BLOCK):
    return frame(REQUEST, struct.pack(">III", index, begin, length))


def piece(index, begin, data):
    return frame(PIECE, struct.pack(">II", index, begin) + data)


def interested():
    return frame(INTERESTED)


def unchoke():
    return frame(UNCHOKE)


def have_all():
    return frame(HAVE_ALL)


def bitfield(pieces, have):
    bits = bytearray((pieces + 7) // 8)
    for i in have:
        bits[i // 8] |= 0x80 >> (i % 8)
    return frame(BITFIELD, bytes(bits))


class Peer:
    """One connection to a client's peer port from `source` (an IP)."""

    def __init__(self, port, info_hash, source="127.0.0.2", fast=True, rcvbuf=None, timeout=5.0):
        self.info_hash = info_hash
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.fast = fast
        self.buf = b""

    def handshake(self, pid=None):
        """Sends ours, reads theirs; returns their 68 bytes (EOFError if refused)."""
        self.sock.sendall(handshake_bytes(self.info_hash, pid or peer_id(), self.fast))
        h = self.recv_exact(68)
        if h[:20] != PROTOCOL or h[28:48] != self.info_hash:
            raise EOFError("bad handshake reply")
        return h

    def send(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise EOFError("closed by the client")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_msg(self):
        """(id, payload); id None for a keep-alive."""
        (n,) = struct.unpack(">I", self.recv_exact(4))
        if n == 0:
            return None, b""
        body = self.recv_exact(n)
        return body[0], body[1:]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def announce_from(tracker, source, info_hash, pid, port, left=0, event="started"):
    """An HTTP announce whose TCP source is `source`, so the tracker lists
    the peer at that address."""
    q = mtlib.announce_query(info_hash, pid, port, left=left, event=event)
    s = socket.create_connection(("127.0.0.1", tracker.port), timeout=5, source_address=(source, 0))
    try:
        s.sendall(("GET /announce?%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % q).encode())
        data = mtlib.recv_to_eof(s)
    finally:
        s.close()
    return data


class TorrentFile:
    """A random data file and its .mtorrent listing a tracker pair."""

    def __init__(self, suite, name, size, trackers):
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.data = os.path.join(self.dir, "data.bin")
        with open(self.data, "wb") as f:
            f.write(os.urandom(size))
        self.size = size
        self.torrent = os.path.join(self.dir, "data.mtorrent")
        client = os.path.join(mtlib.BIN, "client")
        args = [client, "create", self.data, self.torrent]
        for t in trackers:
            args += ["--tracker", t.url("/announce")]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("create failed: %s" % r.stderr)
        info = subprocess.run([client, "info", self.torrent], capture_output=True, text=True,
                              timeout=30).stdout
        self.info_hash = bytes.fromhex(re.search(r"info_hash:\s*([0-9a-f]{40})", info).group(1))
        self.piece_length = int(re.search(r"piece[ _]length:\s*(\d+)", info, re.I).group(1))
        self.pieces = (size + self.piece_length - 1) // self.piece_length

    def piece_size(self, index):
        return min(self.piece_length, self.size - index * self.piece_length)

    def blocks(self, index):
        """(begin, length) of every block of a piece."""
        size = self.piece_size(index)
        return [(b, min(BLOCK, size - b)) for b in range(0, size, BLOCK)]
