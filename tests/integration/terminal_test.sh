#!/bin/sh
# Debian's python3 (python3-pyte: a terminal emulator reads the screen).
exec /usr/bin/python3 "$(dirname "$0")/terminal_test.py"
