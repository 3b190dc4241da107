"""One libtorrent peer of bench/wan (seeder or leecher), in its own process
and network namespace: Debian's /usr/bin/python3 with python3-libtorrent.

usage: lt_peer.py TORRENT SAVE_PATH BIND_IP PORT MARKER

Settings: bench/get_helper.py's lt_settings, bound to the namespace's
address: DHT, LSD, UPnP, NAT-PMP and uTP off, no default plugins (so no
ut_pex), min_announce_interval 1 (follow the tracker's short interval).
Writes {"t": time, "cpu": user+sys} to MARKER (atomically) once it seeds
(polled every 20 ms), then keeps seeding until SIGTERM.
"""
import json
import os
import resource
import signal
import sys
import time

import libtorrent as lt

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from get_helper import lt_settings  # noqa: E402


def main(torrent, save_path, ip, port, marker):
    ses = lt.session(lt_settings(port, ip), 0)  # flags=0: no ut_pex, no DHT/LSD/UPnP/NAT-PMP
    handle = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save_path})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    done = False
    while True:
        for a in ses.pop_alerts():
            print(a.message(), flush=True)
        if not done and handle.status().is_seeding:
            ru = resource.getrusage(resource.RUSAGE_SELF)
            with open(marker + ".tmp", "w") as f:
                json.dump({"t": time.time(), "cpu": ru.ru_utime + ru.ru_stime}, f)
            os.rename(marker + ".tmp", marker)
            done = True
        ses.wait_for_alert(20 if not done else 500)


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
