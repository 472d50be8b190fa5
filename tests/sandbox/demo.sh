#!/bin/sh
# demo.sh - `make demo`: the whole flow once, on the sandbox, for a newcomer.
#
# Starts the sandbox (DNS, Redis, Postfix with the mxray milter, MX
# listeners, nginx, mxray's three daemons), sends a DKIM-signed test mail
# from alice@sender.test to test@mxray.test, waits for the reply in
# alice's mailbox, prints it and the report, then stops everything, unless
# KEEP=1, which leaves the sandbox running so the link opens in a browser.
set -u
cd "$(dirname "$0")/../.." || exit 1

SANDBOX_NET=${MXRAY_SANDBOX_NET:-127.77}
if [ "$(id -u)" != 0 ]; then
	echo "demo: the sandbox needs root (DNS on port 53, MX listeners on port 25"
	echo "      of ${SANDBOX_NET}.0.0/16 addresses); run: sudo make demo"
	exit 1
fi

dir=$(mktemp -d /tmp/mxray-demo-XXXXXX)
stop() { tests/sandbox/sandbox.sh stop "$dir" >/dev/null 2>&1; }

echo "== Starting the sandbox in $dir"
if ! tests/sandbox/sandbox.sh start "$dir"; then
	echo "demo: the sandbox did not start; logs are in $dir/logs"
	stop
	exit 1
fi
. "$dir/env"

echo "== Sending a DKIM-signed test mail: alice@sender.test -> $TEST_ADDRESS"
msgid=$(tests/sandbox/send-test-mail.sh "$dir") || { echo "demo: sending failed"; stop; exit 1; }
echo "   Message-ID $msgid"

echo "== Waiting for the reply in $MAILBOX_SENDER"
reply=$(tests/sandbox/wait-reply.sh "$dir" 60)
if [ -z "$reply" ]; then
	echo "demo: no reply within 60 s; see $dir/logs/mxray-*.log"
	stop
	exit 1
fi
echo
echo "------------------------------------------------------------ the reply"
cat "$reply"
echo "------------------------------------------------------------"

link=$(grep -o "$HTTP_BASE/r/[A-Za-z0-9_-]*" "$reply" | head -n 1)
echo
echo "== The same inbound probe from the command line, without Postfix or Redis:"
echo "   ./mxray check -c $SANDBOX_CONF sender.test"
./mxray check -c "$SANDBOX_CONF" --format text sender.test
echo
if [ "${KEEP:-0}" = 1 ]; then
	echo "The sandbox keeps running. The report:"
	echo "   $link          (HTML)"
	echo "   $link.json     (JSON)"
	echo "Stop it with:  tests/sandbox/sandbox.sh stop $dir"
else
	stop
	rm -rf "$dir"
	echo "The sandbox is stopped. To keep it running and open the report link"
	echo "in a browser on this machine, run:  KEEP=1 make demo"
fi
