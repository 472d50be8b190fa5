#!/bin/sh
# fault_redis_down.sh - Redis stops while test mails arrive: nothing is
# accepted that could be lost. Each mail gets 451 4.3.0 at end of data
# (the sending MTA keeps it and retries), no reply goes out, the milter
# lives on; once Redis is back, the same mails sent again (the sender's
# retry; this test plays that MTA with swaks) are each answered exactly
# once (DESIGN hard rule 5).
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up
MAILS=3
mbox="$MAILBOX_SENDER/alice/new"
redis_cli() { redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" "$@"; }

# Redis down, stopped by its PID.
pid=$(head -n1 "$SANDBOX/run/redis.pid")
kill "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && not_ok redis_stopped "pid $pid still running"

# Test mails arrive: each is refused for now, none is taken.
: >"$SANDBOX/tempfailed"
for i in $(seq 1 "$MAILS"); do
	: >"$SANDBOX/logs/send-test-mail.log"
	if tests/sandbox/send-test-mail.sh "$SANDBOX" >/dev/null 2>&1; then
		not_ok "mail_${i}_tempfailed" "accepted with Redis down"
	elif grep -Eq '^<~?\*+ +451 4\.3\.0' "$SANDBOX/logs/send-test-mail.log"; then
		ok "mail_${i}_tempfailed_451_4.3.0"
		# The signed message as sent, for the sender's retry.
		ls -t "$SANDBOX"/outbox/*.eml | head -n1 >>"$SANDBOX/tempfailed"
	else
		not_ok "mail_${i}_tempfailed" "$(grep -E '^<~?\*' "$SANDBOX/logs/send-test-mail.log" | tail -n 2)"
	fi
done
check milter_still_running kill -0 "$(head -n1 "$SANDBOX/run/mxray-milter.pid")"
sleep 2
n=$(find "$mbox" -type f 2>/dev/null | wc -l)
[ "$n" -eq 0 ] && ok no_reply_while_redis_is_down || not_ok no_reply_while_redis_is_down "$n replies"

# Redis back (as the sandbox starts it, so `sandbox.sh stop` stops it).
setsid redis-server --bind "${REDIS_ADDR%:*}" --port "${REDIS_ADDR##*:}" --protected-mode no \
	--save "" --appendonly no --daemonize no --dir "$SANDBOX/redis" \
	--logfile "$SANDBOX/logs/redis-again.log" </dev/null >/dev/null 2>&1 &
echo $! >"$SANDBOX/run/redis.pid"
for _ in $(seq 1 50); do redis_cli PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done
check redis_back redis_cli PING

# The sender's MTA retries each queued mail: now accepted.
retried=0
while read -r msg; do
	swaks --server "$SMTP_IN" --local-interface "$CLIENT_ADDR" --tls --ehlo client.sender.test \
		--from alice@sender.test --to test@mxray.test --data "$msg" --timeout 30 \
		>>"$SANDBOX/logs/retry.log" 2>&1 && retried=$((retried + 1))
done <"$SANDBOX/tempfailed"
[ "$retried" -eq "$MAILS" ] && ok every_retry_accepted || not_ok every_retry_accepted "$retried of $MAILS"

# Every test answered, once: wait for all replies (bounded), then a little
# longer so a duplicate would show.
for _ in $(seq 1 60); do
	[ "$(find "$mbox" -type f 2>/dev/null | wc -l)" -ge "$MAILS" ] && break
	sleep 1
done
sleep 3
n=$(find "$mbox" -type f 2>/dev/null | wc -l)
[ "$n" -eq "$MAILS" ] && ok "one_reply_per_test ($n)" || not_ok one_reply_per_test "$n replies for $MAILS tests"
# Each reply answers one of the tempfailed mails, none twice.
ids=$(while read -r msg; do grep -i -m1 '^Message-ID:' "$msg" | sed 's/^[^<]*//; s/\r$//'; done <"$SANDBOX/tempfailed" | sort)
answered=$(grep -h -i -m1 '^In-Reply-To:' "$mbox"/* 2>/dev/null | sed 's/^[^<]*//; s/\r$//' | sort)
[ -n "$ids" ] && [ "$ids" = "$answered" ] && ok replies_answer_exactly_the_tempfailed_mails ||
	not_ok replies_answer_exactly_the_tempfailed_mails "sent: $(echo $ids) answered: $(echo $answered)"
status=$("$E2E_BIN/mxray" status -c "$SANDBOX_CONF")
echo "$status" | grep -q '^jobs .* pending 0 ' && ok nothing_left_pending || not_ok nothing_left_pending "$status"
e2e_done
