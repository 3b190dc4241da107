#!/bin/sh
exec python3 "$(dirname "$0")/swarm_test.py"
