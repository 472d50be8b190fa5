#!/bin/sh
# analysis_dmarc.sh - DMARC of test mail against records served by the
# sandbox DNS (zone analysis.test, signed), through `mxray analyze` with
# messages signed by dkimpy with the sandbox key s1 (published for
# sender.test and analysis.test). Asserts the domain DMARC was judged
# for, the result, its reason and what aligned, in JSON and in HTML:
# - a display name that holds another address ("x <alice@sender.test>"
#   <mallory@analysis.test>) is judged for analysis.test, where the
#   sender.test signature does not align;
# - a From field that breaks RFC 5322 gets permerror and a finding.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import dkim' 2>/dev/null ||
	{ not_ok needs_dkimpy "python3-dkim (make deps)"; exit 1; }
sandbox_up
work=$SANDBOX/e2e
mkdir -p "$work"
MXRAY=$E2E_BIN/mxray
CLIENT=198.51.100.2

# signed NAME FROM DKIM-DOMAIN: $work/NAME.eml with that From, signed by
# d=DKIM-DOMAIN s=s1 (or unsigned when DKIM-DOMAIN is -).
signed() {
	/usr/bin/python3 - "$SANDBOX/dkim/s1.key" "$work/$1.eml" "$2" "$3" <<'PY'
import sys, dkim
key, out, frm, dom = sys.argv[1:5]
msg = ("From: %s\r\nTo: test@mxray.test\r\nSubject: dmarc case\r\n"
       "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <dmarc@analysis.test>\r\n"
       "\r\nHello.\r\n" % frm).encode()
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

e2e_done
