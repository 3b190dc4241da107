#!/bin/sh
exec python3 "$(dirname "$0")/prompt_test.py"
