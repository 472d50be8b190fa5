# milter.sh - Redis and mxray-milter on unix sockets in a temporary
# directory of the test's own, for the tests that drive the milter with
# miltertest(8) (sourced, not run). Both are stopped by PID on exit.
#
# milter_up NAME [MILTER_LINES]: $dir is the directory; it writes
# $dir/mxray.conf (logs to stderr, Redis at $dir/redis.sock, the milter at
# unix:$dir/milter.sock, test address test@mxray.test, plus MILTER_LINES
# in its [milter] part), starts redis-server and mxray-milter (its log in
# $dir/milter.log) and waits for both sockets. ok/notok print the case
# lines; $fail is 1 once a case failed.

fail=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fail=1; }

redis_pid= milter_pid=
milter_cleanup() {
	[ -n "$milter_pid" ] && kill "$milter_pid" 2>/dev/null && wait "$milter_pid" 2>/dev/null
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}

milter_up() {
	for c in miltertest redis-server redis-cli; do
		command -v "$c" >/dev/null || { notok "needs_$c"; exit 1; }
	done
	dir=$(mktemp -d "/tmp/mxray-$1-XXXXXX")
	trap milter_cleanup EXIT
	cat >"$dir/mxray.conf" <<-CONF
	[log]
	destination = stderr
	[redis]
	address = $dir/redis.sock
	[milter]
	socket = unix:$dir/milter.sock
	# root on purpose: the sockets are in this test's root-only directory
	user = root
	test_addresses = test@mxray.test
	${2:-}
	CONF
	redis-server --port 0 --unixsocket "$dir/redis.sock" --save "" --appendonly no \
		--dir "$dir" >"$dir/redis.log" 2>&1 &
	redis_pid=$!
	"${MXRAY_BIN_DIR:-.}"/mxray-milter -c "$dir/mxray.conf" -v >"$dir/milter.log" 2>&1 &
	milter_pid=$!
	for _ in $(seq 50); do
		[ -S "$dir/redis.sock" ] && [ -S "$dir/milter.sock" ] && break
		sleep 0.3
	done
}
