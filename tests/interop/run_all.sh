#!/usr/bin/env bash
# Runs every tests/interop/*_test.sh (real BitTorrent programs against ours).
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$here"/*_test.sh; do
    [ -e "$t" ] || continue
    echo "== $(basename "$t")"
    bash "$t" || status=1
done
exit $status
