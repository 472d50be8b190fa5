#!/bin/sh
# analysis_cli.sh - `mxray analyze` as its users call it (DESIGN: the CLI
# contract), against the sandbox DNS: the envelope sender from
# Return-Path when --mail-from is not given; the message on stdin ("-")
# gives the same analysis as the file; --helo names the HELO that is
# checked (and SPF's HELO identity); --format text prints the verdicts;
# --probe adds the MX probe of the sender domain (mx.nostarttls.test:
# STARTTLS missing); exit 0 with a report, 1 when none could be made
# (missing file, no domain, broken config) with the reason, 2 on usage
# errors (unknown option, bad --format or --client-ip, no file).
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

signing_sandbox_up
CLIENT=198.51.100.2

# A message signed by analysis.test whose Return-Path names an envelope
# sender that SPF authorizes for $CLIENT.
/usr/bin/python3 - "$SANDBOX/dkim/s1.key" "$work/msg.eml" <<'PY'
import sys, dkim
key, out = sys.argv[1:3]
msg = (b"From: Alice <alice@analysis.test>\r\nTo: test@mxray.test\r\nSubject: cli\r\n"
       b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <cli@analysis.test>\r\n\r\nHello.\r\n")
msg = dkim.sign(msg, b"s1", b"analysis.test", open(key, "rb").read(),
                include_headers=[b"from", b"to", b"subject", b"date"]) + msg
open(out, "wb").write(b"Return-Path: <alice@pass.spf.analysis.test>\r\n" + msg)
PY

# --- Return-Path, file and stdin ---
"$MXRAY" analyze -c "$SANDBOX_CONF" --format json --client-ip "$CLIENT" "$work/msg.eml" \
	>"$work/file.json" 2>"$work/file.err"
rc=$?
[ "$rc" = 0 ] && ok cli_file_exit_0 || not_ok cli_file_exit_0 "rc=$rc $(head -c 300 "$work/file.err")"
g="$(json_get "$work/file.json" message.mail_from) $(json_get "$work/file.json" message.spf.result)"
[ "$g" = "alice@pass.spf.analysis.test pass" ] && ok cli_return_path_is_the_envelope_sender ||
	not_ok cli_return_path_is_the_envelope_sender "got '$g'"
[ "$(json_get "$work/file.json" domain)" = pass.spf.analysis.test ] && ok cli_report_domain_is_the_envelope_domain ||
	not_ok cli_report_domain_is_the_envelope_domain "domain $(json_get "$work/file.json" domain)"
"$MXRAY" analyze -c "$SANDBOX_CONF" --format json --client-ip "$CLIENT" - <"$work/msg.eml" \
	>"$work/stdin.json" 2>"$work/stdin.err"
rc=$?
[ "$rc" = 0 ] && ok cli_stdin_exit_0 || not_ok cli_stdin_exit_0 "rc=$rc $(head -c 300 "$work/stdin.err")"
same=$(python3 - "$work/file.json" "$work/stdin.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["message"] for p in sys.argv[1:3])
keys = ("mail_from", "from", "message_id", "spf", "dkim", "dmarc", "headers", "limits")
print(all(a.get(k) == b.get(k) for k in keys) and a["dkim"][0]["result"] == "pass")
PY
)
[ "$same" = True ] && ok cli_stdin_gives_the_same_analysis || not_ok cli_stdin_gives_the_same_analysis "differs"

# --- the client's address family ---
[ "$(json_get "$work/file.json" message.client.family)" = ipv4 ] && ok cli_client_family_ipv4 ||
	not_ok cli_client_family_ipv4 "family $(json_get "$work/file.json" message.client.family)"
"$MXRAY" analyze -c "$SANDBOX_CONF" --format json --client-ip 2001:db8::25 "$work/msg.eml" \
	>"$work/v6.json" 2>/dev/null
g="$(json_get "$work/v6.json" message.client.ip) $(json_get "$work/v6.json" message.client.family)"
[ "$g" = "2001:db8::25 ipv6" ] && ok cli_client_family_ipv6 || not_ok cli_client_family_ipv6 "got '$g'"

# --- --helo ---
"$MXRAY" analyze -c "$SANDBOX_CONF" --format json --client-ip "$CLIENT" --helo mx1.sender.test \
	"$work/msg.eml" >"$work/helo.json" 2>/dev/null
g="$(json_get "$work/helo.json" message.client.helo) $(json_get "$work/helo.json" message.spf.helo.domain)"
g="$g $(json_get "$work/helo.json" message.client.check.fqdn) $(json_get "$work/helo.json" message.client.check.resolves)"
[ "$g" = "mx1.sender.test mx1.sender.test true true" ] && ok cli_helo_checked_and_used_for_spf ||
	not_ok cli_helo_checked_and_used_for_spf "got '$g'"
# mx1.sender.test resolves to the sandbox's address, not to $CLIENT
case " $(python3 -c 'import json,sys; print(" ".join(f["id"] for f in json.load(open(sys.argv[1]))["message"]["client"]["check"].get("findings", [])))' "$work/helo.json") " in
*" message.helo.mismatch "*) ok cli_helo_mismatch_found ;;
*) not_ok cli_helo_mismatch_found "$(json_get "$work/helo.json" message.client.check)" ;;
esac

# --- --format text ---
"$MXRAY" analyze -c "$SANDBOX_CONF" --format text --client-ip "$CLIENT" "$work/msg.eml" \
	>"$work/report.txt" 2>/dev/null
contains cli_text_spf_verdict "$work/report.txt" "SPF:         pass for pass.spf.analysis.test"
contains cli_text_dkim_verdict "$work/report.txt" "DKIM:        d=analysis.test s=s1 rsa-sha256: pass"
if grep -qi '<html' "$work/report.txt"; then not_ok cli_text_is_not_html "html in text"; else ok cli_text_is_not_html; fi

# --- --probe ---
printf 'From: Alice <alice@nostarttls.test>\r\nTo: test@mxray.test\r\nSubject: probe\r\n\r\nHi.\r\n' >"$work/probe.eml"
"$MXRAY" analyze -c "$SANDBOX_CONF" --format json --mail-from alice@nostarttls.test --probe \
	"$work/probe.eml" >"$work/probe.json" 2>"$work/probe.err"
rc=$?
g="$rc $(json_get "$work/probe.json" mx.0.host)"
[ "$g" = "0 mx.nostarttls.test" ] && ok cli_probe_probes_the_mx || not_ok cli_probe_probes_the_mx "got '$g' $(head -c 300 "$work/probe.err")"
grep -q '"smtp.starttls.missing"' "$work/probe.json" && ok cli_probe_finds_no_starttls ||
	not_ok cli_probe_finds_no_starttls "no smtp.starttls.missing"
[ -z "$(json_get "$work/file.json" mx)" ] && ok cli_without_probe_no_mx || not_ok cli_without_probe_no_mx "mx present"

# --- exit codes ---
# code NAME WANT STDERR-PART ARGS...: mxray analyze ARGS exits WANT and says so
code() {
	name=$1 want=$2 says=$3
	shift 3
	"$MXRAY" analyze "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null
	rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$says" "$work/$name.err"; then
		ok "cli_exit_${want}_$name"
	else
		not_ok "cli_exit_${want}_$name" "rc=$rc: $(head -c 200 "$work/$name.err")"
	fi
}
code unknown_option 2 "unrecognized option" -c "$SANDBOX_CONF" --frobnicate "$work/msg.eml"
code bad_format 2 "usage: mxray analyze" -c "$SANDBOX_CONF" --format pdf "$work/msg.eml"
code no_file 2 "usage: mxray analyze" -c "$SANDBOX_CONF"
code bad_client_ip 2 "--client-ip 300.1.2.3 is not an IP address" -c "$SANDBOX_CONF" --client-ip 300.1.2.3 "$work/msg.eml"
code missing_file 1 "cannot open $work/none.eml: No such file or directory" -c "$SANDBOX_CONF" "$work/none.eml"
printf 'Subject: nobody\r\n\r\nHi.\r\n' >"$work/nodomain.eml"
code no_domain 1 "no envelope sender (--mail-from, Return-Path) and no usable From: domain" -c "$SANDBOX_CONF" "$work/nodomain.eml"
printf '[milter]\nmax_headers = many\n' >"$work/broken.conf"
code broken_config 1 "max_headers" -c "$work/broken.conf" "$work/msg.eml"
[ ! -s "$work/missing_file.out" ] && ok cli_no_report_on_stdout_when_failing || not_ok cli_no_report_on_stdout_when_failing "stdout not empty"

e2e_done
