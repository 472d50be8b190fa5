#!/bin/sh
# tls_scan_quirks.sh - what the TLS scan finds on servers that behave in
# ways no sandbox Postfix can (tests/tools/hostile_smtpd.py plays them with
# hand-made ServerHellos): Heartbleed and its safe probe, a heartbeat
# server that is not vulnerable, a server that ignores TLS_FALLBACK_SCSV,
# and a server that rate-limits connections with 421 for a while, which
# the scan must wait out instead of losing results.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up --no-mxray
certs=$SANDBOX/quirk-certs
mkdir -p "$certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=quirk.sender.test \
	-keyout "$certs/quirk.key" -out "$certs/quirk.pem" 2>/dev/null || not_ok quirk_certificate_made "openssl req failed"
CASES="13:heartbleed 14:heartbeat_ok 15:no_scsv 16:busy"
for c in $CASES; do
	n=${c%%:*} mode=${c#*:}
	setsid timeout 300 python3 tests/tools/hostile_smtpd.py "$mode" "${SANDBOX_NET}.7.1$n" 25 "$certs" </dev/null \
		>"$SANDBOX/logs/quirk-$n.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-quirk-$n.pid"
done
for c in $CASES; do
	n=${c%%:*}
	for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src ${SANDBOX_NET}.7.1$n:25")" ] && break; sleep 0.1; done
done

# scan N: mxray check of hostile-N.sender.test into $J; S = its tls_scan.
scan() {
	J=$SANDBOX/quirk-$1.json
	"$E2E_BIN/mxray" check -c "$SANDBOX_CONF" --format json "hostile-$1.sender.test" >"$J" \
		2>"$SANDBOX/logs/quirk-check-$1.err" || not_ok "scan_$1_ran" "$(tail -n 3 "$SANDBOX/logs/quirk-check-$1.err")"
}
# is NAME EXPR WANT: a Python expression over s (the tls_scan) and r (the report).
is() {
	got=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); s=r['mx'][0]['addresses'][0].get('tls_scan') or {}
print($2)" "$J" 2>&1)
	[ "$got" = "$3" ] && ok "$1" || not_ok "$1" "$2 = '$got', want '$3'"
}

scan 13
is heartbleed_found 's["heartbleed"]' True
is heartbleed_finding '"scan.heartbleed" in [f["id"] for f in s.get("findings", [])]' True
is heartbleed_is_an_f 'r["grade"]["receiving"]' F
grep -q LEAKED-SERVER-MEMORY "$J" && not_ok heartbleed_leak_not_in_report "the leaked bytes are in $J" ||
	ok heartbleed_leak_not_in_report
is heartbleed_scan_still_complete 's["complete"]' True

scan 14
is heartbeat_without_bleed 's["heartbeat"], s["heartbleed"]' "True False"
is heartbeat_no_finding '"scan.heartbleed" in [f["id"] for f in s.get("findings", [])]' False

scan 15
is no_scsv_protocols '",".join(p for p, v in s["protocols"].items() if v)' "TLSv1.0,TLSv1.1,TLSv1.2"
is no_scsv_detected 's["fallback_scsv"]' False
is no_scsv_finding '"scan.fallback_scsv.missing" in [f["id"] for f in s.get("findings", [])]' True
is no_scsv_no_heartbeat_probe 's["heartbleed"]' None

scan 16
is busy_server_scan_complete 's["complete"], s["errors"]' "True []"
is busy_server_refusals_counted 's["refused_connections"] > 0' True
is busy_server_suites_found '[c["code"] for c in s["suites"]["TLSv1.2"]]' "['0xC02F', '0xC013']"
e2e_done
