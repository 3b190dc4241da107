"""The one-TCP-flow probe of bench/wan: a sender and a receiver, each run in
its own peer namespace (`ip netns exec NS python3 probe.py ...`).

usage: probe.py recv BIND_IP PORT   accepts one connection, reads until EOF,
                                    prints {"bytes", "seconds", "mbit",
                                    "mbit_2nd_half"} as JSON (goodput: TCP
                                    payload; "seconds" from the first byte)
       probe.py send IP PORT SECONDS  sends for SECONDS, then closes
"""
import json
import socket
import sys
import time


def recv(ip, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(1)
    print("listening", flush=True)
    c, _ = s.accept()
    n, t0, marks = 0, None, []
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        now = time.time()
        if t0 is None:
            t0 = now
        n += len(b)
        marks.append((now, n))
    t1 = marks[-1][0] if marks else time.time()
    mid = next((m for m in marks if m[0] >= (t0 + t1) / 2), marks[-1]) if marks else (t1, 0)
    secs = max(1e-9, t1 - (t0 or t1))
    print(json.dumps({"bytes": n, "seconds": secs, "mbit": n * 8 / secs / 1e6,
                      "mbit_2nd_half": (n - mid[1]) * 8 / max(1e-9, t1 - mid[0]) / 1e6}), flush=True)


def send(ip, port, seconds):
    s = socket.create_connection((ip, port), timeout=10)
    buf = b"\0" * (1 << 16)
    end = time.time() + seconds
    while time.time() < end:
        s.sendall(buf)
    s.close()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
