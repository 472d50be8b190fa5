#!/bin/sh
# scale_out.sh - two workers and two reporters on one Redis share the load:
# a burst of test mails is answered, each exactly once, and both workers
# take part (docs/scaling.md). Then the two workers probe two domains whose
# MX is one address at the same time: together they keep to [probe]
# connections_per_address (3), which two unshared `mxray check` runs, the
# control, do not. Last, one worker alone runs two jobs at once.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

BURST=8
sandbox_up
# Scale-out across processes: both workers run one job at a time, so the
# burst must spread over them (with [worker] jobs = 8, one process would
# take all 8). The sandbox's worker is restarted with that setting, its
# log and PID file kept. The second reporter needs an HTTP address of its own.
sed "s|^listen = .*|listen = ${SANDBOX_NET}.0.9:8080|" "$SANDBOX_CONF" >"$SANDBOX/mxray-2.conf"
printf '\n[worker]\njobs = 1\n' >>"$SANDBOX/mxray-2.conf"
sed 's/^\[worker\]$/[worker]\njobs = 1/' "$SANDBOX_CONF" >"$SANDBOX/mxray-1.conf"
grep -q '^jobs = 1' "$SANDBOX/mxray-1.conf" || printf '\n[worker]\njobs = 1\n' >>"$SANDBOX/mxray-1.conf"
# stop_pidfile FILE: TERM the process in FILE and wait (bounded) for it
stop_pidfile() {
	p=$(cat "$1" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
}
stop_pidfile "$SANDBOX/run/mxray-worker.pid"
setsid "$E2E_BIN/mxray-worker" -c "$SANDBOX/mxray-1.conf" </dev/null >>"$SANDBOX/logs/mxray-worker.log" 2>&1 &
echo $! >"$SANDBOX/run/mxray-worker.pid"
for d in worker reporter; do
	setsid "$E2E_BIN/mxray-$d" -c "$SANDBOX/mxray-2.conf" </dev/null \
		>>"$SANDBOX/logs/mxray-$d-2.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-mxray-$d-2.pid"
done
sleep 1

i=0
senders=
while [ $i -lt $BURST ]; do
	tests/sandbox/send-test-mail.sh "$SANDBOX" >/dev/null 2>>"$SANDBOX/logs/burst.err" &
	senders="$senders $!"
	i=$((i + 1))
done
# Only the senders: a bare `wait` would wait for the extra daemons too.
for p in $senders; do wait "$p"; done

# Wait (bounded) for every reply, then a little longer to catch duplicates.
n=0
for _ in $(seq 1 60); do
	n=$(find "$MAILBOX_SENDER" -path '*/new/*' -type f | wc -l)
	[ "$n" -ge "$BURST" ] && break
	sleep 1
done
sleep 3
n=$(find "$MAILBOX_SENDER" -path '*/new/*' -type f | wc -l)
[ "$n" -eq "$BURST" ] && ok every_test_answered_once || not_ok every_test_answered_once "$n replies for $BURST tests"

links=$(grep -ho "$HTTP_BASE/r/[A-Za-z0-9_-]*" "$MAILBOX_SENDER"/*/new/* | sort -u | wc -l)
[ "$links" -eq "$BURST" ] && ok one_report_per_test || not_ok one_report_per_test "$links distinct links"

w1=$(grep -c ': job ' "$SANDBOX/logs/mxray-worker.log")
w2=$(grep -c ': job ' "$SANDBOX/logs/mxray-worker-2.log")
echo "# jobs: worker 1 $w1, worker 2 $w2"
[ $((w1 + w2)) -eq "$BURST" ] && ok no_job_done_twice || not_ok no_job_done_twice "$w1 + $w2 jobs for $BURST tests"
[ "$w1" -ge 1 ] && [ "$w2" -ge 1 ] && ok both_workers_share_the_load || not_ok both_workers_share_the_load "$w1 / $w2"

# ---- holding back together: one MX address, two workers ----
certs=$SANDBOX/quirk-certs
mkdir -p "$certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=capa.sender.test \
	-keyout "$certs/quirk.key" -out "$certs/quirk.pem" 2>/dev/null
counter_log=$SANDBOX/logs/counting.log
# Each session is held 0.2 s after its EHLO, while it is counted, so the
# sessions of two probes running at once overlap in the tally (the control
# below must be able to see more than 3 open).
HOSTILE_EHLO_DELAY=0.2 setsid timeout 300 python3 tests/tools/hostile_smtpd.py counting \
	"${SANDBOX_NET}.7.117" 25 "$certs" </dev/null \
	>"$counter_log" 2>&1 &
echo $! >"$SANDBOX/run/extra-counting.pid"
for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src ${SANDBOX_NET}.7.117:25")" ] && break; sleep 0.1; done
# most_open FROM_LINE: the most connections open at once since that log line
most_open() { tail -n +"$1" "$counter_log" | awk '$1 == "open" && $2 > m {m = $2} END {print m + 0}'; }

# The control: two processes that share nothing (mxray check has no Redis)
from=$(($(wc -l <"$counter_log") + 1))
"$E2E_BIN/mxray" check -c "$SANDBOX_CONF" --format json count-a.sender.test >"$SANDBOX/count-a.json" 2>/dev/null &
c1=$!
"$E2E_BIN/mxray" check -c "$SANDBOX_CONF" --format json count-b.sender.test >"$SANDBOX/count-b.json" 2>/dev/null &
c2=$!
wait "$c1" "$c2"
control=$(most_open "$from")
echo "# two unshared mxray check runs: at most $control connections open at once"
[ "$control" -gt 3 ] && ok unshared_control_exceeds_the_cap ||
	not_ok unshared_control_exceeds_the_cap "$control open at most: the test could not see a breach"

# The workers: one domain-only job each, queued together
from=$(($(wc -l <"$counter_log") + 1))
jobs_before=$(cat "$SANDBOX/logs/mxray-worker.log" "$SANDBOX/logs/mxray-worker-2.log" | grep -c ': job ')
for d in count-a count-b; do
	redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR#*:}" XADD mxray:jobs '*' v 1 job \
		"{\"format\": 1, \"kind\": \"domain\", \"domain\": \"$d.sender.test\", \"reply_to\": null}" >/dev/null
done
for _ in $(seq 1 60); do
	n=$(cat "$SANDBOX/logs/mxray-worker.log" "$SANDBOX/logs/mxray-worker-2.log" | grep -c ': job ')
	[ "$n" -ge $((jobs_before + 2)) ] && break
	sleep 1
done
together=$(most_open "$from")
echo "# two workers: at most $together connections open at once"
[ "$n" -ge $((jobs_before + 2)) ] && ok both_domain_jobs_done || not_ok both_domain_jobs_done "$n jobs logged"
grep -q 'domain count-a.sender.test' "$SANDBOX/logs/mxray-worker.log" "$SANDBOX/logs/mxray-worker-2.log" &&
	grep -q 'domain count-b.sender.test' "$SANDBOX/logs/mxray-worker.log" "$SANDBOX/logs/mxray-worker-2.log" &&
	[ "$(grep -l 'domain count-' "$SANDBOX/logs/mxray-worker.log" "$SANDBOX/logs/mxray-worker-2.log" | wc -l)" -eq 2 ] &&
	ok each_worker_probed_one || not_ok each_worker_probed_one "$(grep -h 'domain count-' "$SANDBOX"/logs/mxray-worker*.log)"
[ "$together" -ge 1 ] && [ "$together" -le 3 ] && ok workers_keep_the_cap_together ||
	not_ok workers_keep_the_cap_together "$together connections open at once"

# ---- one worker, several jobs at once ([worker] jobs) ----
# Both one-job workers stop; a worker with the default [worker] jobs (8)
# takes two new domains, and its threads probe both at once: the jobs'
# spans (end time minus duration, from its log) overlap.
stop_pidfile "$SANDBOX/run/extra-mxray-worker-2.pid"
stop_pidfile "$SANDBOX/run/mxray-worker.pid"
setsid "$E2E_BIN/mxray-worker" -c "$SANDBOX_CONF" </dev/null >>"$SANDBOX/logs/mxray-worker-3.log" 2>&1 &
echo $! >"$SANDBOX/run/extra-mxray-worker-3.pid"
sleep 1
for d in count-c count-d; do
	redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR#*:}" XADD mxray:jobs '*' v 1 job \
		"{\"format\": 1, \"kind\": \"domain\", \"domain\": \"$d.sender.test\", \"reply_to\": null}" >/dev/null
done
for _ in $(seq 1 60); do
	[ "$(grep -c 'domain count-[cd].sender.test' "$SANDBOX/logs/mxray-worker-3.log")" -ge 2 ] && break
	sleep 1
done
spans=$(python3 - "$SANDBOX/logs/mxray-worker-3.log" <<'PY'
import datetime, re, sys
spans = []
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) mxray-worker: info: job \S+ token \S+ domain count-[cd]\S* .*: (\d+) ms,", line)
    if m:
        end = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp() * 1000
        spans.append((end - int(m.group(2)), end))
if len(spans) != 2:
    print("found %d jobs" % len(spans))
else:
    (a0, a1), (b0, b1) = spans
    print("overlap %d ms" % max(0, min(a1, b1) - max(a0, b0)))
PY
)
echo "# one worker, two jobs: $spans"
case "$spans" in
"overlap 0 ms" | found*) not_ok one_worker_runs_jobs_at_once "$spans" ;;
overlap*) ok one_worker_runs_jobs_at_once ;;
*) not_ok one_worker_runs_jobs_at_once "$spans" ;;
esac
e2e_done
