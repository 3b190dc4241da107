#!/usr/bin/env bash
# bench/flash: a flash crowd, 1 seeder + N leechers started at once, all ours
# vs all libtorrent, on loopback (bench/flash_helper.py): time until the last
# leecher is done, CPU seconds of the whole swarm.
#
# usage: bench/flash.sh [--quick] [SIZE_MIB (256)] [LEECHERS (16)] [RUNS (3)]
#   --quick: 32 MiB, 4 leechers, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse flash "32 4 1" "256 16 3" "$@"
bench_run_helper flash
