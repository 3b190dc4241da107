"""One libtorrent peer of bench/wan (seeder or leecher), in its own process
and network namespace: Debian's /usr/bin/python3 with python3-libtorrent.

usage: lt_peer.py TORRENT SAVE_PATH BIND_IP PORT MARKER

Settings as bench/get_helper.py's lt_settings, bound to the namespace's
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


def main(torrent, save_path, ip, port, marker):
    settings = {
        "listen_interfaces": "%s:%d" % (ip, port),
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "min_announce_interval": 1,
        "alert_mask": lt.alert.category_t.error_notification,
    }
    ses = lt.session(settings, 0)  # flags=0: no ut_pex, no DHT/LSD/UPnP/NAT-PMP start-up
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
