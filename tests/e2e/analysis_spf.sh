#!/bin/sh
# analysis_spf.sh - SPF of test mail for real: records served by the
# sandbox DNS (zone analysis.test), the client outside 127/8 (libspf2
# passes every loopback client).
#
# Part 1: `mxray analyze --client-ip 198.51.100.2` over the whole table:
# pass, fail, softfail, neutral, none, include, redirect, macros, 11
# lookups, 2 and 3 void lookups, two records, a syntax error, a DNS
# failure (include in the bogus zone), hostile macro forms.
# Part 2: through real Postfix and the milter: a network namespace of this
# test (mxa3-PID) with a veth pair 198.51.100.1 (root side, an extra smtpd
# listener added to this sandbox's master.cf only) - 198.51.100.2 (inside,
# where swaks runs); the job the milter queued in Redis must carry the
# verdict, and a hostile record must neither stop the milter nor spoil
# the next message; the reply policy decides from SPF; bulk mail queues no
# job at all;
# the 11th test of one sender within the hour gets 450 4.7.1. The
# namespace is removed by name on exit.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

for c in ip swaks redis-cli; do
	command -v "$c" >/dev/null || { not_ok "needs_$c" "$c not installed"; exit 1; }
done
sandbox_up
work=$SANDBOX/e2e
mkdir -p "$work"
MXRAY=$E2E_BIN/mxray
CLIENT=198.51.100.2
ROOTSIDE=198.51.100.1

cat >"$work/msg.eml" <<EOF
From: Alice <alice@pass.spf.analysis.test>
To: test@mxray.test
Subject: spf table
Date: Sun, 22 Nov 2026 10:00:00 +0000
Message-ID: <spf-table@analysis.test>

Hello.
EOF

# spf_field FILE KEY: message.spf.KEY of a report or job.
spf_field() { json_get "$1" "message.spf.$2"; }
# spf_findings FILE: the ids of message.spf.findings, space-separated.
spf_findings() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["message"]["spf"]; print(" ".join(f["id"] for f in d.get("findings", [])))' "$1" 2>/dev/null
}

# --- Part 1: the table through mxray analyze ---
# case  user  result  lookups  void  finding-that-must-be-there
while read -r name user want lookups void finding; do
	out=$work/analyze-$name.json
	"$MXRAY" analyze -c "$SANDBOX_CONF" --format json --client-ip "$CLIENT" \
		--mail-from "$user@$name.spf.analysis.test" "$work/msg.eml" >"$out" 2>"$out.err"
	rc=$?
	got=$(spf_field "$out" result)
	why="rc=$rc result=$got explanation=$(spf_field "$out" explanation) $(head -c 300 "$out.err")"
	[ "$rc" = 0 ] && [ "$got" = "$want" ] && ok "analyze_spf_${name}_${user}_is_$want" ||
		not_ok "analyze_spf_${name}_${user}_is_$want" "$why"
	if [ "$lookups" != - ]; then
		g=$(spf_field "$out" lookups)/$(spf_field "$out" void_lookups)
		[ "$g" = "$lookups/$void" ] && ok "analyze_spf_${name}_counts_${lookups}_lookups_${void}_void" ||
			not_ok "analyze_spf_${name}_counts_${lookups}_lookups_${void}_void" "got lookups/void $g"
	fi
	if [ "$finding" != - ]; then
		case " $(spf_findings "$out") " in
		*" $finding "*) ok "analyze_spf_${name}_finding_$finding" ;;
		*) not_ok "analyze_spf_${name}_finding_$finding" "findings: $(spf_findings "$out")" ;;
		esac
	fi
done <<'EOF'
pass alice pass 0 0 spf.pass
fail alice fail 0 0 spf.fail
softfail alice softfail 0 0 spf.softfail
neutral alice neutral 0 0 -
none alice none - - -
include alice pass 1 0 -
redirect alice pass 1 0 -
macro alice pass 1 0 -
macro bob fail 1 1 -
eleven alice permerror 11 0 spf.too_many_lookups
void2 alice pass 2 2 -
void alice permerror 3 3 spf.void_lookups
two alice permerror - - spf.multiple_records
syntax alice permerror - - spf.error
dnsfail alice temperror - - spf.error
hostile alice permerror - - -
EOF
# A fail names the client and the domain in its explanation.
contains analyze_spf_fail_explains "$work/analyze-fail.json" \
	"$CLIENT is not authorised by the SPF record of fail.spf.analysis.test"
# libspf2 passes every loopback client (the reason this test needs a
# namespace): mxray reports no verdict for one, even where the record
# says -all, and the reply policy does not count it as authenticated.
"$MXRAY" analyze -c "$SANDBOX_CONF" --format json --client-ip 127.0.0.1 \
	--mail-from alice@fail.spf.analysis.test "$work/msg.eml" >"$work/loop.json" 2>/dev/null
g="$(spf_field "$work/loop.json" result)/$(spf_field "$work/loop.json" evaluated)"
[ "$g" = null/false ] && ok analyze_spf_loopback_not_evaluated || not_ok analyze_spf_loopback_not_evaluated "got $g"
case "$(spf_field "$work/loop.json" explanation)" in
"not evaluated: the client 127.0.0.1 is a loopback address, which libspf2 always passes"*)
	ok analyze_spf_loopback_reason ;;
*) not_ok analyze_spf_loopback_reason "explanation: $(spf_field "$work/loop.json" explanation)" ;;
esac
case " $(spf_findings "$work/loop.json") " in
*" spf.not_evaluated "*) ok analyze_spf_loopback_finding ;;
*) not_ok analyze_spf_loopback_finding "findings: $(spf_findings "$work/loop.json")" ;;
esac
"$MXRAY" analyze -c "$SANDBOX_CONF" --format html --client-ip 127.0.0.1 \
	--mail-from alice@fail.spf.analysis.test "$work/msg.eml" >"$work/loop.html" 2>/dev/null
contains analyze_spf_loopback_html_says_why "$work/loop.html" "not evaluated: the client 127.0.0.1 is a loopback address"
"$MXRAY" analyze -c "$SANDBOX_CONF" --format text --client-ip 127.0.0.1 \
	--mail-from alice@fail.spf.analysis.test "$work/msg.eml" >"$work/loop.txt" 2>/dev/null
contains analyze_spf_loopback_text_says_why "$work/loop.txt" "SPF:         no verdict for fail.spf.analysis.test: not evaluated: the client 127.0.0.1"
if grep -q 'class="ok">pass</span> <span class="muted">for fail.spf' "$work/loop.html"; then
	not_ok analyze_spf_loopback_html_no_pass "the page shows SPF pass"
else
	ok analyze_spf_loopback_html_no_pass
fi

# DNS blocklist bl.analysis.test (the sandbox's [milter] dnsbl): .2 is
# listed, .3 gets the list's "refused" code (not tested, never listed),
# .4 is not listed.
for c in 2:listed 3:not_tested 4:not_listed; do
	ip=198.51.100.${c%%:*}
	want=${c#*:}
	"$MXRAY" analyze -c "$SANDBOX_CONF" --format json --client-ip "$ip" \
		--mail-from alice@pass.spf.analysis.test "$work/msg.eml" >"$work/bl-$want.json" 2>/dev/null
	got="$(json_get "$work/bl-$want.json" message.dnsbl.0.zone)/$(json_get "$work/bl-$want.json" message.dnsbl.0.state)"
	[ "$got" = "bl.analysis.test/$want" ] && ok "dnsbl_${ip}_$want" || not_ok "dnsbl_${ip}_$want" "got $got"
done
contains dnsbl_listing_reason_shown "$work/bl-listed.json" "Listed by the mxray sandbox"
contains dnsbl_listing_is_a_finding "$work/bl-listed.json" '"message.dnsbl.listed"'
contains dnsbl_refusal_explained "$work/bl-not_tested.json" "refused the query"

# --- Part 2: through Postfix and the milter, from a namespace ---
NS=mxa3-$$
VR=va3r$$
VN=va3n$$
netns_down() {
	ip netns del "$NS" 2>/dev/null
	ip link del "$VR" 2>/dev/null
	return 0
}
trap 'netns_down; sandbox_down' EXIT INT TERM
if ! { ip netns add "$NS" && ip link add "$VR" type veth peer name "$VN" &&
	ip link set "$VN" netns "$NS" && ip addr add "$ROOTSIDE/30" dev "$VR" && ip link set "$VR" up &&
	ip netns exec "$NS" ip addr add "$CLIENT/30" dev "$VN" &&
	ip netns exec "$NS" ip link set "$VN" up && ip netns exec "$NS" ip link set lo up; } 2>"$work/netns.err"; then
	not_ok namespace_created "$(cat "$work/netns.err")"
	exit 1
fi
ok namespace_created
cat >>"$SANDBOX/postfix/master.cf" <<EOF
# analysis_spf.sh: this test's listener for its network namespace
$ROOTSIDE:smtp inet n - n - - smtpd
  -o myhostname=mx.mxray.test
  -o smtpd_milters=inet:${SANDBOX_NET}.0.88:8891
  -o smtpd_relay_restrictions=reject_unauth_destination
EOF
script -qec "postfix -c '$SANDBOX/postfix' reload" /dev/null >>"$work/reload.log" 2>&1
listening=no
for _ in $(seq 1 50); do
	ss -Hltn "src $ROOTSIDE:25" | grep -q . && { listening=yes; break; }
	sleep 0.1
done
[ "$listening" = yes ] && ok postfix_listens_for_the_namespace || {
	not_ok postfix_listens_for_the_namespace "no listener on $ROOTSIDE:25"
	exit 1
}
milter_pid=$(cat "$SANDBOX/run/mxray-milter.pid")

# send_case NAME USER [HEADER]: one mail from the namespace; prints the job file.
send_case() {
	id="<spf-$1-$2-$$@analysis.test>"
	job=$work/job-$1-$2.json
	ip netns exec "$NS" timeout 30 swaks --server "$ROOTSIDE:25" --from "$2@$1.spf.analysis.test" \
		--to test@mxray.test --helo client.analysis.test \
		--header "From: $2 <$2@$1.spf.analysis.test>" --header "Message-Id: $id" \
		${3:+--header "$3"} >"$work/swaks-$1-$2.log" 2>&1
	for _ in $(seq 1 50); do
		redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR#*:}" --raw XRANGE mxray:jobs - + |
			grep -F "$id" | head -n1 >"$job"
		[ -s "$job" ] && break
		sleep 0.2
	done
	echo "$job"
}

while read -r name user want; do
	job=$(send_case "$name" "$user")
	got=$(spf_field "$job" result)
	ip=$(json_get "$job" message.client.ip)
	[ "$got" = "$want" ] && [ "$ip" = "$CLIENT" ] && ok "milter_spf_${name}_${user}_is_$want" ||
		not_ok "milter_spf_${name}_${user}_is_$want" "result=$got client=$ip ($(tail -n 2 "$work/swaks-$name-$user.log" | tr '\n' ' '))"
done <<'EOF'
pass alice pass
fail alice fail
softfail alice softfail
macro alice pass
void alice permerror
hostile alice permerror
pass bob pass
EOF
# The HELO of that client, judged through the sandbox DNS: client.analysis.test
# is a name (FQDN) without address records, and Postfix found no PTR for it.
check=$(python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['message']['client']['check']
print(c['fqdn'], c['resolves'], sorted(f['id'] for f in c.get('findings', [])))" "$job" 2>&1)
[ "$check" = "True False ['message.client.no_ptr', 'message.helo.unresolvable']" ] && ok milter_helo_checked_through_dns ||
	not_ok milter_helo_checked_through_dns "$check"
# The hostile record cost nothing: the same milter process took every mail.
[ "$(cat "$SANDBOX/run/mxray-milter.pid")" = "$milter_pid" ] && kill -0 "$milter_pid" 2>/dev/null &&
	ok milter_survives_hostile_spf || not_ok milter_survives_hostile_spf "milter pid changed or gone"
job=$work/job-void-alice.json
[ "$(spf_field "$job" void_lookups)" = 3 ] && ok milter_job_counts_void_lookups ||
	not_ok milter_job_counts_void_lookups "void_lookups=$(spf_field "$job" void_lookups)"
# The term that decided, through the milter (a macro exists: matched for
# alice from this client) and through mxray analyze (include, redirect, -all).
job=$work/job-macro-alice.json
[ "$(spf_field "$job" mechanism)" = "exists:%{ir}.%{l}._spf.analysis.test" ] && ok milter_spf_names_the_matching_term ||
	not_ok milter_spf_names_the_matching_term "mechanism=$(spf_field "$job" mechanism)"
# The HELO identity on its own: client.analysis.test publishes no SPF.
r="$(spf_field "$job" helo.domain) $(spf_field "$job" helo.result)"
[ "$r" = "client.analysis.test none" ] && ok milter_spf_helo_identity_checked || not_ok milter_spf_helo_identity_checked "$r"
for c in include:include:pass.spf.analysis.test redirect:redirect=pass.spf.analysis.test fail:-all neutral:?all; do
	name=${c%%:*}
	want=${c#*:}
	[ "$(spf_field "$work/analyze-$name.json" mechanism)" = "$want" ] && ok "analyze_spf_${name}_decided_by_term" ||
		not_ok "analyze_spf_${name}_decided_by_term" "mechanism=$(spf_field "$work/analyze-$name.json" mechanism), want $want"
done

[ "$(json_get "$work/job-pass-alice.json" message.dnsbl.0.state)" = listed ] &&
	ok milter_dnsbl_listed_in_job || not_ok milter_dnsbl_listed_in_job "$(json_get "$work/job-pass-alice.json" message.dnsbl)"

# Reply policy: SPF pass gets a reply; SPF fail without DKIM does not
# (reply_to null, the reason in the job); list mail never does.
job=$work/job-pass-alice.json
[ "$(json_get "$job" reply_to)" = alice@pass.spf.analysis.test ] && ok reply_to_spf_pass_sender ||
	not_ok reply_to_spf_pass_sender "reply_to=$(json_get "$job" reply_to)"
job=$work/job-fail-alice.json
r="$(json_get "$job" reply_to)|$(json_get "$job" reply_policy.reason)"
case "$r" in
"null|"*"not authenticated"*) ok no_reply_to_unauthenticated_sender ;;
*) not_ok no_reply_to_unauthenticated_sender "$r" ;;
esac
# Bulk mail through Postfix: accepted (250), but neither answered nor
# probed: no job, one log line, counted (DESIGN rule 4).
ip netns exec "$NS" timeout 30 swaks --server "$ROOTSIDE:25" --from carol@pass.spf.analysis.test \
	--to test@mxray.test --helo client.analysis.test --header "From: carol <carol@pass.spf.analysis.test>" \
	--header "Message-Id: <spf-bulk-$$@analysis.test>" --header "Precedence: bulk" \
	>"$work/swaks-bulk.log" 2>&1 && ok bulk_mail_accepted ||
	not_ok bulk_mail_accepted "$(grep '<\*\*' "$work/swaks-bulk.log" | head -n 2)"
logged=no
for _ in $(seq 1 50); do
	grep -q "sender <carol@pass.spf.analysis.test>: not tested, no reply and no probe: Precedence: bulk" \
		"$SANDBOX/logs/mxray-milter.log" && { logged=yes; break; }
	sleep 0.2
done
[ "$logged" = yes ] && ok no_reply_no_probe_for_bulk_mail_logged || not_ok no_reply_no_probe_for_bulk_mail_logged \
	"$(grep carol "$SANDBOX/logs/mxray-milter.log" | tail -n 2)"
redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR#*:}" --raw XRANGE mxray:jobs - + | grep -qF "spf-bulk-$$@" &&
	not_ok no_job_for_bulk_mail "a job was queued" || ok no_job_for_bulk_mail
n=$(redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR#*:}" GET mxray:count:tests_not_answered)
[ "$n" = 1 ] && ok bulk_mail_counted_not_answered || not_ok bulk_mail_counted_not_answered "count '$n'"
m=$(curl -s "$HTTP_BASE/metrics" | sed -n 's/^mxray_tests_not_answered_total //p')
[ "$m" = 1 ] && ok not_answered_on_metrics || not_ok not_answered_on_metrics "mxray_tests_not_answered_total '$m'"

# Rate limit per sender (default [milter] rate_per_sender = 10 per hour):
# the 11th test mail of one sender is refused with 450 4.7.1 at RCPT.
accepted=0
for i in $(seq 1 11); do
	ip netns exec "$NS" timeout 30 swaks --server "$ROOTSIDE:25" \
		--from dave@pass.spf.analysis.test --to test@mxray.test --helo client.analysis.test \
		>"$work/rate-$i.log" 2>&1 && accepted=$((accepted + 1))
done
[ "$accepted" = 10 ] && ok rate_limit_accepts_10_per_sender || not_ok rate_limit_accepts_10_per_sender "$accepted accepted"
grep -q '450 4.7.1 .*too many tests from this sender' "$work/rate-11.log" && ok rate_limit_11th_gets_450_4_7_1 ||
	not_ok rate_limit_11th_gets_450_4_7_1 "$(grep '<\*\*' "$work/rate-11.log" | head -n 2)"
ttl=$(redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR#*:}" PTTL mxray:rate:sender:dave@pass.spf.analysis.test)
[ "$ttl" -gt 0 ] 2>/dev/null && [ "$ttl" -le 3600000 ] && ok rate_counter_expires_with_the_window ||
	not_ok rate_counter_expires_with_the_window "PTTL $ttl"
# Another sender from the same network still gets through.
ip netns exec "$NS" timeout 30 swaks --server "$ROOTSIDE:25" --from erin@pass.spf.analysis.test \
	--to test@mxray.test --helo client.analysis.test >"$work/rate-other.log" 2>&1 &&
	ok rate_limit_is_per_sender || not_ok rate_limit_is_per_sender "$(tail -n 3 "$work/rate-other.log")"
# Operators see the refusal on /metrics (one refused test so far).
limited=$(curl -s "$HTTP_BASE/metrics" | sed -n 's/^mxray_tests_rate_limited_total //p')
[ "$limited" = 1 ] && ok rate_limit_refusals_on_metrics || not_ok rate_limit_refusals_on_metrics "mxray_tests_rate_limited_total '$limited'"

netns_down
ip netns list | grep -qw "$NS" && not_ok namespace_removed "$NS still listed" || ok namespace_removed
e2e_done
