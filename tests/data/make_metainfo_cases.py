#!/usr/bin/env python3
"""Writes the golden .mtorrent cases in tests/data/metainfo/ and their table,
tests/data/metainfo/cases.tsv: <file> TAB <expected>, where expected is `ok`
or a substring the parser's error message must contain.

The files are checked in; rerun this script only to change the set:
    python3 tests/data/make_metainfo_cases.py
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import bencode as benc  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metainfo")
PL = 524288
T1 = b"http://127.0.0.1:6969/announce"
T2 = b"udp://127.0.0.1:6970"





def pieces_for(length, pl=PL):
    """Deterministic digests of a file of `length` bytes of pattern data."""
    n = (length + pl - 1) // pl
    return b"".join(hashlib.sha1(b"piece%d" % i).digest() for i in range(n))


def info(length=1000, name="file.bin", pl=PL, **kw):
    d = {"length": length, "name": name, "piece length": pl, "pieces": pieces_for(length, pl)}
    d.update(kw)
    return {k: v for k, v in d.items() if v is not None}


def strip(d):
    return {k: v for k, v in d.items() if v is not None}


def torrent(inf, **kw):
    if isinstance(inf, dict):
        inf = strip(inf)
    d = {"announce": T1, "announce-list": [[T1, T2]], "created by": "mtorrent test",
         "creation date": 1700000000, "info": inf}
    d.update(kw)
    return {k: v for k, v in d.items() if v is not None}


CASES = []


# Where libtorrent (2.0, python3-libtorrent) decides otherwise, and why we
# do not follow it; every other case, it decides as we do (ok or refused).
# tests/integration/metainfo_test.sh checks the libtorrent column.
DIFFERS = {
    "bad_duplicate_key.mtorrent": "a key twice: libtorrent takes the first; which value counts is a "
                                  "guess, and a file that reads two ways can show another client "
                                  "another name or tracker",
    "bad_duplicate_key_apart.mtorrent": "as bad_duplicate_key",
    "bad_v2_only.mtorrent": "BitTorrent v2 (BEP 52) is not implemented; a hybrid opens through v1",
    "bad_name_slash.mtorrent": "info.name is a path: libtorrent repairs it; we refuse until every "
                               "single-file download goes through client/engine/file_layout",
    "bad_name_absolute.mtorrent": "as bad_name_slash",
    "bad_name_nul.mtorrent": "as bad_name_slash",
    "bad_length_and_files.mtorrent": "both length and files: which one describes the content is a "
                                     "guess (libtorrent takes files)",
}


def case(name, data, expected):
    if not isinstance(data, bytes):
        data = benc(data)
    CASES.append((name, data, expected))


# ---- valid files -----------------------------------------------------------
case("good_single_piece.mtorrent", torrent(info(1)), "ok")
case("good_piece_minus_one.mtorrent", torrent(info(PL - 1)), "ok")
case("good_exact_piece.mtorrent", torrent(info(PL)), "ok")
case("good_piece_plus_one.mtorrent", torrent(info(PL + 1)), "ok")
case("good_short_tail.mtorrent", torrent(info(5 * PL + 12345)), "ok")
case("good_over_4gib.mtorrent", torrent(info(5 * 1024**3 + 7)), "ok")
case("good_unknown_keys.mtorrent",
     torrent(info(3000, **{"x-mtorrent-note": "kept", "source": "test"}), **{"x-extra": [1, 2]}), "ok")
case("good_announce_only.mtorrent", torrent(info(10), **{"announce-list": None}), "ok")
case("good_no_trackers.mtorrent", torrent(info(10), announce=None, **{"announce-list": None}), "ok")
case("good_private.mtorrent", torrent(info(10, private=1)), "ok")
case("good_name_with_dots.mtorrent", torrent(info(10, name="a..b.tar.gz")), "ok")
case("good_multi_file.mtorrent", torrent({
    "name": "folder", "piece length": 16384,
    "pieces": pieces_for(16384 + 100, 16384),
    "files": [{"length": 16384, "path": ["a", "one.bin"]},
              {"length": 0, "path": ["empty.txt"]},
              {"length": 100, "path": ["b.bin"]}]}), "ok")

# ---- broken bencode ----------------------------------------------------------
good = benc(torrent(info(10)))
case("bad_truncated.mtorrent", good[:-7], "runs past the end of input at offset")
case("good_lenient_trailing_garbage.mtorrent", good + b"x", "ok")
case("good_lenient_leading_zero.mtorrent", good.replace(b"i1700000000e", b"i01700000000e"), "ok")
case("good_lenient_negative_zero.mtorrent", good.replace(b"i1700000000e", b"i-0e"), "ok")
case("bad_duplicate_key.mtorrent",
     b"d8:announce3:url8:announce3:url4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:"
     + b"a" * 20 + b"ee", "duplicate dictionary key")
case("bad_duplicate_key_apart.mtorrent",
     b"d8:announce3:url4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:"
     + b"a" * 20 + b"e8:announce3:urle", "duplicate dictionary key")

# ---- what other clients open: read leniently (Metainfo::canonical false) ------
# Keys out of order (whole trackers serve such files); the info_hash is over
# the file's raw info bytes, as libtorrent computes it.
case("good_lenient_unsorted_top_keys.mtorrent",
     b"d4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:" + b"a" * 20 + b"e8:announce3:urle",
     "ok")
case("good_lenient_unsorted_info_keys.mtorrent",
     b"d8:announce3:url4:infod4:name1:x6:lengthi1e6:pieces20:" + b"a" * 20 + b"12:piece lengthi16384eee",
     "ok")
# A newline after the top-level dictionary (seen in real release torrents).
case("good_lenient_trailing_newline.mtorrent", good + b"\n", "ok")
case("good_lenient_trailing_crlf.mtorrent", good + b"\r\n", "ok")
# announce-list tiers that are not lists of URLs are skipped (libtorrent).
case("good_lenient_announce_list_flat.mtorrent", torrent(info(10), **{"announce-list": [T1, T2]}), "ok")
case("good_lenient_announce_list_empty_tier.mtorrent", torrent(info(10), **{"announce-list": [[]]}), "ok")
case("good_lenient_announce_list_mixed.mtorrent",
     torrent(info(10), **{"announce-list": [[T1, 5, b""], b"x", [T2]]}), "ok")
# BEP 52: a hybrid works through its v1 keys; a v2-only torrent says why not.
V2_TREE = {"x": {b"": {"length": 10, "pieces root": b"r" * 32}}}
case("good_hybrid_v1_v2.mtorrent", torrent(info(10, name="x") | {"meta version": 2, "file tree": V2_TREE}), "ok")
case("bad_v2_only.mtorrent",
     torrent({"name": "x", "piece length": 16384, "meta version": 2, "file tree": V2_TREE}),
     "v2-only torrents are not supported")
case("bad_string_past_end.mtorrent", b"d8:announce999:abce", "runs past the end of input")
case("bad_not_a_dict.mtorrent", b"l4:spame", "top level must be a dictionary")
case("bad_empty_file.mtorrent", b"", "unexpected end of input at offset 0")

# ---- broken fields -----------------------------------------------------------
case("bad_no_info.mtorrent", torrent(None), "info is missing")
case("bad_info_not_dict.mtorrent", torrent("nope"), "info must be a dictionary")
case("bad_no_name.mtorrent", torrent(info(10) | {"name": None}), "info.name is missing")
case("bad_empty_name.mtorrent", torrent(info(10, name="")), "info.name is empty")
case("bad_name_slash.mtorrent", torrent(info(10, name="dir/file")), "contains '/'")
case("bad_name_absolute.mtorrent", torrent(info(10, name="/etc/passwd")), "contains '/'")
case("bad_name_dotdot.mtorrent", torrent(info(10, name="..")), "relative directory reference")
case("bad_name_nul.mtorrent", torrent(info(10, name=b"a\x00b")), "contains a NUL byte")
case("bad_name_int.mtorrent", torrent(info(10, name=5)), "info.name must be a string, found an integer")
case("bad_no_piece_length.mtorrent", torrent(info(10) | {"piece length": None}),
     "info.piece length is missing")
case("bad_zero_piece_length.mtorrent", torrent(info(10) | {"piece length": 0}), "info.piece length 0 is not")
case("good_256_mib_pieces.mtorrent", torrent(info(300 << 20, pl=256 << 20)), "ok")
case("bad_huge_piece_length.mtorrent", torrent(info(10) | {"piece length": 2**40}), "is not between 1 and")
case("bad_no_pieces.mtorrent", torrent(info(10) | {"pieces": None}), "info.pieces is missing")
case("bad_pieces_not_20.mtorrent", torrent(info(10, pieces=b"x" * 39)), "39 bytes, not a multiple of 20")
case("bad_pieces_count.mtorrent", torrent(info(PL + 1, pieces=b"x" * 20)), "holds 1 hashes but")
case("bad_no_length.mtorrent", torrent(info(10) | {"length": None}), "neither 'length' nor 'files'")
case("bad_length_and_files.mtorrent",
     torrent(info(10, files=[{"length": 10, "path": ["a"]}])), "both 'length' and 'files'")
case("bad_negative_length.mtorrent", torrent(info(10) | {"length": -5}), "info.length is negative")
case("bad_zero_length.mtorrent", torrent(info(0)), "info.length is 0")
case("bad_length_string.mtorrent", torrent(info(10) | {"length": "10"}), "info.length must be an integer")
case("good_lenient_announce_int.mtorrent", torrent(info(10), announce=7), "ok")
case("good_lenient_announce_list_not_list.mtorrent", torrent(info(10), **{"announce-list": T1}), "ok")
case("good_lenient_creation_date.mtorrent", torrent(info(10), **{"creation date": "yesterday"}), "ok")
case("good_private_2.mtorrent", torrent(info(10, private=2)), "ok")
mf = {"name": "folder", "piece length": 16384, "pieces": pieces_for(20, 16384)}
case("bad_files_empty.mtorrent", torrent(mf | {"files": []}), "info.files is empty")
# Unsafe path segments open (as in libtorrent); client/engine/file_layout
# repairs them where paths are built (the layout test reads these files).
case("good_files_dotdot.mtorrent",
     torrent(mf | {"files": [{"length": 20, "path": ["..", "etc", "passwd"]}]}), "ok")
case("good_files_slash.mtorrent", torrent(mf | {"files": [{"length": 20, "path": ["a/b"]}]}), "ok")
case("good_files_empty_first_segment.mtorrent",
     torrent(mf | {"files": [{"length": 20, "path": ["", "a"]}]}), "ok")
case("good_files_control_and_not_utf8.mtorrent",
     torrent(mf | {"files": [{"length": 10, "path": [b"\x1b[2Jx\x00"]},
                             {"length": 10, "path": [b"caf\xe9", b"\xff.txt"]}]}), "ok")
case("good_files_long_name.mtorrent",
     torrent(mf | {"files": [{"length": 20, "path": ["n" * 300 + ".mkv"]}]}), "ok")
case("good_files_file_and_folder.mtorrent",
     torrent(mf | {"files": [{"length": 10, "path": ["a"]}, {"length": 10, "path": ["a", "b"]}]}), "ok")
case("bad_files_empty_path.mtorrent", torrent(mf | {"files": [{"length": 20, "path": []}]}),
     "info.files[0].path is empty")
case("bad_files_no_length.mtorrent", torrent(mf | {"files": [{"path": ["a"]}]}),
     "info.files[0].length is missing")
case("good_files_duplicate.mtorrent",
     torrent(mf | {"files": [{"length": 10, "path": ["a"]}, {"length": 10, "path": ["a"]}]}), "ok")
case("good_files_path_too_long.mtorrent",
     torrent(mf | {"files": [{"length": 20, "path": ["d" * 200] * 25}]}), "ok")
case("bad_files_segment_not_string.mtorrent",
     torrent(mf | {"files": [{"length": 20, "path": ["a", 5]}]}), "holds a non-string segment")
case("bad_files_zero_total.mtorrent",
     torrent(mf | {"pieces": b"", "files": [{"length": 0, "path": ["a"]}]}), "info.length is 0")

os.makedirs(HERE, exist_ok=True)
for old in os.listdir(HERE):
    if old.endswith(".mtorrent"):
        os.remove(os.path.join(HERE, old))
with open(os.path.join(HERE, "cases.tsv"), "w") as table:
    table.write("# file\texpected (ok, or a substring of the error message)\tlibtorrent (ok or refused)"
                "\twhy we differ from libtorrent\n")
    for name, data, expected in CASES:
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        ours = "ok" if expected == "ok" else "refused"
        lt = ours
        why = DIFFERS.get(name, "")
        if why:
            lt = "ok" if ours == "refused" else "refused"
        table.write("%s\t%s\t%s\t%s\n" % (name, expected, lt, why))
    assert not set(DIFFERS) - {c[0] for c in CASES}, "DIFFERS names a case that does not exist"
print("wrote %d cases to %s" % (len(CASES), HERE))
