# postfix.sh - the sandbox's one private Postfix instance (sourced by sandbox.sh).
#
# Config in DIR/postfix (main.cf, master.cf from templates/), queue and data
# in DIR/spool, log in DIR/logs/postfix.log, Maildirs under DIR/mail. Started
# with "postfix -c DIR/postfix start"; its master PID is recorded as
# run/postfix.pid. Stopped with "postfix -c DIR/postfix stop", then the
# master PID (and its children) are waited for.

# the users of sender.test with a Maildir of their own
SENDER_USERS="alice bob carol dmarc tlsrpt postmaster"

# postfix_make - write the instance's configuration and directories.
postfix_make() {
	local t=$SANDBOX_LIB/templates
	PF_DIR=$SANDBOX_DIR/postfix
	SPOOL_DIR=$SANDBOX_DIR/spool
	MAIL_DIR=$SANDBOX_DIR/mail
	CERT_DIR=$SANDBOX_DIR/certs
	LOG_DIR=$SANDBOX_DIR/logs
	PF_UID=$(id -u postfix 2>/dev/null) || die "no 'postfix' user: install postfix (make deps)"
	PF_GID=$(id -g postfix)
	mkdir -p "$PF_DIR" "$SPOOL_DIR/queue" "$SPOOL_DIR/data" "$MAIL_DIR/sender.test"
	chown "$PF_UID:$PF_GID" "$SPOOL_DIR/data" "$MAIL_DIR" "$MAIL_DIR/sender.test"
	render "$t/main.cf.in" "$PF_DIR/main.cf" PF_DIR SPOOL_DIR LOG_DIR MAIL_DIR PF_UID PF_GID CERT_DIR
	render "$t/master.cf.in" "$PF_DIR/master.cf" CERT_DIR
	# no IPv6 on this machine (net6_up): no IPv6 listener, or master would not start
	[ "${SANDBOX_IPV6:-yes}" = yes ] || sed -i '/^\[fd6d:/,/^[^ ]/{/^\[fd6d:/d;/^  /d}' "$PF_DIR/master.cf"
	printf '# mail for the test address: the milter has queued the job already\nmxray.test\tdiscard:\n' \
		>"$PF_DIR/transport"
	# virtual(8) forbids $1 substitution from regexp maps, so the users
	# are listed; any other user@sender.test lands in sender.test/other/
	{
		echo "# user@sender.test -> Maildir (relative to $MAIL_DIR)"
		for u in $SENDER_USERS; do printf '%s@sender.test\tsender.test/%s/\n' "$u" "$u"; done
		printf '@sender.test\tsender.test/other/\n'
	} >"$PF_DIR/virtual_mailbox"
	# the unprivileged postfix user must reach its queue and the Maildirs
	setpriv --reuid="$PF_UID" --regid="$PF_GID" --clear-groups \
		test -x "$SPOOL_DIR/queue" -a -w "$MAIL_DIR/sender.test" ||
		die "user postfix cannot reach $SPOOL_DIR/queue or write $MAIL_DIR: make every parent directory of $SANDBOX_DIR searchable (chmod o+x)"
	postconf -c "$PF_DIR" -n >/dev/null 2>>"$SANDBOX_DIR/logs/postfix-start.log" ||
		die "postconf rejects $PF_DIR/main.cf (log: $SANDBOX_DIR/logs/postfix-start.log)"
}

# postfix_start - start the instance and wait for its listeners.
postfix_start() {
	local pf=$SANDBOX_DIR/postfix pid a
	# postfix is silent without a terminal: script(1) gives it one so its
	# complaints reach the log
	script -qec "postfix -c '$pf' start" /dev/null >>"$SANDBOX_DIR/logs/postfix-start.log" 2>&1 || {
		tail -n 15 "$SANDBOX_DIR/logs/postfix-start.log" | sed 's/^/    /' >&2
		die "postfix -c $pf start failed (logs: $SANDBOX_DIR/logs/postfix-start.log, $SANDBOX_DIR/logs/postfix.log)"
	}
	for a in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		pid=$(head -n1 "$SANDBOX_DIR/spool/queue/pid/master.pid" 2>/dev/null | tr -d ' ') || true
		[ -n "$pid" ] && pid_alive "$pid" && break
		sleep 0.1
	done
	[ -n "$pid" ] && pid_alive "$pid" ||
		die "postfix master did not start (logs: $SANDBOX_DIR/logs/postfix-start.log, $SANDBOX_DIR/logs/postfix.log)"
	pid_record postfix "$pid"
	for a in ${SANDBOX_NET}.0.25:25 ${SANDBOX_NET}.0.25:587 ${SANDBOX_NET}.1.1:25 ${SANDBOX_NET}.1.2:25 ${SANDBOX_NET}.1.3:25 ${SANDBOX_NET}.1.4:25 \
		${SANDBOX_NET}.4.6:25 "[${SANDBOX_NET6}:4:6]:25"; do
		case "$a" in "["*) [ "${SANDBOX_IPV6:-yes}" = yes ] || continue ;; esac
		wait_listen postfix "${a%:*}" "${a##*:}" tcp 10
	done
}

# postfix_stop - stop the instance (safe when it never started).
postfix_stop() {
	local pf=$SANDBOX_DIR/postfix pid kids=""
	pid=$(pid_of postfix)
	[ -n "$pid" ] || pid=$(head -n1 "$SANDBOX_DIR/spool/queue/pid/master.pid" 2>/dev/null | tr -d ' ') || true
	# only a live Postfix master: a stale pid file may name someone else
	if [ -n "$pid" ] && pid_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = master ]; then
		kids=$(pgrep -P "$pid" || true)
		script -qec "postfix -c '$pf' stop" /dev/null >>"$SANDBOX_DIR/logs/postfix-start.log" 2>&1 || true
		wait_gone "$pid" $kids
	fi
	rm -f "$SANDBOX_DIR/run/postfix.pid"
}
