#!/usr/bin/env bash
# bench/tracker_instructions: instructions executed per HTTP announce by two
# tracker builds, counted by valgrind's callgrind. CPU time on a shared VM is
# noisy and this one has no hardware counters (perf stat reads 0
# instructions); an instruction count is deterministic, so it tells whether a
# change made the announce path do more work.
#
# usage: bench/tracker_instructions.sh OLD_TRACKER NEW_TRACKER [COUNT (20000)]
#
# Each build runs alone (its partner address is a closed port) under
# callgrind: a preload of 2,000 torrents x 10 peers over UDP, then COUNT
# keep-alive HTTP refresh announces (tracker_load, concurrency 4, seed 1: the
# same requests for both builds). Prints, per build, the inclusive
# instruction count of the HTTP event loop (HttpServer::Loop::run) and of
# TrackerService::announce, in total and per request, and the whole program's.
# Needs valgrind and bench/tracker_load (make bench-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: bench/tracker_instructions.sh OLD_TRACKER NEW_TRACKER [COUNT]}
new=${2:?usage: bench/tracker_instructions.sh OLD_TRACKER NEW_TRACKER [COUNT]}
count=${3:-20000}
old=$(realpath "$old")
new=$(realpath "$new")
load=${BENCH_BIN:-$PWD/build/release/bench}/tracker_load
for f in "$old" "$new" "$load"; do
    [ -x "$f" ] || { echo "bench/tracker_instructions: $f missing" >&2 && exit 2; }
done
command -v valgrind >/dev/null || { echo "bench/tracker_instructions: needs valgrind" >&2 && exit 2; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

measure() {  # name binary
    local dir=$work/$1 port
    mkdir -p "$dir"
    port=$(free_port)
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/secret")
    (cd "$dir" && exec valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$2" \
        "127.0.0.1:$port" 127.0.0.1:9 seeders.state tracker.log --id 1 --secret-file "$dir/secret" \
        --log-level warn --new-torrent-quota 100000000 2>"$dir/stderr") &
    pid=$!
    local up=0
    for _ in $(seq 120); do
        if "$load" --mode udp --phase preload --count 1 --torrents 2000 --peers 10 \
            --target "127.0.0.1:$port" --time-limit 1 --timeout-ms 500 >/dev/null 2>&1; then
            up=1 && break
        fi
        sleep 0.5
    done
    [ "$up" = 1 ] || { echo "bench/tracker_instructions: $1 never answered" >&2 && exit 1; }
    "$load" --mode udp --phase preload --torrents 2000 --peers 10 --concurrency 4 \
        --target "127.0.0.1:$port" --time-limit 300 --timeout-ms 5000 >/dev/null
    "$load" --mode http-keepalive --phase refresh --torrents 2000 --peers 10 --count "$count" \
        --concurrency 4 --target "127.0.0.1:$port" --time-limit 300 --timeout-ms 5000 --seed 1 \
        >"$dir/refresh.json"
    kill -TERM "$pid" && wait "$pid" || true
    pid=
    grep -q "\"answered\":$count," "$dir/refresh.json" ||
        { echo "bench/tracker_instructions: $1: not every announce answered: $(cat "$dir/refresh.json")" >&2 && exit 1; }
    callgrind_annotate --inclusive=yes "$dir/cg.out" 2>/dev/null >"$dir/annotate.txt"
    python3 - "$1" "$count" "$dir/annotate.txt" <<'PY'
import re, sys
name, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
want = {"PROGRAM TOTALS": "program", "HttpServer::Loop::run()": "HTTP loop",
        "TrackerService::announce(": "TrackerService::announce"}
found = {}
for line in open(path):
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
    if not m or m.group(2).startswith("=>"):
        continue
    for key, label in want.items():
        if key in m.group(2) and label not in found:
            found[label] = int(m.group(1).replace(",", ""))
for label in want.values():
    ir = found.get(label)
    if ir is None:
        print("%s\t%s\tnot found" % (name, label))
    else:
        print("%s\t%s\t%d Ir\t%.0f Ir per announce" % (name, label, ir, ir / count))
PY
}

echo "bench/tracker_instructions: $count HTTP keep-alive announces per build under callgrind" >&2
measure old "$old"
measure new "$new"
