#!/usr/bin/env bash
# A long fuzzing campaign: runs each named libFuzzer target (all of them if
# none is named) until it reaches RUNS executions or SECONDS seconds, under
# ASan+UBSan, then merges what it found into tests/fuzz/corpus/<name>:
# libFuzzer's -merge with -use_counters=0 adds only inputs that reach a
# coverage edge the checked-in corpus does not (a merge on features, hit
# counts included, added 390 files, 2 MiB, to peer_wire's 8 for 68 new edges;
# on edges, 29 files). One line per target is appended to
# build/libfuzzer/campaign.log: name, executions, seconds, result; record the
# runs in tests/fuzz/CAMPAIGNS.md.
#
#   make fuzz-build && tests/fuzz/campaign.sh [name...]
#   RUNS=10000000 SECONDS_MAX=1800 (the defaults: the bar of issue 12)
set -u
cd "$(dirname "$0")/../.."
runs=${RUNS:-10000000}
secs=${SECONDS_MAX:-1800}
out=build/libfuzzer
log=$out/campaign.log
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in tests/fuzz/*_fuzz.cpp; do
        n=$(basename "$f" _fuzz.cpp)
        names+=("$n")
    done
fi
status=0
for n in "${names[@]}"; do
    bin=$out/fuzz/$n
    if [ ! -x "$bin" ]; then
        echo "campaign: $bin missing; run make fuzz-build" >&2
        exit 2
    fi
    work=$out/corpus/$n
    mkdir -p "$work" "$out/crashes/$n"
    start=$(date +%s)
    "$bin" -runs="$runs" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$out/crashes/$n/" "$work" "tests/fuzz/corpus/$n" >"$out/$n.out" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$n.out" | tail -1)
    if [ $rc -eq 0 ]; then
        result=ok
        # Keep only inputs that add coverage to what is checked in.
        "$bin" -merge=1 -use_counters=0 -max_len=65536 "tests/fuzz/corpus/$n" "$work" >"$out/$n.merge" 2>&1 || result="ok (merge failed)"
    else
        result="FAILED rc=$rc (see $out/$n.out, $out/crashes/$n)"
        status=1
    fi
    line="$(date -u +%FT%TZ) $n executions=${execs:-?} seconds=$took $result"
    echo "$line" | tee -a "$log"
done
exit $status
