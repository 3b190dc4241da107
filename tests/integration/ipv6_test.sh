#!/bin/sh
exec python3 "$(dirname "$0")/ipv6_test.py"
