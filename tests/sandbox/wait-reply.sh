#!/bin/bash
# wait-reply.sh - wait for mxray's reply in the test sender's Maildir.
#
# Usage: wait-reply.sh DIR TIMEOUT_S [USER]
# Waits at most TIMEOUT_S seconds for a new file in
# DIR/mail/sender.test/USER/new/ (USER defaults to alice) and prints its
# path. "New" means newer than the last send-test-mail.sh run (its marker
# DIR/outbox/last-sent), so a reply that arrived before this wait began
# still counts; without a marker, a file not there when the wait began.
# Exits 1 on timeout.
set -eu

[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: $0 DIR TIMEOUT_S [USER]" >&2; exit 2; }
dir=$1 timeout=$2 user=${3:-alice}
case "$timeout" in ''|*[!0-9]*) echo "wait-reply: TIMEOUT_S must be whole seconds" >&2; exit 2 ;; esac
new=$dir/mail/sender.test/$user/new
marker=$dir/outbox/last-sent
before=$(ls -1 "$new" 2>/dev/null | sort || true)
end=$(($(date +%s) + timeout))
while :; do
	if [ -f "$marker" ]; then
		f=$(find "$new" -maxdepth 1 -type f -newer "$marker" -printf '%f\n' 2>/dev/null | sort | head -n1)
	else
		now=$(ls -1 "$new" 2>/dev/null | sort || true)
		f=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$now") | head -n1)
	fi
	if [ -n "$f" ]; then
		echo "$new/$f"
		exit 0
	fi
	[ "$(date +%s)" -lt "$end" ] || break
	sleep 0.2
done
echo "wait-reply: no new mail in $new after ${timeout}s (Postfix log: $dir/logs/postfix.log)" >&2
exit 1
