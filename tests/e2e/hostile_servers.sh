#!/bin/sh
# hostile_servers.sh - MX hosts that misbehave on purpose (tarpit, 1 MB
# greeting, endless reply, bad codes, 8-bit garbage, STARTTLS cut off or
# answered with garbage TLS, silence after the greeting, a ServerHello of
# 16 MB or cut short, a 100-certificate chain, a 64 KB certificate): for each, the
# probe finishes within its deadline, exits 0 with a report, and records
# the address as not tested or failed with a reason, or STARTTLS as
# failed. Under `make check SANITIZE=1` the probe runs under ASan/UBSan.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

DEADLINE_S=6
sandbox_up --no-mxray
sed -e 's/^connect_timeout = .*/connect_timeout = 2s/' -e 's/^greeting_timeout = .*/greeting_timeout = 2s/' \
	-e 's/^command_timeout = .*/command_timeout = 2s/' -e 's/^tls_timeout = .*/tls_timeout = 2s/' \
	-e "s/^job_deadline = .*/job_deadline = ${DEADLINE_S}s/" "$SANDBOX_CONF" >"$SANDBOX/hostile.conf"

# N:MODE:what the address must show
CASES="1:tarpit:not_tested 2:huge_greeting:failed 3:endless:failed 4:bad_code:failed
5:garbage:failed 6:close_starttls:starttls_failed 7:garbage_tls:starttls_failed 8:silent_ehlo:not_tested
9:huge_hello:starttls_failed 10:short_hello:starttls_failed 11:long_chain:tls_bounded 12:huge_cert:tls_bounded"

# Certificates the TLS cases serve: a chain of 100 (leaf, 98 intermediates,
# a root; one EC key for all, so making it takes seconds) and a
# self-signed certificate of about 64 KB (2,800 names).
certs=$SANDBOX/hostile-certs
mkdir -p "$certs"
(
	cd "$certs" || exit 1
	openssl ecparam -name prime256v1 -genkey -noout -out k.pem 2>/dev/null
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n' >ca.ext
	printf 'subjectAltName=DNS:h11.sender.test\n' >leaf.ext
	openssl req -x509 -new -key k.pem -subj /CN=hostile-root -days 2 -out c0.pem \
		-addext basicConstraints=critical,CA:TRUE 2>/dev/null
	i=1
	while [ "$i" -le 99 ]; do
		ext=ca.ext cn=hostile-intermediate-$i
		[ "$i" -eq 99 ] && ext=leaf.ext cn=h11.sender.test
		openssl req -new -key k.pem -subj "/CN=$cn" 2>/dev/null |
			openssl x509 -req -CA "c$((i - 1)).pem" -CAkey k.pem -set_serial "$i" -days 2 \
				-extfile "$ext" -out "c$i.pem" 2>/dev/null
		i=$((i + 1))
	done
	i=99
	: >long_chain.pem
	while [ "$i" -ge 0 ]; do cat "c$i.pem" >>long_chain.pem; i=$((i - 1)); done
	cp k.pem long_chain.key
	{ printf '[req]\ndistinguished_name=dn\nx509_extensions=ext\n[dn]\n[ext]\nsubjectAltName=@names\n[names]\nDNS.1=h12.sender.test\n'
	  i=2; while [ "$i" -le 2800 ]; do printf 'DNS.%d=n-%d.huge.sender.test\n' "$i" "$i"; i=$((i + 1)); done
	} >huge.cnf
	openssl req -x509 -new -key k.pem -subj /CN=h12.sender.test -days 2 -config huge.cnf -out huge_cert.pem 2>/dev/null
	cp k.pem huge_cert.key
)
chain=$(grep -c 'BEGIN CERTIFICATE' "$certs/long_chain.pem")
size=$(openssl x509 -in "$certs/huge_cert.pem" -outform DER 2>/dev/null | wc -c)
[ "$chain" -eq 100 ] && [ "$size" -ge 60000 ] && [ "$size" -le 70000 ] && ok "hostile_certificates_made (chain $chain, certificate $size bytes)" ||
	not_ok hostile_certificates_made "chain $chain certificates, big one $size bytes"
for c in $CASES; do
	n=${c%%:*}
	mode=$(echo "$c" | cut -d: -f2)
	setsid timeout 300 python3 tests/tools/hostile_smtpd.py "$mode" "${SANDBOX_NET}.7.1$n" 25 "$certs" </dev/null \
		>"$SANDBOX/logs/hostile-$n.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-hostile-$n.pid"
done
for c in $CASES; do
	n=${c%%:*}
	for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src ${SANDBOX_NET}.7.1$n:25")" ] && break; sleep 0.1; done
done

for c in $CASES; do
	n=${c%%:*}
	mode=$(echo "$c" | cut -d: -f2)
	want=$(echo "$c" | cut -d: -f3)
	out="$SANDBOX/hostile-$n.json"
	t0=$(date +%s%N)
	"$E2E_BIN/mxray" check -c "$SANDBOX/hostile.conf" --format json "hostile-$n.sender.test" \
		>"$out" 2>"$SANDBOX/logs/check-$n.err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	state=$(json_get "$out" mx.0.addresses.0.state)
	reason=$(json_get "$out" mx.0.addresses.0.reason)
	starttls=$(json_get "$out" mx.0.addresses.0.starttls)
	echo "# $mode: exit $rc, $ms ms, state $state, starttls $starttls, reason: $reason"
	[ "$rc" -eq 0 ] && ok "${mode}_report_produced" ||
		not_ok "${mode}_report_produced" "exit $rc: $(tail -n 3 "$SANDBOX/logs/check-$n.err")"
	[ "$ms" -le $(((DEADLINE_S + 3) * 1000)) ] && ok "${mode}_within_deadline" ||
		not_ok "${mode}_within_deadline" "$ms ms"
	case "$want" in
	starttls_failed)
		[ -n "$starttls" ] && [ "$starttls" != ok ] && [ "$starttls" != null ] &&
			grep -q smtp.starttls.failed "$out" && ok "${mode}_starttls_failure_is_a_finding" ||
			not_ok "${mode}_starttls_failure_is_a_finding" "state $state starttls $starttls"
		[ "$(json_get "$out" grade.receiving)" = C ] && ok "${mode}_grades_receiving_c" ||
			not_ok "${mode}_grades_receiving_c" "receiving $(json_get "$out" grade.receiving)"
		;;
	tls_bounded)
		# Handshake done, certificate judged untrusted, what is kept bounded.
		if python3 - "$out" <<'PY'
import json, os, sys
rep = json.load(open(sys.argv[1]))
a = rep["mx"][0]["addresses"][0]
tls = a.get("tls") or {}
chain = tls.get("chain") or []
assert a["state"] == "tested" and a["starttls"] == "ok", (a["state"], a.get("starttls"))
assert tls.get("verified") is False, tls.get("verified")
assert 1 <= len(chain) <= 10, len(chain)
assert all(len(c.get("sans") or []) <= 100 for c in chain), [len(c.get("sans") or []) for c in chain]
assert os.path.getsize(sys.argv[1]) < 1000000, os.path.getsize(sys.argv[1])
PY
		then ok "${mode}_judged_untrusted_and_bounded"; else not_ok "${mode}_judged_untrusted_and_bounded" "see $out"; fi
		;;
	*)
		[ "$state" = "$want" ] && [ -n "$reason" ] && ok "${mode}_${want}_with_reason" ||
			not_ok "${mode}_${want}_with_reason" "state $state, reason '$reason'"
		;;
	esac
done
e2e_done
