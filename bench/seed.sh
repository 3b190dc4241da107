#!/usr/bin/env bash
# bench/seed: a libtorrent leecher fetches one file from one of our seeders
# and from one libtorrent seeder, alternating, on loopback; leecher time and
# seeder CPU seconds, medians (bench/seed_helper.py).
#
# usage: bench/seed.sh [--quick] [SIZE_MIB (default 1024)] [RUNS (default 3)]
#   --quick: 64 MiB, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export BIN=${BIN:-$repo/bin}
quick=0
args=()
for a in "$@"; do
    case $a in
    --quick) quick=1 ;;
    -*) echo "usage: bench/seed.sh [--quick] [SIZE_MIB] [RUNS]" >&2 && exit 2 ;;
    *) args+=("$a") ;;
    esac
done
if [ "$quick" = 1 ]; then size_mib=${args[0]:-64} runs=${args[1]:-1}; else size_mib=${args[0]:-1024} runs=${args[1]:-3}; fi
py=/usr/bin/python3
[ -x "$py" ] || py=python3
extra=()
[ "$quick" = 0 ] && extra+=(--append-benchmarks "$repo/BENCHMARKS.md")
cmd="bench/seed.sh"
[ "$quick" = 1 ] && cmd+=" --quick"
[ ${#args[@]} -gt 0 ] && cmd+=" ${args[*]}"
helper=
cleanup() {
    if [ -n "$helper" ]; then
        kill -TERM "$helper" 2>/dev/null || true
        wait "$helper" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$py" bench/seed_helper.py "$size_mib" "$runs" "$repo/bench/out/seed.md" --command "$cmd" "${extra[@]}" &
helper=$!
rc=0
wait "$helper" || rc=$?
helper=
exit "$rc"
