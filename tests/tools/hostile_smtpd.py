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
  huge_hello      answers the ClientHello with a ServerHello claiming 16 MB
                  and streams 64 KB of it
  short_hello     answers the ClientHello with a ServerHello record cut
                  short, then closes
  long_chain      TLS with the chain in CERTDIR/long_chain.pem (100 certs)
  huge_cert       TLS with the certificate in CERTDIR/huge_cert.pem (64 KB)

For the last two, CERTDIR is the fourth argument (after PORT).

Test-only code: every send is bounded, the process runs until killed.
"""
import os
import socket
import ssl
import sys
import time

MODE, ADDR = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 25
CERTDIR = sys.argv[4] if len(sys.argv) > 4 else None


def read_client_hello(conn):
    """Reads one TLS record (the ClientHello), bounded; None on EOF."""
    head = conn.recv(5)
    if len(head) < 5:
        return None
    want = min(int.from_bytes(head[3:5], "big"), 1 << 14)
    body = b""
    while len(body) < want:
        chunk = conn.recv(want - len(body))
        if not chunk:
            break
        body += chunk
    return head + body


def tls_with(conn, name):
    """Completes a real TLS handshake with CERTDIR/name.pem, then waits."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(CERTDIR, name + ".pem"), os.path.join(CERTDIR, name + ".key"))
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
        tls.settimeout(10)
        tls.recv(1024)  # the client's EHLO, or its close
    except (ssl.SSLError, OSError):
        pass


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
    elif MODE == "huge_hello":
        def huge(c):
            if read_client_hello(c) is None:
                return
            # a handshake record of 16 KB announcing a 16 MB ServerHello,
            # then more records of it
            c.sendall(b"\x16\x03\x03\x40\x00\x02\xff\xff\xff" + os.urandom(16384 - 4))
            for _ in range(3):
                c.sendall(b"\x16\x03\x03\x40\x00" + os.urandom(16384))
            time.sleep(5)
        ehlo_then(conn, huge)
    elif MODE == "short_hello":
        def short(c):
            if read_client_hello(c) is None:
                return
            # record says 80 bytes, 20 come, then the connection closes
            c.sendall(b"\x16\x03\x03\x00\x50\x02\x00\x00\x4c\x03\x03" + os.urandom(14))
        ehlo_then(conn, short)
    elif MODE in ("long_chain", "huge_cert"):
        ehlo_then(conn, lambda c: tls_with(c, MODE))
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
