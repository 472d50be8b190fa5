#!/bin/sh
# fault_deadletter.sh - a job that can never succeed is not retried forever
# nor lost silently (issue 7): a worker whose every probe fails (its [probe]
# ca_file is missing, so it leaves each job pending as "our environment
# failed") takes the job over after [redis] reclaim_idle each time, and
# after [redis] max_deliveries deliveries moves it to the dead-letter
# stream with the job kept; `mxray status` and the reporter's /metrics
# (mxray_dead_letters) show it, and nothing stays pending. On the way: the
# worker dropped root and has the open-file limit its settings need.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up
redis_cli() { redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" "$@"; }
MAX=2
IDLE_S=13	# must exceed job_deadline (2 s) by 10 s
sed -e 's/^job_deadline = .*/job_deadline = 2s/' \
	-e "s/^\\[redis\\]\$/[redis]\\nreclaim_idle = ${IDLE_S}s\\nmax_deliveries = $MAX/" \
	-e "s|^ca_file = .*|ca_file = /nonexistent/mxray-test-ca.pem|" \
	"$SANDBOX_CONF" >"$SANDBOX/dead.conf"
check config_has_the_failing_ca grep -q '^ca_file = /nonexistent' "$SANDBOX/dead.conf"

old=$(cat "$SANDBOX/run/mxray-worker.pid")
kill "$old"
for _ in $(seq 1 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
setsid "$E2E_BIN/mxray-worker" -c "$SANDBOX/dead.conf" </dev/null >>"$SANDBOX/logs/worker-dead.log" 2>&1 &
echo $! >"$SANDBOX/run/extra-worker-dead.pid"

# The worker runs as its user with the open-file limit sized to its
# defaults (8 jobs, 3 connections per address): 1088 + 8 x (8 x 3 + 32).
wpid=$(cat "$SANDBOX/run/extra-worker-dead.pid")
for _ in $(seq 1 50); do grep -q "running as user" "$SANDBOX/logs/worker-dead.log" && break; sleep 0.1; done
files=$(sed -n 's/^Max open files  *\([0-9]*\)  *\([0-9]*\) .*/\1 \2/p' "/proc/$wpid/limits")
[ "$files" = "1536 1536" ] && ok "worker_open_files_sized_to_need ($files)" ||
	not_ok worker_open_files_sized_to_need "Max open files '$files', want 1536 1536"
check worker_dropped_root grep -q "running as user nobody" "$SANDBOX/logs/worker-dead.log"
dead_before=$(redis_cli XLEN mxray:dead)
job='{"format":1,"kind":"mail","queued":"2026-12-01T00:00:00Z","domain":"sender.test","reply_to":null,"message":{"mail_from":"dave@sender.test","rcpt":["test@mxray.test"],"tls":null,"spf":{"result":"none"},"dkim":[]}}'
id=$(redis_cli XADD mxray:jobs '*' v 1 job "$job")
t0=$(date +%s)
# Deliveries at about 0, IDLE_S and 2 x IDLE_S seconds; the last one is over MAX.
limit=$((IDLE_S * (MAX + 1) + 15))
for _ in $(seq 1 "$limit"); do
	grep -q "job $id: failed $MAX times, moved to the dead letters" "$SANDBOX/logs/worker-dead.log" && break
	sleep 1
done
took=$(($(date +%s) - t0))
if grep -q "job $id: failed $MAX times, moved to the dead letters" "$SANDBOX/logs/worker-dead.log"; then
	ok "dead_lettered_after_${MAX}_failed_deliveries (${took} s)"
else
	not_ok "dead_lettered_after_${MAX}_failed_deliveries" "not after $took s: $(tail -n 3 "$SANDBOX/logs/worker-dead.log")"
fi
n=$(grep -c "job $id: domain sender.test: no report: \[probe\] ca_file" "$SANDBOX/logs/worker-dead.log")
[ "$n" -eq "$MAX" ] && ok "each_delivery_failed_with_its_reason ($n)" ||
	not_ok each_delivery_failed_with_its_reason "$n failures logged, want $MAX"
check taken_over_after_idle grep -q "job $id: taken over after $((IDLE_S * 1000)) ms idle (delivery 2)" "$SANDBOX/logs/worker-dead.log"

# The dead letter keeps what an operator needs to replay it.
redis_cli --raw XRANGE mxray:dead - + >"$SANDBOX/dead.txt"
[ "$(redis_cli XLEN mxray:dead)" -eq $((dead_before + 1)) ] && ok one_dead_letter ||
	not_ok one_dead_letter "XLEN mxray:dead $(redis_cli XLEN mxray:dead), was $dead_before"
out=$(python3 - "$SANDBOX/dead.txt" "$id" "$MAX" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
f = dict(zip(lines[1::2], lines[2::2]))
good = (f.get("from") == "jobs" and f.get("id") == sys.argv[2] and f.get("reason") == "too many deliveries"
        and int(f.get("deliveries", 0)) == int(sys.argv[3]) + 1 and json.loads(f.get("job", "{}")).get("domain") == "sender.test")
print("%s - dead_letter_keeps_job_reason_and_count%s" % ("ok" if good else "not ok", "" if good else " # %r" % f))
PY
)
echo "$out"
echo "$out" | grep -q '^ok' || E2E_FAILED=$((E2E_FAILED + 1))

status=$("$E2E_BIN/mxray" status -c "$SANDBOX/dead.conf")
echo "$status" | sed 's/^/# status: /'
echo "$status" | grep -q "^dead     entries $((dead_before + 1)) " && ok status_shows_the_dead_letter ||
	not_ok status_shows_the_dead_letter "$status"
echo "$status" | grep -q '^jobs .* pending 0 ' && ok job_no_longer_pending || not_ok job_no_longer_pending "$status"
metric=$(curl -s "$HTTP_BASE/metrics" | sed -n 's/^mxray_dead_letters //p')
[ "$metric" = $((dead_before + 1)) ] && ok "metrics_show_the_dead_letter (mxray_dead_letters $metric)" ||
	not_ok metrics_show_the_dead_letter "mxray_dead_letters '$metric'"
e2e_done
