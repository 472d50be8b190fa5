#!/bin/sh
# probe_ipv6.sh - an MX host with an IPv4 and an IPv6 address (issue 4:
# "all addresses of each, IPv4 and IPv6"): mxray check v6.probe.test
# probes and scans both, the report and the page show the IPv6 address,
# and with the sandbox's IPv6 range out of [probe] allow_networks the IPv6
# address is refused by the abuse guard, never connected to, while the
# IPv4 one is still tested.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up --no-mxray
if [ "${SANDBOX_IPV6:-no}" != yes ]; then
	not_ok ipv6_available "this machine has no IPv6 on lo (see $SANDBOX/logs/net6.log): the IPv6 MX could not be set up"
	exit 1
fi
V6=${SANDBOX_NET#127.}
V6="fd6d:7872:$V6::4:6"
V4=$SANDBOX_NET.4.6
J=$SANDBOX/v6.json

# addr IP EXPR WANT: a Python expression over a (the address object of IP in $J).
addr() {
	got=$(python3 - "$J" "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a = [x for m in r["mx"] for x in m["addresses"] if x.get("ip") == sys.argv[2]]
print(eval(sys.argv[3], {"a": a[0] if a else {}, "r": r}))
PY
)
	[ "$got" = "$3" ] && ok "$4" || not_ok "$4" "$2 for $1 = '$got', want '$3'"
}

"$E2E_BIN/mxray" check -c "$SANDBOX_CONF" --format json v6.probe.test >"$J" 2>"$SANDBOX/v6.err" ||
	not_ok v6_report "exit $?: $(tail -n 3 "$SANDBOX/v6.err")"
addr "$V6" 'len(r["mx"][0]["addresses"])' 2 both_addresses_listed
for ip in "$V4" "$V6"; do
	n=$(echo "$ip" | tr ':.' '__')
	addr "$ip" 'a.get("state")' tested "tested_$n"
	addr "$ip" 'a.get("starttls")' ok "starttls_$n"
	addr "$ip" 'a["tls"]["verified"]' True "certificate_verified_$n"
	addr "$ip" 'a["tls_scan"]["protocols"]["TLSv1.2"], a["tls_scan"]["complete"]' "(True, True)" "scanned_$n"
	addr "$ip" 'len(a["tls_scan"]["suites"]["TLSv1.2"]) > 10' True "suites_found_$n"
done
# the banners tell the two listeners apart: each address was reached itself
addr "$V6" 'a["greeting"]' "220 mx6.probe.test ESMTP sandbox dual-stack v6" greeting_from_v6_listener
addr "$V4" 'a["greeting"]' "220 mx6.probe.test ESMTP sandbox dual-stack v4" greeting_from_v4_listener
# same server software on both: the same suites
addr "$V6" 'sorted(s["code"] for s in a["tls_scan"]["suites"]["TLSv1.2"]) == sorted(s["code"] for x in r["mx"][0]["addresses"] if x["ip"] != a["ip"] for s in x["tls_scan"]["suites"]["TLSv1.2"])' True same_suites_both_families
"$E2E_BIN/mxray" render --format html "$J" >"$SANDBOX/v6.html" 2>/dev/null
contains page_shows_ipv6_address "$SANDBOX/v6.html" "$V6"

# Out of allow_networks, the unique local IPv6 address is not public: refused.
sed -e "s|fd6d:7872:[0-9]*::/64 ||" "$SANDBOX_CONF" >"$SANDBOX/no6.conf"
if grep -q "fd6d" "$SANDBOX/no6.conf"; then
	not_ok no6_conf_written "the IPv6 range is still in $SANDBOX/no6.conf"
fi
before=$(grep -c "connect from \[$V6\]\|connect from unknown\[$V6\]" "$SANDBOX/logs/postfix.log" 2>/dev/null)
J=$SANDBOX/no6.json
"$E2E_BIN/mxray" check -c "$SANDBOX/no6.conf" --format json v6.probe.test >"$J" 2>"$SANDBOX/no6.err" ||
	not_ok no6_report "exit $?: $(tail -n 3 "$SANDBOX/no6.err")"
addr "$V6" 'a.get("state")' not_tested ipv6_refused_not_tested
addr "$V6" '"allow_networks" in (a.get("reason") or "")' True ipv6_refusal_names_allow_networks
addr "$V4" 'a.get("state")' tested ipv4_still_tested
sleep 0.5
after=$(grep -c "connect from \[$V6\]\|connect from unknown\[$V6\]" "$SANDBOX/logs/postfix.log" 2>/dev/null)
# (the first check's sessions came from that address, so the count is no blind zero)
echo "# postfix sessions from $V6: $before after the first check, $after after the refused one"
[ "$before" -gt 0 ] && [ "$before" = "$after" ] && ok ipv6_listener_saw_no_connection ||
	not_ok ipv6_listener_saw_no_connection "postfix logged $before then $after sessions from $V6"

exit "$E2E_FAILED"
