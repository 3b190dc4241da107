#!/bin/sh
exec python3 "$(dirname "$0")/dht_test.py"
