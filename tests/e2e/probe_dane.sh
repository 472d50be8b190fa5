#!/bin/sh
# probe_dane.sh - DANE against the sandbox's signed zones and real MX
# certificates: a matching TLSA record earns A+, a mismatching one is an F,
# an MX without TLSA records is "none", and the page explains it.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up --no-mxray
check_json() {
	"$E2E_BIN/mxray" check -c "$SANDBOX_CONF" --format json "$1" >"$SANDBOX/$1.json" 2>"$SANDBOX/$1.err"
}
check_json dane-ok.sender.test
j() { json_get "$SANDBOX/dane-ok.sender.test.json" "$1"; }
[ "$(j mx.0.dane.outcome)" = secure ] && ok tlsa_found_secure || not_ok tlsa_found_secure "$(j mx.0.dane)"
[ "$(j mx.0.dane.records.0.usage_name)" = DANE-EE ] && ok tlsa_record_parsed || not_ok tlsa_record_parsed "$(j mx.0.dane.records)"
[ "$(j mx.0.addresses.0.dane.state)" = valid ] && ok certificate_matches_tlsa || not_ok certificate_matches_tlsa "$(j mx.0.addresses.0.dane)"
[ "$(j mx.0.dane.records.0.data)" = "$(j mx.0.addresses.0.tls.chain.0.hashes.spki_sha256)" ] &&
	ok tlsa_data_is_the_leaf_key_hash || not_ok tlsa_data_is_the_leaf_key_hash
[ "$(j grade.receiving)" = A+ ] && ok dane_everywhere_is_a_plus || not_ok dane_everywhere_is_a_plus "$(j grade)"

check_json dane-bad.sender.test
j() { json_get "$SANDBOX/dane-bad.sender.test.json" "$1"; }
[ "$(j mx.0.addresses.0.dane.state)" = mismatch ] && ok tlsa_mismatch_found || not_ok tlsa_mismatch_found "$(j mx.0.addresses.0.dane)"
[ "$(j grade.overall)" = F ] && [ "$(j grade.overall_capped_by)" = dane.mismatch ] &&
	ok tlsa_mismatch_is_an_f || not_ok tlsa_mismatch_is_an_f "$(j grade)"

check_json sender.test
j() { json_get "$SANDBOX/sender.test.json" "$1"; }
[ "$(j mx.1.dane.outcome)" = none ] && ok no_tlsa_is_none || not_ok no_tlsa_is_none "$(j mx.1.dane)"
[ "$(j grade.receiving)" = A ] && ok one_mx_without_dane_is_not_a_plus || not_ok one_mx_without_dane_is_not_a_plus "$(j grade)"

"$E2E_BIN/mxray" check -c "$SANDBOX_CONF" --format html dane-bad.sender.test >"$SANDBOX/bad.html"
contains page_explains_the_mismatch "$SANDBOX/bad.html" "DANE: certificate does not match the TLSA records"
e2e_done
