#!/bin/sh
# fault_dns.sh - a hostile domain's DNS can neither aim mxray at internal
# hosts nor stall it (issue 7, and issue 4's "within its deadline"):
#  1. refused.dns.unsigned.test is delegated to a name server on a loopback
#     address outside [probe] allow_networks: neither `mxray check` nor a
#     worker's job sends it one query (control: with the address allowed,
#     the same check does reach it, so the listener can see queries);
#  2. silent.dns.unsigned.test is delegated to a name server that reads
#     queries and never answers: `mxray check` and a worker's job each end
#     with a report whose MX lookup failed, and the log says "DNS timed
#     out", within [probe] job_deadline plus one [dns] timeout: the SPF
#     policy is evaluated in the SPF sandbox, whose lookups end at [dns]
#     timeout but not at the job's deadline (lib/analysis would have to
#     pass it). Without lookup deadlines this check took 39 s.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up
DEADLINE_S=5
DNS_TIMEOUT_S=3
BOUND_S=$((DEADLINE_S + DNS_TIMEOUT_S + 2))
REFUSED=${SANDBOX_NET}.9.53
SILENT=${SANDBOX_NET}.9.54
redis_cli() { redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" "$@"; }
# Only the sandbox's own servers (127.N.0.0/24: NSD, Redis, Postfix) and
# the silent name server are allowed, not the refused one.
sed -e "s|^allow_networks = .*|allow_networks = ${SANDBOX_NET}.0.0/24 $SILENT/32|" \
	-e "s/^job_deadline = .*/job_deadline = ${DEADLINE_S}s/" \
	-e "s/^\\[dns\\]\$/[dns]\\ntimeout = ${DNS_TIMEOUT_S}s/" \
	-e 's/^\[redis\]$/[redis]\nreclaim_idle = 30s/' "$SANDBOX_CONF" >"$SANDBOX/dns.conf"
sed -e "s|^allow_networks = .*|allow_networks = ${SANDBOX_NET}.0.0/16|" \
	"$SANDBOX/dns.conf" >"$SANDBOX/dns-allowed.conf"

# listen ADDR NAME: a name server that logs each query and never answers
# (UDP and TCP on port 53; bounded by timeout, stopped by PID).
listen() {
	setsid timeout 300 python3 -c '
import select, socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[1], 53))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((sys.argv[1], 53)); t.listen(16); conns = []
print("listening", flush=True)
while True:
    r, _, _ = select.select([u, t] + conns, [], [])
    for s in r:
        if s is u:
            d, a = u.recvfrom(4096); print("query from", a[0], "udp", len(d), flush=True)
        elif s is t:
            c, a = t.accept(); conns.append(c); print("query from", a[0], "tcp", flush=True)
        else:
            if not s.recv(4096): conns.remove(s); s.close()
' "$1" </dev/null >"$SANDBOX/logs/ns-$2.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-ns-$2.pid"
	for _ in $(seq 1 50); do grep -q listening "$SANDBOX/logs/ns-$2.log" && return 0; sleep 0.1; done
	return 1
}
queries() { grep -c "query from" "$SANDBOX/logs/ns-$1.log"; }
check refused_listener_ready listen "$REFUSED" refused
check silent_listener_ready listen "$SILENT" silent

# check_domain CONF DOMAIN NAME: mxray check; sets RC and TOOK (seconds).
check_domain() {
	t0=$(date +%s.%N)
	"$E2E_BIN/mxray" check -c "$1" --format json "$2" >"$SANDBOX/$3.json" 2>"$SANDBOX/$3.err"
	RC=$?
	TOOK=$(echo "$(date +%s.%N) - $t0" | bc)
}

# 1. Refused name server: not one query, from the check or from a job.
check_domain "$SANDBOX/dns.conf" refused.dns.unsigned.test refused
[ "$RC" -eq 0 ] && ok refused_check_produced_a_report ||
	not_ok refused_check_produced_a_report "exit $RC: $(tail -n 3 "$SANDBOX/refused.err")"
outcome=$(json_get "$SANDBOX/refused.json" dns.mx.outcome)
[ "$outcome" = servfail ] && ok "refused_mx_lookup_failed (${TOOK} s)" ||
	not_ok refused_mx_lookup_failed "dns.mx.outcome is '$outcome'"

# 2. Silent name server: the check ends within its deadline.
check_domain "$SANDBOX/dns.conf" silent.dns.unsigned.test silent
[ "$RC" -eq 0 ] && ok silent_check_produced_a_report ||
	not_ok silent_check_produced_a_report "exit $RC: $(tail -n 3 "$SANDBOX/silent.err")"
outcome=$(json_get "$SANDBOX/silent.json" dns.mx.outcome)
[ "$outcome" = servfail ] && ok silent_mx_lookup_failed || not_ok silent_mx_lookup_failed "dns.mx.outcome is '$outcome'"
[ "$(echo "$TOOK < $BOUND_S" | bc)" = 1 ] && ok "silent_check_within_deadline (${TOOK} s, deadline ${DEADLINE_S} s + ${DNS_TIMEOUT_S} s)" ||
	not_ok silent_check_within_deadline "took $TOOK s, bound $BOUND_S s"
contains silent_check_says_dns_timed_out "$SANDBOX/silent.err" "DNS timed out"
# and the report says so: the reason, the finding, no grade for receiving
contains silent_report_says_dns_timed_out "$SANDBOX/silent.json" '"why_failed": "DNS timed out'
contains silent_report_mx_lookup_failed_finding "$SANDBOX/silent.json" '"id": "dns.mx.lookup_failed"'
[ "$(json_get "$SANDBOX/silent.json" grade.not_graded.receiving)" = "the MX lookup failed, so there was no MX address to test" ] &&
	ok silent_receiving_not_graded_says_why ||
	not_ok silent_receiving_not_graded_says_why "$(json_get "$SANDBOX/silent.json" grade.not_graded)"
[ "$(queries silent)" -ge 1 ] && ok "silent_server_was_asked ($(queries silent) queries)" ||
	not_ok silent_server_was_asked "no query reached it: the case shows nothing"

# The same two domains as jobs of a worker running this config.
old=$(cat "$SANDBOX/run/mxray-worker.pid")
kill "$old"
for _ in $(seq 1 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
setsid "$E2E_BIN/mxray-worker" -c "$SANDBOX/dns.conf" </dev/null >>"$SANDBOX/logs/worker-dns.log" 2>&1 &
echo $! >"$SANDBOX/run/extra-worker-dns.pid"
# job_done DOMAIN SECS: the worker's line for DOMAIN's job within SECS.
job_done() {
	for _ in $(seq 1 $(($2 * 5))); do
		grep -q "domain $1 grade" "$SANDBOX/logs/worker-dns.log" && return 0
		sleep 0.2
	done
	return 1
}
for d in refused silent; do
	job='{"format":1,"kind":"mail","queued":"2026-12-01T00:00:00Z","domain":"'$d'.dns.unsigned.test","reply_to":null,"message":{"mail_from":"x@'$d'.dns.unsigned.test","rcpt":["test@mxray.test"],"tls":null,"spf":{"result":"none"},"dkim":[]}}'
	t0=$(date +%s)
	redis_cli XADD mxray:jobs '*' v 1 job "$job" >/dev/null
	if job_done "$d.dns.unsigned.test" $((BOUND_S + 5)); then
		took=$(($(date +%s) - t0))
		[ "$took" -le "$BOUND_S" ] && ok "${d}_job_done_within_deadline (${took} s)" ||
			not_ok "${d}_job_done_within_deadline" "$took s"
	else
		not_ok "${d}_job_done_within_deadline" "no report after $((BOUND_S + 5)) s: $(tail -n 3 "$SANDBOX/logs/worker-dns.log")"
	fi
done
token=$(sed -n 's/.*token \([^ ]*\) domain silent.dns.unsigned.test .*/\1/p' "$SANDBOX/logs/worker-dns.log" | head -n 1)
redis_cli --raw GET "mxray:result:$token" >"$SANDBOX/silent-job.json"
outcome=$(json_get "$SANDBOX/silent-job.json" dns.mx.outcome)
[ "$outcome" = servfail ] && ok silent_job_report_stored_mx_failed ||
	not_ok silent_job_report_stored_mx_failed "stored report's dns.mx.outcome is '$outcome'"
contains silent_job_log_says_dns_timed_out "$SANDBOX/logs/worker-dns.log" "DNS timed out"
status=$("$E2E_BIN/mxray" status -c "$SANDBOX/dns.conf")
echo "$status" | grep -q '^jobs .* pending 0 ' && ok jobs_acknowledged || not_ok jobs_acknowledged "$status"

n=$(queries refused)
[ "$n" -eq 0 ] && ok refused_server_never_queried || not_ok refused_server_never_queried "$n queries reached $REFUSED"

# Control: allowed, the same check does reach the name server.
check_domain "$SANDBOX/dns-allowed.conf" refused.dns.unsigned.test control
n=$(queries refused)
[ "$n" -ge 1 ] && ok "control_allowed_server_is_queried ($n queries)" ||
	not_ok control_allowed_server_is_queried "the listener saw nothing: case 1 proves nothing"
e2e_done
