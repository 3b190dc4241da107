#!/usr/bin/env bash
# bench/hash_folder: how fast `bin/client create` hashes a folder of many
# small files into a .mtorrent, next to mktorrent -t 2, transmission-create
# and libtorrent, warm page cache (bench/hash_folder_helper.py).
#
# usage: bench/hash_folder.sh [--quick] [SIZE_MIB (default 1024)] [FILES (default 10000)] [RUNS (default 5)]
#   --quick: 128 MiB in 1,000 files, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse hash_folder "128 1000 1" "1024 10000 5" "$@"
[ -x "$BIN/client" ] || make -s -C "$repo" all
bench_run_helper hash_folder
