#!/usr/bin/env bash
# Runs every tests/security/*_test.py: attacks on a live tracker and client,
# each beside an honest download or announce that must still be served.
# MT_VARIANT (release, asan, ubsan, tsan) lets a case relax what only a
# release build can promise (RSS under a sanitizer is not the product's).
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$here"/*_test.py; do
    [ -e "$t" ] || continue
    echo "== security/$(basename "$t")"
    python3 "$t" || status=1
done
exit $status
