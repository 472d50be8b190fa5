#!/usr/bin/env python3
"""hostile_smtpd.py - an SMTP server that misbehaves on purpose, for tests.

Usage: hostile_smtpd.py MODE ADDRESS [PORT]

Serves connections one at a time on ADDRESS:PORT (default 25) and plays
MODE, one of the misbehaviours a probe must survive with a finding and
within its deadline:

  tarpit          sends its greeting one byte every 0.5 s
  tarpit_lines    sends every line, greeting and replies, one byte every
                  $HOSTILE_BYTE_DELAY s (default 0.04): each line comes
                  within a second, the EHLO reply (6 lines) takes 5 s
  huge_greeting   a 1 MB greeting line
  endless         an endless multi-line reply ("220-..." forever)
  bad_code        a reply code that is not three digits
  garbage         8-bit garbage and NUL bytes as the greeting
  close_starttls  answers STARTTLS with 220, then closes
  garbage_tls     answers STARTTLS with 220, then sends garbage TLS records
  stall_tls       answers STARTTLS with 220, reads the ClientHello, then
                  says nothing for 30 s (a handshake that times out)
  silent_ehlo     greets, then never answers EHLO
  huge_hello      answers the ClientHello with a ServerHello claiming 16 MB
                  and streams 64 KB of it
  short_hello     answers the ClientHello with a ServerHello record cut
                  short, then closes
  scan_huge_hello, scan_short_hello, scan_garbage_hello
                  the first connection (the probe's STARTTLS) gets a real
                  handshake with CERTDIR/quirk.pem; every later one (the
                  TLS scan's raw ClientHellos) gets, after STARTTLS, a
                  ServerHello claiming 16 MB, one cut short, or a
                  handshake record of random bytes
  long_chain      TLS with the chain in CERTDIR/long_chain.pem (100 certs)
  huge_cert       TLS with the certificate in CERTDIR/huge_cert.pem (64 KB)
  leaf_only, full_chain, wildcard
                  TLS with CERTDIR/MODE.pem and MODE.key (the inbound
                  probe's certificate cases, tests/sandbox/probe.sh)

For these, CERTDIR is the fourth argument (after PORT).

Scripted TLS servers for the TLS scan (tests/e2e/tls_scan_quirks.sh): the
first connection gets a real handshake with CERTDIR/quirk.pem (the probe's
STARTTLS), every later one a hand-made ServerHello and ServerHelloDone
answering its ClientHello, never a completed handshake; TLS 1.2 with 0xC02F only, other versions
refused with protocol_version:

  heartbleed      echoes the heartbeat extension and answers a heartbeat
                  request that claims more than it carries with "memory"
                  (the marker LEAKED-SERVER-MEMORY)
  heartbeat_ok    echoes the heartbeat extension and discards such a
                  request silently (RFC 6520 4)
  no_scsv         also TLS 1.0 and 1.1 (0xC013) and ignores
                  TLS_FALLBACK_SCSV
  counting        every connection gets a real TLS handshake after
                  STARTTLS (CERTDIR/quirk.pem), served in threads; each
                  change of the number of connections open (from EHLO to
                  their end) is logged as "open N max M"
                  (tests/e2e/scale_out.sh); the greeting comes after
                  $HOSTILE_GREETING_DELAY seconds (default 0.05), the
                  reply to the first EHLO after $HOSTILE_EHLO_DELAY (0)
  busy            the first connection is served; for 1.5 s after the
                  second one every connection gets "421 4.7.0 too many
                  connections" (a rate limit); then served again

Test-only code: every send is bounded, the process runs until killed.
"""
import os
import socket
import ssl
import sys
import threading
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


def ehlo_then(conn, after_starttls, on_ehlo=None):
    """Greets, answers EHLO (calling on_ehlo first), and hands the socket
    to after_starttls once STARTTLS is answered."""
    conn.sendall(b"220 hostile.sender.test ESMTP\r\n")
    while True:
        line = readline(conn)
        if line is None:
            return
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            if on_ehlo:
                on_ehlo()
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


def trickle(conn, data, deadline):
    """Sends data one byte at a time, HOSTILE_BYTE_DELAY apart."""
    delay = float(os.environ.get("HOSTILE_BYTE_DELAY", "0.04"))
    for b in data:
        if time.monotonic() > deadline:
            return False
        conn.sendall(bytes([b]))
        time.sleep(delay)
    return True


def tarpit_lines(conn, deadline):
    """An SMTP server whose every line is trickled (see tarpit_lines)."""
    if not trickle(conn, b"220 tarpit.sender.test ESMTP\r\n", deadline):
        return
    while time.monotonic() < deadline:
        line = readline(conn)
        if line is None:
            return
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
            reply = (b"250-tarpit.sender.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                     b"250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n")
        elif cmd == b"STARTTLS":
            reply = b"220 2.0.0 go ahead, slowly\r\n"
        elif cmd == b"QUIT":
            trickle(conn, b"221 2.0.0 bye\r\n", deadline)
            return
        else:
            reply = b"502 5.5.2 no\r\n"
        if not trickle(conn, reply, deadline) or cmd == b"STARTTLS":
            time.sleep(max(0.0, min(10.0, deadline - time.monotonic())))
            return


def hostile_hello(c):
    """Answers a raw ClientHello as the scan_* MODE says."""
    if read_client_hello(c) is None:
        return
    print("hostile answer to a ClientHello", flush=True)
    if MODE == "scan_huge_hello":
        c.sendall(b"\x16\x03\x03\x40\x00\x02\xff\xff\xff" + os.urandom(16384 - 4))
        for _ in range(3):
            c.sendall(b"\x16\x03\x03\x40\x00" + os.urandom(16384))
        time.sleep(2)
    elif MODE == "scan_short_hello":
        c.sendall(b"\x16\x03\x03\x00\x50\x02\x00\x00\x4c\x03\x03" + os.urandom(14))
    else:
        # a handshake record of 300 random bytes: a ServerHello in name only
        c.sendall(b"\x16\x03\x03\x01\x30\x02\x00\x01\x2c" + os.urandom(300))
        time.sleep(0.5)


LEAK = b"LEAKED-SERVER-MEMORY"
STARTED = {"n": 0, "busy_from": None}


def hello_offer(rec):
    """(client_version, suites) of a ClientHello record, or None."""
    if len(rec) < 5 + 4 + 2 + 32 + 1 or rec[0] != 0x16 or rec[5] != 1:
        return None
    body = rec[9:]
    version = int.from_bytes(body[0:2], "big")
    at = 2 + 32
    at += 1 + body[at]
    if at + 2 > len(body):
        return None
    n = int.from_bytes(body[at:at + 2], "big")
    suites = [int.from_bytes(body[at + 2 + i:at + 4 + i], "big") for i in range(0, n, 2)]
    return version, suites


def record(ctype, version, data):
    return bytes([ctype]) + version.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data


def server_flight(version, suite, heartbeat):
    ext = b"\xff\x01\x00\x01\x00"  # renegotiation_info, empty
    if heartbeat:
        ext += b"\x00\x0f\x00\x01\x01"  # heartbeat: peer_allowed_to_send
    sh = (version.to_bytes(2, "big") + os.urandom(32) + b"\x00" + suite.to_bytes(2, "big") +
          b"\x00" + len(ext).to_bytes(2, "big") + ext)
    msgs = b"\x02" + len(sh).to_bytes(3, "big") + sh + b"\x0e\x00\x00\x00"
    return record(0x16, version, msgs)


def scripted_tls(conn):
    """Answers one ClientHello as MODE says (see the usage above)."""
    rec = read_client_hello(conn)
    offer = hello_offer(rec) if rec else None
    if offer is None:
        return
    version, suites = offer
    spoken = (0x0301, 0x0302, 0x0303) if MODE == "no_scsv" else (0x0303,)
    if version == 0x0303 and 0xC02F in suites:
        suite = 0xC02F
    elif version in spoken and 0xC013 in suites:
        suite = 0xC013  # TLS_FALLBACK_SCSV (0x5600) in the list is ignored
    else:
        # handshake_failure for a version it speaks, else protocol_version
        conn.sendall(record(0x15, 0x0303, b"\x02\x28" if version in spoken else b"\x02\x46"))
        return
    conn.sendall(server_flight(version, suite, MODE in ("heartbleed", "heartbeat_ok")))
    conn.settimeout(5)
    head = conn.recv(5)
    if len(head) == 5 and head[0] == 24:
        body = conn.recv(int.from_bytes(head[3:5], "big"))
        claimed = int.from_bytes(body[1:3], "big") if len(body) >= 3 else 0
        if MODE == "heartbleed" and claimed > len(body) - 3:
            # what a vulnerable OpenSSL does: echo `claimed` bytes from
            # beyond the request, i.e. its own memory
            leak = (LEAK * (claimed // len(LEAK) + 1))[:claimed]
            conn.sendall(record(24, version, b"\x02" + claimed.to_bytes(2, "big") + leak +
                                os.urandom(16)))
        time.sleep(1)


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
    elif MODE == "stall_tls":
        ehlo_then(conn, lambda c: (read_client_hello(c), time.sleep(30)))
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
    elif MODE == "tarpit_lines":
        tarpit_lines(conn, deadline)
    elif MODE in ("scan_huge_hello", "scan_short_hello", "scan_garbage_hello"):
        STARTED["n"] += 1
        if STARTED["n"] == 1:
            ehlo_then(conn, lambda c: tls_with(c, "quirk"))
        else:
            ehlo_then(conn, hostile_hello)
    elif MODE in ("long_chain", "huge_cert", "leaf_only", "full_chain", "wildcard"):
        ehlo_then(conn, lambda c: tls_with(c, MODE))
    elif MODE in ("heartbleed", "heartbeat_ok", "no_scsv", "busy"):
        # The first connection (the probe's own STARTTLS) gets a real
        # handshake with CERTDIR/quirk.pem, so the address is tested and
        # scanned; the scan's connections get the scripted answers.
        STARTED["n"] += 1
        if STARTED["n"] == 1:
            ehlo_then(conn, lambda c: tls_with(c, "quirk"))
            return
        now = time.monotonic()
        if MODE != "busy":
            ehlo_then(conn, scripted_tls)
            return
        if STARTED["n"] == 2:
            STARTED["busy_from"] = now
        if STARTED["busy_from"] is not None and now - STARTED["busy_from"] < 1.5:
            conn.sendall(b"421 4.7.0 busy.sender.test too many connections, try later\r\n")
            return
        ehlo_then(conn, scripted_tls)
    elif MODE == "silent_ehlo":
        conn.sendall(b"220 hostile.sender.test ESMTP\r\n")
        time.sleep(30)
    else:
        sys.exit("unknown mode " + MODE)


OPEN = {"now": 0, "max": 0, "lock": threading.Lock()}


def tally(delta):
    with OPEN["lock"]:
        OPEN["now"] += delta
        OPEN["max"] = max(OPEN["max"], OPEN["now"])
        print("open", OPEN["now"], "max", OPEN["max"], flush=True)


def counted(conn):
    """Serves one connection of the counting mode, keeping the tally.

    A connection counts from its EHLO to its end: the greeting comes 50 ms
    after the accept, so by the time a client that closed one connection
    and opened the next says EHLO, the end of the first has been seen, and
    the tally is what the client held, not this server's own lag."""
    counting = []

    def first_ehlo():
        if not counting:
            counting.append(True)
            tally(+1)
            # held while counted: sessions of clients that run at once
            # overlap in the tally, however short their exchanges
            time.sleep(float(os.environ.get("HOSTILE_EHLO_DELAY", "0")))

    try:
        conn.settimeout(20)
        time.sleep(float(os.environ.get("HOSTILE_GREETING_DELAY", "0.05")))
        ehlo_then(conn, lambda c: tls_with(c, "quirk"), first_ehlo)
    except OSError:
        pass
    finally:
        conn.close()
        if counting:
            tally(-1)


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ADDR, PORT))
    srv.listen(16)
    print("listening", MODE, ADDR, PORT, flush=True)
    while True:
        conn, _ = srv.accept()
        if MODE == "counting":
            threading.Thread(target=counted, args=(conn,), daemon=True).start()
            continue
        try:
            serve(conn)
        except OSError:
            pass
        finally:
            conn.close()


main()
