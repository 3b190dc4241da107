#!/bin/sh
exec python3 "$(dirname "$0")/folder_test.py" "$@"
