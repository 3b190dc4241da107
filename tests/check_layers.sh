#!/usr/bin/env bash
# The layer rules of docs/ARCHITECTURE.md, checked on every #include "...":
#   common/   includes nothing from client/ or tracker/;
#   client/ and tracker/ do not include each other;
#   inside client/, a subsystem includes only its own layer and lower ones:
#       create < trackers, dht < engine < session < web < cli < main.cpp
#   (the engine never sees the session or the command line; the session
#   never sees the web server or the command line), and every module sits in a subsystem.
# Prints every violation as file:line and exits 1 if there is one.
set -u
cd "${1:-$(dirname "$0")/..}"  # the tree to check (its self-test passes another)
rank() {
    case "$1" in
        create) echo 0 ;; trackers | dht) echo 1 ;; engine) echo 2 ;; session) echo 3 ;;
        web) echo 4 ;; cli) echo 5 ;; main) echo 6 ;; *) echo -1 ;;
    esac
}
bad=0
violation() { echo "layers: $1: $2"; bad=1; }

while IFS=: read -r file line text; do
    inc=${text#*\"}
    inc=${inc%%\"*}
    case "$file" in
        common/*)
            case "$inc" in client/* | tracker/*) violation "$file:$line" "common/ includes $inc" ;; esac ;;
        tracker/*)
            case "$inc" in client/*) violation "$file:$line" "tracker/ includes $inc" ;; esac ;;
        client/*)
            case "$inc" in tracker/*) violation "$file:$line" "client/ includes $inc" ;; esac
            if [ "$file" = client/main.cpp ]; then from=main; else from=$(echo "$file" | cut -d/ -f2); fi
            case "$inc" in
                client/*/*)
                    to=$(echo "$inc" | cut -d/ -f2)
                    if [ "$(rank "$to")" -lt 0 ]; then
                        violation "$file:$line" "$inc is in no known subsystem"
                    elif [ "$(rank "$to")" -gt "$(rank "$from")" ]; then
                        violation "$file:$line" "$from includes $inc (a higher layer: $to)"
                    fi ;;
                client/*) violation "$file:$line" "$inc is outside every subsystem" ;;
            esac ;;
    esac
done < <(grep -n '^#include "' -r common tracker client --include='*.h' --include='*.cpp')

for f in client/*.h client/*.cpp; do
    [ -e "$f" ] || continue
    [ "$f" = client/main.cpp ] || violation "$f" "a module outside every subsystem (client/<subsystem>/)"
done
for d in client/*/; do
    d=${d%/}
    [ "$(rank "${d#client/}")" -ge 0 ] || violation "$d" "an unknown subsystem: add it to tests/check_layers.sh and docs/ARCHITECTURE.md"
done

if [ $bad -eq 0 ]; then echo "layers: ok"; fi
exit $bad
