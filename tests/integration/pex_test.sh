#!/bin/sh
exec python3 "$(dirname "$0")/pex_test.py"
