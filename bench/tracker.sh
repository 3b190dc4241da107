#!/usr/bin/env bash
# bench/tracker: our tracker pair against Debian's opentracker under the same
# announce load, on loopback.
#
# usage: bench/tracker.sh [--quick] [--runs N] [--modes "udp http-keepalive http-close"]
#   (make bench-tracker runs it with BIN and BENCH_BIN set)
#
# Both trackers of our pair run with replication on, as in production; the
# load goes to tracker 1. opentracker runs with its own config and a whitelist
# of the benchmark's info hashes in a temporary folder. For each tracker:
#   1. RSS of the tracker process(es), then a preload of torrents x peers
#      started announces over UDP, then RSS again: bytes per peer entry.
#   2. Measured phase, per run and per mode (udp, http-keepalive, http-close),
#      the trackers taking turns: refresh announces of random existing peers.
#      Tracker CPU = utime + stime from /proc/PID/stat before and after;
#      for ours the sum of both processes, and tracker 1 alone.
# Prints a table of medians and ratios (ours / opentracker), writes it to
# bench/out/tracker.md and, unless --quick, puts it in BENCHMARKS.md as the
# section "## Tracker (bench/tracker)" (its hand-written notes kept). Exits 1
# if any announce failed or was lost.
# --quick: 1,000 torrents, small counts, one run (a smoke test, < 30 s).
# BENCH_NO_DOCS=1: leave BENCHMARKS.md alone (bench/compare_builds.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
BIN=${BIN:-$repo/bin}
BENCH_BIN=${BENCH_BIN:-$repo/build/release/bench}
load=$BENCH_BIN/tracker_load

quick=0
runs=3
modes="udp http-keepalive http-close"
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 runs=1 ;;
    --runs) runs=$2 && shift ;;
    --modes) modes=$2 && shift ;;
    *) echo "usage: bench/tracker.sh [--quick] [--runs N] [--modes LIST]" >&2 && exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    torrents=1000 peers=10 n_udp=20000 n_keepalive=10000 n_close=4000 limit=20
else
    torrents=10000 peers=10 n_udp=300000 n_keepalive=150000 n_close=40000 limit=120
fi
udp_conc=64  # requests in flight (8 UDP sockets)
http_conc=32 # connections
for f in "$BIN/tracker" "$load"; do
    [ -x "$f" ] || { echo "bench/tracker: $f missing; run make all bench-tools" >&2 && exit 2; }
done
command -v opentracker >/dev/null || {
    echo "bench/tracker: opentracker missing; apt-get install -y opentracker" >&2 && exit 2
}
command -v curl >/dev/null || { echo "bench/tracker: needs curl" >&2 && exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mt-bench-tracker.XXXXXX")
chmod 755 "$work" # opentracker drops to its own user before it reads the whitelist
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

base=$((20000 + $$ % 20000))
p1=$base p2=$((base + 1)) pot=$((base + 2))

cpu_ticks() { # utime + stime of a process (fields 14 and 15, after the comm)
    sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
hz=$(getconf CLK_TCK)

# ---- start the trackers --------------------------------------------------------

for i in 1 2; do mkdir -p "$work/t$i"; done
# The load generator is one address standing in for many clients: the
# per-address quota of new torrents (2000 per 10 min, issue 12) would refuse
# the preload of 10,000 torrents, so it is lifted here.
quota="--new-torrent-quota 100000000"
(cd "$work/t1" && exec "$BIN/tracker" "127.0.0.1:$p1" "127.0.0.1:$p2" seeders.state tracker.log \
    --id 1 --secret-file "$work/mtorrent.secret" --log-level warn $quota 2>stderr) &
t1=$!
pids+=("$t1")
for _ in $(seq 100); do [ -s "$work/mtorrent.secret" ] && break; sleep 0.05; done
(cd "$work/t2" && exec "$BIN/tracker" "127.0.0.1:$p2" "127.0.0.1:$p1" seeders.state tracker.log \
    --id 2 --secret-file "$work/mtorrent.secret" --log-level warn $quota 2>stderr) &
t2=$!
pids+=("$t2")

mkdir -p "$work/ot"
"$load" --print-hashes --torrents "$torrents" >"$work/ot/whitelist.txt"
chmod 644 "$work/ot/whitelist.txt"
if [ "$(id -u)" = 0 ]; then
    whitelist=/whitelist.txt # opentracker chroots into tracker.rootdir
    user=$(id -u _opentracker >/dev/null 2>&1 && echo _opentracker || echo nobody)
else
    whitelist=$work/ot/whitelist.txt
    user=$(id -un)
fi
cat >"$work/ot/opentracker.conf" <<EOF
listen.tcp 127.0.0.1:$pot
listen.udp 127.0.0.1:$pot
access.whitelist $whitelist
tracker.rootdir $work/ot
tracker.user $user
EOF
opentracker -f "$work/ot/opentracker.conf" >"$work/ot/out.log" 2>&1 &
ot=$!
pids+=("$ot")

stats_field() { # stats_field PORT KEY: a number from our /stats JSON
    curl -s --max-time 2 "http://127.0.0.1:$1/stats" | grep -o "\"$2\":[0-9a-z]*" | head -1 | cut -d: -f2
}
# Ready = one announce answered over UDP (opentracker loads its whitelist in
# the background) and, for ours, the replication link up both ways.
ready() {
    for _ in $(seq 100); do
        if "$load" --mode udp --phase preload --count 1 --torrents "$torrents" --peers "$peers" \
            --target "127.0.0.1:$1" --time-limit 1 --timeout-ms 500 >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    echo "bench/tracker: tracker on port $1 did not come up" >&2
    exit 1
}
ready "$p1"
ready "$pot"
for _ in $(seq 100); do
    [ "$(stats_field "$p1" outgoing_connected)" = true ] && [ "$(stats_field "$p2" outgoing_connected)" = true ] && break
    sleep 0.1
done

results=$work/results.tsv # tracker mode run answered failures timeouts rate p50 p99 cpu_all_s cpu_t1_s
json_field() { grep -o "\"$2\":[0-9.]*" <<<"$1" | cut -d: -f2; }
failed=0
log() { echo "bench/tracker: $*" >&2; }

# ---- preload and memory -------------------------------------------------------

total_peers=$((torrents * peers))
preload() { # preload NAME PORT PID...
    local name=$1 port=$2 out
    shift 2
    local before=() p
    for p in "$@"; do before+=("$(rss_kib "$p")"); done
    out=$("$load" --mode udp --phase preload --torrents "$torrents" --peers "$peers" \
        --concurrency "$udp_conc" --target "127.0.0.1:$port" --time-limit "$limit") || failed=1
    log "$name preload: $out"
    echo "$out" >>"$work/preload.json"
    local i=0
    for p in "$@"; do
        echo "$name $p ${before[$i]} $(rss_kib "$p")" >>"$work/rss.txt"
        i=$((i + 1))
    done
}
load_before=$(loadavg)
preload opentracker "$pot" "$ot"
# Tracker 2's RSS after the preload counts once replication has caught up.
rss_t2_before=$(rss_kib "$t2")
preload ours "$p1" "$t1"
for _ in $(seq 200); do
    [ "$(stats_field "$p2" peers)" = "$total_peers" ] && break
    sleep 0.05
done
echo "ours-t2 $t2 $rss_t2_before $(rss_kib "$t2")" >>"$work/rss.txt"

# ---- measured phase -------------------------------------------------------------

measure() { # measure NAME PORT MODE COUNT CONC RUN PID...
    local name=$1 port=$2 mode=$3 count=$4 conc=$5 run=$6
    shift 6
    local c0=() c1=() p out
    for p in "$@"; do c0+=("$(cpu_ticks "$p")"); done
    out=$("$load" --mode "$mode" --phase refresh --torrents "$torrents" --peers "$peers" --count "$count" \
        --concurrency "$conc" --target "127.0.0.1:$port" --time-limit "$limit" --seed "$run") || failed=1
    for p in "$@"; do c1+=("$(cpu_ticks "$p")"); done
    local all=0 first=$((c1[0] - c0[0])) i
    for i in "${!c0[@]}"; do all=$((all + c1[i] - c0[i])); done
    log "$name run $run: $out cpu_ticks=$all first=$first"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mode" "$run" \
        "$(json_field "$out" answered)" "$(json_field "$out" failures)" \
        "$(json_field "$out" timeouts)" "$(json_field "$out" rate)" "$(json_field "$out" p50_us)" \
        "$(json_field "$out" p99_us)" "$(awk -v t="$all" -v h="$hz" 'BEGIN{print t / h}')" \
        "$(awk -v t="$first" -v h="$hz" 'BEGIN{print t / h}')" >>"$results"
}
for run in $(seq "$runs"); do
    for mode in $modes; do
        case $mode in
        udp) count=$n_udp conc=$udp_conc ;;
        http-keepalive) count=$n_keepalive conc=$http_conc ;;
        http-close) count=$n_close conc=$http_conc ;;
        *) echo "bench/tracker: unknown mode $mode" >&2 && exit 2 ;;
        esac
        measure ours "$p1" "$mode" "$count" "$conc" "$run" "$t1" "$t2"
        measure opentracker "$pot" "$mode" "$count" "$conc" "$run" "$ot"
    done
done
load_after=$(loadavg)

# ---- report ---------------------------------------------------------------------

mkdir -p bench/out
cmd="make bench-tracker"
[ "$quick" = 1 ] && cmd="bench/tracker.sh --quick"
[ "$quick" = 0 ] && [ "$runs" != 3 ] && cmd="bench/tracker.sh --runs $runs"
[ "$modes" != "udp http-keepalive http-close" ] && cmd="$cmd --modes '$modes'"
python3 - "$results" "$work/rss.txt" "$total_peers" >"$work/table.md" <<EOF
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
rss = [l.split() for l in open(sys.argv[2])]
total_peers = int(sys.argv[3])
med = statistics.median
def pick(name, mode, col):
    return [float(r[col]) for r in rows if r[0] == name and r[1] == mode]
print("Command: \`$cmd\` (commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), "
      "$(date -u +%Y-%m-%d), $(nproc) cores, loopback); "
      "$torrents torrents x $peers peers preloaded over UDP; measured: refresh announces of random "
      "peers, numwant 50; $n_udp UDP ($udp_conc in flight), $n_keepalive HTTP keep-alive and "
      "$n_close HTTP close ($http_conc connections) per run; median of $runs run(s). "
      "Load average before/after: $load_before / $load_after.")
print()
print("| mode | CPU µs/announce ours (t1+t2) | ours t1 alone | opentracker | ratio ours/ot | "
      "rate ours (ann/s) | rate ot | p99 ours (µs) | p99 ot | failed+lost ours / ot |")
print("|---|---|---|---|---|---|---|---|---|---|")
for mode in "$modes".split():
    def cpu(name, col):
        return med([float(r[col]) * 1e6 / max(1, int(r[3])) for r in rows if r[0] == name and r[1] == mode])
    ours, ours1, ot = cpu("ours", 9), cpu("ours", 10), cpu("opentracker", 9)
    bad = lambda n: int(sum(pick(n, mode, 4)) + sum(pick(n, mode, 5)))
    print(f"| {mode} | {ours:.1f} | {ours1:.1f} | {ot:.1f} | {ours / ot if ot else float('nan'):.2f} | "
          f"{med(pick('ours', mode, 6)):.0f} | {med(pick('opentracker', mode, 6)):.0f} | "
          f"{med(pick('ours', mode, 8)):.0f} | {med(pick('opentracker', mode, 8)):.0f} | "
          f"{bad('ours')} / {bad('opentracker')} |")
print()
mem = {r[0]: (int(r[3]) - int(r[2])) * 1024 / total_peers for r in rss}
print(f"Memory per peer entry (RSS after preload - before, / {total_peers}): ours tracker 1 "
      f"{mem.get('ours', 0):.0f} B, tracker 2 (replica) {mem.get('ours-t2', 0):.0f} B, "
      f"opentracker {mem.get('opentracker', 0):.0f} B.")
print()
print("Targets: UDP CPU/announce <= opentracker's; HTTP <= 2x; no failed or lost announce. "
      "opentracker closes every HTTP connection after one reply, so its keep-alive row is "
      "a connection per announce.")
EOF
cat "$work/table.md"
cp "$work/table.md" bench/out/tracker.md
cp "$results" bench/out/tracker-results.tsv
if [ "$quick" = 0 ] && [ -z "${BENCH_NO_DOCS:-}" ]; then
    python3 -c 'import sys; sys.path.insert(0, "bench"); import get_helper as gh
gh.replace_section("BENCHMARKS.md", "## Tracker (bench/tracker)", open(sys.argv[1]).read())' "$work/table.md"
fi
if [ "$failed" = 1 ]; then
    echo "bench/tracker: some announces failed or were lost (see the lines above)" >&2
    exit 1
fi
