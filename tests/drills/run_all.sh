#!/usr/bin/env bash
# Runs the fault drills (tests/drills/drills.py) against the binaries in $BIN
# (default: bin/). Needs root for the network namespaces and the tmpfs mount.
exec /usr/bin/python3 "$(dirname "$0")/drills.py" "$@"
