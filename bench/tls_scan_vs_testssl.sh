#!/bin/bash
# tls_scan_vs_testssl.sh - mxray's TLS scan against testssl.sh on the same
# sandbox MX flavours, side by side in one run: on loopback, and over a
# link with about 50 ms round-trip time between two network namespaces.
#
# usage: bench/tls_scan_vs_testssl.sh [MXRAY_RUNS [TESTSSL_RUNS]]
#   (root; builds nothing: MXRAY_BIN_DIR, default the tree)
#   ONLY="mx1 tls12"   the flavours (the default; also legacy chacha dhe null)
#   PATHS="loopback link"  where the clients run (the default: both)
#   DEFAULT_RUN=1      also time testssl's default run (minutes per server)
#   RTT_MS=50          the link's round trip
#
# mxray: `mxray check DOMAIN --format json` for a domain whose one MX
# address is the flavour's server (mx1: mx1.sender.test, the implicit MX),
# so both tools meet exactly one server: DNS (a cold resolver, from the
# sandbox's root), the greeting, EHLO, STARTTLS, the certificate and the
# full scan of every protocol and suite; median of MXRAY_RUNS (default 5),
# and the scan's own time from the report (tls_scan.duration_ms). testssl
# 3.0.8 (Debian): `testssl -n none --starttls smtp -e ADDR:25` (every
# cipher suite, each protocol), median of TESTSSL_RUNS (default 1); with
# DEFAULT_RUN=1 also its default run (protocols, cipher classes, server
# preferences and defaults, vulnerabilities, client simulation), once.
#
# The link: the kernel has no netem, so bench/delay_link.py makes one in
# user space: a TUN device in the root namespace and one in a namespace of
# this benchmark's own, every packet held RTT_MS/2 each way. The clients
# run in that namespace; the sandbox's servers (NSD, Postfix) stay on their
# loopback addresses in the root namespace, reached through the link (the
# namespace routes the sandbox's /16 into its TUN; route_localnet on both
# ends lets loopback addresses cross a device). DNS, SMTP and TLS all pay
# the delay, with the sandbox's configuration and zones unchanged.
# Prints a Markdown table for docs/benchmarks.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MXRAY_BIN_DIR:-$root}
mruns=${1:-5} truns=${2:-1} rtt=${RTT_MS:-50}
export MXRAY_SANDBOX_NET=${MXRAY_SANDBOX_NET:-127.85}
ns=mxray-bench-$$
sb=$(mktemp -d /tmp/mxray-bench-scan-XXXXXX)
link_pid=
cleanup() {
	set +e	# every step runs, whatever the one before returned
	[ -n "$link_pid" ] && kill "$link_pid" 2>/dev/null && wait "$link_pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	"$root/tests/sandbox/sandbox.sh" stop "$sb" >/dev/null 2>&1
	rm -rf "$sb" "$sb.log"
}
trap cleanup EXIT
trap "exit 130" INT TERM
command -v testssl >/dev/null || { echo "testssl is missing: apt-get install testssl.sh" >&2; exit 1; }
"$root/tests/sandbox/sandbox.sh" start "$sb" --no-mxray >"$sb.log" 2>&1

case " ${PATHS:-loopback link} " in
*" link "*)
	ip netns add "$ns"
	python3 "$root/bench/delay_link.py" "$ns" "$((rtt / 2))" 14400 >"$sb/link.log" 2>&1 &
	link_pid=$!
	for _ in $(seq 1 50); do grep -q ready "$sb/link.log" 2>/dev/null && break; sleep 0.1; done
	ip addr add 10.199.0.1/30 dev mxrtt0
	ip link set mxrtt0 up
	sysctl -qw net.ipv4.conf.mxrtt0.route_localnet=1
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip addr add 10.199.0.2/30 dev mxrtt1
	ip netns exec "$ns" ip link set mxrtt1 up
	# the sandbox's /16 over the link; the rest of 127/8 stays local
	ip netns exec "$ns" ip route del table local 127.0.0.0/8 dev lo
	ip netns exec "$ns" ip route add "$MXRAY_SANDBOX_NET.0.0/16" via 10.199.0.1 dev mxrtt1
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.route_localnet=1 \
		net.ipv4.conf.mxrtt1.route_localnet=1
	measured=$(ip netns exec "$ns" python3 -c "
import socket, statistics, sys, time
t = []
for _ in range(5):
    s = socket.socket(); t0 = time.monotonic(); s.connect((sys.argv[1], 25)); t.append((time.monotonic() - t0) * 1000); s.close()
print('%.1f' % statistics.median(t))" "$MXRAY_SANDBOX_NET.1.1")
	echo "Link: $rtt ms configured; a TCP connect to the sandbox's MX from the namespace takes $measured ms (median of 5)"
	echo
	;;
esac

ms() { local t0; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; echo $((($(date +%s%N) - t0) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.0fx", a / b }'; }

hdr="| flavour | path | mxray check (ms, median of $mruns) | the scan in it (ms) | hellos | testssl -e (ms, median of $truns) | ratio (check) | ratio (scan) |"
sep="|---|---|---:|---:|---:|---:|---:|---:|"
if [ "${DEFAULT_RUN:-0}" = 1 ]; then
	hdr="$hdr testssl default run (ms) | ratio (check) |"
	sep="$sep---:|---:|"
fi
echo "$hdr"
echo "$sep"
# flavour:address:domain
for f in mx1:1.1:mx1.sender.test tls12:5.1:tls12.scan.unsigned.test legacy:1.4:legacy.test \
	chacha:5.2:chacha.scan.unsigned.test dhe:5.3:dhe.scan.unsigned.test null:5.4:null.scan.unsigned.test; do
	name=${f%%:*} rest=${f#*:}
	addr=${rest%%:*} domain=${rest#*:}
	case " ${ONLY:-mx1 tls12} " in *" $name "*) ;; *) continue ;; esac
	ip=$MXRAY_SANDBOX_NET.$addr
	for path in ${PATHS:-loopback link}; do
		run=()
		label=loopback
		[ "$path" = link ] && run=(ip netns exec "$ns") && label="${rtt} ms link"
		check_ms=() scan_ms=() hellos=
		for _ in $(seq "$mruns"); do
			t0=$(date +%s%N)
			"${run[@]}" "$bin/mxray" check -c "$sb/mxray.conf" --format json "$domain" \
				>"$sb/check.json" 2>/dev/null || true
			check_ms+=($((($(date +%s%N) - t0) / 1000000)))
			read -r s h < <(python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
a = [x for m in r['mx'] for x in m['addresses'] if x.get('ip') == sys.argv[2]][0]
print(a['tls_scan']['duration_ms'], a['tls_scan']['handshakes'])" "$sb/check.json" "$ip")
			scan_ms+=("$s")
			hellos=$h
		done
		m=$(printf '%s\n' "${check_ms[@]}" | median)
		sm=$(printf '%s\n' "${scan_ms[@]}" | median)
		t=$(for _ in $(seq "$truns"); do ms "${run[@]}" testssl -n none --starttls smtp -e \
			--warnings off --color 0 "$ip:25"; done | median)
		line="| $name | $label | $m | $sm | $hellos | $t | $(ratio "$t" "$m") | $(ratio "$t" "$sm") |"
		if [ "${DEFAULT_RUN:-0}" = 1 ]; then
			d=$(ms "${run[@]}" testssl -n none --starttls smtp --warnings off --color 0 "$ip:25")
			line="$line $d | $(ratio "$d" "$m") |"
		fi
		echo "$line"
	done
done
