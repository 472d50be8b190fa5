#!/bin/sh
# probe_inbound.sh - the inbound probe's verdicts against the sandbox's
# probe.test cases (issue 4): MTA-STS (enforce with a matching and a
# non-matching MX, enforce with an MX whose certificate fails, testing,
# a syntax error, a wrong HTTPS certificate, a missing policy, a bad
# record), TLS-RPT, MX oddities (CNAME, IP literal, duplicate,
# unresolvable, null MX, no MX, a refused network), DANE-TA with and
# without the CA in the chain, DANE-EE by whole certificate, whole key and
# SHA-512, an RSA+ECDSA server with TLSA for one key and for both, TLSA
# under an insecure and a bogus zone, signed TLSA records senders never
# look up (an unsigned MX RRset; a host aliased into an unsigned zone), the
# implicit MX with DANE, PKIX-only TLSA (dane.pkix_usage, dane.unusable), a
# greeting naming another host, an MX address refusing connections (failed,
# and the page words it differently from not tested), a chain sent without its intermediate CA and with
# it, a wildcard certificate (one label only), TLSA for a host whose handshake stalls (not
# tested, never dane.no_starttls), a malformed TLSA, and greeting flavours (masked, 421, delayed, AUTH before
# TLS), PTR with forward confirmation, CAA. Each case: the JSON a user
# reads says the right state, reason and finding, and the page explains it.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up --no-mxray
# Short greeting timeout for the delayed greeting; no TLS scan (issue 5's
# test covers it) so the cases run quickly.
sed -e 's/^greeting_timeout = .*/greeting_timeout = 2s/' -e 's/^tls_timeout = .*/tls_timeout = 2s/' \
	-e '/^\[probe\]/a tls_scan = no' "$SANDBOX_CONF" >"$SANDBOX/probe.conf"

for m in masked:21 greet421:22 delay:23 authplain:24; do
	setsid timeout 300 python3 tests/tools/flavour_smtpd.py "${m%%:*}" "${SANDBOX_NET}.4.${m##*:}" </dev/null \
		>"$SANDBOX/logs/flavour-${m%%:*}.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-flavour-${m%%:*}.pid"
done
# a TLS handshake that stalls, behind TLSA records (dane-stall.probe.test)
setsid timeout 300 python3 tests/tools/hostile_smtpd.py stall_tls "${SANDBOX_NET}.4.25" </dev/null \
	>"$SANDBOX/logs/hostile-stall.log" 2>&1 &
echo $! >"$SANDBOX/run/extra-hostile-stall.pid"
# certificate chains and a wildcard (tests/sandbox/probe.sh made them)
for m in leaf_only:26 full_chain:27 wildcard:28; do
	setsid timeout 300 python3 tests/tools/hostile_smtpd.py "${m%%:*}" "${SANDBOX_NET}.4.${m##*:}" 25 \
		"$SANDBOX/certs/probe-tls" </dev/null >"$SANDBOX/logs/hostile-${m%%:*}.log" 2>&1 &
	echo $! >"$SANDBOX/run/extra-hostile-${m%%:*}.pid"
done
for n in 21 22 23 24 25 26 27 28; do
	for _ in $(seq 1 50); do [ -n "$(ss -Hltn "src ${SANDBOX_NET}.4.$n:25")" ] && break; sleep 0.1; done
done

# run DOMAIN: mxray check as JSON into $SANDBOX/DOMAIN.json; J=that file.
run() {
	J=$SANDBOX/$1.json
	t0=$(date +%s%N)
	"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format json "$1" >"$J" 2>"$SANDBOX/$1.err"
	rc=$?
	echo "# $1: exit $rc in $((($(date +%s%N) - t0) / 1000000)) ms"
	[ "$rc" -eq 0 ] || not_ok "${1}_report" "exit $rc: $(tail -n 3 "$SANDBOX/$1.err")"
}
# is NAME PATH WANT: the value at PATH of $J is WANT.
is() {
	got=$(json_get "$J" "$2")
	[ "$got" = "$3" ] && ok "$1" || not_ok "$1" "$2 = '$got', want '$3'"
}
# has NAME PATH ID: the object at PATH of $J carries finding ID.
has() {
	if json_get "$J" "$2.findings" | grep -q "\"id\": \"$3\""; then ok "$1"; else
		not_ok "$1" "no finding $3 at $2: $(json_get "$J" "$2.findings")"; fi
}
# lacks NAME ID: no finding ID anywhere in $J.
lacks() {
	if grep -q "\"$2\"" "$J"; then not_ok "$1" "finding $2 present"; else ok "$1"; fi
}

# ---- the domain's own SPF policy (dns.spf), with no test mail ----
run sender.test
is spf_policy_found dns.spf.outcome found
is spf_policy_unlisted_address_fails dns.spf.unlisted_result fail
is spf_policy_decided_by_all dns.spf.unlisted_mechanism -all
is spf_policy_dnssec_secure dns.spf.dnssec secure
has spf_policy_ok_finding dns.spf spf.policy_ok
run tls12.scan.unsigned.test
is spf_policy_dnssec_insecure dns.spf.dnssec insecure
run open.spf.analysis.test
has spf_policy_open_finding dns.spf spf.policy_open
is spf_policy_open_by_all dns.spf.unlisted_mechanism +all
run neutral.spf.analysis.test
has spf_policy_neutral_finding dns.spf spf.policy_neutral
run eleven.spf.analysis.test
is spf_policy_over_the_limit_invalid dns.spf.outcome invalid
is spf_policy_counts_lookups dns.spf.lookups 11
has spf_policy_invalid_finding dns.spf spf.policy_invalid
run sts-testing.probe.test
is spf_policy_missing dns.spf.outcome none
has spf_policy_missing_finding dns.spf spf.policy_missing

# ---- MTA-STS ----
run sts-enforce.probe.test
is mta_sts_enforce_fetched dns.mta_sts.outcome ok
is mta_sts_enforce_mode dns.mta_sts.mode enforce
is mta_sts_enforce_id dns.mta_sts.id 20261122a
is mta_sts_enforce_mx_listed dns.mta_sts.policy.mx '["mx1.sender.test"]'
is mta_sts_enforce_max_age dns.mta_sts.policy.max_age 604800
is mta_sts_enforce_mx_matches mx.0.mta_sts.mx_match true
has mta_sts_enforce_finding dns.mta_sts mta_sts.enforce
is tlsrpt_valid dns.tls_rpt.outcome valid
is tlsrpt_rua_listed dns.tls_rpt.rua '["mailto:tlsrpt@sender.test", "https://tlsrpt.sender.test/v1"]'
has tlsrpt_valid_finding dns.tls_rpt tlsrpt.valid

run sts-nomatch.probe.test
is mta_sts_nomatch_mx_not_covered mx.0.mta_sts.mx_match false
has mta_sts_nomatch_finding mx.0.mta_sts mta_sts.mx_mismatch
has mta_sts_nomatch_no_usable_mx dns.mta_sts mta_sts.no_usable_mx
is mta_sts_nomatch_is_an_f grade.receiving F
# mx1 has DANE (sender.test's TLSA): DANE senders deliver, MTA-STS ones do not
has mta_sts_nomatch_dane_only mx.0.mta_sts mta_sts.dane_only
has mta_sts_nomatch_with_dane dns.mta_sts mta_sts.with_dane

# MTA-STS accepts mxdual (a trusted certificate naming it), DANE does not (the
# TLSA set misses its ECDSA key): DANE comes first for DANE senders
run sts-danefail.probe.test
is mta_sts_danefail_sts_accepts mx.0.mta_sts.mx_match true
lacks mta_sts_danefail_no_tls_failure mta_sts.enforce_tls_fails
is mta_sts_danefail_dane_mismatch mx.0.addresses.0.dane.state mismatch
has mta_sts_danefail_finding mx.0.mta_sts mta_sts.dane_fails
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html sts-danefail.probe.test >"$SANDBOX/danefail.html"
contains page_mta_sts_dane_fails_title "$SANDBOX/danefail.html" "DANE fails for an MX that MTA-STS accepts"
contains page_mta_sts_dane_fails_why "$SANDBOX/danefail.html" "DANE comes first"

run sts-badmx.probe.test
has mta_sts_enforce_selfsigned_mx_fails mx.0.mta_sts mta_sts.enforce_tls_fails
is mta_sts_enforce_selfsigned_is_an_f grade.overall_capped_by mta_sts.no_usable_mx

# sender.test: enforce listing mx1 (trusted) and mx2 (self-signed): MTA-STS
# senders skip mx2 and deliver to mx1, a warning, not a failure
run sender.test
has mta_sts_backup_mx_fails mx.1.mta_sts mta_sts.enforce_tls_fails
lacks mta_sts_backup_mx_not_fatal mta_sts.no_usable_mx
is mta_sts_backup_mx_grade grade.receiving A

run sts-testing.probe.test
is mta_sts_testing_mode dns.mta_sts.mode testing
is mta_sts_testing_wildcard_matches mx.0.mta_sts.pattern '*.sender.test'
has mta_sts_testing_finding dns.mta_sts mta_sts.testing
has mta_sts_testing_short_max_age dns.mta_sts mta_sts.max_age_short

run sts-syntax.probe.test
is mta_sts_syntax_invalid dns.mta_sts.outcome invalid_policy
is mta_sts_syntax_names_the_line dns.mta_sts.problems.0 'line 2: mode must be enforce, testing or none: "mode: enforced"'
is mta_sts_syntax_no_mode_kept dns.mta_sts.mode ''
has mta_sts_syntax_finding dns.mta_sts mta_sts.policy_invalid
is tlsrpt_bad_uri_invalid dns.tls_rpt.outcome invalid
has tlsrpt_bad_uri_finding dns.tls_rpt tlsrpt.invalid

run sts-badcert.probe.test
is mta_sts_wrong_cert_outcome dns.mta_sts.outcome cert_invalid
has mta_sts_wrong_cert_finding dns.mta_sts mta_sts.policy_cert_invalid
json_get "$J" dns.mta_sts.fetch_error | grep -q 'mta-sts.sts-badcert.probe.test' &&
	ok mta_sts_wrong_cert_says_why || not_ok mta_sts_wrong_cert_says_why "$(json_get "$J" dns.mta_sts.fetch_error)"

# The policy fetch's bounds (RFC 8461 3.3): a redirect is not followed, a
# policy over 64 KB is not read, a trickled one is cut at the time limit.
run sts-redirect.probe.test
is mta_sts_redirect_status dns.mta_sts.http_status 301
has mta_sts_redirect_finding dns.mta_sts mta_sts.policy_unavailable
json_get "$J" dns.mta_sts.fetch_error | grep -q 'redirects are not followed' &&
	ok mta_sts_redirect_not_followed || not_ok mta_sts_redirect_not_followed "$(json_get "$J" dns.mta_sts.fetch_error)"
is mta_sts_redirect_no_policy dns.mta_sts.policy null
run sts-huge.probe.test
has mta_sts_huge_finding dns.mta_sts mta_sts.policy_unavailable
json_get "$J" dns.mta_sts.fetch_error | grep -q 'the policy is larger than 65536 bytes' &&
	ok mta_sts_huge_not_read || not_ok mta_sts_huge_not_read "$(json_get "$J" dns.mta_sts.fetch_error)"
# connect, TLS and command time limits of 2 s each: the fetch may take 6 s
sed -e 's/^connect_timeout = .*/connect_timeout = 2s/' -e 's/^tls_timeout = .*/tls_timeout = 2s/' \
	-e 's/^command_timeout = .*/command_timeout = 2s/' "$SANDBOX/probe.conf" >"$SANDBOX/slow.conf"
J=$SANDBOX/sts-slow.json
t0=$(date +%s%N)
"$E2E_BIN/mxray" check -c "$SANDBOX/slow.conf" --format json sts-slow.probe.test >"$J" 2>"$SANDBOX/sts-slow.err"
took=$((($(date +%s%N) - t0) / 1000000))
echo "# sts-slow.probe.test: $took ms"
has mta_sts_slow_finding dns.mta_sts mta_sts.policy_unavailable
json_get "$J" dns.mta_sts.fetch_error | grep -qi 'timed out' &&
	ok mta_sts_slow_cut_at_the_limit || not_ok mta_sts_slow_cut_at_the_limit "$(json_get "$J" dns.mta_sts.fetch_error)"
ms=$(json_get "$J" dns.mta_sts.fetch_ms)
[ "${ms:-99999}" -ge 5500 ] && [ "${ms:-99999}" -le 8000 ] && ok "mta_sts_slow_fetch_bounded (${ms} ms)" ||
	not_ok mta_sts_slow_fetch_bounded "fetch_ms '$ms', want about 6000"

run sts-missing.probe.test
is mta_sts_missing_policy_status dns.mta_sts.http_status 404
has mta_sts_missing_policy_finding dns.mta_sts mta_sts.policy_unavailable

# the policy host's first address refuses the connection: the next is tried
run sts-twoaddr.probe.test
is mta_sts_second_address_fetched dns.mta_sts.outcome ok
is mta_sts_second_address_used dns.mta_sts.policy_address "${SANDBOX_NET}.4.80"
tried=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['dns']['mta_sts']
print(' '.join(t['ip'] + ('=ok' if t['error'] is None else '=error') for t in d['addresses_tried']))" "$J" 2>&1)
case $tried in
"${SANDBOX_NET}.4.79=error ${SANDBOX_NET}.4.80=ok"|"${SANDBOX_NET}.4.80=ok") ok "mta_sts_addresses_tried_listed ($tried)" ;;
*) not_ok mta_sts_addresses_tried_listed "$tried" ;;
esac
# "v=STSv10" is no MTA-STS record
run sts-v10.probe.test
is mta_sts_v10_is_no_record dns.mta_sts.outcome none
has mta_sts_v10_finding dns.mta_sts mta_sts.none
# mxray's own CA file unusable (here: none configured): not the policy host's fault
sed -e 's|^ca_file = .*|ca_file =|' "$SANDBOX/probe.conf" >"$SANDBOX/noca.conf"
J=$SANDBOX/noca.json
"$E2E_BIN/mxray" check -c "$SANDBOX/noca.conf" --format json sts-enforce.probe.test >"$J" 2>"$SANDBOX/noca.err"
is mta_sts_our_ca_file_not_tested dns.mta_sts.outcome not_tested
json_get "$J" dns.mta_sts.reason | grep -q 'mxray could not read its own CA file' &&
	ok mta_sts_our_ca_file_says_so || not_ok mta_sts_our_ca_file_says_so "$(json_get "$J" dns.mta_sts)"
lacks mta_sts_our_ca_file_not_cert_invalid mta_sts.policy_cert_invalid
grep -q 'mxray could not read its own CA file' "$SANDBOX/noca.err" &&
	ok mta_sts_our_ca_file_logged || not_ok mta_sts_our_ca_file_logged "$(tail -n 3 "$SANDBOX/noca.err")"
run sts-badrecord.probe.test
is mta_sts_bad_record dns.mta_sts.outcome invalid_record
has mta_sts_bad_record_finding dns.mta_sts mta_sts.record_invalid

run dup.probe.test
is mta_sts_none_outcome dns.mta_sts.outcome none
has tlsrpt_none_finding dns.tls_rpt tlsrpt.none
has mx_duplicate dns.mx dns.mx.duplicate
is caa_none_outcome mx.0.caa.outcome none

# ---- MX oddities ----
run cname.probe.test
is mx_cname_recorded mx.0.cname mx1.sender.test
has mx_cname_finding mx.0 dns.mx.cname
run literal.probe.test
has mx_ip_literal mx.0 dns.mx.ip_literal
run unres.probe.test
has mx_unresolvable mx.0 dns.mx.unresolvable
is mx_unresolvable_why mx.0.addresses_problem 'A: nxdomain, AAAA: nxdomain'
run nullmx.probe.test
is null_mx_flag dns.mx.null_mx true
is null_mx_nothing_probed mx '[]'
has null_mx_finding dns.mx dns.mx.null
# [probe] max_mx = 1: sender.test's second MX is named, not probed
sed -e '/^\[probe\]/a max_mx = 1' "$SANDBOX/probe.conf" >"$SANDBOX/maxmx.conf"
J=$SANDBOX/maxmx.json
"$E2E_BIN/mxray" check -c "$SANDBOX/maxmx.conf" --format json sender.test >"$J" 2>"$SANDBOX/maxmx.err"
is max_mx_one_host_probed mx.1 ''
is max_mx_probed_the_preferred mx.0.host mx1.sender.test
is max_mx_names_the_skipped dns.mx.skipped_hosts '["mx2.sender.test"]'
has max_mx_finding dns.mx dns.mx.hosts_skipped
json_get "$J" dns.mx.findings | grep -q '1 of 2 MX hosts probed (\[probe\] max_mx = 1); not probed from mx2.sender.test on' &&
	ok max_mx_finding_says_how_many || not_ok max_mx_finding_says_how_many "$(json_get "$J" dns.mx.findings)"
hosts=$(python3 -c "import json,sys; print(' '.join(sorted(r['host'] for r in json.load(open(sys.argv[1]))['dns']['mx']['records'])))" "$J" 2>&1)
[ "$hosts" = "mx1.sender.test mx2.sender.test" ] && ok max_mx_all_records_listed || not_ok max_mx_all_records_listed "$hosts"
run sender.test
is max_mx_default_nothing_skipped dns.mx.skipped_hosts '[]'
run nullmix.probe.test
is null_mx_mixed_not_null dns.mx.null_mx false
has null_mx_mixed_finding dns.mx dns.mx.null_with_others
is null_mx_mixed_other_host_probed mx.0.host mx1.sender.test
run nullmx.probe.test
lacks null_mx_alone_no_mixed_finding dns.mx.null_with_others
# a domain that does not exist (a typo): said first, and an F
run no-such-name.probe.test
is nxdomain_outcome dns.mx.outcome nxdomain
has nxdomain_finding dns.mx dns.mx.nxdomain
is nxdomain_is_an_f grade.overall F
is nxdomain_first_fix grade.top_fixes.0.id dns.mx.nxdomain
run nomx.probe.test
is no_mx_implicit dns.mx.implicit true
is no_mx_domain_probed mx.0.addresses.0.state tested
run refused.probe.test
is refused_network_not_tested mx.0.addresses.0.state not_tested
json_get "$J" mx.0.addresses.0.reason | grep -q 'private (RFC 1918)' &&
	ok refused_network_reason || not_ok refused_network_reason "$(json_get "$J" mx.0.addresses.0.reason)"
lacks refused_network_no_starttls_verdict smtp.starttls.missing
run deadmx.probe.test
is connection_refused_failed mx.0.addresses.0.state failed
has connection_refused_unreachable dns.mx dns.mx.unreachable
is connection_refused_is_an_f grade.receiving F

# ---- DANE ----
run dane-ta.probe.test
is dane_ta_with_ca_in_chain_valid mx.0.addresses.0.dane.state valid
is dane_ta_matched_at_depth_1 mx.0.addresses.0.dane.depth 1
is dane_ta_record_usage mx.0.dane.records.0.usage_name DANE-TA
is caa_found_by_climbing mx.0.caa.name probe.test
lacks dane_ta_record_survives_rollover dane.no_rollover_record
is caa_issuer mx.0.caa.issuers '["ca.sandbox.test"]'
is ptr_forward_confirmed mx.0.addresses.0.ptr.forward_confirmed true
is ptr_names mx.0.addresses.0.ptr.names '["mxta.probe.test"]'
run dane-ta-nochain.probe.test
is dane_ta_without_ca_in_chain_mismatch mx.0.addresses.0.dane.state mismatch
has dane_ta_without_ca_finding mx.0.addresses.0.dane dane.mismatch
run dane-fullcert.probe.test
is dane_ee_full_certificate_matches mx.0.addresses.0.dane.state valid
is dane_ee_full_certificate_type mx.0.dane.records.0.matching_type 0
is dane_ee_full_certificate_selector mx.0.dane.records.0.selector 0
run dane-fullkey.probe.test
is dane_ee_full_key_matches mx.0.addresses.0.dane.state valid
is dane_ee_full_key_selector mx.0.dane.records.0.selector 1
run dane-sha512.probe.test
is dane_ee_sha512_matches mx.0.addresses.0.dane.state valid
is dane_ee_sha512_type mx.0.dane.records.0.matching_type 2
has dane_one_record_no_rollover mx.0.dane dane.no_rollover_record
run dane-next.probe.test
is dane_rollover_current_key_matches mx.0.addresses.0.dane.state valid
lacks dane_rollover_next_key_staged dane.no_rollover_record
run dane-dual.probe.test
kinds=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['mx'][0]['addresses'][0]['tls']
print(' '.join(sorted([t['key_type']] + [o['key_type'] for o in t['other_key_types']])))" "$J" 2>&1)
[ "$kinds" = "ECDSA RSA" ] && ok dual_cert_both_key_types_seen || not_ok dual_cert_both_key_types_seen "$kinds"
is dual_cert_one_key_uncovered_mismatch mx.0.addresses.0.dane.state mismatch
is dual_cert_mismatch_names_the_key mx.0.addresses.0.dane.mismatched_key_type ECDSA
has dual_cert_mismatch_finding mx.0.addresses.0.dane dane.mismatch
is dual_cert_uncovered_is_an_f grade.receiving F
run dane-dual-ok.probe.test
is dual_cert_both_covered_valid mx.0.addresses.0.dane.state valid
states=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['mx'][0]['addresses'][0]['dane']
print(' '.join(b['key_type'] + '=' + b['state'] for b in sorted(d['by_key_type'], key=lambda b: b['key_type'])))" "$J" 2>&1)
[ "$states" = "ECDSA=valid RSA=valid" ] && ok dual_cert_each_key_verified || not_ok dual_cert_each_key_verified "$states"
# one record per key, both in use: no record ready for either key's successor
has dual_cert_no_rollover_record mx.0.dane dane.no_rollover_record
run dane-insecure.probe.test
is dane_insecure_zone_outcome mx.0.dane.outcome insecure
has dane_insecure_finding mx.0.dane dane.insecure
is dane_insecure_not_matched mx.0.addresses.0.dane ''
run dane-bogus.probe.test
is dane_bogus_zone_outcome mx.0.dane.outcome bogus
has dane_bogus_finding mx.0.dane dane.bogus
# RFC 7672 2.2: senders look TLSA up only through a secure MX RRset and
# secure address records; mx1's records match, yet they are never used
run dane-mxinsecure.unsigned.test
is dane_mx_insecure_mx_rrset dns.mx.dnssec insecure
is dane_mx_insecure_tlsa_secure mx.0.dane.outcome secure
is dane_mx_insecure_not_looked_up mx.0.dane.senders_look_up false
is dane_mx_insecure_not_applied mx.0.dane.applies false
json_get "$J" mx.0.dane.not_applied_because | grep -q "MX records are not DNSSEC-signed" &&
	ok dane_mx_insecure_says_why || not_ok dane_mx_insecure_says_why "$(json_get "$J" mx.0.dane)"
has dane_mx_insecure_finding mx.0.dane dane.mx_insecure
is dane_mx_insecure_is_critical mx.0.dane.findings.0.severity critical
is dane_mx_insecure_address_not_applicable mx.0.addresses.0.dane.state not_applicable
is dane_mx_insecure_would_match mx.0.addresses.0.dane.if_applied.state valid
lacks dane_mx_insecure_no_valid_verdict dane.valid
is dane_mx_insecure_no_a_plus grade.receiving B
is dane_mx_insecure_caps_receiving grade.caps.0.id dane.mx_insecure
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html dane-mxinsecure.unsigned.test >"$SANDBOX/mxinsecure.html"
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format text dane-mxinsecure.unsigned.test >"$SANDBOX/mxinsecure.txt"
contains text_dane_mx_insecure_not_used "$SANDBOX/mxinsecure.txt" "not used by any sender: the domain's MX records are not DNSSEC-signed"
contains text_dane_mx_insecure_would_match "$SANDBOX/mxinsecure.txt" "DANE:        not used by senders; the records would give: valid"
contains page_dane_mx_insecure_title "$SANDBOX/mxinsecure.html" "DANE: TLSA records published but the MX records are not DNSSEC-signed"
contains page_dane_mx_insecure_not_used "$SANDBOX/mxinsecure.html" "Not used by any sender: the domain&#39;s MX records are not DNSSEC-signed"
contains page_dane_mx_insecure_would_match "$SANDBOX/mxinsecure.html" "once senders use the records: <span class=\"ok\">valid</span>"
run dane-addrinsecure.probe.test
is dane_addr_insecure_mx_rrset dns.mx.dnssec secure
is dane_addr_insecure_addresses mx.0.addresses_dnssec insecure
is dane_addr_insecure_tlsa_secure mx.0.dane.outcome secure
is dane_addr_insecure_not_looked_up mx.0.dane.senders_look_up false
has dane_addr_insecure_finding mx.0.dane dane.addresses_insecure
json_get "$J" mx.0.addresses.0.dane.reason | grep -q "address records (A/AAAA) are not DNSSEC-secure" &&
	ok dane_addr_insecure_says_why || not_ok dane_addr_insecure_says_why "$(json_get "$J" mx.0.addresses.0.dane)"
lacks dane_addr_insecure_no_valid_verdict dane.valid
is dane_addr_insecure_no_a_plus grade.receiving B
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html dane-addrinsecure.probe.test >"$SANDBOX/addrinsecure.html"
contains page_dane_addr_insecure_title "$SANDBOX/addrinsecure.html" "DANE: TLSA records published but the host&#39;s addresses are not DNSSEC-signed"
contains page_dane_addr_insecure_not_used "$SANDBOX/addrinsecure.html" "Not used by any sender: the host&#39;s address records"
run dane-implicit.probe.test
is dane_implicit_mx dns.mx.implicit true
is dane_implicit_looked_up mx.0.dane.senders_look_up true
is dane_implicit_applies mx.0.dane.applies true
is dane_implicit_valid mx.0.addresses.0.dane.state valid
is dane_implicit_a_plus grade.receiving A+
lacks dane_implicit_no_insecure_finding dane.mx_insecure
run dane-notls.probe.test
is dane_without_starttls_state mx.0.addresses.0.dane.state no_tls
has dane_without_starttls_is_critical mx.0.addresses.0.dane dane.no_starttls
is dane_without_starttls_is_an_f grade.receiving F
t0=$(date +%s%N)
run dane-stall.probe.test
ms=$((($(date +%s%N) - t0) / 1000000))
is dane_stall_not_tested mx.0.addresses.0.state not_tested
json_get "$J" mx.0.addresses.0.reason | grep -q 'STARTTLS failed: .*within 2000 ms' &&
	ok dane_stall_reason_is_the_timeout || not_ok dane_stall_reason_is_the_timeout "$(json_get "$J" mx.0.addresses.0.reason)"
is dane_stall_dane_not_checked mx.0.addresses.0.dane.state not_checked
lacks dane_stall_is_not_no_starttls dane.no_starttls
lacks dane_stall_is_not_a_starttls_failure smtp.starttls.failed
is dane_stall_receiving_not_graded grade.receiving null
[ "$ms" -lt 8000 ] && ok dane_stall_bounded || not_ok dane_stall_bounded "$ms ms"
run dane-pkix.probe.test
recs=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['mx'][0]['dane']['records']
print(' '.join(sorted(r['usage_name'] + '=' + ('usable' if r['usable'] else 'unusable') for r in d)))" "$J" 2>&1)
[ "$recs" = "PKIX-EE=unusable PKIX-TA=unusable" ] && ok dane_pkix_records_listed_unusable ||
	not_ok dane_pkix_records_listed_unusable "$recs"
is dane_pkix_usable_counted mx.0.dane.usable_records 0
has dane_pkix_usage_finding mx.0.dane dane.pkix_usage
json_get "$J" mx.0.dane.findings | grep -q '2 record(s) with usage 0 or 1' &&
	ok dane_pkix_usage_counts_them || not_ok dane_pkix_usage_counts_them "$(json_get "$J" mx.0.dane.findings)"
has dane_pkix_only_unusable_finding mx.0.dane dane.unusable
is dane_pkix_no_address_verdict mx.0.addresses.0.dane ''
is dane_pkix_caps_receiving_b grade.receiving B
run dane-malformed.probe.test
json_get "$J" mx.0.dane.problems.0 | grep -q '030101abcdef' &&
	ok dane_malformed_shown_escaped || not_ok dane_malformed_shown_escaped "$(json_get "$J" mx.0.dane.problems)"
has dane_malformed_finding mx.0.dane dane.malformed
is dane_malformed_good_record_still_matches mx.0.addresses.0.dane.state valid

# ---- certificate chain and name (RFC 6125) ----
INTERMEDIATE="CN=mxray sandbox intermediate CA,O=mxray sandbox"
run chain-leafonly.probe.test
is chain_leaf_only_sent_alone mx.0.addresses.0.tls.chain.1.subject ''
is chain_leaf_only_incomplete mx.0.addresses.0.tls.chain_complete false
is chain_leaf_only_names_missing_issuer mx.0.addresses.0.tls.chain_missing_issuer "$INTERMEDIATE"
is chain_leaf_only_untrusted mx.0.addresses.0.tls.verified false
has chain_leaf_only_finding mx.0.addresses.0.tls cert.chain_incomplete
# the scripted server greets as hostile.sender.test, neither the MX name nor a PTR name
has greeting_host_mismatch_finding mx.0.addresses.0 smtp.greeting.host_mismatch
json_get "$J" mx.0.addresses.0.findings | grep -q 'greeting names hostile.sender.test' &&
	ok greeting_host_mismatch_names_it || not_ok greeting_host_mismatch_names_it "$(json_get "$J" mx.0.addresses.0.findings)"
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html chain-leafonly.probe.test >"$SANDBOX/leafonly.html"
contains page_chain_incomplete_title "$SANDBOX/leafonly.html" "Certificate chain incomplete"
contains page_chain_incomplete_names_issuer "$SANDBOX/leafonly.html" \
	"the server did not send the certificate of <code>$INTERMEDIATE</code>"
run chain-full.probe.test
is chain_full_sends_intermediate mx.0.addresses.0.tls.chain.1.subject "$INTERMEDIATE"
is chain_full_complete mx.0.addresses.0.tls.chain_complete true
is chain_full_no_missing_issuer mx.0.addresses.0.tls.chain_missing_issuer null
is chain_full_trusted mx.0.addresses.0.tls.verified true
lacks chain_full_no_finding cert.chain_incomplete
run wild.probe.test
is wildcard_hosts_in_order mx.1.host deep.mx.wild.probe.test
is wildcard_one_label_trusted mx.0.addresses.0.tls.verified true
is wildcard_covers_one_label mx.0.addresses.0.tls.name_match true
is wildcard_not_two_labels mx.1.addresses.0.tls.name_match false
has wildcard_two_labels_finding mx.1.addresses.0.tls cert.name_mismatch
run sender.test
is chain_ca_issued_complete mx.0.addresses.0.tls.chain_complete true
is chain_self_signed_complete mx.1.addresses.0.tls.chain_complete true
is greeting_names_the_mx mx.0.addresses.0.greeting '220 mx1.sender.test ESMTP sandbox mx1'
if json_get "$J" mx.0.addresses.0.findings | grep -q smtp.greeting.host_mismatch; then
	not_ok greeting_matching_mx_no_finding "$(json_get "$J" mx.0.addresses.0.findings)"
else ok greeting_matching_mx_no_finding; fi
# ---- EHLO extensions, parsed (Postfix on mx1, after STARTTLS) ----
is ehlo_ext_from_after_tls mx.0.addresses.0.extensions.from ehlo_after_tls
is ehlo_ext_size_limit mx.0.addresses.0.extensions.size_limit 10240000
for f in pipelining 8bitmime chunking dsn enhancedstatuscodes; do
	is "ehlo_ext_$f" "mx.0.addresses.0.extensions.$f" true
done
is ehlo_ext_no_starttls_inside_tls mx.0.addresses.0.extensions.starttls false
is ehlo_ext_no_requiretls mx.0.addresses.0.extensions.requiretls false
is ehlo_ext_no_problems mx.0.addresses.0.extensions.problems '[]'
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html sender.test >"$SANDBOX/sender.html"
contains page_ehlo_size_explained "$SANDBOX/sender.html" "messages up to 10240000 bytes (10.2 MB) are accepted"
contains page_ehlo_chunking_explained "$SANDBOX/sender.html" "large messages can be sent in chunks with BDAT (RFC 3030)"

# ---- greetings ----
run masked.probe.test
has greeting_masked_finding mx.0.addresses.0 smtp.greeting.masked
has ptr_missing_finding mx.0.addresses.0.ptr dns.ptr.missing
run greet421.probe.test
is greeting_421_not_tested mx.0.addresses.0.state not_tested
json_get "$J" mx.0.addresses.0.reason | grep -q '421 4.7.0' &&
	ok greeting_421_reason_quotes_it || not_ok greeting_421_reason_quotes_it "$(json_get "$J" mx.0.addresses.0.reason)"
lacks greeting_421_is_not_no_starttls smtp.starttls.missing
t0=$(date +%s%N)
run delay.probe.test
ms=$((($(date +%s%N) - t0) / 1000000))
is greeting_delay_not_tested mx.0.addresses.0.state not_tested
[ "$ms" -lt 6000 ] && ok greeting_delay_bounded || not_ok greeting_delay_bounded "$ms ms"
lacks greeting_delay_is_not_no_starttls smtp.starttls.missing
run authplain.probe.test
has auth_before_tls_finding mx.0.addresses.0 smtp.auth.before_tls
is ehlo_ext_plain_from_first_ehlo mx.0.addresses.0.extensions.from ehlo
is ehlo_ext_auth_mechanisms mx.0.addresses.0.extensions.auth '["PLAIN", "LOGIN"]'
is ehlo_ext_plain_no_starttls mx.0.addresses.0.extensions.starttls false
is ehlo_ext_plain_no_size mx.0.addresses.0.extensions.size_limit null
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html authplain.probe.test >"$SANDBOX/authplain.html"
contains page_ehlo_missing_starttls_explained "$SANDBOX/authplain.html" "no encryption: mail travels in plain text"
# With the TLS scan on: a server without STARTTLS sees the probe's one
# session and no scan connection (the scan waits for a STARTTLS that worked).
before=$(grep -c "^C: EHLO" "$SANDBOX/logs/flavour-authplain.log")
"$E2E_BIN/mxray" check -c "$SANDBOX_CONF" --format json authplain.probe.test >"$SANDBOX/authplain-scan.json" 2>/dev/null
after=$(grep -c "^C: EHLO" "$SANDBOX/logs/flavour-authplain.log")
[ $((after - before)) -eq 1 ] && ok no_starttls_no_scan_connections ||
	not_ok no_starttls_no_scan_connections "$((after - before)) sessions for one check"
J=$SANDBOX/authplain-scan.json
is no_starttls_no_scan_object mx.0.addresses.0.tls_scan ""
is ptr_not_confirmed mx.0.addresses.0.ptr.forward_confirmed false
has ptr_not_confirmed_finding mx.0.addresses.0.ptr dns.ptr.not_confirmed
if grep -h '^C:' "$SANDBOX"/logs/flavour-*.log | grep -qv '^C: \(EHLO\|HELO\|STARTTLS\|QUIT\)'; then
	not_ok only_allowed_verbs_sent "$(grep -h '^C:' "$SANDBOX"/logs/flavour-*.log | sort -u)"
else
	ok only_allowed_verbs_sent
fi

# ---- the page: "not tested" and "failed" read differently ----
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html greet421.probe.test >"$SANDBOX/nottested.html"
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html deadmx.probe.test >"$SANDBOX/failed.html"
contains page_not_tested_state "$SANDBOX/nottested.html" 'class="warn">not tested (no verdict)</span>'
contains page_not_tested_because "$SANDBOX/nottested.html" '<th>Not tested because</th>'
contains page_not_tested_quotes_421 "$SANDBOX/nottested.html" '421 4.7.0'
contains page_failed_state "$SANDBOX/failed.html" 'class="bad">failed</span>'
contains page_failed_because "$SANDBOX/failed.html" '<th>Failed because</th>'
if grep -q 'not tested (no verdict)\|Not tested because' "$SANDBOX/failed.html" ||
	grep -q 'class="bad">failed</span>\|Failed because' "$SANDBOX/nottested.html"; then
	not_ok page_states_not_mixed_up
else
	ok page_states_not_mixed_up
fi

# ---- the page ----
"$E2E_BIN/mxray" check -c "$SANDBOX/probe.conf" --format html sts-syntax.probe.test >"$SANDBOX/syntax.html"
contains page_explains_policy_syntax "$SANDBOX/syntax.html" "MTA-STS policy has syntax errors"
contains page_shows_offending_line "$SANDBOX/syntax.html" "mode: enforced"
e2e_done
