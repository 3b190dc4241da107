#!/usr/bin/env bash
# bench/tracker_real: our tracker pair against Debian's opentracker under a
# realistic announce load (issue 17), both in the same run, on loopback.
#
# usage: bench/tracker_real.sh [--quick] [--runs N] [--modes "udp http-close http-keepalive"]
#   (make bench-tracker-real runs it with BIN and BENCH_BIN set)
#
# The load (bench/tracker_load --phase join|mix, see bench/tracker_mix/):
# 20,000 torrents with heavy-tailed swarm sizes (4 of 10,000 peers, ~89% of
# 10 or fewer), ~300,000 peers at 4,096 source addresses 127.x.y.z, each peer
# a distinct (address, port); 5% started, 5% stopped, 5% completed, 85%
# refreshes, numwant 50. Every tracker gets the same model; each keeps its own
# membership file so that successive runs against it stay consistent. Our
# pair: both trackers take announces (peer index % 2), replication on, as in
# production; opentracker: one process, a whitelist of the info hashes.
#
# For each tracker:
#   warm-up  the join of every initial member over UDP (event=started):
#            CPU per announce and memory per peer entry (RSS after - before;
#            ours: tracker 1 and tracker 2 separately).
#   runs     (default 3), per mode udp, http-close (a connection per announce),
#            http-keepalive; the trackers take turns (ours, opentracker, ...):
#            (a) saturation, closed loop: rate and CPU per announce;
#            (b) a light fixed rate (UDP 6,000/s, HTTP 2,000/s): CPU per announce;
#            (c) open loop at 50% and 90% of (a)'s rate for that tracker and
#                mode in that run: p50/p99 latency from the due time.
#            Then the refresh-only load of bench/tracker (10,000 x 10 peers
#            preloaded, refreshes over UDP to tracker 1) for continuity.
# Tracker CPU = utime + stime from /proc/PID/stat (ours: both processes, read
# once replication has caught up, so it includes applying the partner's
# changes); host busy cores from /proc/stat over each load; the generator's
# own CPU from its JSON line (it is one thread: ~100% of a core = it was the
# limit).
#
# Our tracker's per-address limits (tracker/config.cpp) against this load:
#   --new-torrent-quota  lifted (1e9): the refresh row's preload creates
#                        10,000 torrents from 127.0.0.1 (default 2,000 per
#                        10 min per address); the mix itself creates ~5 per
#                        address and would pass.
#   --max-connections-per-ip 64, --max-connections 4096: kept; the HTTP load
#                        holds at most 1,024 connections, spread over 4,096
#                        addresses (the refresh row: 32 from 127.0.0.1).
#   --max-peers 10M, --max-torrents 1M: kept (600,000 peer slots at most).
#   --peer-timeout 2700 s: kept, as opentracker's fixed 45 minutes; a full run
#                        takes less than that.
#   UDP connection ids live 60-120 s: the generator asks again after 50 s.
#
# Writes a table of medians and ratios (ours / opentracker) to
# bench/out/tracker-real.md (raw results: bench/out/tracker-real.jsonl) and,
# unless --quick, puts it in BENCHMARKS.md as the section
# "## Tracker, realistic load (bench/tracker_real)" (its hand-written notes
# kept). Exits 1 if a tracker refused or failed an announce (timeouts are
# reported, not fatal).
# --quick: 2,000 torrents, 30,000 peers, 256 addresses, 1 s rate steps, one
#          run (a smoke test, < 60 s).
# BENCH_NO_DOCS=1: leave BENCHMARKS.md alone.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
BIN=${BIN:-$repo/bin}
BENCH_BIN=${BENCH_BIN:-$repo/build/release/bench}
load=$BENCH_BIN/tracker_load

quick=0
runs=3
modes="udp http-close http-keepalive"
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 runs=1 ;;
    --runs) runs=$2 && shift ;;
    --modes) modes=$2 && shift ;;
    *) echo "usage: bench/tracker_real.sh [--quick] [--runs N] [--modes LIST]" >&2 && exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    model=(--torrents 2000 --total-peers 30000 --big-swarms 4 --big-size 1000 --addresses 256)
    n_udp=20000 n_close=4000 n_keepalive=8000 step_s=1 limit=30
    pre_torrents=1000 n_refresh=20000
else
    model=(--torrents 20000 --total-peers 300000 --big-swarms 4 --big-size 10000 --addresses 4096)
    n_udp=300000 n_close=60000 n_keepalive=150000 step_s=10 limit=180
    pre_torrents=10000 n_refresh=300000
fi
light_udp=6000 light_http=2000 # announces/s
for f in "$BIN/tracker" "$load"; do
    [ -x "$f" ] || { echo "bench/tracker_real: $f missing; run make all bench-tools" >&2 && exit 2; }
done
command -v opentracker >/dev/null || {
    echo "bench/tracker_real: opentracker missing; apt-get install -y opentracker" >&2 && exit 2
}
command -v curl >/dev/null || { echo "bench/tracker_real: needs curl" >&2 && exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mt-bench-tracker-real.XXXXXX")
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
trap 'exit 130' INT TERM

base=$((20000 + ($$ % 6000) * 3))
p1=$base p2=$((base + 1)) pot=$((base + 2))
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
log() { echo "bench/tracker_real: $*" >&2; }
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
host_stat() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit}' /proc/stat; }
busy_cores() { # busy_cores "BUSY0 TOTAL0" "BUSY1 TOTAL1"
    awk -v a="$1" -v b="$2" -v n="$ncpu" 'BEGIN{split(a, x, " "); split(b, y, " ");
        t = y[2] - x[2]; printf "%.2f", (t > 0 ? (y[1] - x[1]) / t * n : 0)}'
}
stats_field() { # stats_field PORT KEY: a value from our /stats JSON
    curl -s --max-time 2 "http://127.0.0.1:$1/stats" | grep -o "\"$2\":[0-9a-z]*" | head -1 | cut -d: -f2
}

# ---- start the trackers --------------------------------------------------------

for i in 1 2; do mkdir -p "$work/t$i"; done
limits="--new-torrent-quota 1000000000 ${OURS_ARGS:-}" # OURS_ARGS: extra flags for an A/B run
(cd "$work/t1" && exec "$BIN/tracker" "127.0.0.1:$p1" "127.0.0.1:$p2" seeders.state tracker.log \
    --id 1 --secret-file "$work/mtorrent.secret" --log-level warn $limits 2>stderr) &
t1=$!
pids+=("$t1")
for _ in $(seq 100); do [ -s "$work/mtorrent.secret" ] && break; sleep 0.05; done
(cd "$work/t2" && exec "$BIN/tracker" "127.0.0.1:$p2" "127.0.0.1:$p1" seeders.state tracker.log \
    --id 2 --secret-file "$work/mtorrent.secret" --log-level warn $limits 2>stderr) &
t2=$!
pids+=("$t2")

mkdir -p "$work/ot"
{
    "$load" --print-hashes --phase mix "${model[@]:0:2}"
    "$load" --print-hashes --torrents "$pre_torrents"
} >"$work/ot/whitelist.txt"
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

# Ready = one announce answered over UDP (opentracker loads its whitelist in
# the background; the probe's peer is in the refresh row's first torrent) and,
# for ours, the replication link up both ways.
ready() {
    for _ in $(seq 100); do
        "$load" --mode udp --phase preload --count 1 --torrents "$pre_torrents" --peers 10 \
            --target "127.0.0.1:$1" --time-limit 1 --timeout-ms 500 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    log "the tracker on port $1 did not come up"
    exit 1
}
ready "$p1"
ready "$p2"
ready "$pot"
for _ in $(seq 100); do
    [ "$(stats_field "$p1" outgoing_connected)" = true ] &&
        [ "$(stats_field "$p2" outgoing_connected)" = true ] && break
    sleep 0.1
done

# Our pair has caught up: each tracker's own changes acknowledged by the other.
settle() {
    local _
    for _ in $(seq 300); do
        [ "$(stats_field "$p1" lag)" = 0 ] && [ "$(stats_field "$p2" lag)" = 0 ] && return 0
        sleep 0.05
    done
    log "replication did not catch up within 15 s"
}

results=$work/results.jsonl
failed=0
declare -A targets pidlist
targets[ours]="--target 127.0.0.1:$p1 --target 127.0.0.1:$p2"
targets[opentracker]="--target 127.0.0.1:$pot"
pidlist[ours]="$t1 $t2"
pidlist[opentracker]="$ot"

# run_load NAME KIND MODE RUN EXTRA_JSON LOAD_ARGS...: one measured load.
# Appends {"tracker","kind","mode","run","cpu_s":[per process],"busy_cores",
# "gen":<the generator's JSON line>, "error", EXTRA} to results.jsonl.
run_load() {
    local name=$1 kind=$2 mode=$3 run=$4 extra=$5
    shift 5
    local c0=() c1=() p h0 h1 out err rc=0
    for p in ${pidlist[$name]}; do c0+=("$(cpu_ticks "$p")"); done
    h0=$(host_stat)
    out=$("$load" "$@" 2>"$work/err") || rc=$?
    h1=$(host_stat)
    [ "$name" = ours ] && settle
    for p in ${pidlist[$name]}; do c1+=("$(cpu_ticks "$p")"); done
    err=$(head -c 300 "$work/err" | tr -d '"\\' | tr '\n' ' ')
    if [ -z "$out" ]; then
        log "$name $kind $mode: the load generator failed (status $rc): $err"
        exit 1
    fi
    log "$name $kind $mode run $run: $(cut -c1-240 <<<"$out")"
    [ -n "$err" ] && log "  $err"
    grep -q '"failures":0,' <<<"$out" || failed=1
    local cpus="" i
    for i in "${!c0[@]}"; do
        cpus+="${cpus:+,}$(awk -v t="$((c1[i] - c0[i]))" -v h="$hz" 'BEGIN{printf "%.3f", t / h}')"
    done
    printf '{"tracker":"%s","kind":"%s","mode":"%s","run":%s,"cpu_s":[%s],"busy_cores":%s,"error":"%s"%s,"gen":%s}\n' \
        "$name" "$kind" "$mode" "$run" "$cpus" "$(busy_cores "$h0" "$h1")" "$err" "$extra" "$out" >>"$results"
    last=$out
}
json_num() { grep -o "\"$2\":[0-9.]*" <<<"$1" | head -1 | cut -d: -f2; }

# ---- warm-up: the join, memory per peer ------------------------------------------

load_before=$(loadavg)
for name in ours opentracker; do
    rss0=()
    for p in ${pidlist[$name]}; do rss0+=("$(rss_kib "$p")"); done
    # RSS is read after the load (and, for ours, after replication caught up).
    run_load "$name" join udp 0 "" --mode udp --phase join "${model[@]}" ${targets[$name]} \
        --state "$work/state-$name" --time-limit "$limit" --seed 1
    i=0 rss=""
    for p in ${pidlist[$name]}; do
        rss+="${rss:+,}[${rss0[$i]},$(rss_kib "$p")]"
        i=$((i + 1))
    done
    echo "{\"tracker\":\"$name\",\"kind\":\"rss\",\"rss_kib\":[$rss]}" >>"$results"
done

# The refresh row's swarm (bench/tracker's workload), not measured.
for port in "$p1" "$pot"; do
    "$load" --mode udp --phase preload --torrents "$pre_torrents" --peers 10 --concurrency 64 \
        --target "127.0.0.1:$port" --time-limit "$limit" >/dev/null || failed=1
done
settle

# ---- runs ------------------------------------------------------------------------

for run in $(seq "$runs"); do
    m=0
    for mode in $modes; do
        m=$((m + 1))
        case $mode in
        udp) count=$n_udp light=$light_udp ;;
        http-close) count=$n_close light=$light_http ;;
        http-keepalive) count=$n_keepalive light=$light_http ;;
        *) echo "bench/tracker_real: unknown mode $mode" >&2 && exit 2 ;;
        esac
        seed=$((run * 100 + m * 10))
        for name in ours opentracker; do
            common=(--mode "$mode" --phase mix "${model[@]}" ${targets[$name]}
                --state "$work/state-$name" --time-limit "$limit")
            run_load "$name" saturation "$mode" "$run" "" "${common[@]}" --count "$count" --seed "$seed"
            capacity=$(json_num "$last" rate)
            run_load "$name" light "$mode" "$run" "" "${common[@]}" --rate "$light" \
                --count $((light * step_s)) --seed $((seed + 1))
            for pct in 50 90; do
                rate=$((capacity * pct / 100))
                [ "$rate" -gt 0 ] || continue
                run_load "$name" "at$pct" "$mode" "$run" ",\"pct\":$pct" "${common[@]}" --rate "$rate" \
                    --count $((rate * step_s)) --seed $((seed + 2 + pct))
            done
        done
    done
    for name in ours opentracker; do
        port=$p1
        [ "$name" = opentracker ] && port=$pot
        run_load "$name" refresh udp "$run" "" --mode udp --phase refresh --torrents "$pre_torrents" \
            --peers 10 --count "$n_refresh" --concurrency 64 --target "127.0.0.1:$port" \
            --time-limit "$limit" --seed "$run"
    done
done
load_after=$(loadavg)

# ---- report ------------------------------------------------------------------------

# What the trackers said: our refusal counters and warnings, opentracker's output.
for i in 1 2; do
    port=$((base + i - 1))
    refused=$(stats_field "$port" refused)
    echo "{\"tracker\":\"ours\",\"kind\":\"stats\",\"id\":$i,\"refused\":${refused:-0}}" >>"$results"
    # (Not the partner unreachable at start: tracker 1 starts first.)
    warnings=$(grep -i "warn\|error" "$work/t$i/tracker.log" 2>/dev/null | grep -v "unreachable" || true)
    if [ -n "$warnings" ]; then
        log "tracker $i logged $(wc -l <<<"$warnings") warnings/errors, the first:"
        head -3 <<<"$warnings" >&2
    fi
done
if [ -s "$work/ot/out.log" ]; then log "opentracker said: $(head -c 300 "$work/ot/out.log")"; fi
mkdir -p bench/out
cmd="make bench-tracker-real"
[ "$quick" = 1 ] && cmd="bench/tracker_real.sh --quick"
[ "$quick" = 0 ] && [ "$runs" != 3 ] && cmd="bench/tracker_real.sh --runs $runs"
[ "$modes" != "udp http-close http-keepalive" ] && cmd="$cmd --modes '$modes'"
python3 bench/tracker_real_report.py "$results" --command "$cmd" \
    --commit "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" --date "$(date -u +%Y-%m-%d)" \
    --cores "$ncpu" --runs "$runs" --load "$load_before / $load_after" --step "$step_s" \
    --light "$light_udp,$light_http" --modes "$modes" >"$work/table.md"
cat "$work/table.md"
cp "$work/table.md" bench/out/tracker-real.md
cp "$results" bench/out/tracker-real.jsonl
if [ "$quick" = 0 ] && [ -z "${BENCH_NO_DOCS:-}" ]; then
    python3 -c 'import sys; sys.path.insert(0, "bench"); import get_helper as gh
gh.replace_section("BENCHMARKS.md", "## Tracker, realistic load (bench/tracker_real)", open(sys.argv[1]).read())' "$work/table.md"
fi
if [ "$failed" = 1 ]; then
    echo "bench/tracker_real: a tracker refused or failed announces (see the lines above)" >&2
    exit 1
fi
