#!/bin/sh
# hostile_servers.sh - MX hosts that misbehave on purpose (tarpit, 1 MB
# greeting, endless reply, bad codes, 8-bit garbage, STARTTLS cut off or
# answered with garbage TLS, silence after the greeting): for each, the
# probe finishes within its deadline, exits 0 with a report, and records
# the address as not tested or failed with a reason, or STARTTLS as
# failed. Under `make check SANITIZE=1` the probe runs under ASan/UBSan.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

DEADLINE_S=6
sandbox_up --no-mxray
sed -e 's/^connect_timeout = .*/connect_timeout = 2s/' -e 's/^greeting_timeout = .*/greeting_timeout = 2s/' \
	-e 's/^command_timeout = .*/command_timeout = 2s/' -e 's/^tls_timeout = .*/tls_timeout = 2s/' \
	-e "s/^job_deadline = .*/job_deadline = ${DEADLINE_S}s/" "$SANDBOX_CONF" >"$SANDBOX/hostile.conf"

# N:MODE:what the address must show
CASES="1:tarpit:not_tested 2:huge_greeting:failed 3:endless:failed 4:bad_code:failed
5:garbage:failed 6:close_starttls:starttls_failed 7:garbage_tls:starttls_failed 8:silent_ehlo:not_tested"
for c in $CASES; do
	n=${c%%:*}
	mode=$(echo "$c" | cut -d: -f2)
	setsid timeout 300 python3 tests/tools/hostile_smtpd.py "$mode" "${SANDBOX_NET}.7.1$n" </dev/null \
		>"$SANDBOX/logs/hostile-$n.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-hostile-$n.pid"
done
for c in $CASES; do
	n=${c%%:*}
	for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src ${SANDBOX_NET}.7.1$n:25")" ] && break; sleep 0.1; done
done

for c in $CASES; do
	n=${c%%:*}
	mode=$(echo "$c" | cut -d: -f2)
	want=$(echo "$c" | cut -d: -f3)
	out="$SANDBOX/hostile-$n.json"
	t0=$(date +%s%N)
	"$E2E_BIN/mxray" check -c "$SANDBOX/hostile.conf" --format json "hostile-$n.sender.test" \
		>"$out" 2>"$SANDBOX/logs/check-$n.err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	state=$(json_get "$out" mx.0.addresses.0.state)
	reason=$(json_get "$out" mx.0.addresses.0.reason)
	starttls=$(json_get "$out" mx.0.addresses.0.starttls)
	echo "# $mode: exit $rc, $ms ms, state $state, starttls $starttls, reason: $reason"
	[ "$rc" -eq 0 ] && ok "${mode}_report_produced" ||
		not_ok "${mode}_report_produced" "exit $rc: $(tail -n 3 "$SANDBOX/logs/check-$n.err")"
	[ "$ms" -le $(((DEADLINE_S + 3) * 1000)) ] && ok "${mode}_within_deadline" ||
		not_ok "${mode}_within_deadline" "$ms ms"
	case "$want" in
	starttls_failed)
		[ -n "$starttls" ] && [ "$starttls" != ok ] && [ "$starttls" != null ] &&
			grep -q smtp.starttls.failed "$out" && ok "${mode}_starttls_failure_is_a_finding" ||
			not_ok "${mode}_starttls_failure_is_a_finding" "state $state starttls $starttls"
		[ "$(json_get "$out" grade.receiving)" = C ] && ok "${mode}_grades_receiving_c" ||
			not_ok "${mode}_grades_receiving_c" "receiving $(json_get "$out" grade.receiving)"
		;;
	*)
		[ "$state" = "$want" ] && [ -n "$reason" ] && ok "${mode}_${want}_with_reason" ||
			not_ok "${mode}_${want}_with_reason" "state $state, reason '$reason'"
		;;
	esac
done
e2e_done
