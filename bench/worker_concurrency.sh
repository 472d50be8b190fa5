#!/bin/bash
# worker_concurrency.sh - how many domains one mxray-worker process has in
# flight, and what that does to the wall time of a burst of domain jobs.
#
# usage: bench/worker_concurrency.sh [DOMAINS [JOBS_SETTINGS...]]
#   (root; builds nothing: MXRAY_BIN_DIR, default the tree)
#   default: 100 domains, [worker] jobs = 1 8 100
#
# The MX: one threaded SMTP server (tests/tools/hostile_smtpd.py counting)
# that greets 1 s after each connect and logs how many sessions are open;
# DOMAINS distinct domains (dN.many.sender.test, a wildcard MX) all point
# at it. The worker runs with [probe] tls_scan = no, reuse_results = 0 (so
# no job borrows another's result) and connections_per_address = 1000 (so
# the one server does not serialize what the benchmark measures: real MX
# hosts are many). For each [worker] jobs setting: queue DOMAINS domain
# jobs at once, time until the last report is stored, and count the most
# jobs in flight at once from the worker's log (each job's span is its
# log time minus its duration, give or take 5 ms).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MXRAY_BIN_DIR:-$root}
domains=${1:-100}
shift || true
settings=${*:-1 8 100}
export MXRAY_SANDBOX_NET=${MXRAY_SANDBOX_NET:-127.87}
sb=$(mktemp -d /tmp/mxray-bench-conc-XXXXXX)
server= worker=
cleanup() {
	set +e	# every step runs, whatever the one before returned
	[ -n "$worker" ] && kill "$worker" 2>/dev/null && wait "$worker" 2>/dev/null
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	"$root/tests/sandbox/sandbox.sh" stop "$sb" >/dev/null 2>&1
	rm -rf "$sb" "$sb.log"
}
trap cleanup EXIT
trap "exit 130" INT TERM
"$root/tests/sandbox/sandbox.sh" start "$sb" --no-mxray >"$sb.log" 2>&1
redis() { redis-cli -h "$MXRAY_SANDBOX_NET.0.63" -p 6379 "$@"; }
mkdir -p "$sb/certs-bench"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=slow.sender.test \
	-keyout "$sb/certs-bench/quirk.key" -out "$sb/certs-bench/quirk.pem" 2>/dev/null
HOSTILE_GREETING_DELAY=1 python3 "$root/tests/tools/hostile_smtpd.py" counting "$MXRAY_SANDBOX_NET.7.119" 25 \
	"$sb/certs-bench" >"$sb/counting.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src $MXRAY_SANDBOX_NET.7.119:25")" ] && break; sleep 0.1; done

echo "| [worker] jobs | domains | wall time (s) | domains per second | most jobs in flight at once |"
echo "|---:|---:|---:|---:|---:|"
for jobs in $settings; do
	sed -e '/^\[probe\]/a tls_scan = no\nreuse_results = 0\nconnections_per_address = 1000' \
		-e "/^\\[worker\\]/a jobs = $jobs" "$sb/mxray.conf" >"$sb/bench.conf"
	before=$(redis GET mxray:count:jobs_processed)
	before=${before:-0}
	"$bin/mxray-worker" -c "$sb/bench.conf" >"$sb/worker-$jobs.log" 2>&1 &
	worker=$!
	sleep 1
	t0=$(date +%s%N)
	for i in $(seq 1 "$domains"); do
		# redis-cli reads single-quoted arguments literally
		echo "XADD mxray:jobs * v 1 job '{\"format\":1,\"kind\":\"domain\",\"domain\":\"d$i-$jobs.many.sender.test\",\"reply_to\":null}'"
	done | redis >/dev/null
	deadline=$(($(date +%s) + 600))
	while :; do
		n=$(redis GET mxray:count:jobs_processed)
		[ $((${n:-0} - before)) -ge "$domains" ] && break
		[ "$(date +%s)" -lt "$deadline" ] || { echo "timed out after 600 s" >&2; break; }
		sleep 0.1
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	kill "$worker"
	wait "$worker" 2>/dev/null || true
	worker=
	most=$(python3 - "$sb/worker-$jobs.log" <<'PY'
import datetime, re, sys
events = []
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) mxray-worker: info: job \S+ token \S+ domain \S+ grade \S+: (\d+) ms,", line)
    if m:
        end = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp() * 1000
        # the log line's time and the duration are both whole ms: a 5 ms
        # margin keeps one job's end and the next one's start apart
        events += [(end - int(m.group(2)) + 5, 1), (end, -1)]
now = most = 0
for _, d in sorted(events, key=lambda e: (e[0], e[1])):
    now += d
    most = max(most, now)
print(most)
PY
)
	echo "| $jobs | $domains | $(awk -v m="$ms" 'BEGIN{printf "%.1f", m/1000}') | $(awk -v m="$ms" -v d="$domains" 'BEGIN{printf "%.1f", d*1000/m}') | $most |"
done
