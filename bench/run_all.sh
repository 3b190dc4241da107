#!/usr/bin/env bash
# make bench: every benchmark, one after another, each writing its section of
# BENCHMARKS.md (and bench/out/*.md). Run it by hand on a quiet machine: it
# takes about 45 minutes (bench/tracker_real about 12 of them, estimated; bench/get's
# transmission-cli runs alone can take up to 2 x 3 x 180 s). Each benchmark runs our program and the real ones
# side by side in one run, repeats (>= 3) and reports medians and ratios.
#   bench/hash.sh            create a .mtorrent, warm and cold cache (mktorrent, transmission-create,
#                            libtorrent, SHA-1 limits)
#   bench/tracker.sh         tracker CPU/announce, rate, p99, memory per peer vs opentracker
#   bench/tracker_real.sh    the same under a realistic load (heavy-tailed swarms, many addresses,
#                            joins/leaves/completions, open-loop latency at 50% and 90% of capacity)
#   bench/hash_folder.sh     create a .mtorrent of 1 GiB in 10,000 files (mktorrent, transmission-create, libtorrent)
#   bench/get.sh             download 1 GiB from 3 seeders vs aria2c, libtorrent, transmission-cli (+ the figure)
#   bench/get_folder.sh      the same for 1 GiB in 1,000 files
#   bench/seed.sh            a libtorrent leecher from our seeder vs from a libtorrent seeder
#   bench/flash.sh           1 seeder + 16 leechers, all ours vs all libtorrent
#   bench/failover.sh        tracker 1 killed or hung while our get runs
#   bench/conns.sh           200 connected peers on one seeder vs libtorrent
#   bench/web_scale.sh       the web front with 5,000 transfers vs transmission-daemon
#
# bench/run_all.sh --quick (make bench-smoke, run by CI): every benchmark in
# its --quick form (small sizes, one run, BENCHMARKS.md left alone), about
# 3 minutes: it shows the suite still runs, not how fast anything is.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
if [ "${1:-}" = "--quick" ]; then
    export BENCH_TR_TIMEOUT=${BENCH_TR_TIMEOUT:-90}
    for b in hash hash_folder tracker tracker_real get get_folder seed flash failover conns web_scale; do
        echo
        echo "=== bench smoke: bench/$b.sh --quick"
        bash "bench/$b.sh" --quick || { echo "=== bench smoke: bench/$b.sh --quick FAILED"; status=1; }
    done
    # The WAN harness (root: namespaces, TUN), at its smallest: 4 MiB, two
    # leechers, our swarm and an aria2c seeder with ours.
    echo
    echo "=== bench smoke: bench/wan.sh --quick --size 4 --n 2 --kinds ours,aria2c/ours"
    bash bench/wan.sh --quick --size 4 --n 2 --kinds ours,aria2c/ours ||
        { echo "=== bench smoke: bench/wan.sh FAILED"; status=1; }
    exit $status
fi
run() {
    echo
    echo "=== bench: $*"
    "$@" || { echo "=== bench: $* FAILED"; status=1; }
}
run bench/hash.sh 1024 5
run bench/tracker.sh
run bench/tracker_real.sh
run bench/hash_folder.sh 1024 10000 5
run bench/get.sh 1024 5
run bench/get_folder.sh 1024 1000 3
run bench/seed.sh 1024 3
run bench/flash.sh 256 16 3
run bench/failover.sh 96 3
run bench/conns.sh
run bench/web_scale.sh
run bench/wan.sh
exit $status
