#!/bin/sh
# analysis_dmarc.sh - DMARC of test mail against records served by the
# sandbox DNS (zone analysis.test, signed), through `mxray analyze` with
# messages signed by dkimpy with the sandbox key s1 (published for
# sender.test and analysis.test). Asserts the domain DMARC was judged
# for, the result, its reason and what aligned, in JSON and in HTML:
# - a display name that holds another address ("x <alice@sender.test>"
#   <mallory@analysis.test>) is judged for analysis.test, where the
#   sender.test signature does not align;
# - a From field that breaks RFC 5322 gets permerror and a finding;
# - two records at the From domain end discovery (permerror, no fallback
#   to analysis.test's p=quarantine), a broken one is permerror, none at
#   all (unsigned.test) is none; each with its finding;
# - an SPF temperror (include in the bogus zone) with nothing aligned
#   passing is temperror with no policy applied;
# - np=reject of analysis.test for a From subdomain that does not exist,
#   p=quarantine for one that does (RFC 9091);
# - each DKIM signature's alignment: strict, relaxed, none.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

signing_sandbox_up
CLIENT=198.51.100.2

# signed NAME FROM DKIM-DOMAIN...: $work/NAME.eml with that From, signed
# by d=DKIM-DOMAIN s=s1 for each (in that order; - for none).
signed() {
	/usr/bin/python3 - "$SANDBOX/dkim/s1.key" "$work/$1.eml" "$2" "$@" <<'PY'
import sys, dkim
key, out, frm = sys.argv[1:4]
msg = ("From: %s\r\nTo: test@mxray.test\r\nSubject: dmarc case\r\n"
       "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <dmarc@analysis.test>\r\n"
       "\r\nHello.\r\n" % frm).encode()
for dom in sys.argv[6:]:
    if dom != "-":
        msg = dkim.sign(msg, b"s1", dom.encode(), open(key, "rb").read(),
                        include_headers=[b"from", b"to", b"subject", b"date"]) + msg
open(out, "wb").write(msg)
PY
}
# analyze NAME MAIL-FROM: $work/NAME.json (and .html) from $work/NAME.eml
analyze() {
	for f in json html; do
		"$MXRAY" analyze -c "$SANDBOX_CONF" --format $f --client-ip "$CLIENT" \
			--mail-from "$2" "$work/$1.eml" >"$work/$1.$f" 2>"$work/$1.$f.err" ||
			not_ok "analyze_$1_$f" "rc=$? $(head -c 300 "$work/$1.$f.err")"
	done
}
dm() { json_get "$work/$1.json" "message.dmarc.$2"; }
# expect NAME KEY WANT: message.dmarc.KEY of case NAME is WANT
expect() {
	got=$(dm "$1" "$2")
	[ "$got" = "$3" ] && ok "dmarc_$1_$2_is_$3" || not_ok "dmarc_$1_$2_is_$3" "got '$got'; dmarc $(dm "$1" "")"
}
# finding_ids FILE PATH: ids of the findings array at PATH
finding_ids() {
	python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for p in sys.argv[2].split("."): v=v[p]
print(" ".join(f["id"] for f in v.get("findings", [])))' "$1" "$2" 2>/dev/null
}

# --- the From domain is the address, never the display name ---
signed display '"x <alice@sender.test>" <mallory@analysis.test>' sender.test
analyze display mallory@analysis.test
[ "$(json_get "$work/display.json" message.dkim.0.result)" = pass ] && ok dmarc_display_signature_itself_passes ||
	not_ok dmarc_display_signature_itself_passes "$(json_get "$work/display.json" message.dkim.0)"
expect display domain analysis.test
expect display result fail
expect display dkim_aligned false
expect display applied_policy quarantine
contains dmarc_display_html_names_the_real_domain "$work/display.html" "for the From domain analysis.test)"

signed unquoted 'alice@sender.test <mallory@analysis.test>' sender.test
analyze unquoted mallory@analysis.test
expect unquoted result permerror
expect unquoted domain null
case "$(dm unquoted reason)" in
*"not RFC 5322 syntax: '@' in a display name outside quotes"*) ok dmarc_unquoted_reason_names_the_error ;;
*) not_ok dmarc_unquoted_reason_names_the_error "reason '$(dm unquoted reason)'" ;;
esac
case " $(finding_ids "$work/unquoted.json" message.headers) " in
*" message.header.from_syntax "*) ok dmarc_unquoted_from_syntax_finding ;;
*) not_ok dmarc_unquoted_from_syntax_finding "findings: $(finding_ids "$work/unquoted.json" message.headers)" ;;
esac
contains dmarc_unquoted_html_shows_why "$work/unquoted.html" "&#39;@&#39; in a display name outside quotes"

# --- discovery and the From domain's own record ---
# has_finding NAME ID: message.dmarc of case NAME carries finding ID
has_finding() {
	case " $(finding_ids "$work/$1.json" message.dmarc) " in
	*" $2 "*) ok "dmarc_$1_finding_$2" ;;
	*) not_ok "dmarc_$1_finding_$2" "findings: $(finding_ids "$work/$1.json" message.dmarc)" ;;
	esac
}
signed twice 'Alice <alice@twice.dmarc.analysis.test>' -
analyze twice alice@twice.dmarc.analysis.test
expect twice result permerror
expect twice outcome invalid
expect twice record_domain twice.dmarc.analysis.test
expect twice applied_policy ""
case "$(dm twice problems)" in
*"2 v=DMARC1 records at _dmarc.twice.dmarc.analysis.test"*) ok dmarc_twice_problem_named ;;
*) not_ok dmarc_twice_problem_named "problems $(dm twice problems)" ;;
esac
has_finding twice dmarc.from_invalid

signed broken 'alice@broken.dmarc.analysis.test' -
analyze broken alice@broken.dmarc.analysis.test
expect broken result permerror
has_finding broken dmarc.from_invalid

signed missing 'alice@unsigned.test' unsigned.test
analyze missing alice@unsigned.test
expect missing result none
expect missing outcome none
has_finding missing dmarc.from_missing
contains dmarc_missing_fix_in_html "$work/missing.html" "The From domain of the test mail has no DMARC policy"

# --- a temporary error is not a failure ---
signed temp 'alice@dnsfail.spf.analysis.test' -
analyze temp alice@dnsfail.spf.analysis.test
[ "$(json_get "$work/temp.json" message.spf.result)" = temperror ] && ok dmarc_temp_spf_is_temperror ||
	not_ok dmarc_temp_spf_is_temperror "spf $(json_get "$work/temp.json" message.spf.result)"
expect temp result temperror
expect temp applied_policy ""
case "$(dm temp reason)" in
*"SPF of the aligned envelope domain had a temporary error"*) ok dmarc_temp_reason_says_spf ;;
*) not_ok dmarc_temp_reason_says_spf "reason '$(dm temp reason)'" ;;
esac
has_finding temp dmarc.temperror

# --- np= for a subdomain that does not exist (RFC 9091) ---
signed gone 'alice@gone.dmarc.analysis.test' sender.test
analyze gone alice@gone.dmarc.analysis.test
expect gone result fail
expect gone from_domain_exists false
expect gone applied_policy reject
contains dmarc_gone_np_in_html "$work/gone.html" "np=: the From domain does not exist"
signed host 'alice@host.dmarc.analysis.test' sender.test
analyze host alice@host.dmarc.analysis.test
expect host from_domain_exists true
expect host applied_policy quarantine

# --- alignment per DKIM signature ---
signed sigs 'alice@mail.analysis.test' mail.analysis.test analysis.test sender.test
analyze sigs alice@mail.analysis.test
# signatures are prepended: the last one signed (sender.test) comes first;
# mail.analysis.test has no s1 key: aligned strictly, yet it cannot count.
# domain alignment aligned counts
n=0
for want in "sender.test none false false" "analysis.test relaxed true true" \
	"mail.analysis.test strict true false"; do
	set -- $want
	g="$(dm sigs "dkim_signatures.$n.domain") $(dm sigs "dkim_signatures.$n.alignment")"
	g="$g $(dm sigs "dkim_signatures.$n.aligned") $(dm sigs "dkim_signatures.$n.counts")"
	[ "$g" = "$want" ] && ok "dmarc_sigs_signature_${n}_$1_$2" ||
		not_ok "dmarc_sigs_signature_${n}_$1_$2" "got '$g' (dkim $(json_get "$work/sigs.json" message.dkim.$n.result))"
	n=$((n + 1))
done
expect sigs result pass
contains dmarc_sigs_html_per_signature "$work/sigs.html" "alignment relaxed (counts for DMARC)"
contains dmarc_sigs_html_unaligned "$work/sigs.html" "alignment none (not aligned as the policy requires)"
contains dmarc_sigs_html_aligned_not_passing "$work/sigs.html" "permerror, alignment strict (aligned, but does not pass)"

e2e_done
