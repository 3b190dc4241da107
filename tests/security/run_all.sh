#!/usr/bin/env bash
# Runs every tests/security/*_test.py: attacks on a live tracker and client,
# each beside an honest download or announce that must still be served.
# MT_VARIANT (release, asan, ubsan, tsan) lets a case relax what only a
# release build can promise (RSS under a sanitizer is not the product's).
set -u
here=$(cd "$(dirname "$0")" && pwd)
failed=()
for t in "$here"/*_test.py; do
    [ -e "$t" ] || continue
    echo "== security/$(basename "$t")"
    python3 "$t" || failed+=("$(basename "$t")")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "security: FAILED: ${failed[*]}"
    # make test lists every failed suite again at the very end.
    [ -n "${MT_FAILED_FILE:-}" ] && echo "  security: ${failed[*]}" >>"$MT_FAILED_FILE"
    exit 1
fi
