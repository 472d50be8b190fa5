#!/bin/bash
# milter_throughput.sh - messages per second through the sandbox's Postfix
# with no milter, with opendkim alone (verifying) and with mxray-milter,
# the same DKIM-signed test mail sent over the same parallel SMTP sessions
# to three listeners that differ only in smtpd_milters (issue 7: the milter
# should cost no more throughput than opendkim).
#
# usage: bench/milter_throughput.sh [MESSAGES [SESSIONS [ROUNDS]]]
#   MESSAGES per listener per round (default 400) over SESSIONS parallel
#   SMTP sessions (default 8), ROUNDS rounds (default 5), the three
#   listeners in turn within each round; prints every round and medians.
# Needs root (the sandbox) and Debian's opendkim (apt-get install opendkim).
# Runs in its own sandbox (MXRAY_SANDBOX_NET, default 127.86); mxray-milter
# gets rate limits above the burst and its jobs are left queued (no worker
# runs), so only the milter's own work is measured. Stops all it starts.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MXRAY_BIN_DIR:-$root}
MSGS=${1:-400} SESS=${2:-8} ROUNDS=${3:-5}
export MXRAY_SANDBOX_NET=${MXRAY_SANDBOX_NET:-127.86}
NET=$MXRAY_SANDBOX_NET
command -v opendkim >/dev/null || { echo "bench: opendkim missing (apt-get install opendkim)" >&2; exit 1; }
sb=$(mktemp -d /tmp/mxray-bench-milter-XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	"$root/tests/sandbox/sandbox.sh" stop "$sb" >/dev/null 2>&1 || true
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$sb"
}
trap cleanup EXIT INT TERM
"$root/tests/sandbox/sandbox.sh" start "$sb" --no-mxray >"$sb.log" 2>&1 ||
	{ echo "bench: the sandbox did not start: $(tail -n 3 "$sb.log")" >&2; exit 1; }
. "$sb/env"

# mxray-milter, as the sandbox would run it, limits lifted (at most 1000
# per window, so a one-second window).
sed -e 's/^\[milter\]$/[milter]\nrate_window = 1s\nrate_per_sender = 1000\nrate_per_domain = 1000\nrate_per_network = 1000/' \
	"$SANDBOX_CONF" >"$sb/bench.conf"
setsid "$bin/mxray-milter" -c "$sb/bench.conf" </dev/null >"$sb/logs/milter-bench.log" 2>&1 &
pids="$pids $!"
# opendkim, verifying only, asking the sandbox's DNS.
cat >"$sb/opendkim.conf" <<CONF
Mode v
Socket inet:8892@$NET.0.88
Nameservers $NET.0.53
Background no
Syslog no
PidFile $sb/run/opendkim.pid
UserID nobody
CONF
setsid opendkim -f -x "$sb/opendkim.conf" </dev/null >"$sb/logs/opendkim.log" 2>&1 &
pids="$pids $!"

# Three listeners, alike but for their milters.
pf=$sb/postfix
for l in 2601: 2602:inet:$NET.0.88:8892 2603:inet:$NET.0.88:8891; do
	port=${l%%:*} milters=${l#*:}
	postconf -c "$pf" -M "$NET.0.25:$port/inet=$NET.0.25:$port inet n - n - - smtpd -o smtpd_milters=$milters -o smtpd_relay_restrictions=reject_unauth_destination"
done
script -qec "postfix -c '$pf' reload" /dev/null >/dev/null 2>&1
for port in 2601 2602 2603; do
	for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src $NET.0.25:$port")" ] && break; sleep 0.1; done
done
for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src $NET.0.88:8892")" ] && [ -n "$(ss -Hltn "src $NET.0.88:8891")" ] && break; sleep 0.1; done

# The message: the sandbox's own DKIM-signed test mail.
"$root/tests/sandbox/send-test-mail.sh" "$sb" >/dev/null 2>&1 || true
msg=$(ls -t "$sb"/outbox/*.eml | head -n1)

# rate PORT: messages per second over SESS sessions, MSGS messages.
rate() {
	python3 - "$CLIENT_ADDR" "$NET.0.25" "$1" "$MSGS" "$SESS" "$msg" <<'PY'
import smtplib, sys, threading, time
src, host, port, n, k, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
data = open(path, "rb").read()
per = [n // k + (1 if i < n % k else 0) for i in range(k)]
errors = []
def session(m):
    try:
        s = smtplib.SMTP(host, port, source_address=(src, 0), timeout=60)
        s.ehlo("client.sender.test")
        for _ in range(m):
            s.sendmail("alice@sender.test", ["test@mxray.test"], data)
        s.quit()
    except Exception as e:
        errors.append(repr(e))
t0 = time.monotonic()
ts = [threading.Thread(target=session, args=(m,)) for m in per]
for t in ts: t.start()
for t in ts: t.join()
dt = time.monotonic() - t0
if errors:
    print("error: %s" % errors[0], file=sys.stderr); sys.exit(1)
print("%.1f" % (n / dt))
PY
}
echo "| round | no milter msg/s | opendkim msg/s | mxray-milter msg/s |"
echo "|---|---:|---:|---:|"
: >"$sb/rounds"
for r in $(seq 1 "$ROUNDS"); do
	a=$(rate 2601) b=$(rate 2602) c=$(rate 2603)
	echo "$a $b $c" >>"$sb/rounds"
	echo "| $r | $a | $b | $c |"
done
python3 - "$sb/rounds" "$MSGS" "$SESS" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
m = [statistics.median(r[i] for r in rows) for i in range(3)]
print("| **median** (%s messages, %s sessions) | %.1f | %.1f | %.1f |" % (sys.argv[2], sys.argv[3], *m))
print("mxray-milter / opendkim: %.2f; mxray-milter / no milter: %.2f" % (m[2] / m[1], m[2] / m[0]))
PY
jobs=$(redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" XLEN mxray:jobs)
echo "jobs queued by mxray-milter: $jobs (expected $((MSGS * ROUNDS)))"
