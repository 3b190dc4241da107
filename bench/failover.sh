#!/usr/bin/env bash
# bench/failover: tracker 1 killed (SIGKILL) or hung (SIGSTOP) while a
# download runs: failover time and the longest gap in downloaded bytes, for
# our get and for libtorrent 2.0.8 (python3-libtorrent) under the same load,
# runs interleaved (bench/failover_helper.py).
#
# usage: bench/failover.sh [--quick] [SIZE_MIB (96)] [RUNS (3)]
#   --quick: 48 MiB, 1 run per mode and downloader, BENCHMARKS.md left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse failover "48 1" "96 3" "$@"
bench_run_helper failover
