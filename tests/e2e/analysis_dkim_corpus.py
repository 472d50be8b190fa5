#!/usr/bin/python3
"""analysis_dkim_corpus.py DKIMDIR OUTDIR - the signed-message corpus of
tests/e2e/analysis_dkim.sh, made with dkimpy and the sandbox's keys (see
tests/sandbox/analysis.sh). One OUTDIR/NAME.eml per case."""
import os
import sys
import time

import dkim

keydir, out = sys.argv[1], sys.argv[2]
key = {n: open(os.path.join(keydir, n + ".key"), "rb").read()
       for n in ("s1", "ed", "rsa1024", "rsa512")}

BASE = (b"From: Alice <alice@analysis.test>\r\n"
        b"To: test@mxray.test\r\n"
        b"Subject: mxray DKIM corpus\r\n"
        b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
        b"Message-ID: <corpus@analysis.test>\r\n"
        b"\r\n"
        b"Hello mxray.\r\nSecond line.\r\n")


def sign(msg, sel, dom, k, alg=b"rsa-sha256", canon=(b"relaxed", b"simple"), length=False):
    return dkim.sign(msg, sel, dom, key[k], canonicalize=canon, signature_algorithm=alg,
                     length=length, include_headers=[b"from", b"to", b"subject", b"date",
                                                     b"message-id"]) + msg


cases = {
    "rsa_sha256": sign(BASE, b"s1", b"analysis.test", "s1"),
    "simple_simple": sign(BASE, b"s1", b"analysis.test", "s1", canon=(b"simple", b"simple")),
    "ed25519": sign(BASE, b"ed", b"analysis.test", "ed", alg=b"ed25519-sha256"),
    "rsa_sha1": sign(BASE, b"s1", b"analysis.test", "s1", alg=b"rsa-sha1"),
    "length": sign(BASE, b"s1", b"analysis.test", "s1", length=True),
    "tampered_body": sign(BASE, b"s1", b"analysis.test", "s1").replace(b"Second line.", b"Changed line."),
    "tampered_header": sign(BASE, b"s1", b"analysis.test", "s1").replace(b"Subject: mxray", b"Subject: MXRAY"),
    "missing_key": sign(BASE, b"nokey", b"analysis.test", "s1"),
    "revoked": sign(BASE, b"revoked", b"analysis.test", "s1"),
    "testing": sign(BASE, b"testing", b"analysis.test", "s1"),
    "rsa1024": sign(BASE, b"rsa1024", b"analysis.test", "rsa1024"),
    "rsa512": sign(BASE, b"rsa512", b"analysis.test", "rsa512"),
    "insecure_zone": sign(BASE, b"s1", b"unsigned.test", "s1"),
    "bogus_zone": sign(BASE, b"s1", b"bogus.test", "s1"),
    "delegated": sign(BASE, b"delegated", b"analysis.test", "s1"),
}


class Expired(dkim.DKIM):
    """Signs with t= two days ago and x= one day ago (dkimpy writes no x=)."""
    def gen_header(self, fields, *args, **kw):
        now = int(time.time())
        f = [(n, str(now - 172800).encode() if n == b"t" else v) for n, v in fields]
        f.insert([n for n, _ in f].index(b"h"), (b"x", str(now - 86400).encode()))
        return super().gen_header(f, *args, **kw)


cases["expired"] = Expired(BASE).sign(b"s1", b"analysis.test", key["s1"], include_headers=[
    b"from", b"to", b"subject", b"date", b"message-id"]) + BASE
# Two signatures, one good and one without a key: both must be reported.
m = sign(BASE, b"s1", b"analysis.test", "s1")
cases["mixed"] = dkim.sign(m, b"nokey", b"analysis.test", key["s1"],
                           include_headers=[b"from", b"subject"]) + m
# l= and then text appended by someone else: still verifies, which is the danger.
cases["length_appended"] = cases["length"] + b"Click here: http://evil.example/\r\n"

os.makedirs(out, exist_ok=True)
for name, msg in cases.items():
    with open(os.path.join(out, name + ".eml"), "wb") as f:
        f.write(msg)
print(len(cases))
