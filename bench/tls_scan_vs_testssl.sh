#!/bin/bash
# tls_scan_vs_testssl.sh - wall time of mxray's TLS scan against testssl.sh
# on the same sandbox MX flavours, side by side, on loopback.
#
# usage: bench/tls_scan_vs_testssl.sh [MXRAY_RUNS [TESTSSL_RUNS]]
#   (root; builds nothing: set MXRAY_BIN_DIR, default build-a5 or the tree)
# mxray: `mxray check DOMAIN` (the whole probe: DNS, STARTTLS, the full
# scan), median of MXRAY_RUNS (default 5). testssl: `testssl -n none
# --starttls smtp -p -e ADDR:25` (protocols + every cipher, the same facts
# the scan reports), median of TESTSSL_RUNS (default 1: minutes per run).
# ONLY="tls12 mx1" limits the run to those flavours.
# Prints a Markdown table for docs/benchmarks.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MXRAY_BIN_DIR:-$root}
mruns=${1:-5} truns=${2:-1}
export MXRAY_SANDBOX_NET=${MXRAY_SANDBOX_NET:-127.85}
sb=$(mktemp -d /tmp/mxray-bench-XXXXXX)
trap '"$root/tests/sandbox/sandbox.sh" stop "$sb" >/dev/null 2>&1; rm -rf "$sb"' EXIT
trap 'exit 130' INT TERM
"$root/tests/sandbox/sandbox.sh" start "$sb" --no-mxray >"$sb.log" 2>&1
ms() { local t0; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; echo $((($(date +%s%N) - t0) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| flavour | address | mxray check (ms, median of $mruns) | handshakes | testssl -p -e (ms, median of $truns) | ratio |"
echo "|---|---|---:|---:|---:|---:|"
for f in mx1:1.1:sender.test legacy:1.4:legacy.test tls12:5.1:tls12.scan.unsigned.test \
	chacha:5.2:chacha.scan.unsigned.test dhe:5.3:dhe.scan.unsigned.test null:5.4:null.scan.unsigned.test; do
	name=${f%%:*} rest=${f#*:}
	addr=${rest%%:*} domain=${rest#*:}
	case " ${ONLY:-$name} " in *" $name "*) ;; *) continue ;; esac
	ip=$MXRAY_SANDBOX_NET.$addr
	m=$(for i in $(seq "$mruns"); do ms "$bin/mxray" check -c "$sb/mxray.conf" --format json "$domain"; done | median)
	hs=$("$bin/mxray" check -c "$sb/mxray.conf" --format json "$domain" 2>/dev/null | python3 -c "
import json,sys; r=json.load(sys.stdin)
print(sum(a.get('tls_scan',{}).get('handshakes',0) for h in r['mx'] for a in h['addresses']))")
	t=$(for i in $(seq "$truns"); do ms testssl -n none --starttls smtp -p -e --warnings off --color 0 "$ip:25"; done | median)
	echo "| $name | $ip | $m | $hs | $t | $(awk -v a="$t" -v b="$m" 'BEGIN{printf "%.0fx", a/b}') |"
done
