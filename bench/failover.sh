#!/usr/bin/env bash
# bench/failover: tracker 1 killed (SIGKILL) or hung (SIGSTOP) while our get
# runs: failover time and the longest gap in verified bytes
# (bench/failover_helper.py).
#
# usage: bench/failover.sh [--quick] [SIZE_MIB (96)] [RUNS (3)]
#   --quick: 48 MiB, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export BIN=${BIN:-$repo/bin}
quick=0
args=()
for a in "$@"; do
    case $a in
    --quick) quick=1 ;;
    -*) echo "usage: bench/failover.sh [--quick] [SIZE_MIB] [RUNS]" >&2 && exit 2 ;;
    *) args+=("$a") ;;
    esac
done
if [ "$quick" = 1 ]; then d=(48 1); else d=(96 3); fi
size_mib=${args[0]:-${d[0]}} runs=${args[1]:-${d[1]}}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
extra=()
[ "$quick" = 0 ] && extra+=(--append-benchmarks "$repo/BENCHMARKS.md")
cmd="bench/failover.sh"
[ "$quick" = 1 ] && cmd+=" --quick"
[ ${#args[@]} -gt 0 ] && cmd+=" ${args[*]}"
helper=
cleanup() {
    if [ -n "$helper" ]; then
        kill -TERM "$helper" 2>/dev/null || true  # the helper stops its children and removes its folder
        wait "$helper" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$py" bench/failover_helper.py "$size_mib" "$runs" "$repo/bench/out/failover.md" --command "$cmd" "${extra[@]}" &
helper=$!
rc=0
wait "$helper" || rc=$?
helper=
exit "$rc"
