#!/bin/sh
exec python3 "$(dirname "$0")/metadata_test.py"
