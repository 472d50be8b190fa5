#!/bin/sh
# walking_skeleton.sh - a DKIM-signed test mail in, a reply with a report
# link out, through real Postfix, the milter, Redis, the worker and the
# reporter; the report names what the user would check; it expires.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

TTL_S=12
MXRAY_REPORT_TTL=${TTL_S}s
export MXRAY_REPORT_TTL
sandbox_up
work=$SANDBOX/e2e
mkdir -p "$work"

# The daemons started as root and gave it up for [*] user = nobody.
for d in milter worker reporter; do
	u=$(ps -o user= -p "$(cat "$SANDBOX/run/mxray-$d.pid")" 2>/dev/null | tr -d ' ')
	[ "$u" = nobody ] && ok "mxray_${d}_runs_unprivileged" || not_ok "mxray_${d}_runs_unprivileged" "runs as '$u'"
done
# and with an open-file limit sized to what it needs (daemon_drop_privileges_limited)
for dl in milter:2048 reporter:512; do
	d=${dl%%:*} want=${dl#*:}
	got=$(sed -n 's/^Max open files  *\([0-9]*\)  *\([0-9]*\) .*/\1 \2/p' "/proc/$(cat "$SANDBOX/run/mxray-$d.pid")/limits")
	[ "$got" = "$want $want" ] && ok "mxray_${d}_open_files_$want" || not_ok "mxray_${d}_open_files_$want" "Max open files '$got'"
done

msgid=$(tests/sandbox/send-test-mail.sh "$SANDBOX" 2>"$work/send.err")
if [ -z "$msgid" ]; then
	not_ok test_mail_accepted "$(tail -n 5 "$work/send.err")"
	exit 1
fi
ok test_mail_accepted
sent_at=$(date +%s)

reply=$(tests/sandbox/wait-reply.sh "$SANDBOX" 60)
if [ -z "$reply" ] || [ ! -f "$reply" ]; then
	not_ok reply_arrived "no reply in $MAILBOX_SENDER within 60 s"
	for l in milter worker reporter; do
		echo "# --- $l log"
		tail -n 15 "$SANDBOX/logs/mxray-$l.log" 2>/dev/null | sed 's/^/#   /'
	done
	exit 1
fi
ok reply_arrived
echo "# reply after $(($(date +%s) - sent_at)) s"

contains reply_is_auto_submitted "$reply" "Auto-Submitted: auto-replied"
contains reply_refers_to_test_mail "$reply" "In-Reply-To: $msgid"
contains reply_goes_to_sender "$reply" "To: alice@sender.test"
# sender.test does everything right but mx2's self-signed certificate,
# which does not lower an SMTP grade below A.
contains reply_subject_has_grade "$reply" "Subject: mxray report for sender.test: grade A"
contains reply_names_top_fix "$reply" "Certificate not trusted (mx2.sender.test"

link=$(grep -o "$HTTP_BASE/r/[A-Za-z0-9_-]*" "$reply" | head -n 1)
if [ -z "$link" ]; then
	not_ok reply_has_link "no $HTTP_BASE/r/<token> in the reply"
	exit 1
fi
ok reply_has_link

code=$(curl -s -o "$work/page.html" -D "$work/page.headers" -w '%{http_code}' "$link")
[ "$code" = 200 ] && ok report_page_served || not_ok report_page_served "status $code"
contains page_names_mx1 "$work/page.html" "mx1.sender.test"
contains page_names_mx2 "$work/page.html" "mx2.sender.test"
contains page_shows_tls_version "$work/page.html" "TLSv1.3"
contains page_shows_dkim_selector "$work/page.html" "s1"
contains page_shows_spf_result "$work/page.html" "pass"
contains page_leads_with_grade "$work/page.html" 'title="overall grade">A</div>'
if grep -qi '^content-security-policy:' "$work/page.headers"; then ok page_has_csp; else not_ok page_has_csp; fi

code=$(curl -s -o "$work/report.json" -w '%{http_code}' "$link.json")
[ "$code" = 200 ] && ok report_json_served || not_ok report_json_served "status $code"
j() { json_get "$work/report.json" "$1"; }
[ "$(j format)" = 1 ] && ok json_format_1 || not_ok json_format_1 "format=$(j format)"
[ "$(j domain)" = sender.test ] && ok json_domain || not_ok json_domain "domain=$(j domain)"
[ "$(j grade.overall)" = A ] && ok json_grade_a || not_ok json_grade_a "$(j grade)"
[ "$(j message.dkim.0.selector)" = s1 ] && ok json_dkim_selector || not_ok json_dkim_selector "$(j message.dkim)"
[ "$(j message.dkim.0.result)" = pass ] && ok json_dkim_pass || not_ok json_dkim_pass "$(j message.dkim)"
# The sandbox sends from 127.77.2.1: a loopback client, which libspf2
# always passes, so mxray gives no SPF verdict; DKIM carries DMARC.
[ "$(j message.spf.result)/$(j message.spf.evaluated)" = null/false ] && ok json_spf_loopback_not_evaluated ||
	not_ok json_spf_loopback_not_evaluated "$(j message.spf)"
[ "$(j message.dmarc.result)" = pass ] && ok json_dmarc_pass || not_ok json_dmarc_pass "$(j message.dmarc)"
[ "$(j dns.dmarc.policy)" = reject ] && ok json_dmarc_policy_reject || not_ok json_dmarc_policy_reject "$(j dns.dmarc)"
[ "$(j message.tls.version)" = TLSv1.3 ] && ok json_inbound_tls || not_ok json_inbound_tls "$(j message.tls)"
[ "$(j message.client.ip)" = "$CLIENT_ADDR" ] && ok json_client_ip || not_ok json_client_ip "$(j message.client)"
[ "$(j dns.mx.dnssec)" = secure ] && ok json_mx_dnssec_secure || not_ok json_mx_dnssec_secure "$(j dns.mx)"
[ "$(j mx.0.host)" = mx1.sender.test ] && ok json_mx1_first || not_ok json_mx1_first "$(j mx.0.host)"
[ "$(j mx.0.addresses.0.state)" = tested ] && ok json_mx1_tested || not_ok json_mx1_tested "$(j mx.0.addresses.0.reason)"
[ "$(j mx.0.addresses.0.starttls)" = ok ] && ok json_mx1_starttls || not_ok json_mx1_starttls "$(j mx.0.addresses.0.starttls)"
[ "$(j mx.0.addresses.0.tls.version)" = TLSv1.3 ] && ok json_mx1_tls13 || not_ok json_mx1_tls13 "$(j mx.0.addresses.0.tls.version)"
[ "$(j mx.0.addresses.0.tls.verified)" = true ] && ok json_mx1_chain_trusted || not_ok json_mx1_chain_trusted "$(j mx.0.addresses.0.tls.verify_error)"
[ "$(j mx.1.addresses.0.tls.verified)" = false ] && ok json_mx2_selfsigned_untrusted || not_ok json_mx2_selfsigned_untrusted "$(j mx.1.addresses.0.tls)"
if grep -q '"dir": *"C"' "$work/report.json" && ! grep -Eq '"line": *"(MAIL|RCPT|DATA|VRFY|EXPN|AUTH)' "$work/report.json"; then
	ok transcript_only_ehlo_starttls_quit
else
	not_ok transcript_only_ehlo_starttls_quit "client lines: $(grep -o '"line": *"[A-Z]*' "$work/report.json" | sort -u | tr '\n' ' ')"
fi

# Operators see the flow on /metrics (Prometheus text format).
curl -s -o "$work/metrics" "$HTTP_BASE/metrics"
metric() { sed -n "s/^$1 //p" "$work/metrics"; }
[ "$(metric mxray_jobs_processed_total)" = 1 ] && ok metrics_count_the_job || not_ok metrics_count_the_job "$(grep jobs_processed "$work/metrics")"
[ "$(metric mxray_replies_sent_total)" = 1 ] && ok metrics_count_the_reply || not_ok metrics_count_the_reply "$(grep replies_sent "$work/metrics")"
[ "$(metric 'mxray_queue_pending{stream="jobs"}')" = 0 ] && ok metrics_show_nothing_pending || not_ok metrics_show_nothing_pending "$(grep pending "$work/metrics")"
[ "$(metric mxray_reports_served_total)" -ge 2 ] 2>/dev/null && ok metrics_count_reports_served || not_ok metrics_count_reports_served "$(grep served "$work/metrics")"
# One test: one probe and one end-to-end observation, the latter no
# shorter than the former (the mail waited for the probe) and under the
# minute the reply took at most.
[ "$(metric mxray_probe_duration_seconds_count)" = 1 ] && ok metrics_probe_latency_histogram || not_ok metrics_probe_latency_histogram "$(grep probe_duration "$work/metrics")"
[ "$(metric mxray_end_to_end_seconds_count)" = 1 ] && [ "$(metric 'mxray_end_to_end_seconds_bucket{le="60"}')" = 1 ] &&
	awk -v e="$(metric mxray_end_to_end_seconds_sum)" -v p="$(metric mxray_probe_duration_seconds_sum)" 'BEGIN { exit !(e >= p && e > 0) }' &&
	ok metrics_end_to_end_latency_histogram || not_ok metrics_end_to_end_latency_histogram "$(grep -E 'end_to_end|probe_duration_seconds_sum' "$work/metrics")"

# An unknown token and an expired one answer alike.
curl -s -o "$work/unknown.html" "$HTTP_BASE/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
wait_s=$((sent_at + TTL_S + 3 - $(date +%s)))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
code=$(curl -s -o "$work/expired.html" -w '%{http_code}' "$link")
case "$code" in 404 | 410) ok expired_link_refused ;; *) not_ok expired_link_refused "status $code after the TTL" ;; esac
check expired_and_unknown_alike cmp -s "$work/expired.html" "$work/unknown.html"
code=$(curl -s -o /dev/null -w '%{http_code}' "$link.json")
case "$code" in 404 | 410) ok expired_json_refused ;; *) not_ok expired_json_refused "status $code" ;; esac

# Redis down: the milter answers 451 through Postfix, so the sender's MTA
# keeps the mail and retries (DESIGN hard rule 5).
kill "$(cat "$SANDBOX/run/redis.pid")" 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do
	redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" ping >/dev/null 2>&1 || break
	sleep 0.5
done
if tests/sandbox/send-test-mail.sh "$SANDBOX" >/dev/null 2>&1; then
	not_ok redis_down_tempfails "the test mail was accepted with Redis down"
elif grep -q "451 4.3.0" "$SANDBOX/logs/send-test-mail.log"; then
	ok redis_down_tempfails
else
	not_ok redis_down_tempfails "$(grep -E '^ *<\*\*\* ' "$SANDBOX/logs/send-test-mail.log" | tail -n 2)"
fi

e2e_done
