#!/usr/bin/env bash
# bench/compare_builds: an older build of ours against this one, interleaved
# in one run, on the benchmarks a refactoring must not slow down:
#   - bench/tracker.sh (full counts, one measured run per round), with the
#     old build's bin/ and this one's taking turns, ROUNDS rounds; the
#     opentracker rows of each run are the control for machine noise;
#   - bench/get.sh scenario B (3 of our seeders, this build), our downloader
#     of each build taking turns (BENCH_VARIANTS mtorrent@old), RUNS runs.
# usage: bench/compare_builds.sh OLD_BIN [ROUNDS (3)] [SIZE_MIB (1024)] [RUNS (3)]
#   OLD_BIN: a bin/ folder of the other build (git worktree add /tmp/old REV;
#   make -C /tmp/old all). BENCHMARKS.md is left alone; the summary goes to
#   bench/out/compare.md.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: bench/compare_builds.sh OLD_BIN [ROUNDS] [SIZE_MIB] [RUNS]}
rounds=${2:-3}
size=${3:-1024}
runs=${4:-3}
new=$PWD/bin
for f in "$old/tracker" "$old/client" "$new/tracker" "$new/client"; do
    [ -x "$f" ] || { echo "bench/compare_builds: $f missing" >&2 && exit 2; }
done
mkdir -p bench/out
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq "$rounds"); do
    for build in old new; do
        bin=$old
        [ "$build" = new ] && bin=$new
        echo "bench/compare_builds: round $r, tracker, $build build" >&2
        BIN=$bin BENCH_NO_DOCS=1 bench/tracker.sh --runs 1 >"$out/tracker-$build-$r.log"
        sed "s/^/$build\t/" bench/out/tracker-results.tsv >>"$out/tracker.tsv"
    done
done
echo "bench/compare_builds: downloads, both builds taking turns" >&2
BENCH_VARIANTS="mtorrent@old=$old/client" BENCH_WHO="mtorrent,mtorrent@old" BENCH_SCENARIOS=B \
    BIN=$new bench/get.sh --quick "$size" "$runs" >"$out/get.log" 2>&1 || {
    tail -20 "$out/get.log" >&2
    exit 1
}
python3 - "$out/tracker.tsv" "$old" "$rounds" >"$out/compare.md" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
# build tracker mode run answered failures timeouts rate p50 p99 cpu_all_s cpu_t1_s
def med(build, name, mode, f):
    xs = [f(r) for r in rows if r[0] == build and r[1] == name and r[2] == mode]
    return statistics.median(xs) if xs else float("nan")
cpu = lambda r: float(r[10]) * 1e6 / max(1, int(r[4]))
rate = lambda r: float(r[7])
p99 = lambda r: float(r[9])
print("### bench/tracker, old build (%s) and this one, %s interleaved rounds (medians)" % (sys.argv[2], sys.argv[3]))
print()
print("| mode | CPU µs/announce old | new | new/old | opentracker in old's runs | in new's runs | rate old (ann/s) | new | p99 old (µs) | new |")
print("|---|---|---|---|---|---|---|---|---|---|")
for mode in sorted({r[2] for r in rows}):
    co, cn = med("old", "ours", mode, cpu), med("new", "ours", mode, cpu)
    print("| %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.0f | %.0f | %.0f | %.0f |" % (
        mode, co, cn, cn / co if co else float("nan"),
        med("old", "opentracker", mode, cpu), med("new", "opentracker", mode, cpu),
        med("old", "ours", mode, rate), med("new", "ours", mode, rate),
        med("old", "ours", mode, p99), med("new", "ours", mode, p99)))
PY
{
    cat "$out/compare.md"
    echo
    echo "### bench/get scenario B, ${size} MiB, our downloader of each build taking turns"
    echo
    sed -n '/^|/p' bench/out/get.md
} | tee bench/out/compare.md
