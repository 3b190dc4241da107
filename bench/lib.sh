# Shared by bench/get.sh, seed.sh, flash.sh and failover.sh (sourced): the
# argument parsing ([--quick] and positional numbers with defaults) and the
# run of the Python helper with Debian's python3 (python3-libtorrent), which
# is stopped on exit, so its children are stopped by PID and its temp folder
# removed.
#
# bench_parse NAME "QUICK DEFAULTS" "FULL DEFAULTS" "$@"
#   sets: repo, quick (0/1), vals (positional values, defaults filled in),
#   py, extra (--append-benchmarks BENCHMARKS.md unless --quick), cmd (the
#   command line as BENCHMARKS.md shows it). Exits 2 on an unknown option.
# bench_run_helper NAME: runs bench/NAME_helper.py VALS... bench/out/NAME.md
#   --command CMD [--append-benchmarks FILE] and exits with its status.
bench_parse() {
    local name=$1 q d
    read -ra q <<<"$2"
    read -ra d <<<"$3"
    shift 3
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    repo=$PWD
    export BIN=${BIN:-$repo/bin}
    quick=0
    local args=() a i
    for a in "$@"; do
        case $a in
        --quick) quick=1 ;;
        -*) echo "usage: bench/$name.sh [--quick] [${#d[@]} numbers; defaults: ${d[*]}]" >&2 && exit 2 ;;
        *) args+=("$a") ;;
        esac
    done
    vals=()
    for i in "${!d[@]}"; do
        if [ "$quick" = 1 ]; then vals+=("${args[$i]:-${q[$i]}}"); else vals+=("${args[$i]:-${d[$i]}}"); fi
    done
    py=/usr/bin/python3
    [ -x "$py" ] || py=python3
    extra=()
    [ "$quick" = 0 ] && extra+=(--append-benchmarks "$repo/BENCHMARKS.md")
    cmd="bench/$name.sh"
    [ "$quick" = 1 ] && cmd+=" --quick"
    [ ${#args[@]} -gt 0 ] && cmd+=" ${args[*]}"
    return 0
}

bench_helper_pid=
bench_cleanup() {
    if [ -n "$bench_helper_pid" ]; then
        kill -TERM "$bench_helper_pid" 2>/dev/null || true  # the helper stops its children
        wait "$bench_helper_pid" 2>/dev/null || true
    fi
}

bench_run_helper() {
    local name=$1 rc=0
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    "$py" "bench/${name}_helper.py" "${vals[@]}" "$repo/bench/out/$name.md" --command "$cmd" "${extra[@]}" &
    bench_helper_pid=$!
    wait "$bench_helper_pid" || rc=$?
    bench_helper_pid=
    exit "$rc"
}
