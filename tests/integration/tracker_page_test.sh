#!/usr/bin/env bash
# The tracker's page in headless Chromium (see the .py file). Debian's
# python3-selenium is installed for the system's python3: use it when the
# python3 first on PATH (a pyenv, a venv) lacks selenium.
py=python3
if ! python3 -c 'import selenium' 2>/dev/null && /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
    py=/usr/bin/python3
fi
exec "$py" "$(dirname "$0")/tracker_page_test.py" "$@"
