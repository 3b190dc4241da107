#!/usr/bin/env bash
# Our DHT node with libtorrent's and aria2's on loopback, trackers down.
exec /usr/bin/python3 "$(dirname "$0")/dht_interop_test.py"
