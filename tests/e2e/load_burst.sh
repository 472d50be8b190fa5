#!/bin/sh
# load_burst.sh - a burst of test mails through the whole sandbox (Postfix,
# milter, Redis, worker, reporter): every one is accepted and gets exactly
# one reply and one report. Prints the end-to-end latency (send accepted ->
# reply delivered) median and p99 and the throughput as "# " lines.
# LOAD_MAILS mails (default 30 in the suite; bench/load_burst.sh sends 500),
# latency counted from the start of each mail's SMTP session (signing and
# sending included) to its reply's delivery into the sender's Maildir;
# LOAD_PARALLEL senders at once (default 8). Each mail has its own envelope
# sender (uN@sender.test), so the per-sender rate limit does not apply; the
# milter is restarted with the per-domain and per-network limits above
# LOAD_MAILS when the burst is larger than they allow.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

N=${LOAD_MAILS:-30}
P=${LOAD_PARALLEL:-8}
sandbox_up
redis_cli() { redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" "$@"; }
if [ "$N" -gt 45 ]; then
	sed -e "s/^\[milter\]$/[milter]\nrate_per_domain = $((N + 10))\nrate_per_network = $((N + 10))/" \
		"$SANDBOX_CONF" >"$SANDBOX/load.conf"
	p=$(head -n1 "$SANDBOX/run/mxray-milter.pid")
	kill "$p"
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	setsid "$E2E_BIN/mxray-milter" -c "$SANDBOX/load.conf" </dev/null >>"$SANDBOX/logs/milter-load.log" 2>&1 &
	echo $! >"$SANDBOX/run/mxray-milter.pid"
	for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src ${SANDBOX_NET}.0.88:8891")" ] && break; sleep 0.1; done
fi

# One sender per mail, each in a directory of its own (logs and outboxes
# do not mix); prints "<epoch-ms> <Message-ID>" once accepted, the time
# being when its SMTP session began (latency is what a tester waits).
mkdir -p "$SANDBOX/load"
cat >"$SANDBOX/load/send_one.sh" <<'SH'
#!/bin/sh
d=$(mktemp -d "$SANDBOX/load/s.XXXXXX")
ln -s "$SANDBOX/dkim" "$d/dkim"
ln -s "$SANDBOX/env" "$d/env"
mkdir -p "$d/logs"
start=$(date +%s%3N)
if mid=$(tests/sandbox/send-test-mail.sh "$d" "u$1@sender.test" 2>/dev/null); then
	echo "$start $mid"
else
	echo "FAILED u$1 $(grep -E '^<~?\*' "$d/logs/send-test-mail.log" | tail -n 1)"
fi
SH
export SANDBOX
t0=$(date +%s%3N)
seq 1 "$N" | xargs -P "$P" -n 1 sh "$SANDBOX/load/send_one.sh" >"$SANDBOX/load/sent" 2>/dev/null
t_sent=$(date +%s%3N)
accepted=$(grep -vc '^FAILED' "$SANDBOX/load/sent")
[ "$accepted" -eq "$N" ] && ok "all_${N}_mails_accepted" ||
	not_ok "all_${N}_mails_accepted" "$accepted accepted; $(grep '^FAILED' "$SANDBOX/load/sent" | head -n 3)"

# Every reply, bounded: 20 s plus 2 s per mail at most.
box="$MAILBOX_SENDER/other/new"
limit=$((20 + 2 * N))
for _ in $(seq 1 "$limit"); do
	[ "$(find "$box" -type f 2>/dev/null | wc -l)" -ge "$accepted" ] && break
	sleep 1
done
sleep 3
t_done=$(date +%s%3N)
replies=$(find "$box" -type f 2>/dev/null | wc -l)
[ "$replies" -eq "$N" ] && ok "one_reply_per_mail ($replies)" || not_ok one_reply_per_mail "$replies replies for $N mails"
processed=$(redis_cli GET mxray:count:jobs_processed)
[ "${processed:-0}" -eq "$N" ] && ok "one_report_per_mail ($processed)" || not_ok one_report_per_mail "$processed reports for $N mails"
# Replies matched to mails by In-Reply-To: each mail answered exactly once.
python3 - "$SANDBOX/load/sent" "$box" "$t0" "$t_sent" <<'PY' >"$SANDBOX/load/stats"
import os, statistics, sys
sent = {}
for line in open(sys.argv[1]):
    p = line.split()
    if p and p[0] != "FAILED":
        sent[p[1]] = int(p[0])
answered = {}
for f in os.listdir(sys.argv[2]):
    path = os.path.join(sys.argv[2], f)
    irt = None
    for l in open(path, errors="replace"):
        if l.lower().startswith("in-reply-to:"):
            irt = l.split(":", 1)[1].strip()
            break
        if l in ("\n", "\r\n"):
            break
    answered.setdefault(irt, []).append(os.stat(path).st_mtime_ns // 1000000)
twice = [k for k, v in answered.items() if len(v) > 1]
missing = [k for k in sent if k not in answered]
lat = sorted((answered[k][0] - t) / 1000 for k, t in sent.items() if k in answered)
print("twice %d missing %d" % (len(twice), len(missing)))
if lat:
    p99 = lat[min(len(lat) - 1, int(round(0.99 * len(lat) + 0.5)) - 1)]
    last = max(v[0] for v in answered.values())
    print("# %d mails: sent in %.1f s; latency median %.2f s, p99 %.2f s; %.1f tests/min end to end"
          % (len(lat), (int(sys.argv[4]) - int(sys.argv[3])) / 1000, statistics.median(lat), p99,
             60000 * len(lat) / (last - int(sys.argv[3]))))
PY
if grep -q '^twice 0 missing 0$' "$SANDBOX/load/stats"; then ok each_mail_answered_once; else
	not_ok each_mail_answered_once "$(head -n1 "$SANDBOX/load/stats")"; fi
grep '^#' "$SANDBOX/load/stats"
status=$("$E2E_BIN/mxray" status -c "$SANDBOX_CONF")
echo "$status" | grep -q '^jobs .* pending 0 ' && ok nothing_left_pending || not_ok nothing_left_pending "$status"
e2e_done
