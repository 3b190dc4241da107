#!/usr/bin/env bash
# bench/failover: tracker 1 killed (SIGKILL) or hung (SIGSTOP) while our get
# runs: failover time and the longest gap in verified bytes
# (bench/failover_helper.py).
#
# usage: bench/failover.sh [--quick] [SIZE_MIB (96)] [RUNS (3)]
#   --quick: 48 MiB, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse failover "48 1" "96 3" "$@"
bench_run_helper failover
