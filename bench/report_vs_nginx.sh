#!/bin/sh
# report_vs_nginx.sh - requests per second for one stored report served by
# mxray-reporter (/r/<token>: Redis GET, parse, render) against nginx
# serving the same page as a static file, side by side with wrk.
#
# Usage: bench/report_vs_nginx.sh [SECONDS] [CONNECTIONS] [RUNS]
# RUNS rounds (default 5), each running wrk against both servers in turn;
# prints every round and the medians.
# Runs everything on loopback (${MXRAY_SANDBOX_NET:-127.77}.6.90/.91),
# Redis on a unix socket in a temporary directory; stops what it started
# by PID. Prints a Markdown table row per server and the ratio.
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=${MXRAY_BIN_DIR:-$PWD}
SECS=${1:-5}
CONNS=${2:-16}
RUNS=${3:-5}
NET=${MXRAY_SANDBOX_NET:-127.77}
R_ADDR=$NET.6.90:18090
N_ADDR=$NET.6.91:18091
W=$(mktemp -d /tmp/mxray-bench-XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null
	sleep 0.3
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
for t in wrk nginx redis-server; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench: $t missing (apt-get install wrk nginx-light redis-server)" >&2; exit 1; }
done

redis-server --port 0 --unixsocket "$W/redis.sock" --save '' --appendonly no --dir "$W" \
	--logfile "$W/redis.log" &
pids="$pids $!"
i=0
until redis-cli -s "$W/redis.sock" PING 2>/dev/null | grep -q PONG; do
	i=$((i + 1)); [ $i -gt 50 ] && { echo "bench: redis did not start" >&2; exit 1; }; sleep 0.1
done
TOKEN=Qk3vY2lfN0dtR1hKa2pVcG9XbE5xZz09
python3 - "$W" <<'PY'
import json, sys, time
rep = json.load(open("tests/unit/report/sample_report.json"))
rep["expires"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
json.dump(rep, open(sys.argv[1] + "/report.json", "w"))
PY
redis-cli -s "$W/redis.sock" -x SET "bench:result:$TOKEN" <"$W/report.json" >/dev/null
cat >"$W/mxray.conf" <<CONF
[log]
destination = stderr
[redis]
address = $W/redis.sock
key_prefix = bench:
[http]
listen = $R_ADDR
# root on purpose: the Redis socket is in this bench's root-only directory
user = root
[mail]
submit = smtp://127.0.0.1:1
CONF
"$BIN/mxray-reporter" -c "$W/mxray.conf" >"$W/reporter.log" 2>&1 &
pids="$pids $!"

# nginx: the same bytes the reporter serves, as a static file.
mkdir -p "$W/www/r"
i=0
until curl -s -o "$W/www/r/$TOKEN" "http://$R_ADDR/r/$TOKEN"; do
	i=$((i + 1)); [ $i -gt 50 ] && { echo "bench: reporter did not start" >&2; exit 1; }; sleep 0.1
done
cat >"$W/nginx.conf" <<CONF
daemon on;
worker_processes 1;
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 1024; }
http {
    access_log off;
    types { }
    default_type "text/html; charset=utf-8";
    client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; fastcgi_temp_path $W/tmp;
    uwsgi_temp_path $W/tmp; scgi_temp_path $W/tmp;
    server { listen $N_ADDR; root $W/www; }
}
CONF
mkdir -p "$W/tmp"
nginx -c "$W/nginx.conf" -p "$W" || { echo "bench: nginx did not start" >&2; exit 1; }

bytes=$(wc -c <"$W/www/r/$TOKEN")
rps() { wrk -t2 -c"$CONNS" -d"${SECS}s" "$1" | awk '/^Requests\/sec/ {print $2}'; }
echo "| round | mxray-reporter req/s | nginx req/s | ratio |"
echo "|---|---:|---:|---:|"
: >"$W/rounds"
round=1
while [ "$round" -le "$RUNS" ]; do
	r=$(rps "http://$R_ADDR/r/$TOKEN")
	n=$(rps "http://$N_ADDR/r/$TOKEN")
	echo "$r $n" >>"$W/rounds"
	python3 -c "print('| %d | %.0f | %.0f | %.2f |' % ($round, $r, $n, $r / $n))"
	round=$((round + 1))
done
python3 - "$W/rounds" "$bytes" "$CONNS" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
r = statistics.median(x[0] for x in rows)
n = statistics.median(x[1] for x in rows)
print("| **median** (%s bytes, %s connections) | %.0f | %.0f | %.2f |" % (sys.argv[2], sys.argv[3], r, n, r / n))
PY
