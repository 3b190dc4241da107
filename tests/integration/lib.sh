# Shared helpers for the integration suites (sourced, not run).
# Each case prints one line "NAME: ok", "NAME: FAIL (detail)" or
# "NAME: skipped (reason)"; finish prints "N passed, M failed[, K skipped]"
# and returns non-zero if anything failed.
PASSED=0
FAILED=0
SKIPPED=0
: "${BIN:?BIN must point at the folder holding client and tracker}"

ok() { echo "$1: ok"; PASSED=$((PASSED + 1)); }
fail() { echo "$1: FAIL ($2)"; FAILED=$((FAILED + 1)); }
skip() { echo "$1: skipped ($2)"; SKIPPED=$((SKIPPED + 1)); }
check() {  # check NAME CONDITION-COMMAND... : ok if the command succeeds
    local name=$1
    shift
    if "$@"; then ok "$name"; else fail "$name" "$*"; fi
}
finish() {
    local line="$PASSED passed, $FAILED failed"
    [ "$SKIPPED" -gt 0 ] && line="$line, $SKIPPED skipped"
    echo "$line"
    [ "$FAILED" -eq 0 ]
}
have() { command -v "$1" >/dev/null 2>&1; }
# Debian's python3-libtorrent is installed for /usr/bin/python3 only.
have_libtorrent() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import libtorrent' 2>/dev/null; }

# A scratch folder removed on exit.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mt-it.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# make_file PATH SIZE: deterministic pseudo-random content of SIZE bytes.
make_file() {
    head -c "$2" /dev/urandom >"$1"
}
