#!/usr/bin/env bash
# Runs every tests/integration/*_test.sh; fails if any of them fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$here"/*_test.sh; do
    echo "== $(basename "$t")"
    bash "$t" || status=1
done
exit $status
