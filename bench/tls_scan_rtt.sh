#!/bin/bash
# tls_scan_rtt.sh - mxray's TLS scan against testssl.sh over a link with
# about 50 ms round-trip time, side by side with the same run on loopback.
#
# usage: bench/tls_scan_rtt.sh [MXRAY_RUNS [TESTSSL_RUNS]]
#   (root; builds nothing: MXRAY_BIN_DIR, default the tree; RTT_MS, default
#   50; ONLY="tls12 mx1" limits the flavours, the default)
#
# The link: the kernel has no netem, so bench/delay_link.py makes one in
# user space: a TUN device in the root namespace and one in a namespace
# of this benchmark's own, every packet held RTT_MS/2 each way. The
# clients (mxray check, testssl) run in that namespace; the sandbox's
# servers (NSD, Postfix) stay on their 127.N loopback addresses in the
# root namespace, reached through the link: the namespace routes
# 127.N.0.0/16 into its TUN (route_localnet on both ends, so loopback
# addresses may cross a device). DNS, SMTP and TLS all pay the delay, with
# the sandbox's own configuration and zones unchanged.
# mxray: `mxray check DOMAIN` (DNS, STARTTLS, the full scan of every MX
# address), median of MXRAY_RUNS (default 3). testssl: `testssl -n none
# --starttls smtp -p -e ADDR:25` on the flavour's first MX, median of
# TESTSSL_RUNS (default 1). Prints a Markdown table for docs/benchmarks.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MXRAY_BIN_DIR:-$root}
mruns=${1:-3} truns=${2:-1} rtt=${RTT_MS:-50}
export MXRAY_SANDBOX_NET=${MXRAY_SANDBOX_NET:-127.86}
ns=mxray-rtt-$$
sb=$(mktemp -d /tmp/mxray-bench-rtt-XXXXXX)
link_pid=
old_localnet=$(sysctl -n net.ipv4.conf.all.route_localnet)
cleanup() {
	set +e	# every step runs, whatever the one before returned
	[ -n "$link_pid" ] && kill "$link_pid" 2>/dev/null && wait "$link_pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	sysctl -qw net.ipv4.conf.all.route_localnet="$old_localnet"
	"$root/tests/sandbox/sandbox.sh" stop "$sb" >/dev/null 2>&1
	rm -rf "$sb" "$sb.log"
}
trap cleanup EXIT
trap "exit 130" INT TERM
"$root/tests/sandbox/sandbox.sh" start "$sb" --no-mxray >"$sb.log" 2>&1

ip netns add "$ns"
python3 "$root/bench/delay_link.py" "$ns" "$((rtt / 2))" 7200 >"$sb/link.log" 2>&1 &
link_pid=$!
for _ in $(seq 1 50); do grep -q ready "$sb/link.log" 2>/dev/null && break; sleep 0.1; done
ip addr add 10.199.0.1/30 dev mxrtt0
ip link set mxrtt0 up
sysctl -qw net.ipv4.conf.mxrtt0.route_localnet=1
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns ip addr add 10.199.0.2/30 dev mxrtt1
in_ns ip link set mxrtt1 up
# 127.N.0.0/16 is the sandbox, over the link; the rest of 127/8 stays local
in_ns ip route del table local 127.0.0.0/8 dev lo
in_ns ip route add "$MXRAY_SANDBOX_NET.0.0/16" via 10.199.0.1 dev mxrtt1
in_ns sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.mxrtt1.route_localnet=1

ms() { local t0; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; echo $((($(date +%s%N) - t0) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# measured round trip: a TCP connect to the sandbox's MX (SYN, SYN-ACK)
measured=$(in_ns python3 -c "
import socket, statistics, sys, time
t = []
for _ in range(5):
    s = socket.socket(); t0 = time.monotonic(); s.connect((sys.argv[1], 25)); t.append((time.monotonic() - t0) * 1000); s.close()
print('%.1f' % statistics.median(t))" "$MXRAY_SANDBOX_NET.1.1")
echo "Link: $rtt ms configured, TCP connect to $MXRAY_SANDBOX_NET.1.1:25 from the namespace takes $measured ms (median of 5)"
echo
echo "| flavour | path | mxray check (ms, median of $mruns) | handshakes | testssl -p -e (ms, median of $truns) | ratio |"
echo "|---|---|---:|---:|---:|---:|"
for f in mx1:1.1:sender.test tls12:5.1:tls12.scan.unsigned.test; do
	name=${f%%:*} rest=${f#*:}
	addr=${rest%%:*} domain=${rest#*:}
	case " ${ONLY:-tls12 mx1} " in *" $name "*) ;; *) continue ;; esac
	ip=$MXRAY_SANDBOX_NET.$addr
	for path in loopback "${rtt} ms"; do
		run=()
		[ "$path" = loopback ] || run=(ip netns exec "$ns")
		m=$(for _ in $(seq "$mruns"); do ms "${run[@]}" "$bin/mxray" check -c "$sb/mxray.conf" --format json "$domain"; done | median)
		hs=$("${run[@]}" "$bin/mxray" check -c "$sb/mxray.conf" --format json "$domain" 2>/dev/null | python3 -c "
import json,sys; r=json.load(sys.stdin)
print(sum(a.get('tls_scan',{}).get('handshakes',0) for h in r['mx'] for a in h['addresses']))")
		t=$(for _ in $(seq "$truns"); do ms "${run[@]}" testssl -n none --starttls smtp -p -e --warnings off --color 0 "$ip:25"; done | median)
		echo "| $name | $path | $m | $hs | $t | $(awk -v a="$t" -v b="$m" 'BEGIN{printf "%.0fx", a/b}') |"
	done
done
