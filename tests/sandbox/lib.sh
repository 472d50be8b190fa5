# lib.sh - shared helpers for the mxray sandbox scripts (sourced, not run).
#
# Messages, the per-process PID book under DIR/run/, starting a background
# process with its output in DIR/logs/, bounded waits for listening sockets,
# and stopping a process by its recorded PID (TERM, bounded wait, KILL).
# Nothing here looks processes up by name: every PID comes from DIR/run/.

SANDBOX_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say()  { printf 'sandbox: %s\n' "$*" >&2; }
die()  { printf 'sandbox: error: %s\n' "$*" >&2; exit 1; }

# need CMD... - fail clearly when a program the sandbox uses is missing.
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' not found: run 'make deps' (scripts/deps.sh) as root"
	done
}

# The sandbox's network: 127.N.0.0/16, 127.77 unless MXRAY_SANDBOX_NET says
# otherwise, so several sandboxes (parallel tests, several developers) can
# run on one machine. Templates are written for 127.77; render moves them.
SANDBOX_NET=${MXRAY_SANDBOX_NET:-127.77}
case "$SANDBOX_NET" in
127.[1-9] | 127.[1-9][0-9] | 127.1[0-9][0-9] | 127.2[0-4][0-9] | 127.25[0-4]) ;;
*) echo "sandbox: MXRAY_SANDBOX_NET=$SANDBOX_NET is not 127.N with N in 1..254" >&2; exit 2 ;;
esac

# Its IPv6 addresses: fd6d:7872:N::/64, a unique local range of its own per
# network, put on lo while the sandbox runs (sandbox.sh: net6_up); the
# templates are written for fd6d:7872:77::.
SANDBOX_NET6=fd6d:7872:${SANDBOX_NET#127.}:

# render TEMPLATE OUT VAR... - copy TEMPLATE to OUT replacing @VAR@ with $VAR
# and the default networks 127.77. and fd6d:7872:77: with the sandbox's own.
render() {
	local tpl=$1 out=$2 v val esc
	shift 2
	cp "$tpl" "$out.tmp"
	for v in "$@"; do
		val=${!v}
		esc=$(printf '%s' "$val" | sed -e 's/[\/&|]/\\&/g')
		sed -i -e "s|@$v@|$esc|g" "$out.tmp"
	done
	sed -i -e "s/127\.77\./$SANDBOX_NET./g" -e "s/fd6d:7872:77:/$SANDBOX_NET6/g" "$out.tmp"
	if grep -n '@[A-Z_][A-Z0-9_]*@' "$out.tmp" >&2; then
		die "render $tpl: placeholders left unreplaced (lines above)"
	fi
	mv "$out.tmp" "$out"
}

# pid_alive PID - true when PID is a live process (not a zombie).
pid_alive() {
	local st
	[ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed -e 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# pid_record NAME PID - remember a process we started.
pid_record() { echo "$2" >"$SANDBOX_DIR/run/$1.pid"; }

# pid_of NAME - print the recorded PID of NAME, if any.
pid_of() { [ -f "$SANDBOX_DIR/run/$1.pid" ] && head -n1 "$SANDBOX_DIR/run/$1.pid" || true; }

# spawn NAME CMD... - start CMD in the background in its own session, output
# appended to DIR/logs/NAME.log, and record its PID as NAME.
spawn() {
	local name=$1
	shift
	setsid "$@" </dev/null >>"$SANDBOX_DIR/logs/$name.log" 2>&1 &
	pid_record "$name" $!
}

# listening ADDR PORT [tcp|udp] - true when something listens there.
listening() {
	local opt=-Hltn
	[ "${3:-tcp}" = udp ] && opt=-Hlun
	[ -n "$(ss $opt "src $1:$2" 2>/dev/null)" ]
}

# wait_listen NAME ADDR PORT PROTO SECONDS - wait until NAME listens, or fail
# pointing at its log. Fails at once if NAME's recorded process has died.
wait_listen() {
	local name=$1 addr=$2 port=$3 proto=$4 secs=$5 pid i=0
	pid=$(pid_of "$name")
	while ! listening "$addr" "$port" "$proto"; do
		if [ -n "$pid" ] && ! pid_alive "$pid"; then
			tail -n 15 "$SANDBOX_DIR/logs/$name.log" 2>/dev/null | sed 's/^/    /' >&2
			die "$name exited before listening on $addr:$port (log: $SANDBOX_DIR/logs/$name.log)"
		fi
		i=$((i + 1))
		if [ "$i" -gt $((secs * 10)) ]; then
			tail -n 15 "$SANDBOX_DIR/logs/$name.log" 2>/dev/null | sed 's/^/    /' >&2
			die "$name not listening on $addr:$port/$proto after ${secs}s (log: $SANDBOX_DIR/logs/$name.log)"
		fi
		sleep 0.1
	done
}

# stop_pid NAME - stop NAME's recorded process (and wait for it), then forget it.
stop_pid() {
	local name=$1 pid i kids
	pid=$(pid_of "$name")
	if [ -z "$pid" ]; then
		return 0
	fi
	if pid_alive "$pid"; then
		kids=$(pgrep -P "$pid" || true)
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 50); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		if pid_alive "$pid"; then
			say "$name (pid $pid) ignored TERM for 5s; sending KILL"
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
		fi
		# children (nsd's servers, nginx's workers) go with their parent
		[ -z "$kids" ] || wait_gone $kids
	fi
	rm -f "$SANDBOX_DIR/run/$name.pid"
}

# wait_gone PID... - wait (bounded, 5s) until every PID has exited; KILL stragglers.
wait_gone() {
	local p i left
	for i in $(seq 1 50); do
		left=""
		for p in "$@"; do pid_alive "$p" && left="$left $p"; done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	say "processes still alive after 5s, sending KILL:$left"
	for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
}
