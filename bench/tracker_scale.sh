#!/usr/bin/env bash
# bench/tracker_scale: our tracker pair holding 10 million peers in a million
# swarms, on loopback.
#
# usage: bench/tracker_scale.sh [--peers-per 10] [--torrents 1000000] [--quick]
#   (make bench-tracker-scale runs it with BIN and BENCH_BIN set)
#
# 1. bench/tracker_store_mem fills a store and writes it as a seeder list
#    file (what a compaction writes); both trackers get a copy.
# 2. Start-up: both trackers are started at once from their files; the time
#    from the start until both answer /stats with every peer loaded, and each
#    tracker's RSS then (bytes per peer entry, the process's whole RSS over
#    the peers) and its peak.
# 3. Compaction under load: with --compact-bytes 4 MiB, tracker 1 gets
#    started announces of new peers over UDP (every one a durable change that
#    must reach the journal before the answer); the journal passes 4 MiB every
#    ~55,000 changes and is compacted, each time a snapshot of the whole
#    state. The latencies (p50, p99, max) show what a compaction costs the
#    answers, with the number of compactions done during the run.
# Writes bench/out/tracker-scale.md and, unless --quick, the section
# "## Tracker at scale (bench/tracker_scale)" of BENCHMARKS.md (notes kept).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
BIN=${BIN:-$repo/bin}
BENCH_BIN=${BENCH_BIN:-$repo/build/release/bench}
torrents=1000000 per=10 quick=0 count=200000
while [ $# -gt 0 ]; do
    case $1 in
    --torrents) torrents=$2 && shift ;;
    --peers-per) per=$2 && shift ;;
    --quick) quick=1 torrents=20000 count=20000 ;;
    *) echo "usage: bench/tracker_scale.sh [--torrents N] [--peers-per N] [--quick]" >&2 && exit 2 ;;
    esac
    shift
done
for f in "$BIN/tracker" "$BENCH_BIN/tracker_store_mem" "$BENCH_BIN/tracker_load"; do
    [ -x "$f" ] || { echo "bench/tracker_scale: $f missing; run make all bench-tools" >&2 && exit 2; }
done
command -v curl >/dev/null || { echo "bench/tracker_scale: needs curl" >&2 && exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mt-bench-scale.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
log() { echo "bench/tracker_scale: $*" >&2; }
peers=$((torrents * per))
base=$((20000 + $$ % 20000))
p1=$base p2=$((base + 1))
now_s() { date +%s.%N; }
rss_kib() { awk "/^$2:/{print \$2}" "/proc/$1/status"; }
stats_field() { curl -s --max-time 2 "http://127.0.0.1:$1/stats" | grep -o "\"$2\":[0-9a-z]*" | head -1 | cut -d: -f2; }

log "filling a store of $peers peers in $torrents torrents"
mkdir -p "$work/t1" "$work/t2"
fill=$("$BENCH_BIN/tracker_store_mem" --torrents "$torrents" --peers "$per" --write-state "$work/t1/seeders.state")
log "$fill"
cp "$work/t1/seeders.state" "$work/t2/seeders.state"
state_bytes=$(stat -c %s "$work/t1/seeders.state")
sync

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(now_s)
for i in 1 2; do
    if [ "$i" = 1 ]; then self=$p1 other=$p2; else self=$p2 other=$p1; fi
    (cd "$work/t$i" && exec "$BIN/tracker" "127.0.0.1:$self" "127.0.0.1:$other" seeders.state tracker.log \
        --id "$i" --secret-file "$work/mtorrent.secret" --log-level warn --compact-bytes "${SCALE_COMPACT_BYTES:-4194304}" \
        --new-torrent-quota 100000000 2>stderr) &
    pids+=($!)
    [ "$i" = 1 ] && for _ in $(seq 100); do [ -s "$work/mtorrent.secret" ] && break; sleep 0.02; done
done
t1=${pids[0]} t2=${pids[1]}
up=()
for port in $p1 $p2; do
    for _ in $(seq 1200); do
        [ "$(stats_field "$port" peers)" = "$peers" ] && break
        sleep 0.05
    done
    [ "$(stats_field "$port" peers)" = "$peers" ] || { log "tracker on $port did not load $peers peers"; exit 1; }
    up+=("$(awk -v a="$start" -v b="$(now_s)" 'BEGIN{printf "%.1f", b - a}')")
done
rss1=$(rss_kib "$t1" VmRSS) rss2=$(rss_kib "$t2" VmRSS) hwm1=$(rss_kib "$t1" VmHWM) hwm2=$(rss_kib "$t2" VmHWM)
log "up after ${up[0]} s / ${up[1]} s; RSS $rss1 / $rss2 KiB (peak $hwm1 / $hwm2)"
for _ in $(seq 200); do
    [ "$(stats_field "$p1" outgoing_connected)" = true ] && [ "$(stats_field "$p2" outgoing_connected)" = true ] && break
    sleep 0.1
done

c0=$(stats_field "$p1" compactions)
load=$("$BENCH_BIN/tracker_load" --mode udp --phase preload --torrents $((count / 10)) --peers 10 \
    --concurrency 32 --target "127.0.0.1:$p1" --time-limit 300 --timeout-ms 30000) || true
c1=$(stats_field "$p1" compactions)
log "under load: $load; compactions $c0 -> $c1"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
jf() { grep -o "\"$2\":[0-9.]*" <<<"$1" | cut -d: -f2; }

mkdir -p bench/out
cmd="bench/tracker_scale.sh"
[ "$quick" = 1 ] && cmd="$cmd --quick"
{
    echo "Command: \`$cmd\` (commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d), $(nproc) cores, loopback). Load average before/after: $load_before / $load_after."
    echo
    echo "| what | tracker 1 | tracker 2 |"
    echo "|---|---|---|"
    echo "| peers / torrents loaded | $peers / $torrents | $peers / $torrents |"
    echo "| seeder list file | $((state_bytes / 1048576)) MiB | same |"
    echo "| start-up, both started at once, until /stats shows every peer | ${up[0]} s | ${up[1]} s |"
    awk -v a="$rss1" -v b="$rss2" -v n="$peers" 'BEGIN{printf "| RSS after start-up / peers | %.1f B | %.1f B |\n", a * 1024 / n, b * 1024 / n}'
    awk -v a="$hwm1" -v b="$hwm2" 'BEGIN{printf "| peak RSS while loading | %.0f MiB | %.0f MiB |\n", a / 1024, b / 1024}'
    echo
    echo "Compaction under load: $(jf "$load" answered) started announces (new peers, each a durable and replicated change) over UDP, 32 in flight, to tracker 1 holding $peers peers, journal compacted past 4 MiB: $((c1 - c0)) compactions during the run; latency p50 $(jf "$load" p50_us) µs, p99 $(jf "$load" p99_us) µs, max $(jf "$load" max_us) µs; $(jf "$load" rate) announces/s; timeouts $(jf "$load" timeouts), failures $(jf "$load" failures)."
    echo
    echo "Store alone (bench/tracker_store_mem): $fill"
} >"$work/table.md"
cat "$work/table.md"
cp "$work/table.md" bench/out/tracker-scale.md
if [ "$quick" = 0 ] && [ -z "${BENCH_NO_DOCS:-}" ]; then
    python3 -c 'import sys; sys.path.insert(0, "bench"); import get_helper as gh
gh.replace_section("BENCHMARKS.md", "## Tracker at scale (bench/tracker_scale)", open(sys.argv[1]).read())' "$work/table.md"
fi
