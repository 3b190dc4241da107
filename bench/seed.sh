#!/usr/bin/env bash
# bench/seed: a libtorrent leecher fetches one file from one of our seeders
# and from one libtorrent seeder, alternating, on loopback; leecher time and
# seeder CPU seconds, medians (bench/seed_helper.py).
#
# usage: bench/seed.sh [--quick] [SIZE_MIB (default 1024)] [RUNS (default 3)]
#   --quick: 64 MiB, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse seed "64 1" "1024 3" "$@"
bench_run_helper seed
