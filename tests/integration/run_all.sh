#!/usr/bin/env bash
# Runs every tests/integration/*_test.sh; fails if any of them fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
failed=()
for t in "$here"/*_test.sh; do
    echo "== $(basename "$t")"
    bash "$t" || failed+=("$(basename "$t")")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "integration: FAILED: ${failed[*]}"
    # make test lists every failed suite again at the very end.
    [ -n "${MT_FAILED_FILE:-}" ] && echo "  integration: ${failed[*]}" >>"$MT_FAILED_FILE"
    exit 1
fi
