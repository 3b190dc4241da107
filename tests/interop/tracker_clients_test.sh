#!/usr/bin/env bash
# Real clients (aria2c, transmission-cli, libtorrent) through our trackers.
exec /usr/bin/python3 "$(dirname "$0")/tracker_clients_test.py"
