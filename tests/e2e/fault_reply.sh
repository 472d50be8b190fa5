#!/bin/sh
# fault_reply.sh - the reply hand-off loses nothing and sends nothing twice
# (DESIGN hard rule 5):
#  1. a reporter that took a stored report and died before mailing it:
#     another reporter takes the entry over after [redis] reclaim_idle and
#     the tester gets one reply;
#  2. the same report handed over again (a reporter that mailed and died
#     before acknowledging): no second reply;
#  3. the reply submission failing for a while: the entry stays pending,
#     the failure is counted, and once the MTA answers again the reply goes
#     out, once;
#  4. two reporters at once, the report's entry duplicated in the stream and
#     a slow submission (2 s) so both hold the token at the same time: one
#     reply, both entries acknowledged (the token is claimed in Redis);
#  5. a stored report without reply_to (forged, or from an older job): no
#     reply, although its envelope sender is a valid mailbox.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up
redis_cli() { redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" "$@"; }
replies() { find "$MAILBOX_SENDER/$1/new" -type f 2>/dev/null | wc -l; }
# wait_replies USER N SECS: until USER has N replies or SECS passed.
wait_replies() {
	for _ in $(seq 1 "$3"); do [ "$(replies "$1")" -ge "$2" ] && return 0; sleep 1; done
	return 1
}
stop_by_pidfile() {
	p=$(head -n1 "$1")
	kill "$p" 2>/dev/null
	for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.2; done
	kill -9 "$p" 2>/dev/null
}
start_reporter() { # NAME CONF
	setsid "$E2E_BIN/mxray-reporter" -c "$2" </dev/null >>"$SANDBOX/logs/reporter-$1.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-reporter-$1.pid"
}
# Quick takeover (reclaim_idle must exceed job_deadline by 10 s), and a
# submission port this test controls.
sed -e 's/^\[redis\]$/[redis]\nreclaim_idle = 21s/' -e 's/^job_deadline = .*/job_deadline = 10s/' \
	"$SANDBOX_CONF" >"$SANDBOX/fault.conf"
sed "s|^submit = .*|submit = smtp://${SANDBOX_NET}.0.25:2587|" "$SANDBOX/fault.conf" >"$SANDBOX/flaky.conf"

# 1. No reporter runs; the worker stores the report of bob's test.
stop_by_pidfile "$SANDBOX/run/mxray-reporter.pid"
tests/sandbox/send-test-mail.sh "$SANDBOX" bob@sender.test >/dev/null 2>&1 ||
	not_ok bob_test_accepted "$(tail -n 3 "$SANDBOX/logs/send-test-mail.log")"
for _ in $(seq 1 60); do [ "$(redis_cli XLEN mxray:reports)" -ge 1 ] && break; sleep 0.5; done
# A reporter takes the entry and dies before mailing: in Redis that is an
# entry pending for a consumer that never acknowledges (what SIGKILL
# between XREADGROUP and the reply leaves behind).
redis_cli XGROUP CREATE mxray:reports reporters 0 MKSTREAM >/dev/null 2>&1
taken=$(redis_cli XREADGROUP GROUP reporters died-before-mailing COUNT 1 STREAMS mxray:reports '>' | grep -c token)
[ "$taken" = 1 ] && ok report_taken_by_a_dying_reporter || not_ok report_taken_by_a_dying_reporter "XREADGROUP gave $taken"
start_reporter a "$SANDBOX/fault.conf"
wait_replies bob 1 60
sleep 2
[ "$(replies bob)" -eq 1 ] && ok one_reply_after_takeover || not_ok one_reply_after_takeover "$(replies bob) replies"
check takeover_logged grep -q "taken over after" "$SANDBOX/logs/reporter-a.log"

# 2. The same report delivered again: answered already, not mailed twice.
token=$(redis_cli --raw XRANGE mxray:reports - + | sed -n '/^token$/{n;p;q}')
redis_cli XADD mxray:reports '*' v 1 token "$token" >/dev/null
for _ in $(seq 1 20); do grep -q "already answered" "$SANDBOX/logs/reporter-a.log" && break; sleep 0.5; done
check redelivery_recognised grep -q "token $token: already answered" "$SANDBOX/logs/reporter-a.log"
[ "$(replies bob)" -eq 1 ] && ok no_second_reply || not_ok no_second_reply "$(replies bob) replies"
stop_by_pidfile "$SANDBOX/run/extra-reporter-a.pid"

# 3. Submission fails: nothing listens on the reporter's submission port.
start_reporter b "$SANDBOX/flaky.conf"
tests/sandbox/send-test-mail.sh "$SANDBOX" carol@sender.test >/dev/null 2>&1 ||
	not_ok carol_test_accepted "$(tail -n 3 "$SANDBOX/logs/send-test-mail.log")"
for _ in $(seq 1 60); do grep -q "failed, left pending" "$SANDBOX/logs/reporter-b.log" && break; sleep 0.5; done
check failed_submission_left_pending grep -q "failed, left pending" "$SANDBOX/logs/reporter-b.log"
check retried_with_backoff grep -q "try 3 of 3 failed" "$SANDBOX/logs/reporter-b.log"
[ "$(replies carol)" -eq 0 ] && ok no_reply_while_the_mta_refuses || not_ok no_reply_while_the_mta_refuses "$(replies carol)"
failed=$(curl -s "$HTTP_BASE/metrics" | sed -n 's/^mxray_replies_failed_total //p')
[ "${failed:-0}" -ge 1 ] 2>/dev/null && ok failure_counted_on_metrics || not_ok failure_counted_on_metrics "mxray_replies_failed_total '$failed'"
# The MTA answers again: a relay on that port to the real submission port.
setsid timeout 120 python3 tests/tools/tcp_relay.py "${SANDBOX_NET}.0.25" 2587 "${SUBMIT%:*}" 587 \
	</dev/null >"$SANDBOX/logs/relay.log" 2>&1 &
echo $! >"$SANDBOX/run/extra-relay.pid"
wait_replies carol 1 90
sleep 2
[ "$(replies carol)" -eq 1 ] && ok one_reply_once_the_mta_answers || not_ok one_reply_once_the_mta_answers "$(replies carol) replies"
status=$("$E2E_BIN/mxray" status -c "$SANDBOX_CONF")
echo "$status" | grep -q '^reports .* pending 0 ' && ok nothing_left_pending || not_ok nothing_left_pending "$status"
stop_by_pidfile "$SANDBOX/run/extra-reporter-b.pid"

# 4. Two reporters, one token in two entries, submissions that take 2 s.
setsid timeout 120 python3 tests/tools/tcp_relay.py "${SANDBOX_NET}.0.25" 2588 "${SUBMIT%:*}" 587 2 \
	</dev/null >"$SANDBOX/logs/slow-relay.log" 2>&1 &
echo $! >"$SANDBOX/run/extra-slow-relay.pid"
sed "s|^submit = .*|submit = smtp://${SANDBOX_NET}.0.25:2588|" "$SANDBOX/fault.conf" >"$SANDBOX/slow.conf"
# the second reporter's site on a port of its own
sed "s|^listen = .*|listen = ${SANDBOX_NET}.0.8:8081|" "$SANDBOX/slow.conf" >"$SANDBOX/slow-d.conf"
# Both reporters wait in XREADGROUP first: the worker's entry goes to one,
# which then spends 2 s submitting, and the duplicate, added as soon as the
# entry is seen, to the other.
start_reporter c "$SANDBOX/slow.conf"
start_reporter d "$SANDBOX/slow-d.conf"
sleep 1
before=$(redis_cli XLEN mxray:reports)
tests/sandbox/send-test-mail.sh "$SANDBOX" alice@sender.test >/dev/null 2>&1 ||
	not_ok alice_test_accepted "$(tail -n 3 "$SANDBOX/logs/send-test-mail.log")"
for _ in $(seq 1 300); do [ "$(redis_cli XLEN mxray:reports)" -gt "$before" ] && break; sleep 0.1; done
token=$(redis_cli --raw XREVRANGE mxray:reports + - COUNT 1 | sed -n '/^token$/{n;p;q}')
redis_cli XADD mxray:reports '*' v 1 token "$token" >/dev/null
wait_replies alice 1 30
sleep 5	# both submissions would be done by now
[ "$(replies alice)" -eq 1 ] && ok one_reply_from_two_reporters_and_two_entries ||
	not_ok one_reply_from_two_reporters_and_two_entries "$(replies alice) replies, $(grep -c submission "$SANDBOX/logs/slow-relay.log") submissions"
if grep -q "token $token: another reporter is mailing it" "$SANDBOX/logs/reporter-c.log" "$SANDBOX/logs/reporter-d.log" ||
	grep -q "token $token: already answered" "$SANDBOX/logs/reporter-c.log" "$SANDBOX/logs/reporter-d.log"; then
	ok duplicate_entry_recognised
else
	not_ok duplicate_entry_recognised "neither reporter logged the second entry as a duplicate"
fi
# Both reporters did take an entry: the race was on.
[ "$(grep -l "token $token" "$SANDBOX/logs/reporter-c.log" "$SANDBOX/logs/reporter-d.log" | wc -l)" -eq 2 ] &&
	ok both_reporters_had_the_token || not_ok both_reporters_had_the_token "only one reporter saw the token"
status=$("$E2E_BIN/mxray" status -c "$SANDBOX_CONF")
echo "$status" | grep -q '^reports .* pending 0 ' && ok both_entries_acknowledged || not_ok both_entries_acknowledged "$status"

# 5. A report without reply_to: no reply to its envelope sender.
forged=$(echo "$token" | tr 'A-Za-z' 'N-ZA-Mn-za-m')	# another token of the same shape
redis_cli --raw GET "mxray:result:$token" | python3 -c '
import json, sys
r = json.load(sys.stdin); r.pop("reply_to", None); r["token"] = sys.argv[1]
assert r["message"]["mail_from"] == "alice@sender.test"
print(json.dumps(r))' "$forged" >"$SANDBOX/forged.json"
redis_cli -x SET "mxray:result:$forged" <"$SANDBOX/forged.json" >/dev/null
redis_cli XADD mxray:reports '*' v 1 token "$forged" >/dev/null
for _ in $(seq 1 20); do grep -q "token $forged: no reply" "$SANDBOX/logs/reporter-c.log" "$SANDBOX/logs/reporter-d.log" && break; sleep 0.5; done
sleep 1
check no_reply_without_reply_to grep -q "token $forged: no reply" "$SANDBOX/logs/reporter-c.log" "$SANDBOX/logs/reporter-d.log"
[ "$(replies alice)" -eq 1 ] && ok envelope_sender_not_mailed || not_ok envelope_sender_not_mailed "$(replies alice) replies to alice"
e2e_done
