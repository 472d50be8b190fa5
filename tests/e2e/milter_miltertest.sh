#!/bin/sh
# milter_miltertest.sh - mxray-milter for real, driven by miltertest(8):
# a test mail becomes one job in a real Redis stream with the documented
# fields; a mail to another address is accepted and queues nothing; with
# Redis stopped the test mail is tempfailed with 451 4.3.0; the [milter]
# limits on header fields and body bytes are counted and reported.
# Self-contained: Redis and the milter on unix sockets in a temporary
# directory, both stopped by PID. Needs ./mxray-milter (make mxray-milter),
# redis-server, redis-cli, miltertest, python3. Prints ok / not ok lines.

set -u
cd "$(dirname "$0")/../.." || exit 2
dir=$(mktemp -d /tmp/mxray-miltertest-XXXXXX)
redis_pid= milter_pid=
cleanup() {
	[ -n "$milter_pid" ] && kill "$milter_pid" 2>/dev/null && wait "$milter_pid" 2>/dev/null
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
fail=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fail=1; }

cat >"$dir/mxray.conf" <<CONF
[log]
destination = stderr
[redis]
address = $dir/redis.sock
[milter]
socket = unix:$dir/milter.sock
# root on purpose: the sockets are in this test's root-only directory
user = root
test_addresses = test@mxray.test
max_headers = 3
max_body_bytes = 8
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

# mail RCPT: one SMTP transaction; prints RESULT accept|replycode|other.
cat >"$dir/mail.lua" <<'LUA'
local conn = mt.connect(SOCK, 20, 0.25)
if conn == nil then error("cannot connect to the milter") end
mt.negotiate(conn, nil, nil, nil)
mt.macro(conn, SMFIC_CONNECT, "{client_name}", "client.sender.test", "{client_ptr}", "client.sender.test")
assert(mt.conninfo(conn, "client.sender.test", "127.0.0.1") == nil)
mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256")
assert(mt.helo(conn, "client.sender.test") == nil)
assert(mt.mailfrom(conn, "<alice@sender.test>") == nil)
assert(mt.rcptto(conn, RCPT) == nil)
-- The milter may accept early (not a test mail): then stop sending.
local function step(err)
	if err ~= nil and mt.getreply(conn) ~= SMFIR_ACCEPT then error(err) end
	return mt.getreply(conn) == SMFIR_ACCEPT
end
if step(mt.header(conn, "Received", "from client.sender.test\r\n\tby mx.mxray.test; Sat, 22 Nov 2026 08:00:00 +0000"))
	or step(mt.header(conn, "From", "Alice \027[1m <alice@sender.test>"))
	or step(mt.header(conn, "Message-ID", "<abc@sender.test>"))
	or step(mt.eoh(conn))
	or step(mt.bodystring(conn, "secret body text\r\n")) then
	mt.echo("RESULT accept")
else
	assert(mt.eom(conn) == nil)
	local r = mt.getreply(conn)
	if r == SMFIR_ACCEPT then mt.echo("RESULT accept")
	elseif r == SMFIR_REPLYCODE then mt.echo("RESULT replycode")
	else mt.echo("RESULT other " .. tostring(r)) end
end
mt.disconnect(conn)
LUA
mail() { miltertest -D SOCK="unix:$dir/milter.sock" -D RCPT="$1" -s "$dir/mail.lua" 2>&1 | grep '^RESULT'; }
jobs() { redis-cli -s "$dir/redis.sock" XLEN mxray:jobs; }

r=$(mail "<Test@MXRAY.test>")
[ "$r" = "RESULT accept" ] && ok "test mail accepted" || notok "test mail accepted (got: $r)"
[ "$(jobs)" = 1 ] && ok "one job queued" || notok "one job queued (XLEN $(jobs))"
redis-cli -s "$dir/redis.sock" --raw XRANGE mxray:jobs - + | sed -n '/^{/p' >"$dir/job.json"
if python3 - "$dir/job.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
m = j["message"]
assert j["format"] == 1 and j["kind"] == "mail", j
assert j["domain"] == "sender.test" and j["reply_to"] == "alice@sender.test", j
check = m["client"].pop("check")
assert m["client"] == {"ip": "127.0.0.1", "name": "client.sender.test",
                       "ptr": "client.sender.test", "helo": "client.sender.test"}, m["client"]
# a loopback client: the HELO is judged as a name, without DNS lookups
assert check["fqdn"] is True and check["resolves"] is None, check
assert "loopback" in check["not_checked"], check
assert m["tls"] == {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256}, m["tls"]
assert m["rcpt"] == ["Test@MXRAY.test"], m["rcpt"]
assert m["from"] == "Alice \\x1b[1m <alice@sender.test>", m["from"]
assert m["received"][0]["raw"].startswith("from client.sender.test by mx.mxray.test;"), m["received"]
assert m["spf"]["domain"] == "sender.test" and m["spf"]["result"] in (
    "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"), m["spf"]
assert m["dkim"] == [], m["dkim"]
assert "secret body" not in open(sys.argv[1]).read()
# [milter] limits: three fields are exactly max_headers (all read); of the
# 18 body bytes, max_body_bytes (8) were hashed, and the report says so
lim = m["limits"]
assert (lim["headers"], lim["headers_not_read"], lim["body_bytes"], lim["body_bytes_read"]) \
    == (3, 0, 18, 8), lim
assert [f["id"] for f in lim["findings"]] == ["message.limits.body"], lim
PY
then ok "job has the documented fields, printable, no body"; else notok "job has the documented fields"; fi

r=$(mail "<someone@else.test>")
[ "$r" = "RESULT accept" ] && ok "other mail accepted" || notok "other mail accepted (got: $r)"
[ "$(jobs)" = 1 ] && ok "other mail queues nothing" || notok "other mail queues nothing"

kill "$redis_pid"; wait "$redis_pid" 2>/dev/null; redis_pid=
r=$(mail "<test@mxray.test>")
# miltertest shows a reply code was set, not which (eom_check does not see
# the final reply); the milter log shows why.
[ "$r" = "RESULT replycode" ] && grep -q "milter: Redis" "$dir/milter.log" &&
	ok "Redis down: message gets the 4xx reply code" || notok "Redis down: tempfail (got: $r)"
kill -0 "$milter_pid" 2>/dev/null && ok "milter still running" || notok "milter still running"
grep -q "queued test: domain=sender.test client=127.0.0.1" "$dir/milter.log" &&
	ok "one info line per queued job" || notok "info line per queued job"
[ "$fail" = 0 ] || sed 's/^/#   /' "$dir/milter.log"
exit $fail
