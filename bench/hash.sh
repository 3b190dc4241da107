#!/usr/bin/env bash
# bench/hash: how fast `client create` hashes a file, next to mktorrent and the
# machine's 2-core OpenSSL SHA-1 limit, in one run.
#
# usage: bench/hash.sh [--cold] [SIZE_MIB (default 1024)] [RUNS (default 3)]
# Warm page cache: the file is read once before timing. --cold: the file's
# pages are dropped from the page cache before every run (GNU dd
# iflag=nocache, posix_fadvise DONTNEED), so each tool reads it from disk.
# Prints MB/s (MiB/s) medians and peak RSS; run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
cold=0
if [ "${1:-}" = "--cold" ]; then
    cold=1
    shift
fi
size_mib=${1:-1024}
runs=${2:-3}
[ -x bin/client ] || make -s all
work=$(mktemp -d "${TMPDIR:-/tmp}/mt-bench-hash.XXXXXX")
trap 'rm -rf "$work"' EXIT
file="$work/data.bin"
head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$file"
cat "$file" >/dev/null  # warm the page cache

# time_cmd OUT_PREFIX CMD...: wall seconds and peak RSS (KiB) of one run.
time_cmd() {
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}') $(cat "$work/rss")"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs every tool once per round, round after round, so that a change in the
# machine's load hits all of them alike; reports each one's median.
names=()
cmds=()
add() {  # add NAME CMD...
    names+=("$1")
    shift
    cmds+=("$(printf '%q ' "$@")")
}
add "mtorrent create" bin/client create "$file" "$work/out.torrent" --tracker http://127.0.0.1:1/announce --force
if command -v mktorrent >/dev/null; then
    add "mktorrent -l 19 -t 2" mktorrent -l 19 -t 2 -a http://127.0.0.1:1/announce -o "$work/out.torrent" "$file"
else
    echo "mktorrent: not installed (apt-get install -y mktorrent)"
fi
if command -v transmission-create >/dev/null; then
    add "transmission-create" transmission-create -s 512 -t http://127.0.0.1:1/announce -o "$work/out.torrent" "$file"
fi
declare -A times rss
for _ in $(seq "$runs"); do
    for i in "${!names[@]}"; do
        rm -f "$work/out.torrent"
        [ "$cold" = 1 ] && dd if="$file" iflag=nocache count=0 status=none
        read -r t r < <(eval time_cmd "${cmds[$i]}")
        times[$i]+="$t "
        [ "${rss[$i]:-0}" -lt "$r" ] && rss[$i]=$r
    done
done
cache=warm
[ "$cold" = 1 ] && cache="cold (dropped before each run)"
echo "bench/hash: ${size_mib} MiB file, 512 KiB pieces, $cache cache, median of $runs interleaved runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!names[@]}"; do
    med=$(printf '%s\n' ${times[$i]} | median)
    printf '%-28s %8.3f s %9.0f MiB/s %8d KiB peak RSS\n' "${names[$i]}" "$med" \
        "$(awk -v s="$size_mib" -v t="$med" 'BEGIN{print s / t}')" "${rss[$i]}"
done
# The limit: OpenSSL SHA-1 over 512 KiB blocks on every core at once.
limit=$(openssl speed -multi "$(nproc)" -bytes 524288 -seconds 3 sha1 2>/dev/null |
    awk '/^sha1 /{v=$NF; sub(/k$/, "", v); print v * 1000 / 1048576}')
printf '%-28s %8.3f s %9.0f MiB/s\n' "openssl sha1 x$(nproc) (limit)" \
    "$(awk -v s="$size_mib" -v l="$limit" 'BEGIN{print s / l}')" "$limit"
