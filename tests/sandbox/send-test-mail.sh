#!/bin/bash
# send-test-mail.sh - send one DKIM-signed test message into the sandbox.
#
# Usage: send-test-mail.sh DIR [FROM]
# Writes a small RFC 5322 message from FROM (default alice@sender.test) to
# test@mxray.test into DIR/outbox/, signs it with the sandbox's DKIM key
# (d=sender.test, s=s1) when FROM is @sender.test, and sends it with swaks
# from 127.77.2.1 (client.sender.test) to 127.77.0.25:25 with STARTTLS.
# Prints the Message-ID on stdout; the swaks transcript goes to
# DIR/logs/send-test-mail.log. Exits non-zero when the mail was not accepted.
set -eu

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 DIR [FROM]" >&2; exit 2; }
dir=$(cd "$1" && pwd) || exit 1
from=${2:-alice@sender.test}
for c in swaks dkimsign; do
	command -v "$c" >/dev/null || { echo "send-test-mail: '$c' not found: run 'make deps'" >&2; exit 1; }
done
[ -f "$dir/dkim/s1.key" ] || { echo "send-test-mail: $dir/dkim/s1.key missing: is $dir a sandbox?" >&2; exit 1; }

mkdir -p "$dir/outbox"
now=$(date -u +%Y%m%d%H%M%S)
mid="<$now.$$.$RANDOM@${from#*@}>"
raw=$dir/outbox/$now.$$.raw
msg=$dir/outbox/$now.$$.eml
log=$dir/logs/send-test-mail.log

printf '%s\r\n' \
	"From: Alice <$from>" \
	"To: <test@mxray.test>" \
	"Subject: mxray sandbox test $now" \
	"Date: $(date -R)" \
	"Message-ID: $mid" \
	"MIME-Version: 1.0" \
	"Content-Type: text/plain; charset=us-ascii" \
	"" \
	"Hello mxray, this is a test message from the sandbox." \
	"" >"$raw"

case "$from" in
*@sender.test)
	# dkimsign prints the DKIM-Signature header + message on stdout
	dkimsign s1 sender.test "$dir/dkim/s1.key" <"$raw" >"$msg" 2>>"$log" || {
		echo "send-test-mail: dkimsign failed (log: $log)" >&2
		exit 1
	}
	;;
*) cp "$raw" "$msg" ;;
esac

touch "$dir/outbox/last-sent"	# wait-reply.sh: replies newer than this
. "$dir/env"
if ! swaks --server "$SMTP_IN" --local-interface "$CLIENT_ADDR" --tls \
	--ehlo client.sender.test --from "$from" --to test@mxray.test \
	--data "$msg" --timeout 30 >>"$log" 2>&1; then
	echo "send-test-mail: the sandbox did not accept the message (transcript: $log)" >&2
	exit 1
fi
echo "$mid"
