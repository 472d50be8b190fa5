#!/usr/bin/env python3
"""flavour_smtpd.py - SMTP servers with one known trait each, for the
inbound probe's tests (tests/e2e/probe_inbound.sh).

Usage: flavour_smtpd.py MODE ADDRESS [PORT]

  masked    a greeting masked with asterisks (firewall SMTP inspection);
            EHLO lists no STARTTLS
  greet421  "421 4.7.0 busy" as the greeting, then closes
  delay     waits 30 s before its greeting
  authplain AUTH PLAIN LOGIN offered, no STARTTLS

Serves connections one at a time; every wait is bounded; runs until
killed. It never reads past QUIT and answers any other verb with 502, so a
probe that sent MAIL/RCPT/DATA/AUTH would show in its log.
"""
import socket
import sys
import time

MODE, ADDR = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 25


def readline(conn, limit=4096):
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = conn.recv(1)
        if not chunk:
            return None
        data += chunk
    return data


def dialogue(conn, greeting, ehlo_lines):
    conn.sendall(greeting)
    for _ in range(20):
        line = readline(conn)
        if line is None:
            return
        cmd = line.strip().upper()
        print("C:", line.strip().decode("latin-1"), flush=True)
        if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
            conn.sendall(ehlo_lines)
        elif cmd == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"502 5.5.1 not here\r\n")


def serve(conn):
    if MODE == "masked":
        dialogue(conn, b"220 *************************************************\r\n",
                 b"250-mxmasked.probe.test\r\n250 XXXXXXXA\r\n")
    elif MODE == "greet421":
        conn.sendall(b"421 4.7.0 mx421.probe.test too busy, try later\r\n")
    elif MODE == "delay":
        time.sleep(30)
        dialogue(conn, b"220 mxdelay.probe.test ESMTP\r\n", b"250 mxdelay.probe.test\r\n")
    elif MODE == "authplain":
        dialogue(conn, b"220 mxauth.probe.test ESMTP\r\n",
                 b"250-mxauth.probe.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
    else:
        sys.exit("unknown mode " + MODE)


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ADDR, PORT))
    srv.listen(4)
    print("listening", MODE, ADDR, PORT, flush=True)
    while True:
        conn, _ = srv.accept()
        conn.settimeout(40)
        try:
            serve(conn)
        except OSError:
            pass
        finally:
            conn.close()


main()
