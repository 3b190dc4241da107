#!/usr/bin/env bash
# bench/conns: what 200 connected peers cost one seeder (threads, memory,
# CPU), ours (bin/client seed) against libtorrent, on loopback only. See
# bench/conns_helper.py for how the peers behave and what is sampled.
#
# usage: bench/conns.sh [--quick] [N_PEERS (default 200)] [MEASURE_S (default 10)]
#   (--quick: 200 peers, 5 s, and BENCHMARKS.md is left alone)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse conns "200 5" "200 10" "$@"
[ -x "$BIN/client" ] || { echo "bench/conns: $BIN/client missing; run make all" >&2 && exit 2; }
bench_run_helper conns
