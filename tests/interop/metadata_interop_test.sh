#!/usr/bin/env bash
# Magnet links (BEP 9/10) between our client and libtorrent / aria2c, through our trackers.
exec /usr/bin/python3 "$(dirname "$0")/metadata_interop_test.py"
