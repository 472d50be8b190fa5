#!/usr/bin/env python3
"""tcp_relay.py - a TCP relay for the fault tests: connections to
LISTEN_ADDR:LISTEN_PORT are passed on to TARGET_ADDR:TARGET_PORT, each
after DELAY seconds (default 0), and each accepted connection prints a
line "submission" (tests/e2e/fault_reply.sh counts them).

Usage: tcp_relay.py LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT [DELAY]

Runs until killed; callers bound it with timeout(1) and stop it by PID.
"""
import socket
import sys
import threading
import time


def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(c, target, delay):
    time.sleep(delay)
    try:
        u = socket.create_connection(target)
    except OSError:
        c.close()
        return
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    pump(u, c)


def main():
    src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.listen(8)
    while True:
        c, _ = s.accept()
        print("submission", flush=True)
        threading.Thread(target=serve, args=(c, (dst, dport), delay), daemon=True).start()


if __name__ == "__main__":
    main()
