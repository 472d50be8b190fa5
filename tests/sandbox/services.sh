# services.sh - Redis, nginx and the mxray daemons of the sandbox (sourced
# by sandbox.sh). Each runs in the foreground of its own session in the
# background of sandbox.sh, output in DIR/logs/<name>.log, PID in DIR/run/.

MXRAY_DAEMONS="mxray-milter mxray-worker mxray-reporter"

# redis_start - Redis on 127.77.0.63:6379, no persistence, files in DIR/redis.
redis_start() {
	mkdir -p "$SANDBOX_DIR/redis"
	spawn redis redis-server --bind ${SANDBOX_NET}.0.63 --port 6379 --protected-mode no \
		--save "" --appendonly no --daemonize no --dir "$SANDBOX_DIR/redis" \
		--logfile "$SANDBOX_DIR/logs/redis.log"
	wait_listen redis ${SANDBOX_NET}.0.63 6379 tcp 10
}

# nginx_make - nginx's configuration and the MTA-STS policy of sender.test.
nginx_make() {
	NGINX_DIR=$SANDBOX_DIR/nginx
	LOG_DIR=$SANDBOX_DIR/logs
	CERT_DIR=$SANDBOX_DIR/certs
	mkdir -p "$NGINX_DIR/tmp" "$NGINX_DIR/www/.well-known"
	render "$SANDBOX_LIB/templates/nginx.conf.in" "$NGINX_DIR/nginx.conf" NGINX_DIR LOG_DIR CERT_DIR
	printf 'version: STSv1\nmode: enforce\nmx: mx1.sender.test\nmx: mx2.sender.test\nmax_age: 86400\n' \
		>"$NGINX_DIR/www/.well-known/mta-sts.txt"
	chmod -R a+rX "$NGINX_DIR/www"
	nginx -t -q -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log" >>"$LOG_DIR/nginx.log" 2>&1 ||
		die "nginx -t rejects $NGINX_DIR/nginx.conf (logs: $LOG_DIR/nginx.log, $LOG_DIR/nginx-error.log)"
}

# nginx_start - nginx in the foreground (daemon off in its config).
nginx_start() {
	spawn nginx nginx -c "$SANDBOX_DIR/nginx/nginx.conf" -e "$SANDBOX_DIR/logs/nginx-error.log"
	wait_listen nginx ${SANDBOX_NET}.0.80 443 tcp 10
}

# mxray_conf - DIR/mxray.conf; MXRAY_REPORT_TTL overrides the report ttl.
mxray_conf() {
	REPORT_TTL=${MXRAY_REPORT_TTL:-72h}
	render "$SANDBOX_LIB/templates/mxray.conf.in" "$SANDBOX_DIR/mxray.conf" SANDBOX_DIR REPORT_TTL
}

# mxray_bin - the directory of the mxray-* programs: MXRAY_BIN_DIR if set
# (another build), else the repository root; fails when one is missing.
mxray_bin() {
	local d bin
	bin=${MXRAY_BIN_DIR:-$(cd "$SANDBOX_LIB/../.." && pwd)}
	for d in $MXRAY_DAEMONS; do
		[ -x "$bin/$d" ] || die "$bin/$d not built: run 'make' (or start with --no-mxray)"
	done
	echo "$bin"
}

# mxray_start - the three daemons, run from the repository root.
mxray_start() {
	local d root bin
	root=$(cd "$SANDBOX_LIB/../.." && pwd)
	bin=$(mxray_bin) || exit 1
	for d in $MXRAY_DAEMONS; do
		(cd "$root" && spawn "$d" "$bin/$d" -c "$SANDBOX_DIR/mxray.conf")
	done
	wait_listen mxray-milter ${SANDBOX_NET}.0.88 8891 tcp 15
	wait_listen mxray-reporter ${SANDBOX_NET}.0.8 8080 tcp 15
	# the worker listens nowhere: it must at least still be running
	sleep 0.3
	pid_alive "$(pid_of mxray-worker)" || {
		tail -n 15 "$SANDBOX_DIR/logs/mxray-worker.log" | sed 's/^/    /' >&2
		die "mxray-worker exited at start (log: $SANDBOX_DIR/logs/mxray-worker.log)"
	}
}

# mxray_stop - stop the daemons: reporter and milter first, the worker last.
mxray_stop() {
	stop_pid mxray-milter
	stop_pid mxray-reporter
	stop_pid mxray-worker
}
