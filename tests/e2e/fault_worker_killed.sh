#!/bin/sh
# fault_worker_killed.sh - a worker SIGKILLed in the middle of a probe loses
# nothing: another worker takes the job over after [redis] reclaim_idle,
# and the tester gets exactly one reply (DESIGN hard rule 5).
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up
RCPT=carol
# Short deadlines so the test is quick; reclaim_idle must exceed job_deadline.
sed -e 's/^job_deadline = .*/job_deadline = 4s/' -e 's/^greeting_timeout = .*/greeting_timeout = 3s/' \
	-e 's/^\[redis\]$/[redis]\nreclaim_idle = 15s/' "$SANDBOX_CONF" >"$SANDBOX/fault.conf"

# Replace the sandbox's worker by ones we control (it may sit in a 5 s
# blocking read: wait until it is really gone).
old=$(cat "$SANDBOX/run/mxray-worker.pid")
kill "$old"
for _ in $(seq 1 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
start_worker() {
	setsid "$E2E_BIN/mxray-worker" -c "$SANDBOX/fault.conf" </dev/null >>"$SANDBOX/logs/worker-$1.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-worker-$1.pid"
}
# The tarpit: accepts, never greets (bounded by timeout and stopped by PID).
setsid timeout 120 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 25)); s.listen(8); held = []
while True:
    c, _ = s.accept(); held.append(c); print("accepted", flush=True)
' "${SANDBOX_NET}.7.1" </dev/null >"$SANDBOX/logs/tarpit.log" 2>&1 &
echo $! >"$SANDBOX/run/extra-tarpit.pid"
for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src ${SANDBOX_NET}.7.1:25")" ] && break; sleep 0.1; done
start_worker a

job='{"format":1,"kind":"mail","queued":"2026-11-22T00:00:00Z","domain":"slow.sender.test","reply_to":"carol@sender.test","message":{"mail_from":"carol@sender.test","rcpt":["test@mxray.test"],"tls":null,"spf":{"result":"none"},"dkim":[]}}'
redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" XADD mxray:jobs '*' v 1 job "$job" >/dev/null

# Kill worker a while it waits for the tarpit's greeting.
for _ in $(seq 1 50); do grep -q accepted "$SANDBOX/logs/tarpit.log" && break; sleep 0.2; done
if grep -q accepted "$SANDBOX/logs/tarpit.log"; then ok worker_caught_mid_probe; else not_ok worker_caught_mid_probe "the probe never reached the tarpit"; fi
kill -9 "$(cat "$SANDBOX/run/extra-worker-a.pid")"
killed_at=$(date +%s)
start_worker b

mbox="$MAILBOX_SENDER/$RCPT/new"
for _ in $(seq 1 45); do
	[ "$(find "$mbox" -type f 2>/dev/null | wc -l)" -ge 1 ] && break
	sleep 1
done
sleep 3
n=$(find "$mbox" -type f 2>/dev/null | wc -l)
[ "$n" -eq 1 ] && ok exactly_one_reply_after_the_kill || not_ok exactly_one_reply_after_the_kill "$n replies"
echo "# reply $(($(date +%s) - killed_at)) s after the kill"
check second_worker_took_the_job_over grep -q "taken over" "$SANDBOX/logs/worker-b.log"
status=$("$E2E_BIN/mxray" status -c "$SANDBOX/fault.conf")
echo "$status" | grep -q '^jobs .* pending 0 ' && ok nothing_left_pending || not_ok nothing_left_pending "$status"
e2e_done
