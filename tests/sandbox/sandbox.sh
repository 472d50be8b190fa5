#!/bin/bash
# sandbox.sh - start and stop mxray's hermetic mail world.
#
# Usage: sandbox.sh start DIR [--no-mxray]
#        sandbox.sh stop DIR
#
# start builds everything under DIR (certificates, signed zones, configs)
# and starts NSD, Redis, one private Postfix, nginx and (unless --no-mxray)
# mxray-milter, mxray-worker and mxray-reporter, all on loopback addresses
# in 127.77.0.0/16, or 127.N.0.0/16 with MXRAY_SANDBOX_NET=127.N (see docs/architecture.md, "The sandbox"). Every process
# is recorded by PID in DIR/run/ and logs to DIR/logs/. It writes DIR/env
# (shell variables for tests) and DIR/mxray.conf. MXRAY_REPORT_TTL in the
# environment overrides the report ttl (default 72h); MXRAY_BIN_DIR names
# the directory of the mxray-* programs (default: the repository root).
# stop stops every recorded process by PID; it is safe to run at any time,
# also after a start that failed halfway (start runs it itself then).
# Root only: NSD needs port 53 and the MX listeners port 25. Nothing of the
# machine's own Postfix, resolver or services is used or touched.
set -eu

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$SANDBOX_LIB/certs.sh"
. "$SANDBOX_LIB/dns.sh"
. "$SANDBOX_LIB/analysis.sh"
. "$SANDBOX_LIB/probe.sh"
. "$SANDBOX_LIB/postfix.sh"
. "$SANDBOX_LIB/services.sh"

# Every listener of the sandbox: ADDR:PORT/PROTO.
LISTENERS="${SANDBOX_NET}.0.53:53/udp ${SANDBOX_NET}.0.53:53/tcp ${SANDBOX_NET}.0.63:6379/tcp
 ${SANDBOX_NET}.0.25:25/tcp ${SANDBOX_NET}.0.25:587/tcp ${SANDBOX_NET}.1.1:25/tcp ${SANDBOX_NET}.1.2:25/tcp
 ${SANDBOX_NET}.1.3:25/tcp ${SANDBOX_NET}.1.4:25/tcp ${SANDBOX_NET}.0.80:443/tcp
 ${SANDBOX_NET}.0.88:8891/tcp ${SANDBOX_NET}.0.8:8080/tcp
 ${SANDBOX_NET}.4.1:25/tcp ${SANDBOX_NET}.4.80:443/tcp ${SANDBOX_NET}.4.81:443/tcp
 ${SANDBOX_NET}.4.6:25/tcp [${SANDBOX_NET6}:4:6]:25/tcp
 ${SANDBOX_NET}.5.1:25/tcp ${SANDBOX_NET}.5.2:25/tcp ${SANDBOX_NET}.5.3:25/tcp ${SANDBOX_NET}.5.4:25/tcp ${SANDBOX_NET}.5.5:25/tcp ${SANDBOX_NET}.5.6:25/tcp"
# What start generates in DIR and a new start replaces.
GENERATED="ca certs dkim dns postfix spool mail outbox nginx redis run env mxray.conf"

usage() {
	echo "usage: $0 start DIR [--no-mxray] | stop DIR" >&2
	exit 2
}

# check_free - fail when any sandbox address is taken, naming the holder.
check_free() {
	local l addr port proto opt line p what cfg busy=""
	for l in $LISTENERS; do
		proto=${l#*/}; addr=${l%/*}; port=${addr##*:}; addr=${addr%:*}
		opt=-Hltnp; [ "$proto" = udp ] && opt=-Hlunp
		line=$(ss $opt "src $addr:$port" 2>/dev/null) || true
		[ -n "$line" ] || continue
		busy=yes
		# the lowest PID is the parent (nsd's and nginx's children share the socket)
		p=$(printf '%s' "$line" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -n | head -n1)
		what=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | tr -s ' ') || true
		# Postfix's master names its instance only in its environment
		cfg=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep '^MAIL_CONFIG=' || true)
		say "$addr:$port/$proto is in use by pid $p: $what${cfg:+ ($cfg)}"
	done
	[ -z "$busy" ] || die "a previous sandbox (or something else) is still running on the sandbox addresses; stop it with '$0 stop OLD_DIR' (the DIR in the command lines above)"
}

# write_env - DIR/env, the variables a test sources.
write_env() {
	cat >"$SANDBOX_DIR/env" <<-EOT
	# env - the mxray sandbox in $SANDBOX_DIR (written by tests/sandbox/sandbox.sh)
	SANDBOX_DIR='$SANDBOX_DIR'
	SANDBOX_CONF='$SANDBOX_DIR/mxray.conf'
	SANDBOX_NET=${SANDBOX_NET}
	DNS_ADDR=${SANDBOX_NET}.0.53
	REDIS_ADDR=${SANDBOX_NET}.0.63:6379
	SMTP_IN=${SANDBOX_NET}.0.25:25
	SUBMIT=${SANDBOX_NET}.0.25:587
	HTTP_BASE=http://${SANDBOX_NET}.0.8:8080
	MAILBOX_SENDER='$SANDBOX_DIR/mail/sender.test'
	DKIM_KEY='$SANDBOX_DIR/dkim/s1.key'
	DKIM_SELECTOR=s1
	SENDER_DOMAIN=sender.test
	TEST_ADDRESS=test@mxray.test
	CLIENT_ADDR=${SANDBOX_NET}.2.1
	CA_FILE='$SANDBOX_DIR/ca/ca.crt'
	ROOT_HINTS='$SANDBOX_DIR/dns/root.hints'
	TRUST_ANCHOR='$SANDBOX_DIR/dns/root.key'
	SANDBOX_IPV6=$SANDBOX_IPV6
	EOT
}

# net6_up - the sandbox's IPv6 MX address on lo (an MX host with A and
# AAAA records: every address is probed, IPv4 and IPv6), recorded so that
# stop removes it; net6_down removes what net6_up recorded. A machine
# without IPv6 gets a sandbox without that listener (SANDBOX_IPV6=no in
# DIR/env; tests/e2e/probe_ipv6.sh then fails saying so).
net6_up() {
	local a=${SANDBOX_NET6}:4:6
	SANDBOX_IPV6=yes
	if ! ip -6 addr replace "$a/128" dev lo 2>>"$SANDBOX_DIR/logs/net6.log"; then
		say "no IPv6 on lo ($a: see $SANDBOX_DIR/logs/net6.log; sysctl net.ipv6.conf.lo.disable_ipv6?): the IPv6 MX listener is left out"
		SANDBOX_IPV6=no
		return 0
	fi
	echo "$a" >"$SANDBOX_DIR/run/net6.addr"
}
net6_down() {
	local a
	[ -f "$SANDBOX_DIR/run/net6.addr" ] || return 0
	a=$(cat "$SANDBOX_DIR/run/net6.addr")
	ip -6 addr del "$a/128" dev lo 2>/dev/null || true
	rm -f "$SANDBOX_DIR/run/net6.addr"
}

# sandbox_stop - stop everything recorded in DIR/run, newest first.
sandbox_stop() {
	[ -d "$SANDBOX_DIR/run" ] || return 0
	# Anything else a test recorded in run/ (extra workers, hostile servers).
	local p
	for p in "$SANDBOX_DIR"/run/extra-*.pid; do
		[ -f "$p" ] && stop_pid "$(basename "$p" .pid)"
	done
	mxray_stop
	stop_pid nginx
	postfix_stop
	stop_pid redis
	stop_pid nsd
	net6_down
}

# sandbox_start - build and start the sandbox.
sandbox_start() {
	local with_mxray=$1 n p t0 started=no
	t0=$(date +%s%N)
	[ "$(id -u)" = 0 ] || die "start needs root (NSD binds port 53, the MX listeners port 25)"
	need openssl ldns-keygen ldns-signzone ldns-key2ds nsd nsd-checkconf redis-server \
		postfix postconf nginx script setsid setpriv ss
	if [ -d "$SANDBOX_DIR/run" ]; then
		for p in "$SANDBOX_DIR"/run/*.pid; do
			[ -f "$p" ] || continue
			pid_alive "$(head -n1 "$p")" &&
				die "a sandbox is already running in $SANDBOX_DIR ($(basename "$p" .pid) pid $(head -n1 "$p")); run '$0 stop $SANDBOX_DIR' first"
		done
	fi
	[ "$with_mxray" = no ] || mxray_bin >/dev/null || exit 1
	check_free
	for n in $GENERATED; do rm -rf "${SANDBOX_DIR:?}/$n"; done
	mkdir -p "$SANDBOX_DIR/run" "$SANDBOX_DIR/logs"
	rm -f "$SANDBOX_DIR"/logs/*.log
	# daemons running as other users (postfix, nginx workers) enter DIR
	chmod 755 "$SANDBOX_DIR"

	trap 'rc=$?; if [ "$started" != yes ]; then say "start failed; stopping what was started"; sandbox_stop; fi; exit $rc' EXIT
	say "building in $SANDBOX_DIR"
	certs_make
	probe_make
	dns_make
	net6_up
	postfix_make
	nginx_make
	mxray_conf
	write_env
	say "starting NSD, Redis, Postfix, nginx"
	dns_start
	redis_start
	postfix_start
	nginx_start
	if [ "$with_mxray" = yes ]; then
		say "starting $MXRAY_DAEMONS"
		mxray_start
	fi
	started=yes
	trap - EXIT
	say "running (logs: $SANDBOX_DIR/logs, variables: $SANDBOX_DIR/env) in $((($(date +%s%N) - t0) / 1000000)) ms"
}

[ $# -ge 2 ] || usage
cmd=$1
if [ "$cmd" = start ]; then
	mkdir -p "$2" || die "cannot create $2"
elif [ ! -d "$2" ]; then
	say "$2 does not exist: nothing to stop"
	exit 0
fi
SANDBOX_DIR=$(cd "$2" && pwd)
case "$cmd" in
start)
	mxray=yes
	case "${3:-}" in
	"") ;;
	--no-mxray) mxray=no ;;
	*) usage ;;
	esac
	[ $# -le 3 ] || usage
	sandbox_start "$mxray"
	;;
stop)
	[ $# -eq 2 ] || usage
	sandbox_stop
	say "stopped $SANDBOX_DIR"
	;;
*) usage ;;
esac
