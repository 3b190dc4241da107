#!/usr/bin/env bash
# Folder torrents between bin/client and real clients (aria2c, libtorrent, transmission-cli).
exec /usr/bin/python3 "$(dirname "$0")/folder_interop_test.py" "$@"
