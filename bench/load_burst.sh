#!/bin/sh
# load_burst.sh - end-to-end latency and throughput of a burst of test
# mails through the whole sandbox: runs tests/e2e/load_burst.sh with
# MAILS mails (default 500) RUNS times (default 3) and prints each run's
# figures and the medians.
# usage: bench/load_burst.sh [MAILS [RUNS [PARALLEL]]]   (root)
# Its own sandbox net (MXRAY_SANDBOX_NET, default 127.87); the programs of
# MXRAY_BIN_DIR (default the tree).
set -u
cd "$(dirname "$0")/.." || exit 1
MAILS=${1:-500} RUNS=${2:-3} PAR=${3:-8}
export MXRAY_SANDBOX_NET=${MXRAY_SANDBOX_NET:-127.87}
export MXRAY_BIN_DIR=${MXRAY_BIN_DIR:-$PWD}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$RUNS"); do
	LOAD_MAILS=$MAILS LOAD_PARALLEL=$PAR sh tests/e2e/load_burst.sh >"$out.$r" 2>&1
	grep -E '^(not ok|# [0-9]+ mails)' "$out.$r" | sed "s/^/run $r: /"
	grep '^# [0-9]* mails' "$out.$r" >>"$out"
	rm -f "$out.$r"
done
python3 - "$out" <<'PY'
import re, statistics, sys
rows = []
for l in open(sys.argv[1]):
    m = re.search(r"sent in ([\d.]+) s; latency median ([\d.]+) s, p99 ([\d.]+) s; ([\d.]+) tests/min", l)
    if m:
        rows.append([float(x) for x in m.groups()])
if rows:
    med = [statistics.median(r[i] for r in rows) for i in range(4)]
    print("median of %d runs: sent in %.1f s; latency median %.2f s, p99 %.2f s; %.0f tests/min" % (len(rows), *med))
PY
