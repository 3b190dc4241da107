#!/usr/bin/env bash
# The .mtorrent as other BitTorrent software sees it, and the create/info
# commands through the real binary:
#   - our info_hash equals mktorrent -l 19's for the same file, at sizes around
#     the piece boundary;
#   - libtorrent and aria2c read our file with the right name, length, piece
#     count, piece length and trackers;
#   - bad input gives a clear error and the right exit code.
set -u
. "$(dirname "$0")/lib.sh"
C="$BIN/client"
T1=http://127.0.0.1:7001/announce
T2=udp://127.0.0.1:7002

info_field() {  # info_field FILE FIELD
    "$C" info "$1" | sed -n "s/^$2: *//p"
}

# mktorrent's info_hash computed without our parser: SHA-1 of its info bytes.
mk_info_hash() {  # mk_info_hash FILE
    /usr/bin/python3 - "$1" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
start = data.index(b"4:infod") + 6
# walk the bencoded info dict to find its end
def skip(b, i):
    c = b[i:i+1]
    if c == b"i": return b.index(b"e", i) + 1
    if c in (b"l", b"d"):
        i += 1
        while b[i:i+1] != b"e": i = skip(b, i)
        return i + 1
    colon = b.index(b":", i)
    return colon + 1 + int(b[i:colon])
print(hashlib.sha1(data[start:skip(data, start)]).hexdigest())
PY
}

# ---- info_hash equals mktorrent's -------------------------------------------
if have mktorrent; then
    for size in 1 524287 524288 524289 2634033 20000000; do
        f="$WORK/same_$size.bin"
        make_file "$f" "$size"
        "$C" create "$f" "$WORK/ours_$size.mtorrent" --tracker "$T1" --tracker "$T2" >/dev/null
        mktorrent -l 19 -a "$T1,$T2" -o "$WORK/mk_$size.torrent" "$f" >/dev/null 2>&1
        ours=$(info_field "$WORK/ours_$size.mtorrent" info_hash)
        theirs=$(mk_info_hash "$WORK/mk_$size.torrent")
        if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then ok "info_hash_equals_mktorrent_$size"
        else fail "info_hash_equals_mktorrent_$size" "ours=$ours mktorrent=$theirs"; fi
    done
else
    skip info_hash_equals_mktorrent "mktorrent not installed (apt-get install -y mktorrent)"
fi

make_file "$WORK/movie.bin" 2634033
"$C" create "$WORK/movie.bin" "$WORK/movie.mtorrent" --tracker "$T1" --tracker "$T2" >/dev/null
ih=$(info_field "$WORK/movie.mtorrent" info_hash)

# ---- folders: our create equals mktorrent's info_hash ---------------------------
put() {  # put FOLDER/REL SIZE: a file of SIZE pseudo-random bytes, folders made
    mkdir -p "$(dirname "$1")" && make_file "$1" "$2"
}
F="$WORK/tree"
put "$F/a/b/c/deep.bin" 1234567
put "$F/a/small.txt" 100                 # smaller than a 16 KiB block
: >"$F/empty.txt"
put "$F/café/naïve.txt" 3000             # UTF-8 names
put "$F/日本.bin" 524287                 # around the piece boundary
put "$F/straddle1.bin" 524289
put "$F/straddle2.bin" 700000
put "$F/.hidden" 10
M="$WORK/many"
python3 - "$M" <<'PY'
import os, random, sys
root = sys.argv[1]
r = random.Random(7)
for d in range(10):
    os.makedirs(os.path.join(root, "d%d" % d), exist_ok=True)
    for i in range(100):
        with open(os.path.join(root, "d%d" % d, "f%03d.bin" % i), "wb") as f:
            f.write(r.randbytes(r.randint(1, 3000)))
PY
if have mktorrent; then
    for folder in tree many; do
        "$C" create "$WORK/$folder" "$WORK/ours_$folder.mtorrent" --tracker "$T1" --tracker "$T2" >/dev/null
        mktorrent -l 19 -a "$T1" -o "$WORK/mk_$folder.torrent" "$WORK/$folder" >/dev/null 2>&1
        ours=$(info_field "$WORK/ours_$folder.mtorrent" info_hash)
        theirs=$(mk_info_hash "$WORK/mk_$folder.torrent")
        if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then ok "folder_info_hash_equals_mktorrent_$folder"
        else fail "folder_info_hash_equals_mktorrent_$folder" "ours=$ours mktorrent=$theirs"; fi
    done
    n=$("$C" info "$WORK/ours_many.mtorrent" | sed -n 's/^files: *//p')
    [ "$n" = 1000 ] && ok folder_of_1000_files || fail folder_of_1000_files "files: $n"
    # A symbolic link is not followed: skipped, reported, the rest as before.
    ln -s "$WORK/movie.bin" "$F/link.bin"
    out=$("$C" create "$F" "$WORK/ours_link.mtorrent" --tracker "$T1" 2>&1)
    rm "$F/link.bin"
    if [ "$(info_field "$WORK/ours_link.mtorrent" info_hash)" = "$(mk_info_hash "$WORK/mk_tree.torrent")" ] &&
        [[ "$out" == *"skipped:   1"* ]] && [[ "$out" == *"link.bin"* ]]; then
        ok folder_symlink_skipped_and_reported
    else
        fail folder_symlink_skipped_and_reported "$(echo "$out" | tr '\n' ' ')"
    fi
else
    skip folder_info_hash_equals_mktorrent "mktorrent not installed (apt-get install -y mktorrent)"
fi
mkdir -p "$WORK/nothing/sub" "$WORK/empties/sub"
: >"$WORK/empties/sub/zero"

# ---- libtorrent reads it -------------------------------------------------------
if have_libtorrent; then
    got=$(/usr/bin/python3 - "$WORK/movie.mtorrent" <<'PY'
import sys, libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
trackers = sorted((t.tier, t.url) for t in ti.trackers())  # BEP 12: clients shuffle a tier
print(ti.name(), ti.total_size(), ti.num_pieces(), ti.piece_length(), str(ti.info_hash()),
      ",".join("%d:%s" % t for t in trackers))
PY
)
    want="movie.bin 2634033 6 524288 $ih 0:$T1,0:$T2"
    if [ "$got" = "$want" ]; then ok libtorrent_reads_mtorrent
    else fail libtorrent_reads_mtorrent "got '$got', want '$want'"; fi
    if have mktorrent; then
        got=$(/usr/bin/python3 - "$WORK/ours_tree.mtorrent" <<'PY'
import sys, libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
fs = ti.files()
print(ti.name(), ti.num_files(), ti.total_size(), str(ti.info_hash()),
      sorted(fs.file_path(i).split("/", 1)[1] for i in range(fs.num_files()))[0])
PY
)
        want="tree 8 $(( 1234567 + 100 + 3000 + 524287 + 524289 + 700000 + 10 )) $(info_field "$WORK/ours_tree.mtorrent" info_hash) .hidden"
        if [ "$got" = "$want" ]; then ok libtorrent_reads_folder_mtorrent
        else fail libtorrent_reads_folder_mtorrent "got '$got', want '$want'"; fi
    fi
    # The conformance table: libtorrent decides every golden case as the
    # table says (as we do, or otherwise with the reason written down).
    out=$(cd "$(dirname "$0")/../data/metainfo" && /usr/bin/python3 - <<'PY'
import libtorrent as lt
bad = []
for line in open("cases.tsv"):
    if line.startswith("#") or not line.strip():
        continue
    name, ours, theirs, why = line.rstrip("\n").split("\t")
    try:
        lt.torrent_info(name)
        got = "ok"
    except Exception:
        got = "refused"
    if got != theirs:
        bad.append("%s: libtorrent %s, the table says %s" % (name, got, theirs))
    if (ours == "ok") != (theirs == "ok") and not why:
        bad.append("%s: we differ from libtorrent without a reason" % name)
print("; ".join(bad))
PY
)
    [ -z "$out" ] && ok libtorrent_conformance_table || fail libtorrent_conformance_table "$out"
else
    skip libtorrent_reads_mtorrent "python3-libtorrent not installed"
fi

# ---- aria2c reads it -------------------------------------------------------------
if have aria2c; then
    out=$(aria2c --show-files "$WORK/movie.mtorrent" 2>&1)
    if echo "$out" | grep -qi "info hash: $ih" &&
        echo "$out" | grep -q "Piece Length: 512KiB" &&
        echo "$out" | grep -q "The Number of Pieces: 6" &&
        echo "$out" | grep -q "movie.bin" &&
        echo "$out" | grep -q "Total Length: 2.5MiB (2,634,033)"; then
        ok aria2c_reads_mtorrent
    else
        fail aria2c_reads_mtorrent "$(echo "$out" | tr '\n' ' ' | cut -c1-300)"
    fi
else
    skip aria2c_reads_mtorrent "aria2 not installed"
fi

# ---- the CLI on bad input --------------------------------------------------------
expect() {  # expect NAME EXIT-CODE MESSAGE-SUBSTRING CMD...
    local name=$1 code=$2 msg=$3
    shift 3
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$code" ] && [[ "$out" == *"$msg"* ]]; then ok "$name"
    else fail "$name" "exit $rc, output: $(echo "$out" | head -3 | tr '\n' ' ')"; fi
}
: >"$WORK/empty.bin"
expect create_missing_file 1 "No such file or directory" "$C" create "$WORK/nope.bin" "$WORK/x.mtorrent" --tracker "$T1"
expect create_empty_file 1 "is empty" "$C" create "$WORK/empty.bin" "$WORK/x.mtorrent" --tracker "$T1"
expect create_without_tracker 2 "needs at least one --tracker" "$C" create "$WORK/movie.bin" "$WORK/x.mtorrent"
expect create_bad_tracker 1 "ftp://x" "$C" create "$WORK/movie.bin" "$WORK/x.mtorrent" --tracker ftp://x
expect create_refuses_overwrite 1 "already exists" "$C" create "$WORK/movie.bin" "$WORK/movie.mtorrent" --tracker "$T1"
check create_force_overwrites "$C" create "$WORK/movie.bin" "$WORK/movie.mtorrent" --tracker "$T1" --force >/dev/null
expect create_bad_usage 2 "usage:" "$C" create "$WORK/movie.bin"
expect info_missing 1 "No such file" "$C" info "$WORK/nope.mtorrent"
printf 'd8:announce3:url' >"$WORK/broken.mtorrent"
expect info_broken_names_offset 1 "at offset 16" "$C" info "$WORK/broken.mtorrent"
expect unknown_command 2 "unknown command" "$C" frobnicate
expect create_folder_without_files 1 "holds no file to share" "$C" create "$WORK/nothing" "$WORK/x.mtorrent" --tracker "$T1"
expect create_folder_of_empty_files 1 "holds only empty files" "$C" create "$WORK/empties" "$WORK/x.mtorrent" --tracker "$T1"
# --help and --version of every command: on stdout, exit 0, nothing on
# stderr, and they win over a mistake in the rest of the line.
help_ok=1
for cmd in create info get seed magnet; do
    out=$("$C" $cmd --bogus --help 2>"$WORK/help.err")
    rc=$?
    if [ $rc -ne 0 ] || [[ "$out" != *"usage: client"* ]] || [ -s "$WORK/help.err" ]; then
        fail "help_$cmd" "exit $rc, stdout: $(echo "$out" | head -1), stderr: $(head -c 200 "$WORK/help.err")"
        help_ok=0
    fi
    out=$("$C" $cmd x --version 2>"$WORK/help.err")
    if [ $? -ne 0 ] || [[ "$out" != "mtorrent client "* ]] || [ -s "$WORK/help.err" ]; then
        fail "version_$cmd" "stdout: $out, stderr: $(head -c 200 "$WORK/help.err")"
        help_ok=0
    fi
done
[ $help_ok = 1 ] && ok help_and_version_of_every_command
# After --, --help is an argument like any other.
expect help_after_double_dash 1 "No such file" "$C" info -- --help
expect info_unknown_option 2 "unknown option --bogus" "$C" info --bogus
ls "$WORK"/*.tmp.* >/dev/null 2>&1 && fail no_temp_files_left "$(ls "$WORK"/*.tmp.*)" || ok no_temp_files_left

finish
