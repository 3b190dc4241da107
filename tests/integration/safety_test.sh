#!/bin/sh
exec python3 "$(dirname "$0")/safety_test.py" "$@"
