#!/bin/sh
# report_reply.sh - the reply mail, as `mxray render --format mail` builds
# it with the reporter's own code (reply_compose), checked by independent
# parsers: Python's email package for the MIME structure and dkimpy
# (Debian's python3-dkim) for the signature, with the public key handed
# in directly (no DNS). Asserts: multipart/alternative with a text/plain
# and a text/html part, the grade in the Subject and both parts, the link
# in both; unsigned without a key; a valid rsa-sha256 and ed25519-sha256
# signature with one (d= the From domain or [mail] dkim_domain); a changed
# body no longer verifies; a key without a selector is a config error.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

PY=/usr/bin/python3	# Debian's, where python3-dkim lives
WORK=$(mktemp -d /tmp/mxray-reply-XXXXXX)
trap 'if [ "$E2E_FAILED" -gt 0 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi' EXIT INT TERM

openssl genrsa -out "$WORK/rsa.pem" 2048 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$WORK/ed.pem" 2>/dev/null
openssl pkey -in "$WORK/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0 >"$WORK/rsa.pub"
openssl pkey -in "$WORK/ed.pem" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0 >"$WORK/ed.pub"
base="[report]
base_url = https://mxray.example
[mail]
from = mxray <mxray@mxray.test>"
printf '%s\n' "$base" >"$WORK/plain.conf"
printf '%s\ndkim_key = %s\ndkim_selector = r1\n' "$base" "$WORK/rsa.pem" >"$WORK/rsa.conf"
printf '%s\ndkim_key = %s\ndkim_selector = e1\ndkim_domain = sign.test\n' "$base" "$WORK/ed.pem" >"$WORK/ed.conf"
printf '%s\ndkim_key = %s\n' "$base" "$WORK/rsa.pem" >"$WORK/noselector.conf"

for k in plain rsa ed; do
	# With an Ed25519 key libopendkim leaks its loaded key (tests/lsan.supp):
	# the sanitized run suppresses that one leak, with whole stacks to match it.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" \
	LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
		"$E2E_BIN/mxray" render -c "$WORK/$k.conf" --format mail tests/unit/report/sample_report.json \
		>"$WORK/$k.eml" 2>"$WORK/$k.err" || not_ok "${k}_reply_composed" "$(cat "$WORK/$k.err")"
done

# MIME structure, by Python's parser.
if out=$($PY - "$WORK/plain.eml" <<'PY'
import sys
from email import policy
from email.parser import BytesParser
m = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
assert m.get_content_type() == "multipart/alternative", m.get_content_type()
parts = [p.get_content_type() for p in m.iter_parts()]
assert parts == ["text/plain", "text/html"], parts
assert not m.defects and all(not p.defects for p in m.iter_parts()), m.defects
assert m["Subject"] == "mxray report for sender.test: grade A", m["Subject"]
assert m["Auto-Submitted"] == "auto-replied"
assert "DKIM-Signature" not in m
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
link = "https://mxray.example/r/Qk3vY2lfN0dtR1hKa2pVcG9XbE5xZz09"
assert link in text and ('href="%s"' % link) in html
assert "Grade:         A" in text and "Grade: A</p>" in html
assert "Certificate not trusted" in text and "<b>Certificate not trusted</b>" in html
assert "<script" not in html and "src=" not in html
print("%d/%d" % (len(text), len(html)))
PY
); then ok "reply_is_multipart_alternative (text/html bytes $out)"; else
	not_ok reply_is_multipart_alternative "$out"; fi

# verify FILE SELECTOR DOMAIN KEYTYPE PUBFILE [tamper]: dkimpy's verdict.
verify() {
	$PY - "$@" <<'PY'
import sys, dkim
path, sel, dom, kt, pubfile = sys.argv[1:6]
msg = open(path, "rb").read()
if len(sys.argv) > 6:
    msg = msg.replace(b"Grade: A</p>", b"Grade: F</p>", 1)
pub = open(pubfile).read().strip()
want = ("%s._domainkey.%s." % (sel, dom)).encode()
def dns(name, timeout=5):
    return ("v=DKIM1; k=%s; p=%s" % (kt, pub)).encode() if name == want else None
sys.exit(0 if dkim.verify(msg, dnsfunc=dns) else 1)
PY
}
head -n 1 "$WORK/rsa.eml" | grep -q '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=mxray.test; s=r1;' &&
	ok rsa_signature_header || not_ok rsa_signature_header "$(head -n 1 "$WORK/rsa.eml")"
check rsa_signature_verifies verify "$WORK/rsa.eml" r1 mxray.test rsa "$WORK/rsa.pub"
if verify "$WORK/rsa.eml" r1 mxray.test rsa "$WORK/rsa.pub" tamper; then
	not_ok tampered_reply_fails "a changed body still verified"
else
	ok tampered_reply_fails
fi
if verify "$WORK/rsa.eml" r1 mxray.test rsa "$WORK/ed.pub" 2>/dev/null; then
	not_ok wrong_key_fails "verified with another key"
else
	ok wrong_key_fails
fi
head -n 1 "$WORK/ed.eml" | grep -q 'a=ed25519-sha256; c=relaxed/relaxed; d=sign.test; s=e1;' &&
	ok ed25519_signature_header || not_ok ed25519_signature_header "$(head -n 1 "$WORK/ed.eml")"
check ed25519_signature_verifies verify "$WORK/ed.eml" e1 sign.test ed25519 "$WORK/ed.pub"

if "$E2E_BIN/mxray" render -c "$WORK/noselector.conf" --format mail \
	tests/unit/report/sample_report.json >/dev/null 2>"$WORK/noselector.err"; then
	not_ok key_without_selector_refused "rendered anyway"
else
	contains key_without_selector_refused "$WORK/noselector.err" "dkim_selector is empty"
fi
e2e_done
