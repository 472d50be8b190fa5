#!/bin/sh
# analysis_dkim.sh - the signed-message corpus: messages signed by dkimpy
# with keys published in the sandbox zones (analysis.test, and the sandbox
# key under unsigned.test and bogus.test), each verified by
# `mxray analyze` against the sandbox DNS; the mixed one also through real
# Postfix and the milter. Asserts the result, the key facts and the
# finding an admin would act on for each corner: rsa-sha256 (relaxed and
# simple), ed25519, rsa-sha1 (fails, RFC 8301), l= (and text appended
# after signing still passes: the finding says why that is bad), tampered
# body and header, missing key, revoked key, t=y, a key delegated by CNAME,
# 1024-bit (warns) and 512-bit (fails) RSA, a key in an insecure zone, a
# key in a bogus zone
# (temperror, never pass), two signatures with mixed results, and the
# [milter] limits on header fields and body bytes (and a field too long
# for libopendkim to verify).
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

signing_sandbox_up nacl

n=$(/usr/bin/python3 tests/e2e/analysis_dkim_corpus.py "$SANDBOX/dkim" "$work/corpus" 2>"$work/corpus.err")
[ "${n:-0}" -ge 16 ] && ok "corpus_of_${n}_messages_signed" ||
	{ not_ok corpus_signed "$(tail -n 3 "$work/corpus.err")"; exit 1; }

# sig FILE I KEY: message.dkim.I.KEY
sig() { json_get "$1" "message.dkim.$2.$3"; }
# sig_findings FILE I: the finding ids of signature I
sig_findings() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["message"]["dkim"][int(sys.argv[2])]; print(" ".join(f["id"] for f in d.get("findings", [])))' "$1" "$2" 2>/dev/null
}

# case  result  key_bits  key_dnssec  finding (- for none)  reason-part (- for none)
# (expired: libopendkim stops at the x= in the past before it reads the key)
while read -r name want bits dnssec finding reason; do
	out=$work/$name.json
	"$MXRAY" analyze -c "$SANDBOX_CONF" --format json "$work/corpus/$name.eml" >"$out" 2>"$out.err"
	rc=$?
	got=$(sig "$out" 0 result)
	[ "$rc" = 0 ] && [ "$got" = "$want" ] && ok "dkim_${name}_is_$want" ||
		not_ok "dkim_${name}_is_$want" "rc=$rc result=$got reason=$(sig "$out" 0 reason) $(head -c 200 "$out.err")"
	g="$(sig "$out" 0 key_bits)/$(sig "$out" 0 key_dnssec)"
	[ "$g" = "$bits/$dnssec" ] && ok "dkim_${name}_key_${bits}_bits_dnssec_$dnssec" ||
		not_ok "dkim_${name}_key_${bits}_bits_dnssec_$dnssec" "got $g"
	if [ "$finding" != - ]; then
		case " $(sig_findings "$out" 0) " in
		*" $finding "*) ok "dkim_${name}_finding_$finding" ;;
		*) not_ok "dkim_${name}_finding_$finding" "findings: $(sig_findings "$out" 0)" ;;
		esac
	fi
	if [ "$reason" != - ]; then
		r=$(sig "$out" 0 reason)
		words=$(echo "$reason" | tr _ ' ')
		case "$r" in
		*"$words"*) ok "dkim_${name}_reason_says_$reason" ;;
		*) not_ok "dkim_${name}_reason_says_$reason" "reason: $r" ;;
		esac
	fi
done <<'EOF'
rsa_sha256 pass 2048 secure dkim.pass -
simple_simple pass 2048 secure dkim.pass -
ed25519 pass 256 secure dkim.pass -
rsa_sha1 fail 2048 secure dkim.rsa_sha1 RFC_8301
length pass 2048 secure dkim.body_length -
length_appended pass 2048 secure dkim.body_length -
tampered_body fail 2048 secure dkim.fail body_hash_mismatch
tampered_header fail 2048 secure dkim.fail -
missing_key permerror null secure dkim.key_missing key_not_found
revoked permerror null secure dkim.key_revoked revoked
testing pass 2048 secure dkim.key_testing -
rsa1024 pass 1024 secure dkim.key_weak -
rsa512 fail 512 secure dkim.key_too_small RFC_8301
insecure_zone pass 2048 insecure dkim.pass -
bogus_zone temperror null bogus dkim.key_dnssec_bogus DNSSEC_validation
delegated pass 2048 secure dkim.pass -
expired permerror null secure dkim.expired signature_expired
EOF

# The tags of a signature as the report shows them (i=, t=, x=) and the
# body hash compared against bh=.
c=$work/rsa_sha256.json
[ "$(sig "$c" 0 identity)" = "@analysis.test" ] && ok dkim_identity_shown || not_ok dkim_identity_shown "identity $(sig "$c" 0 identity)"
case "$(sig "$c" 0 timestamp)" in
[1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]*) ok dkim_timestamp_shown ;;
*) not_ok dkim_timestamp_shown "timestamp $(sig "$c" 0 timestamp)" ;;
esac
[ "$(sig "$c" 0 body_hash)" = match ] && ok dkim_body_hash_match || not_ok dkim_body_hash_match "body_hash $(sig "$c" 0 body_hash)"
[ "$(sig "$work/tampered_body.json" 0 body_hash)" = mismatch ] && ok dkim_body_hash_mismatch ||
	not_ok dkim_body_hash_mismatch "body_hash $(sig "$work/tampered_body.json" 0 body_hash)"
# a changed header fails the signature before libopendkim compares the body
[ "$(sig "$work/tampered_header.json" 0 body_hash)" = null ] && ok dkim_tampered_header_body_not_compared ||
	not_ok dkim_tampered_header_body_not_compared "body_hash $(sig "$work/tampered_header.json" 0 body_hash)"
# and on the page
"$MXRAY" analyze -c "$SANDBOX_CONF" --format html "$work/corpus/length.eml" >"$work/length.html" 2>/dev/null
contains page_dkim_body_length_warns "$work/length.html" "bytes: anyone can append to the body and the signature still verifies"
"$MXRAY" analyze -c "$SANDBOX_CONF" --format html "$work/corpus/tampered_body.eml" >"$work/tampered_body.html" 2>/dev/null
contains page_dkim_body_hash_mismatch "$work/tampered_body.html" "does not match: the body changed after signing"
"$MXRAY" analyze -c "$SANDBOX_CONF" --format html "$work/corpus/rsa_sha256.eml" >"$work/rsa_sha256.html" 2>/dev/null
contains page_dkim_body_hash_match "$work/rsa_sha256.html" "matches the body as received"
x=$(sig "$work/expired.json" 0 expires) t=$(sig "$work/expired.json" 0 timestamp)
[ -n "$x" ] && [ "$x" -lt "$(date +%s)" ] && [ "$t" -lt "$x" ] && ok dkim_expired_x_in_the_past ||
	not_ok dkim_expired_x_in_the_past "t=$t x=$x"
out=$work/delegated.json
[ "$(sig "$out" 0 key_cname)" = s1._domainkey.sender.test ] && ok dkim_key_delegation_by_cname_shown ||
	not_ok dkim_key_delegation_by_cname_shown "key_cname '$(sig "$out" 0 key_cname)'"
[ -z "$(sig "$work/rsa_sha256.json" 0 key_cname)" ] && ok dkim_key_without_cname_has_none ||
	not_ok dkim_key_without_cname_has_none "key_cname '$(sig "$work/rsa_sha256.json" 0 key_cname)'"
out=$work/ed25519.json
[ "$(sig "$out" 0 key_type)" = ed25519 ] && ok dkim_ed25519_key_type_shown || not_ok dkim_ed25519_key_type_shown "$(sig "$out" 0 key_type)"
out=$work/length.json
[ "$(sig "$out" 0 body_length)" = 28 ] && ok dkim_length_l_value_shown || not_ok dkim_length_l_value_shown "$(sig "$out" 0 body_length)"
out=$work/simple_simple.json
[ "$(sig "$out" 0 canonicalization)" = simple/simple ] && ok dkim_canonicalization_shown ||
	not_ok dkim_canonicalization_shown "$(sig "$out" 0 canonicalization)"
[ "$(json_get "$out" message.dkim.0.headers.0)" = from ] && ok dkim_signed_header_list_shown ||
	not_ok dkim_signed_header_list_shown "$(sig "$out" 0 headers)"
# The bogus key never passes and DMARC cannot pass on it.
out=$work/bogus_zone.json
[ "$(json_get "$out" message.dmarc.result)" != pass ] && ok dkim_bogus_zone_gives_no_dmarc_pass ||
	not_ok dkim_bogus_zone_gives_no_dmarc_pass "dmarc $(json_get "$out" message.dmarc.result)"
# The same message through mxray analyze --format html names the problem.
"$MXRAY" analyze -c "$SANDBOX_CONF" --format html "$work/corpus/rsa_sha1.eml" >"$work/rsa_sha1.html" 2>/dev/null
contains dkim_rsa_sha1_in_html "$work/rsa_sha1.html" "rsa-sha1"

# Bounds ([milter] max_body_bytes, max_headers): a body cut short makes a
# whole-body signature neutral (never a false fail), one with l= inside
# what was read keeps its pass; fields over the count are reported.
printf '[milter]\nmax_body_bytes = 16\n' | cat "$SANDBOX_CONF" - >"$work/small-body.conf"
printf '[milter]\nmax_headers = 2\n' | cat "$SANDBOX_CONF" - >"$work/few-headers.conf"
out=$work/cut_body.json
"$MXRAY" analyze -c "$work/small-body.conf" --format json "$work/corpus/rsa_sha256.eml" >"$out" 2>"$out.err"
r="$(sig "$out" 0 result): $(sig "$out" 0 reason)"
case "$r" in
"neutral: not verified: the body has "*" bytes and only the first 16 were read"*) ok limits_body_cut_signature_neutral ;;
*) not_ok limits_body_cut_signature_neutral "$r $(head -c 200 "$out.err")" ;;
esac
json_get "$out" message.limits.findings | grep -q '"message.limits.body"' && ok limits_body_finding ||
	not_ok limits_body_finding "$(json_get "$out" message.limits)"
printf '[milter]\nmax_body_bytes = 64\n' | cat "$SANDBOX_CONF" - >"$work/l-body.conf"
out=$work/cut_length.json
"$MXRAY" analyze -c "$work/l-body.conf" --format json "$work/corpus/length_appended.eml" >"$out" 2>/dev/null
[ "$(sig "$out" 0 result)" = pass ] && ok limits_l_within_read_keeps_pass ||
	not_ok limits_l_within_read_keeps_pass "$(sig "$out" 0 result): $(sig "$out" 0 reason)"
out=$work/few_headers.json
"$MXRAY" analyze -c "$work/few-headers.conf" --format json "$work/corpus/rsa_sha256.eml" >"$out" 2>/dev/null
n=$(json_get "$out" message.limits.headers_not_read)
[ "${n:-0}" -ge 1 ] && json_get "$out" message.limits.findings | grep -q '"message.limits.headers"' &&
	ok "limits_headers_over_count_reported ($n not read)" ||
	not_ok limits_headers_over_count_reported "$(json_get "$out" message.limits)"

# With [milter] max_header_bytes raised to 128k a 70000-byte signed field
# is read, but libopendkim verifies fields of at most 65535 bytes: the
# signature is neutral with the reason and the field counted, never a
# false fail.
/usr/bin/python3 - "$SANDBOX/dkim/s1.key" "$work/long_field.eml" <<'PY'
import sys, dkim
key, out = sys.argv[1:3]
subject = b"Subject: " + b"x" * 70000
msg = (b"From: Alice <alice@analysis.test>\r\nTo: test@mxray.test\r\n" + subject +
       b"\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n")
msg = dkim.sign(msg, b"s1", b"analysis.test", open(key, "rb").read(),
                include_headers=[b"from", b"to", b"subject", b"date"]) + msg

open(out, "wb").write(msg)
PY
printf '[milter]\nmax_header_bytes = 128k\n' | cat "$SANDBOX_CONF" - >"$work/long-fields.conf"
out=$work/long_field.json
"$MXRAY" analyze -c "$work/long-fields.conf" --format json "$work/long_field.eml" >"$out" 2>"$out.err"
r="$(sig "$out" 0 result): $(sig "$out" 0 reason)"
case "$r" in
"neutral: not verified: the signed subject field has "*" bytes, more than the 65535 libopendkim can verify"*)
	ok limits_field_too_long_for_dkim_is_neutral ;;
*) not_ok limits_field_too_long_for_dkim_is_neutral "$r $(head -c 200 "$out.err")" ;;
esac
[ "$(json_get "$out" message.limits.dkim_fields_too_long)" = 1 ] &&
	json_get "$out" message.limits.findings | grep -q 'too long for DKIM verification' &&
	ok limits_field_too_long_for_dkim_reported || not_ok limits_field_too_long_for_dkim_reported "$(json_get "$out" message.limits)"

# Two signatures, both reported: through mxray analyze, and through Postfix.
out=$work/mixed.json
"$MXRAY" analyze -c "$SANDBOX_CONF" --format json "$work/corpus/mixed.eml" >"$out" 2>/dev/null
r="$(sig "$out" 0 selector)=$(sig "$out" 0 result) $(sig "$out" 1 selector)=$(sig "$out" 1 result)"
[ "$r" = "nokey=permerror s1=pass" ] && ok dkim_mixed_both_signatures_reported || not_ok dkim_mixed_both_signatures_reported "$r"
id="<corpus@analysis.test>"
if swaks --server "$SMTP_IN" --local-interface "$CLIENT_ADDR" --ehlo client.sender.test \
	--from alice@analysis.test --to test@mxray.test --data "$work/corpus/mixed.eml" \
	--timeout 30 >"$work/swaks.log" 2>&1; then
	job=$work/job-mixed.json
	for _ in $(seq 1 50); do
		redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR#*:}" --raw XRANGE mxray:jobs - + |
			grep -F "$id" | head -n1 >"$job"
		[ -s "$job" ] && break
		sleep 0.2
	done
	r="$(sig "$job" 0 selector)=$(sig "$job" 0 result) $(sig "$job" 1 selector)=$(sig "$job" 1 result)"
	[ "$r" = "nokey=permerror s1=pass" ] && ok milter_dkim_mixed_both_signatures_reported ||
		not_ok milter_dkim_mixed_both_signatures_reported "$r"
	[ "$(sig "$job" 1 key_bits)" = 2048 ] && ok milter_dkim_key_bits_in_job || not_ok milter_dkim_key_bits_in_job "$(sig "$job" 1 key_bits)"
else
	not_ok milter_dkim_mixed_sent "$(tail -n 3 "$work/swaks.log")"
fi
e2e_done
