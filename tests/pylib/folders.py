"""Folder torrents for the tests: a tree with the shapes that break naive
code (nested folders, an empty file, UTF-8 names, a file smaller than a
block, files that straddle piece boundaries, many small files), its digest,
and a folder "swarm" (the tree, its .mtorrent made by bin/client create, the
byte stream the pieces cut across). Shared by the integration and interop
suites and bench/."""
import hashlib
import os
import random
import subprocess

import mtlib
from mtlib import bdecode

PIECE = 512 * 1024


def put(path, size, rng):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))


def make_tree(root, seed=1, many=1000, big=3 * PIECE + 12345):
    """The test tree under root (root/<name>...); returns root."""
    rng = random.Random(seed)
    put(os.path.join(root, "README.txt"), 100, rng)                        # smaller than a block
    put(os.path.join(root, "empty.dat"), 0, rng)                           # empty
    put(os.path.join(root, "a", "b", "c", "deep.bin"), PIECE + 1, rng)     # straddles a boundary
    put(os.path.join(root, "a", "straddle.bin"), PIECE - 7, rng)
    put(os.path.join(root, "caf\u00e9", "\u65e5\u672c\u8a9e.txt"), 33333, rng)  # UTF-8 names
    put(os.path.join(root, "big.iso"), big, rng)
    for i in range(many):
        put(os.path.join(root, "many", "f%04d.txt" % i), 500 + rng.randrange(3000), rng)
    return root


def tree_digest(root):
    """{path inside root: SHA-1 hex} of every regular file below root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p):
                out[os.path.relpath(p, root)] = mtlib.sha1_file(p)
    return out


EMPTY_SHA1 = hashlib.sha1(b"").hexdigest()


def check_tree(got_root, want, only=None, empty_files=True):
    """got_root holds exactly the files of `want` ({path: sha1}) whose path
    `only(path)` accepts (all by default), byte for byte. empty_files=False:
    empty files may be missing (transmission-cli creates none)."""
    got = tree_digest(got_root) if os.path.isdir(got_root) else {}
    expect = {p: h for p, h in want.items() if (only is None or only(p)) and
              (empty_files or h != EMPTY_SHA1 or p in got)}
    if got != expect:
        missing = sorted(set(expect) - set(got))[:5]
        extra = sorted(set(got) - set(expect))[:5]
        differ = sorted(p for p in set(got) & set(expect) if got[p] != expect[p])[:5]
        raise AssertionError("%s: %d files, want %d; missing %s, unexpected %s, differing %s" %
                             (got_root, len(got), len(expect), missing, extra, differ))


def info_hash_of(raw):
    """The info hash of a canonical metainfo file (what bin/client create,
    libtorrent and our tests write): the SHA-1 of its info dictionary, which
    re-encodes to its own bytes."""
    return hashlib.sha1(mtlib.bencode(bdecode(raw)[b"info"])).digest()


class FolderTorrent:
    """A tree under `dir`/name, its .mtorrent (bin/client create, naming the
    trackers' URLs) and what tests need of it: info hash, piece count, the
    digest of each file, and the byte stream in metainfo order (for Python
    seeders)."""

    def __init__(self, dir, name, trackers, seed=1, many=1000, big=3 * PIECE + 12345, private=False):
        self.dir = dir
        self.root = make_tree(os.path.join(dir, "seed", name), seed, many, big)
        self.name = name
        self.want = tree_digest(self.root)
        self.torrent = os.path.join(dir, name + ".mtorrent")
        args = [os.path.join(mtlib.BIN, "client"), "create", self.root, self.torrent, "--force"]
        for t in trackers:
            args += ["--tracker", t if isinstance(t, str) else t.url("/announce")]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        raw = open(self.torrent, "rb").read()
        meta = bdecode(raw)
        if private:
            meta[b"info"][b"private"] = 1
            raw = mtlib.bencode(meta)
            with open(self.torrent, "wb") as f:
                f.write(raw)
        self.meta = meta
        self.info_hash = info_hash_of(raw)
        info = meta[b"info"]
        self.piece_length = info[b"piece length"]
        self.hashes = [info[b"pieces"][i:i + 20] for i in range(0, len(info[b"pieces"]), 20)]
        self.pieces = len(self.hashes)
        self.files = [(b"/".join(f[b"path"]).decode(), f[b"length"]) for f in info[b"files"]]
        self.size = sum(n for _, n in self.files)

    def stream_file(self):
        """The torrent's bytes, file after file, in one file (made once)."""
        path = os.path.join(self.dir, "stream.bin")
        if not os.path.exists(path):
            with open(path, "wb") as out:
                for rel, _ in self.files:
                    with open(os.path.join(self.root, rel), "rb") as f:
                        out.write(f.read())
        return path
