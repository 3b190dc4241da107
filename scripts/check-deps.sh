#!/bin/sh
# Checks, before anything is compiled, that the build dependencies are there,
# and names the Debian packages that provide whatever is missing in one line.
# usage: scripts/check-deps.sh CXX [tests]
cxx=${1:-g++}
missing=""
command -v "$cxx" >/dev/null 2>&1 || missing="$missing g++"
if command -v "$cxx" >/dev/null 2>&1; then
    printf '#include <openssl/evp.h>\nint main(){return 0;}\n' | "$cxx" -x c++ -fsyntax-only - 2>/dev/null ||
        missing="$missing libssl-dev"
    if [ "$2" = tests ]; then
        printf '#include <gtest/gtest.h>\nint main(){return 0;}\n' | "$cxx" -x c++ -fsyntax-only - 2>/dev/null ||
            missing="$missing libgtest-dev"
    fi
fi
if [ -n "$missing" ]; then
    echo "mtorrent: missing build dependencies; install them with: apt-get install -y make$missing" >&2
    exit 1
fi
exit 0
