#!/usr/bin/env bash
# Our client through opentracker (HTTP and UDP); our .mtorrent in transmission-show.
exec /usr/bin/python3 "$(dirname "$0")/opentracker_test.py"
