#!/usr/bin/env bash
# bench/web_scale: the web front with thousands of transfers: ours (client
# daemon --web: /api/sync, /api/events, its page) against transmission-daemon
# (its RPC and its web page), both holding N paused torrents, on loopback.
# See bench/web_scale_helper.py for what is measured.
#
# usage: bench/web_scale.sh [--quick] [N (default 5000)] [R (default 3)]
#   (--quick: 500 transfers, one start, and BENCHMARKS.md is left alone)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse web_scale "500 1" "5000 3" "$@"
[ -x "$BIN/client" ] || { echo "bench/web_scale: $BIN/client missing; run make all" >&2 && exit 2; }
bench_run_helper web_scale
