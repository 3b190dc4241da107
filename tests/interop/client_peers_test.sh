#!/usr/bin/env bash
# bin/client get/seed against real clients (aria2c, libtorrent) through our trackers.
exec /usr/bin/python3 "$(dirname "$0")/client_peers_test.py"
