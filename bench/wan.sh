#!/usr/bin/env bash
# bench/wan: BitTorrent swarms over an emulated WAN: one seeder and N
# leechers, each in its own network namespace with its own address, capped
# uplinks (and optionally downlinks), a one-way delay between peers and
# optional random loss; swarms of our client, aria2c, libtorrent
# (python3-libtorrent), transmission-cli, and mixed ones. Root only
# (namespaces, tc, TUN); nothing leaves the namespaces it makes.
#
# usage: bench/wan.sh [--quick] [--n LIST] [--runs R] [--kinds LIST]
#          [--size MIB] [--rtt MS] [--up MBIT] [--leecher-up MBIT]
#          [--leecher-down MBIT] [--loss PCT] [--timeout S] [--mtu BYTES]
#          [--cc NAME] [--figure PNG] [--logs DIR] [--section NAME]
#   defaults (the issue's reference): --n 8 --runs 3 --size 64 --rtt 40
#   --up 20 (every peer; --leecher-up/--leecher-down override the leechers',
#   downlinks uncapped), --loss 0, --timeout 300 s per swarm, MTU 1500, the
#   host's TCP congestion control (BBR here);
#   --kinds ours,aria2c,libtorrent,transmission,ours/mix,libtorrent/ours,aria2c/ours
#   (K: all of kind K; S/L: seeder S, leechers L, where L is a kind, "mix" =
#   aria2c, libtorrent, transmission, ours in turn, or kinds joined by "+").
#   --quick: 16 MiB, 1 run, 4 s probe; results to bench/out/ only. Without
#   it, bench/out/wan.md and the "## WAN swarms (bench/wan)" section of
#   BENCHMARKS.md (its hand-written notes kept). Scaling: --n 8,16,32.
#   --figure: where the PNG goes (default bench/out/wan.png, which git
#   ignores; a path elsewhere in the repo is embedded in BENCHMARKS.md).
#   --logs DIR: keep every swarm's logs (clients, trackers) there.
#   --section NAME: write to a section of its own, "## WAN swarms
#   (bench/wan): NAME" (one per configuration: asymmetric links, loss, ...).
#   WAN_OUR_SEED_ARGS (environment): more arguments for our seeder
#   (e.g. "--no-initial-seeding" or "--seed-window 16", to compare).
#   A full default run takes about 25 minutes (7 kinds x 3 runs).
#   Examples: bench/wan.sh --n 8,16,32 --runs 3
#             bench/wan.sh --leecher-up 5 --leecher-down 50 --loss 0.5
#   make bench-wan runs it with BIN set.
#
# Network (bench/wan/wan_net.py): hub namespace mtw<PID>-hub with the tracker
# pair (bin/tracker on 198.18.0.1 and .2, --interval 2 --min-interval 1;
# the torrent, made by bin/client create and marked private, lists both);
# peer i in mtw<PID>-p<i> at 198.18.<i+1>.2 (peer 0 is the seeder), linked to
# the hub by a veth pair. htb on the peer's veth caps its uplink (a bfifo of
# 100 ms at the rate behind it); htb on the hub side caps its downlink. The
# delay stage (bench/wan/delay.cpp, compiled here into build/bench/delay):
# the hub routes every packet arriving from a peer (ip rule iif v<i> lookup
# 100; table 100: default dev dly0) into a TUN device; the program holds each
# one for the one-way delay (RTT/2) in a ring buffer, drops it with
# probability --loss, writes it back in order, and the kernel routes it on to
# the destination peer. One thread, ppoll until the oldest packet is due,
# SCHED_FIFO (it stands for the network, which busy peers do not slow down).
#
# Measured, per configuration, before the swarms: RTT between two leechers
# with ping (configured vs measured), one TCP flow seeder -> leecher against
# the cap, the RTT under that load, and the delay stage's CPU, packet rate
# and lateness. Per swarm: every leecher's completion time from the common
# start (verified: SHA-1 of every file), the time until the last one, the
# seeder's upload / file size (TCP payload counted per source/destination by
# the delay stage, so also each leecher's share of the seeder's bytes; and
# as a cross-check from the seeder's veth counters, tx bytes - 66 per packet),
# all peer-to-peer payload / (N x file size), total CPU (user+sys of every
# peer process), the Kumar-Ross bound T_min = max(F/u_s, F/d_min,
# N F/(u_s + sum u_i)) from the configured rates. Medians over the runs, the
# ratio to T_min, a table per N, and a figure (gnuplot) of completion times.
# Leechers keep seeding until the last one is complete.
#
# Clean-up: every process is stopped by PID, the namespaces (named
# mtw<PID of this script>-...) and the temp folder removed on exit, also after
# Ctrl-C, SIGTERM or a crash of the helper (the trap below); at start the
# helper removes leftovers of earlier runs whose owning PID is gone. The work
# lives in bench/wan/wan.py (Debian's /usr/bin/python3, for
# python3-libtorrent).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export BIN=${BIN:-$repo/bin}
for a in "$@"; do
    case $a in -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' && exit 0 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "bench/wan: needs root (network namespaces, tc, a TUN device)" >&2 && exit 2; }
for f in "$BIN/client" "$BIN/tracker"; do
    [ -x "$f" ] || { echo "bench/wan: $f missing; run make all" >&2 && exit 2; }
done
command -v ping >/dev/null || echo "bench/wan: ping missing (apt-get install -y iputils-ping): RTT not measured"
command -v gnuplot >/dev/null || echo "bench/wan: gnuplot missing (apt-get install -y gnuplot-nox): no figure"

delay=$repo/build/bench/delay
if [ ! -x "$delay" ] || [ bench/wan/delay.cpp -nt "$delay" ]; then
    mkdir -p "$(dirname "$delay")"
    g++ -O2 -std=c++17 -Wall -Wextra -o "$delay.tmp.$$" bench/wan/delay.cpp
    mv "$delay.tmp.$$" "$delay"
fi

py=/usr/bin/python3
[ -x "$py" ] || py=python3
quick=0
for a in "$@"; do [ "$a" = --quick ] && quick=1; done
extra=()
[ "$quick" = 0 ] && extra+=(--bench-md "$repo/BENCHMARKS.md")
cmd="bench/wan.sh${*:+ $*}"
prefix=mtw$$

helper=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    if [ -n "$helper" ]; then
        kill -TERM "$helper" 2>/dev/null || true # it stops its processes and removes what it made
        wait "$helper" 2>/dev/null || true
    fi
    # Whatever is left (the helper crashed or was killed): only namespaces
    # named after this script's PID, and only processes inside them.
    local ns pids sig spaces
    spaces=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-" || true)
    for sig in TERM KILL; do
        pids=$(for ns in $spaces; do ip netns pids "$ns" 2>/dev/null || true; done)
        [ -n "$pids" ] || break
        # shellcheck disable=SC2086
        kill -"$sig" $pids 2>/dev/null || true
        [ "$sig" = TERM ] && sleep 1
    done
    for ns in $spaces; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "${TMPDIR:-/tmp}/$prefix"-*
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rc=0
"$py" bench/wan/wan.py --owner $$ --delay-bin "$delay" --bin "$BIN" --command "$cmd" "${extra[@]}" "$@" &
helper=$!
wait "$helper" || rc=$?
helper=
exit "$rc"
