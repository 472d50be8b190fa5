#!/usr/bin/env python3
"""hostile_smtpd.py - an SMTP server that misbehaves on purpose, for tests.

Usage: hostile_smtpd.py MODE ADDRESS [PORT]

Serves connections one at a time on ADDRESS:PORT (default 25) and plays
MODE, one of the misbehaviours a probe must survive with a finding and
within its deadline:

  tarpit          sends its greeting one byte every 0.5 s
  huge_greeting   a 1 MB greeting line
  endless         an endless multi-line reply ("220-..." forever)
  bad_code        a reply code that is not three digits
  garbage         8-bit garbage and NUL bytes as the greeting
  close_starttls  answers STARTTLS with 220, then closes
  garbage_tls     answers STARTTLS with 220, then sends garbage TLS records
  silent_ehlo     greets, then never answers EHLO

Test-only code: every send is bounded, the process runs until killed.
"""
import os
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


def ehlo_then(conn, after_starttls):
    conn.sendall(b"220 hostile.sender.test ESMTP\r\n")
    while True:
        line = readline(conn)
        if line is None:
            return
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            conn.sendall(b"250-hostile.sender.test\r\n250 STARTTLS\r\n")
        elif cmd == b"STARTTLS":
            conn.sendall(b"220 go ahead\r\n")
            after_starttls(conn)
            return
        elif cmd == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"502 no\r\n")


def serve(conn):
    deadline = time.monotonic() + 60  # never hold a connection for long
    if MODE == "tarpit":
        for b in b"220 slow.sender.test ESMTP\r\n":
            if time.monotonic() > deadline:
                return
            conn.sendall(bytes([b]))
            time.sleep(0.5)
    elif MODE == "huge_greeting":
        conn.sendall(b"220 " + b"A" * (1 << 20) + b"\r\n")
        time.sleep(5)
    elif MODE == "endless":
        chunk = b"220-and more\r\n" * 1000
        while time.monotonic() < deadline:
            conn.sendall(chunk)
    elif MODE == "bad_code":
        conn.sendall(b"2x0 what is a code\r\n")
        time.sleep(5)
    elif MODE == "garbage":
        conn.sendall(b"220 \xff\xfe\x00\x1b[31m\x80garbage\r\n" + os.urandom(200) + b"\r\n")
        time.sleep(5)
    elif MODE == "close_starttls":
        ehlo_then(conn, lambda c: None)
    elif MODE == "garbage_tls":
        ehlo_then(conn, lambda c: (c.sendall(b"\x16\x03\x03\xff\xff" + os.urandom(4096)), time.sleep(5)))
    elif MODE == "silent_ehlo":
        conn.sendall(b"220 hostile.sender.test ESMTP\r\n")
        time.sleep(30)
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
        try:
            serve(conn)
        except OSError:
            pass
        finally:
            conn.close()


main()
