#!/usr/bin/env bash
# bench/flash: a flash crowd, 1 seeder + N leechers started at once, all ours
# vs all libtorrent, on loopback (bench/flash_helper.py): time until the last
# leecher is done, CPU seconds of the whole swarm.
#
# usage: bench/flash.sh [--quick] [SIZE_MIB (256)] [LEECHERS (16)] [RUNS (3)]
#   --quick: 32 MiB, 4 leechers, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export BIN=${BIN:-$repo/bin}
quick=0
args=()
for a in "$@"; do
    case $a in
    --quick) quick=1 ;;
    -*) echo "usage: bench/flash.sh [--quick] [SIZE_MIB] [LEECHERS] [RUNS]" >&2 && exit 2 ;;
    *) args+=("$a") ;;
    esac
done
if [ "$quick" = 1 ]; then d=(32 4 1); else d=(256 16 3); fi
size_mib=${args[0]:-${d[0]}} leechers=${args[1]:-${d[1]}} runs=${args[2]:-${d[2]}}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
extra=()
[ "$quick" = 0 ] && extra+=(--append-benchmarks "$repo/BENCHMARKS.md")
cmd="bench/flash.sh"
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
"$py" bench/flash_helper.py "$size_mib" "$leechers" "$runs" "$repo/bench/out/flash.md" --command "$cmd" "${extra[@]}" &
helper=$!
rc=0
wait "$helper" || rc=$?
helper=
exit "$rc"
