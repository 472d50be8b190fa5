#!/bin/sh
# scale_out.sh - two workers and two reporters on one Redis share the load:
# a burst of test mails is answered, each exactly once, and both workers
# take part (docs/scaling.md).
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

BURST=8
sandbox_up
# The second reporter needs an HTTP address of its own.
sed "s|^listen = .*|listen = ${SANDBOX_NET}.0.9:8080|" "$SANDBOX_CONF" >"$SANDBOX/mxray-2.conf"
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
e2e_done
