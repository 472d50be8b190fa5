#!/bin/sh
# hostile_servers.sh - MX hosts that misbehave on purpose (tarpit, 1 MB
# greeting, endless reply, bad codes, 8-bit garbage, STARTTLS cut off or
# answered with garbage TLS, silence after the greeting, a ServerHello of
# 16 MB or cut short, a 100-certificate chain, a 64 KB certificate, every
# line trickled so each comes in time but the EHLO reply does not, and
# after a real STARTTLS a 16 MB, cut-short or random ServerHello to each of
# the TLS scan's own ClientHellos): for each, the probe finishes within
# its deadline, exits 0 with a report, and records the address as not
# tested or failed with a reason, or STARTTLS as failed, or (the scan
# cases) tested with nothing believed of the hostile hellos. Under `make
# check SANITIZE=1` the probe runs under ASan/UBSan and any report fails.
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
9:huge_hello:starttls_failed 10:short_hello:starttls_failed 11:long_chain:tls_bounded 12:huge_cert:tls_bounded
13:tarpit_lines:not_tested 14:scan_huge_hello:scan_survived 15:scan_short_hello:scan_survived
16:scan_garbage_hello:scan_survived"

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
	# the real handshake of the scan_* servers (the probe's STARTTLS)
	openssl req -x509 -new -key k.pem -subj /CN=hostile.sender.test -days 2 -out quirk.pem 2>/dev/null
	cp k.pem quirk.key
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
	scan_survived)
		# The probe's own handshake worked; the TLS scan's raw hellos met
		# the hostile answers (the server counts them) and took none of
		# them for a protocol or a suite the server speaks.
		answered=$(grep -c "hostile answer to a ClientHello" "$SANDBOX/logs/hostile-$n.log")
		if python3 - "$out" "$answered" "$mode" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["mx"][0]["addresses"][0]
scan = a.get("tls_scan") or {}
assert a["state"] == "tested" and a["starttls"] == "ok", (a["state"], a.get("starttls"))
assert int(sys.argv[2]) >= 1 and scan.get("handshakes", 0) >= 1, (sys.argv[2], scan.get("handshakes"))
assert not any(scan.get("protocols", {}).values()), scan.get("protocols")
assert not scan.get("suites"), scan.get("suites")
# a ServerHello we could not parse is named in the errors, and the scan is
# not called complete (a short one is a closed connection: a refusal)
if sys.argv[3] != "scan_short_hello":
    assert scan.get("complete") is False, scan.get("complete")
    assert any("the answer could not be parsed" in e for e in scan.get("errors", [])), scan.get("errors")
PY
		then ok "${mode}_scan_met_it_and_believed_nothing ($answered hostile answers)"
		else not_ok "${mode}_scan_met_it_and_believed_nothing" "see $out, $answered hostile answers"; fi
		;;
	*)
		[ "$state" = "$want" ] && [ -n "$reason" ] && ok "${mode}_${want}_with_reason" ||
			not_ok "${mode}_${want}_with_reason" "state $state, reason '$reason'"
		;;
	esac
done
e2e_done
