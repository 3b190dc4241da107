#!/bin/sh
# Replication and crash safety of the tracker pair (see replication_test.py).
exec python3 "$(dirname "$0")/replication_test.py"
