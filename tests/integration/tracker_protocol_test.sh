#!/usr/bin/env bash
# HTTP and UDP tracker protocols through the real binary (see the .py file).
exec python3 "$(dirname "$0")/tracker_protocol_test.py"
