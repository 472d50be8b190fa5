#!/bin/sh
# milter_miltertest.sh - mxray-milter for real, driven by miltertest(8):
# a test mail becomes one job in a real Redis stream with the documented
# fields; a mail to another address is accepted and queues nothing;
# null-sender, automatic, list and mxray's own mail queues nothing either
# (counted, one log line each); with
# Redis stopped the test mail is tempfailed with 451 4.3.0; the [milter]
# limits on header fields and body bytes are counted and reported.
# Self-contained: Redis and the milter on unix sockets in a temporary
# directory, both stopped by PID. Needs ./mxray-milter (make mxray-milter),
# redis-server, redis-cli, miltertest, python3. Prints ok / not ok lines.

set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lib/milter.sh
milter_up miltertest "max_headers = 3
max_body_bytes = 8"

# The SPF keeper and helper (spf_sandbox.h): forked before the milter's
# listening socket existed, so neither holds it (the milter does); run as
# nobody although the milter runs as root with no [milter] user.
if python3 - "$milter_pid" <<'PY'
import os, sys
milter = int(sys.argv[1])
def children(p):
    return [int(x) for x in open("/proc/%d/task/%d/children" % (p, p)).read().split()]
def listening():
    ino = set()
    for line in open("/proc/net/unix").readlines()[1:]:
        f = line.split()
        if int(f[3], 16) & 0x10000:          # __SO_ACCEPTCON: a listening socket
            ino.add(f[6])
    for t in ("tcp", "tcp6"):
        for line in open("/proc/net/" + t).readlines()[1:]:
            f = line.split()
            if f[3] == "0A":
                ino.add(f[9])
    return ino
def sockets(p):
    out = set()
    for fd in os.listdir("/proc/%d/fd" % p):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (p, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            out.add(t[8:-1])
    return out
def uid(p):
    for line in open("/proc/%d/status" % p):
        if line.startswith("Uid:"):
            return int(line.split()[1])
keeper, = children(milter)
helper, = children(keeper)
lis = listening()
assert sockets(milter) & lis, "the milter holds no listening socket: the check would be blind"
assert not sockets(keeper) & lis, ("keeper", sockets(keeper) & lis)
assert not sockets(helper) & lis, ("helper", sockets(helper) & lis)
assert uid(milter) == 0 and uid(keeper) == 65534 and uid(helper) == 65534, \
    (uid(milter), uid(keeper), uid(helper))
PY
then ok "SPF helper holds no listening socket and runs as nobody"; else notok "SPF helper isolation"; fi

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
# a loopback client has no SPF verdict (libspf2 would pass it) and this
# mail has no DKIM signature: nothing authenticates it, so no reply
assert j["domain"] == "sender.test" and j["reply_to"] is None, j
assert "SPF not evaluated" in j["reply_policy"]["reason"], j["reply_policy"]
check = m["client"].pop("check")
assert m["client"] == {"ip": "127.0.0.1", "family": "ipv4", "name": "client.sender.test",
                       "ptr": "client.sender.test", "helo": "client.sender.test"}, m["client"]
# a loopback client: the HELO is judged as a name, without DNS lookups
assert check["fqdn"] is True and check["resolves"] is None, check
assert "loopback" in check["not_checked"], check
assert m["tls"] == {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256}, m["tls"]
assert m["rcpt"] == ["Test@MXRAY.test"], m["rcpt"]
assert m["from"] == "Alice \\x1b[1m <alice@sender.test>", m["from"]
assert m["received"][0]["raw"].startswith("from client.sender.test by mx.mxray.test;"), m["received"]
assert m["spf"]["domain"] == "sender.test" and m["spf"]["result"] is None, m["spf"]
assert m["spf"]["evaluated"] is False and "loopback" in m["spf"]["explanation"], m["spf"]
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

# No reply and no probe (DESIGN rule 4): the null sender, automatic mail
# (an Auto-Submitted: auto-replied after an Auto-Submitted: no still
# counts), bulk and list mail, mxray's own mail. Each is accepted, queues
# no job, logs one line and is counted; Auto-Submitted: no alone is tested.
cat >"$dir/auto.lua" <<'LUA'
local conn = mt.connect(SOCK, 20, 0.25)
if conn == nil then error("cannot connect to the milter") end
mt.negotiate(conn, nil, nil, nil)
assert(mt.conninfo(conn, "client.sender.test", "127.0.0.1") == nil)
assert(mt.helo(conn, "client.sender.test") == nil)
assert(mt.mailfrom(conn, MAILFROM) == nil)
assert(mt.rcptto(conn, "<test@mxray.test>") == nil)
assert(mt.header(conn, "From", FROM) == nil)
if H1 ~= "-" then assert(mt.header(conn, H1, V1) == nil) end
if H2 ~= "-" then assert(mt.header(conn, H2, V2) == nil) end
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "body\r\n") == nil)
assert(mt.eom(conn) == nil)
local r = mt.getreply(conn)
if r == SMFIR_ACCEPT then mt.echo("RESULT accept") else mt.echo("RESULT other " .. tostring(r)) end
mt.disconnect(conn)
LUA
# auto NAME MAILFROM FROM H1 V1 H2 V2 (- for no header)
auto() {
	r=$(miltertest -D SOCK="unix:$dir/milter.sock" -D MAILFROM="$2" -D FROM="$3" -D H1="$4" \
		-D V1="$5" -D H2="$6" -D V2="$7" -s "$dir/auto.lua" 2>&1 | grep '^RESULT')
	[ "$r" = "RESULT accept" ] && ok "$1: accepted" || notok "$1: accepted (got: $r)"
}
counted() { redis-cli -s "$dir/redis.sock" GET mxray:count:tests_not_answered; }
before=$(jobs)
auto "null sender" "<>" "Alice <alice@sender.test>" - - - -
auto "auto-replied after no" "<alice@sender.test>" "alice@sender.test" \
	Auto-Submitted no Auto-Submitted auto-replied
auto "precedence bulk" "<alice@sender.test>" "alice@sender.test" Precedence bulk - -
auto "list-unsubscribe" "<news@sender.test>" "news@sender.test" List-Unsubscribe "<https://sender.test/u>" - -
auto "mxray's own mail" "<bounce@other.test>" '"x" <mxray@localhost>' - - - -
[ "$(jobs)" = "$before" ] && ok "automatic mail queues no job" || notok "automatic mail queues no job (XLEN $(jobs), was $before)"
[ "$(counted)" = 5 ] && ok "each counted as tests_not_answered" || notok "tests_not_answered = '$(counted)', want 5"
for why in "null sender" "Auto-Submitted: auto-replied" "Precedence: bulk" "List-Unsubscribe present" "sent by mxray itself"; do
	grep -q "not tested, no reply and no probe: $why" "$dir/milter.log" && ok "logged: $why" ||
		notok "logged: $why"
done
auto "auto-submitted no" "<alice@sender.test>" "alice@sender.test" Auto-Submitted no - -
[ "$(jobs)" = $((before + 1)) ] && ok "Auto-Submitted: no is tested" || notok "Auto-Submitted: no is tested (XLEN $(jobs))"

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
