#!/bin/bash
# selftest.sh - check that a running sandbox is what docs/architecture.md says.
#
# Usage: selftest.sh DIR
# Runs against a sandbox started with "sandbox.sh start DIR [--no-mxray]"
# and prints "ok - NAME" / "not ok - NAME" per check (the tests/run.sh
# convention). DNSSEC validation is checked with unbound-host when it is
# installed (a debugging aid, not a dependency); otherwise skipped.
# With the mxray daemons absent, mail to the test address must be
# tempfailed (milter_default_action = tempfail); with them, accepted.
set -u

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$(cd "$1" && pwd) || exit 2
. "$dir/env"
fails=0
check() {	# check NAME CMD... - run CMD, report ok/not ok
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
has() { grep -q -- "$1"; }
tls() {	# tls ADDR:PORT [openssl args] - the STARTTLS handshake summary
	local a=$1
	shift
	echo QUIT | timeout 10 openssl s_client -starttls smtp -connect "$a" -CAfile "$CA_FILE" "$@" 2>&1
}

export -f tls
export CA_FILE

check "nsd answers with RRSIGs" bash -c "drill -D @$DNS_ADDR sender.test MX | grep -q 'RRSIG'"
check "TLSA of mx1 is the SPKI hash of its certificate" bash -c \
	"drill @$DNS_ADDR _25._tcp.mx1.sender.test TLSA | grep -qi \$(openssl x509 -in '$dir/certs/mx1.sender.test.crt' -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -c1-64)"
if command -v unbound-host >/dev/null; then
	ub=$dir/selftest-unbound.conf
	printf 'server:\n root-hints: "%s"\n trust-anchor-file: "%s"\n do-not-query-localhost: no\n local-zone: "test." nodefault\n do-ip6: no\n' \
		"$ROOT_HINTS" "$TRUST_ANCHOR" >"$ub"
	check "sender.test validates secure" bash -c "unbound-host -C '$ub' -v -t MX sender.test | grep -q '(secure)'"
	check "legacy.test validates secure" bash -c "unbound-host -C '$ub' -v -t MX legacy.test | grep -q '(secure)'"
	check "unsigned.test is insecure" bash -c "unbound-host -C '$ub' -v -t MX unsigned.test | grep -q '(insecure)'"
	check "bogus.test is bogus" bash -c "unbound-host -C '$ub' -v -t MX bogus.test | grep -q '(BOGUS'"
else
	echo "# unbound-host not installed: DNSSEC validation checks skipped"
fi
check "redis answers PING" bash -c "redis-cli -h ${REDIS_ADDR%:*} -p ${REDIS_ADDR#*:} ping | grep -q PONG"
check "mx1: CA-verified certificate" bash -c "tls ${SANDBOX_NET}.1.1:25 | grep -q 'Verify return code: 0'"
check "mx1: refuses TLS 1.1" bash -c "! tls ${SANDBOX_NET}.1.1:25 -tls1_1 -cipher 'ALL:@SECLEVEL=0' | grep -q 'Cipher is [A-Z]'"
check "mx2: self-signed certificate" bash -c "tls ${SANDBOX_NET}.1.2:25 | grep -q 'Verify return code: 18'"
check "nostarttls: no STARTTLS offered" bash -c "tls ${SANDBOX_NET}.1.3:25 | grep -q \"Didn't find STARTTLS\""
check "legacy: accepts TLS 1.0" bash -c "tls ${SANDBOX_NET}.1.4:25 -tls1 -cipher 'ALL:@SECLEVEL=0' | grep -q 'Protocol *: TLSv1\$'"
check "mta-sts policy over https" bash -c "curl -sf --cacert '$CA_FILE' --resolve mta-sts.sender.test:443:${SANDBOX_NET}.0.80 https://mta-sts.sender.test/.well-known/mta-sts.txt | grep -q '^mode: enforce'"

before=$(ls "$MAILBOX_SENDER/bob/new" 2>/dev/null | wc -l)
swaks --server "$SUBMIT" --local-interface ${SANDBOX_NET}.0.8 --from noreply@mxray.test --to bob@sender.test >/dev/null 2>&1
for i in $(seq 1 50); do
	[ "$(ls "$MAILBOX_SENDER/bob/new" 2>/dev/null | wc -l)" -gt "$before" ] && break
	sleep 0.1
done
check "submission delivers to the sender.test Maildir" test "$(ls "$MAILBOX_SENDER/bob/new" 2>/dev/null | wc -l)" -gt "$before"

out=$(swaks --server "$SMTP_IN" --local-interface "$CLIENT_ADDR" --ehlo client.sender.test \
	--from alice@sender.test --to "$TEST_ADDRESS" --quit-after RCPT 2>&1)
if [ -f "$dir/run/mxray-milter.pid" ]; then
	check "port 25 accepts the test address (milter running)" has '^<-  250 2.1.5' <<<"$out"
else
	check "port 25 tempfails without the milter" has '^<\*\* 451' <<<"$out"
fi
[ "$fails" -eq 0 ]
