#!/usr/bin/env bash
# bench/get: download one file from 3 local seeders with our client
# (bin/client get), aria2c, libtorrent and transmission-cli, on loopback only,
# in one run.
#
# usage: bench/get.sh [--quick] [SIZE_MIB (default 1024)] [RUNS (default 3)]
#   (make bench-get runs it with BIN set; --quick: 64 MiB, 1 run, and
#   BENCHMARKS.md is left alone: the figure goes to bench/out/)
# env: BENCH_TR_RUNS (transmission runs per scenario, default min(RUNS, 3)),
#   BENCH_TR_TIMEOUT (seconds per transmission run, default 180; then it is
#   recorded as a timeout), BENCH_WHO, BENCH_SCENARIOS, BENCH_VARIANTS (see
#   get_helper.py).
#
# Scenario A: 3 libtorrent seeders (one process and port each); scenario B:
# 3 of ours (bin/client seed). In each, every downloader runs RUNS times,
# interleaved (ours, aria2c, libtorrent, transmission, ours, ...), into a
# fresh empty folder; the page cache stays warm (it cannot be dropped here).
# Measures wall time to complete and verified, CPU s (user+sys) and peak RSS
# of the downloader, plus peak RssAnon (libtorrent 2.x maps the file, so its
# RSS counts the file). SHA-1 of every download is checked. The torrent is
# private and lists our tracker pair (bin/tracker --interval 2
# --min-interval 1); every client binds 127.0.0.1 with DHT/LSD/PEX/UPnP/
# NAT-PMP/uTP off. transmission-cli (slow here: it drops tracker peers in
# 127.0.0.0/8 and keeps one connection per IP, so it gets data from the one
# seeder that connects to it first, see shared/REAL-CLIENTS.md) runs fewer
# times, each with its own config folder and a time limit.
# Prints a table per scenario, writes bench/out/get.md and replaces the
# "## Download (bench/get)" section of BENCHMARKS.md (not with --quick).
# The work lives in bench/get_helper.py (Debian's /usr/bin/python3, for
# python3-libtorrent); every process is stopped by PID and the temp folder
# removed on exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse get "64 1" "1024 3" "$@"
for f in "$BIN/client" "$BIN/tracker"; do
    [ -x "$f" ] || { echo "bench/get: $f missing; run make all" >&2 && exit 2; }
done
"$py" -c 'import libtorrent' 2>/dev/null ||
    echo "bench/get: python3-libtorrent missing for $py (apt-get install -y python3-libtorrent): libtorrent skipped"
command -v aria2c >/dev/null || echo "bench/get: aria2c missing (apt-get install -y aria2): skipped"
command -v transmission-cli >/dev/null ||
    echo "bench/get: transmission-cli missing (apt-get install -y transmission-cli): skipped"
bench_run_helper get
