#!/usr/bin/env bash
# Self-test of tests/check_layers.sh: a clean little tree passes, and each
# kind of violation, planted alone, fails it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
fails=0
tree() {
    t=$(mktemp -d)
    mkdir -p "$t"/common "$t"/tracker "$t"/client/{create,trackers,engine,session,cli}
    echo '#include "common/b.h"' >"$t/common/a.h"
    echo '#include "common/a.h"' >"$t/tracker/t.cpp"
    echo '#include "client/create/h.h"' >"$t/client/engine/torrent.cpp"
    echo '#include "client/engine/torrent.h"' >"$t/client/session/session.cpp"
    echo '#include "client/session/session.h"' >"$t/client/cli/get.cpp"
    echo '#include "client/cli/get.h"' >"$t/client/main.cpp"
    echo "$t"
}
expect() {  # expect <0|1> <name> <file> <line to add>
    t=$(tree)
    if [ -n "$3" ]; then mkdir -p "$(dirname "$t/$3")"; echo "$4" >>"$t/$3"; fi
    bash "$here/check_layers.sh" "$t" >/dev/null
    rc=$?
    if [ "$rc" -eq "$1" ]; then echo "$2: ok"; else echo "$2: FAIL (exit $rc, want $1)"; fails=1; fi
    rm -rf "$t"
}
expect 0 clean_tree "" ""
expect 1 common_includes_client common/a.h '#include "client/engine/torrent.h"'
expect 1 common_includes_tracker common/a.h '#include "tracker/service.h"'
expect 1 tracker_includes_client tracker/t.cpp '#include "client/engine/torrent.h"'
expect 1 client_includes_tracker client/engine/torrent.cpp '#include "tracker/service.h"'
expect 1 engine_includes_session client/engine/torrent.cpp '#include "client/session/session.h"'
expect 1 engine_includes_cli client/engine/torrent.cpp '#include "client/cli/get.h"'
expect 1 session_includes_cli client/session/session.cpp '#include "client/cli/get.h"'
expect 1 session_includes_web client/session/session.cpp '#include "client/web/web_server.h"'
expect 1 web_includes_cli client/web/web_server.cpp '#include "client/cli/get.h"'
expect 0 cli_includes_web client/cli/get.cpp '#include "client/web/web_server.h"'
expect 1 module_outside_subsystem client/loose.cpp '#include "common/a.h"'
expect 1 unknown_subsystem client/misc/x.cpp '#include "common/a.h"'
exit $fails
