#!/usr/bin/env bash
# bench/get_folder: bench/get for a folder torrent: SIZE_MIB of random bytes
# in FILES files, downloaded from 3 local seeders by our client, aria2c,
# libtorrent and transmission-cli (bench/get_helper.py, main("get_folder")).
#
# usage: bench/get_folder.sh [--quick] [SIZE_MIB (default 1024)] [FILES (default 1000)] [RUNS (default 3)]
#   --quick: 128 MiB in 100 files, 1 run, BENCHMARKS.md left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse get_folder "128 100 1" "1024 1000 3" "$@"
[ -x "$BIN/client" ] || make -s -C "$repo" all
bench_run_helper get_folder
