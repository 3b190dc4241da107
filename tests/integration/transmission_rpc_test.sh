#!/bin/sh
# transmission-remote is a binary from transmission-cli: any python3 runs the test.
exec python3 "$(dirname "$0")/transmission_rpc_test.py"
