#!/bin/sh
# report_site.sh - the report site and `mxray status` against a real Redis
# (unix socket in a temporary directory) and a real mxray-reporter on a
# loopback address of ${MXRAY_SANDBOX_NET:-127.77}. No sandbox, no mail.
# Asserts: keep-alive (two requests, one connection), GET and HEAD only
# (405 with Allow otherwise, HEAD without a body), the page's security
# and caching headers, the report page and its JSON, unknown and expired
# tokens answered alike, the page cache (repeats answered from it, never
# past a report's expiry), /metrics with the oldest job's age, and
# `mxray status` printing that age, and POST /api/v1/check (off by
# default; when on: 202 with a token bound to a domain-only job, 400 for
# bad names, 405 for other methods, 429 past the per-address rate).
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

NET=${MXRAY_SANDBOX_NET:-127.77}
ADDR=$NET.6.80
PORT=18086
BASE=http://$ADDR:$PORT
WORK=$(mktemp -d /tmp/mxray-site-XXXXXX)
REDIS_PID=
REPORTER_PID=
REPORTER2_PID=
cleanup() {
	[ -n "$REPORTER_PID" ] && kill "$REPORTER_PID" 2>/dev/null
	[ -n "$REPORTER2_PID" ] && kill "$REPORTER2_PID" 2>/dev/null
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null
	sleep 0.2
	if [ "$E2E_FAILED" -gt 0 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

redis-server --port 0 --unixsocket "$WORK/redis.sock" --save '' --appendonly no \
	--dir "$WORK" --logfile "$WORK/redis.log" &
REDIS_PID=$!
rcli() { redis-cli -s "$WORK/redis.sock" "$@"; }
i=0
until rcli PING 2>/dev/null | grep -q PONG; do
	i=$((i + 1))
	[ $i -gt 50 ] && { not_ok redis_starts "see $WORK/redis.log"; exit 1; }
	sleep 0.1
done

cat >"$WORK/mxray.conf" <<EOF
[redis]
address = $WORK/redis.sock
key_prefix = a6site:
[report]
base_url = $BASE
[http]
listen = $ADDR:$PORT
# root on purpose: the Redis socket is in this test's root-only directory
user = root
[mail]
submit = smtp://$ADDR:1
EOF
"$E2E_BIN/mxray-reporter" -c "$WORK/mxray.conf" >"$WORK/reporter.log" 2>&1 &
REPORTER_PID=$!
i=0
until curl -s -o /dev/null "$BASE/healthz"; do
	i=$((i + 1))
	[ $i -gt 50 ] && { not_ok reporter_starts "$(tail -n 5 "$WORK/reporter.log")"; exit 1; }
	sleep 0.1
done

# A stored report that expires in an hour, one that has expired by its own
# date (the key has no TTL left to enforce it), and an unknown token.
TOKEN=Qk3vY2lfN0dtR1hKa2pVcG9XbE5xZz09
OLD=T2xkT2xkT2xkT2xkT2xkT2xkT2xkT2xk
python3 - "$WORK" <<'PY'
import json, sys, time
w = sys.argv[1]
rep = json.load(open("tests/unit/report/sample_report.json"))
fmt = "%Y-%m-%dT%H:%M:%SZ"
rep["expires"] = time.strftime(fmt, time.gmtime(time.time() + 3600))
json.dump(rep, open(w + "/live.json", "w"))
rep["token"] = "T2xkT2xkT2xkT2xkT2xkT2xkT2xkT2xk"
rep["expires"] = time.strftime(fmt, time.gmtime(time.time() - 60))
json.dump(rep, open(w + "/old.json", "w"))
PY
rcli -x SET "a6site:result:$TOKEN" <"$WORK/live.json" >/dev/null
rcli -x SET "a6site:result:$OLD" <"$WORK/old.json" >/dev/null

# Keep-alive: curl fetches two URLs over one connection when the server
# keeps it open; it says so in its verbose log.
curl -sv -o /dev/null -o /dev/null "$BASE/r/$TOKEN" "$BASE/r/$TOKEN.json" 2>"$WORK/keepalive.log"
conns=$(grep -c '^\* Connected to' "$WORK/keepalive.log")
if [ "$conns" = 1 ] && grep -q 'Re-using existing connection' "$WORK/keepalive.log"; then
	ok keep_alive_reuses_the_connection
else
	not_ok keep_alive_reuses_the_connection "$conns connections; $(grep -i 'connection' "$WORK/keepalive.log" | head -n 4 | tr '\n' ' ')"
fi

# The page, its headers and its JSON.
code=$(curl -s -o "$WORK/page.html" -D "$WORK/page.headers" -w '%{http_code}' "$BASE/r/$TOKEN")
[ "$code" = 200 ] && ok report_page_200 || not_ok report_page_200 "got $code"
contains page_has_grade "$WORK/page.html" 'class="badge g-A"'
contains page_has_mx_host "$WORK/page.html" "mx1.sender.test"
for h in "Content-Security-Policy: default-src 'none'" "X-Content-Type-Options: nosniff" \
	"Referrer-Policy: no-referrer" "Cache-Control: private, no-store"; do
	if tr -d '\r' <"$WORK/page.headers" | grep -qiF "$h"; then
		ok "header_$(echo "$h" | cut -d: -f1)"
	else
		not_ok "header_$(echo "$h" | cut -d: -f1)" "missing: $h"
	fi
done
code=$(curl -s -o "$WORK/page.json" -w '%{http_code} %{content_type}' "$BASE/r/$TOKEN.json")
[ "$code" = "200 application/json; charset=utf-8" ] && ok report_json_served || not_ok report_json_served "$code"
[ "$(json_get "$WORK/page.json" domain)" = sender.test ] && ok report_json_is_the_report ||
	not_ok report_json_is_the_report "$(head -c 100 "$WORK/page.json")"

# Unknown and expired tokens: the same answer, byte for byte.
c1=$(curl -s -o "$WORK/unknown.html" -w '%{http_code}' "$BASE/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
c2=$(curl -s -o "$WORK/expired.html" -w '%{http_code}' "$BASE/r/$OLD")
if [ "$c1 $c2" = "404 404" ] && cmp -s "$WORK/unknown.html" "$WORK/expired.html"; then
	ok unknown_and_expired_alike
else
	not_ok unknown_and_expired_alike "codes $c1 $c2"
fi

# GET and HEAD only. HEAD has the headers and no body.
curl -s -I -o "$WORK/head.headers" "$BASE/r/$TOKEN"
bytes=$(curl -s --head -w '%{size_download}' -o /dev/null "$BASE/r/$TOKEN")
if head -n 1 "$WORK/head.headers" | grep -q ' 200' && [ "$bytes" = 0 ] &&
	grep -qi '^Content-Length: [1-9]' "$WORK/head.headers"; then
	ok head_answers_without_body
else
	not_ok head_answers_without_body "$(head -n 1 "$WORK/head.headers") body $bytes"
fi
for m in POST PUT DELETE OPTIONS; do
	code=$(curl -s -X "$m" -d 'x=1' -D "$WORK/m.headers" -o /dev/null -w '%{http_code}' "$BASE/r/$TOKEN")
	if [ "$code" = 405 ] && tr -d '\r' <"$WORK/m.headers" | grep -q '^Allow: GET, HEAD$'; then
		ok "method_${m}_refused"
	else
		not_ok "method_${m}_refused" "got $code"
	fi
done

# The oldest job's age: a job queued "now" and one 90 s ago (stream ids
# carry Redis's clock in milliseconds), none consumed yet.
now_ms=$(rcli TIME | { read -r s; read -r us; echo $((s * 1000 + us / 1000)); })
rcli XADD a6site:jobs "$((now_ms - 90000))-0" v 1 >/dev/null
rcli XADD a6site:jobs '*' v 2 >/dev/null
curl -s -o "$WORK/metrics" "$BASE/metrics"
age=$(sed -n 's/^mxray_queue_oldest_age_seconds{stream="jobs"} //p' "$WORK/metrics")
if [ -n "$age" ] && python3 -c "import sys; sys.exit(0 if 89 <= float('$age') < 150 else 1)"; then
	ok "metrics_oldest_job_age ($age s)"
else
	not_ok metrics_oldest_job_age "got '$age'"
fi
grep -q '^# TYPE mxray_queue_oldest_age_seconds gauge$' "$WORK/metrics" && ok metrics_age_typed ||
	not_ok metrics_age_typed
"$E2E_BIN/mxray" status -c "$WORK/mxray.conf" >"$WORK/status.out" 2>&1
age=$(sed -n 's/^jobs .* oldest \([0-9]*\)s$/\1/p' "$WORK/status.out")
if [ -n "$age" ] && [ "$age" -ge 89 ] && [ "$age" -lt 150 ]; then
	ok "status_prints_oldest_job_age (${age}s)"
else
	not_ok status_prints_oldest_job_age "$(cat "$WORK/status.out")"
fi
grep -q '^reports .* oldest none$' "$WORK/status.out" && ok status_empty_queue_has_no_oldest ||
	not_ok status_empty_queue_has_no_oldest "$(grep reports "$WORK/status.out")"

# The page cache: a report asked for again is answered from it, byte for
# byte, but never past the report's own expiry.
curl -s -o "$WORK/again.html" "$BASE/r/$TOKEN"
hits=$(curl -s "$BASE/metrics" | sed -n 's/^mxray_reports_cache_hits_total //p')
if [ "${hits:-0}" -ge 1 ] && cmp -s "$WORK/page.html" "$WORK/again.html"; then
	ok "cache_answers_repeats ($hits hits)"
else
	not_ok cache_answers_repeats "hits '$hits'"
fi
SOON=U29vblNvb25Tb29uU29vblNvb25Tb29u
python3 - "$WORK" <<'PY'
import json, sys, time
w = sys.argv[1]
rep = json.load(open(w + "/live.json"))
rep["token"] = "U29vblNvb25Tb29uU29vblNvb25Tb29u"
rep["expires"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
json.dump(rep, open(w + "/soon.json", "w"))
PY
rcli -x SET "a6site:result:$SOON" <"$WORK/soon.json" >/dev/null
c1=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/r/$SOON")
sleep 3
c2=$(curl -s -o "$WORK/soon.html" -w '%{http_code}' "$BASE/r/$SOON")
if [ "$c1 $c2" = "200 404" ] && cmp -s "$WORK/soon.html" "$WORK/unknown.html"; then
	ok cache_never_outlives_expiry
else
	not_ok cache_never_outlives_expiry "codes $c1 then $c2"
fi

# POST /api/v1/check: off by default (404, like any unknown path); a
# second reporter with it on queues a domain-only job bound to the token
# it answers with, refuses other methods and bad names, and rate-limits.
code=$(curl -s -X POST -o /dev/null -w '%{http_code}' "$BASE/api/v1/check?domain=example.test")
[ "$code" = 404 ] && ok api_off_by_default || not_ok api_off_by_default "got $code"
PORT2=$((PORT + 1))
BASE2=http://$ADDR:$PORT2
sed -e "s/^listen = .*/listen = $ADDR:$PORT2/" -e "s#^base_url = .*#base_url = $BASE2#" \
	"$WORK/mxray.conf" >"$WORK/api.conf"
printf 'api_check = on\napi_check_rate = 2\n' >>"$WORK/api.conf"
# [http] must hold the new keys: move them under it.
python3 - "$WORK/api.conf" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
extra = [l for l in lines if l.startswith("api_check")]
out = []
for l in lines:
    if l.startswith("api_check"):
        continue
    out.append(l)
    if l == "[http]":
        out += extra
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
"$E2E_BIN/mxray-reporter" -c "$WORK/api.conf" >"$WORK/reporter2.log" 2>&1 &
REPORTER2_PID=$!
i=0
until curl -s -o /dev/null "$BASE2/healthz"; do
	i=$((i + 1))
	[ $i -gt 50 ] && { not_ok api_reporter_starts "$(tail -n 5 "$WORK/reporter2.log")"; break; }
	sleep 0.1
done
code=$(curl -s -o /dev/null -D "$WORK/api405.headers" -w '%{http_code}' "$BASE2/api/v1/check?domain=example.test")
if [ "$code" = 405 ] && tr -d '\r' <"$WORK/api405.headers" | grep -q '^Allow: POST$'; then
	ok api_get_refused; else not_ok api_get_refused "got $code"; fi
for bad in '' 'a' '-x.test' 'x..test' 'x_y.test' '%3Cscript%3E.test' "$(printf 'a%.0s' $(seq 1 70)).test"; do
	code=$(curl -s -X POST -o "$WORK/api400.json" -w '%{http_code}' "$BASE2/api/v1/check?domain=$bad")
	[ "$code" = 400 ] || { not_ok api_bad_domain_refused "'$bad' got $code"; bad=FAIL; break; }
done
[ "$bad" != FAIL ] && ok api_bad_domain_refused
code=$(curl -s -X POST -o "$WORK/api1.json" -w '%{http_code}' "$BASE2/api/v1/check?domain=Example.TEST")
tok=$(json_get "$WORK/api1.json" token)
link=$(json_get "$WORK/api1.json" link)
if [ "$code" = 202 ] && echo "$tok" | grep -qE '^[A-Za-z0-9_-]{32}$' && [ "$link" = "$BASE2/r/$tok" ]; then
	ok "api_check_queued (token $tok)"
else
	not_ok api_check_queued "got $code: $(cat "$WORK/api1.json")"
fi
rcli --raw XRANGE a6site:jobs - + | grep '"kind":"domain"' >"$WORK/apijob.json"
if grep -q '"domain":"example.test"' "$WORK/apijob.json" && grep -q '"reply_to":null' "$WORK/apijob.json"; then
	ok api_job_is_domain_only_without_reply
else
	not_ok api_job_is_domain_only_without_reply "$(cat "$WORK/apijob.json")"
fi
id=$(rcli --raw XRANGE a6site:jobs - + | awk '/^[0-9]+-[0-9]+$/ {id=$0} END {print id}')
[ "$(rcli --raw GET "a6site:jobtoken:$id")" = "$tok" ] && ok api_token_bound_to_job ||
	not_ok api_token_bound_to_job "jobtoken:$id is '$(rcli --raw GET "a6site:jobtoken:$id")'"
c2=$(curl -s -X POST -o /dev/null -w '%{http_code}' "$BASE2/api/v1/check?domain=example.test")
c3=$(curl -s -X POST -o "$WORK/api3.json" -w '%{http_code}' "$BASE2/api/v1/check?domain=example.test")
[ "$c2 $c3" = "202 429" ] && ok api_rate_limited_per_address || not_ok api_rate_limited_per_address "codes $c2 $c3"
curl -s -o "$WORK/metrics2" "$BASE2/metrics"
if grep -q '^mxray_api_checks_total 2$' "$WORK/metrics2" && grep -q '^mxray_api_rate_limited_total 1$' "$WORK/metrics2"; then
	ok api_metrics_count
else
	not_ok api_metrics_count "$(grep mxray_api "$WORK/metrics2" | tr '\n' ' ')"
fi

# The site counted what it served (3 reports: page and JSON twice... as
# counted above) and the unknown/expired asks.
curl -s -o "$WORK/metrics" "$BASE/metrics"
served=$(sed -n 's/^mxray_reports_served_total //p' "$WORK/metrics")
[ "${served:-0}" -ge 4 ] && ok "metrics_reports_served ($served)" || not_ok metrics_reports_served "got '$served'"
e2e_done
