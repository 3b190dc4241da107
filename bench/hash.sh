#!/usr/bin/env bash
# bench/hash: how fast `bin/client create` hashes a file into a .mtorrent,
# next to mktorrent -t 2, transmission-create and libtorrent, with a warm and
# a cold page cache, and the machine's SHA-1 limits (bench/hash_helper.py).
#
# usage: bench/hash.sh [--quick] [SIZE_MIB (default 1024)] [RUNS (default 5)]
#   --quick: 128 MiB, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse hash "128 1" "1024 5" "$@"
[ -x "$BIN/client" ] || make -s -C "$repo" all
bench_run_helper hash
