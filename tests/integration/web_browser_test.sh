#!/bin/sh
# Debian's python3-selenium lives in the system Python: use the first
# python3 that has it (a pyenv or venv python3 may come first in PATH).
for py in python3 /usr/bin/python3; do
    if "$py" -c 'import selenium' 2>/dev/null; then
        exec "$py" "$(dirname "$0")/web_browser_test.py"
    fi
done
exec python3 "$(dirname "$0")/web_browser_test.py"
