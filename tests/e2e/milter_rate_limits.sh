#!/bin/sh
# milter_rate_limits.sh - the per-domain and per-network rate limits of
# mxray-milter ([milter] rate_per_domain, rate_per_network), driven by
# miltertest(8) against a real Redis: within the limits test mails are
# accepted; over one, RCPT gets 450 4.7.1 naming the limit; a client
# network is an IPv4 /24 or an IPv6 /48, and other networks and domains
# are counted apart; each refusal is counted for /metrics. (The
# per-sender limit is tested through Postfix in analysis_spf.sh.)
# Self-contained: Redis and the milter on unix sockets in a temporary
# directory, both stopped by PID.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lib/milter.sh
milter_up ratelimit "rate_per_sender = 100
rate_per_domain = 2
rate_per_network = 4"

# One SMTP transaction up to RCPT: prints RESULT continue|replycode|other.
cat >"$dir/rate.lua" <<'LUA'
local conn = mt.connect(SOCK, 20, 0.25)
if conn == nil then error("cannot connect to the milter") end
mt.negotiate(conn, nil, nil, nil)
assert(mt.conninfo(conn, "client.test", IP) == nil)
assert(mt.helo(conn, "client.test") == nil)
assert(mt.mailfrom(conn, MAILFROM) == nil)
assert(mt.rcptto(conn, "<test@mxray.test>") == nil)
local r = mt.getreply(conn)
if r == SMFIR_CONTINUE then mt.echo("RESULT continue")
elseif r == SMFIR_REPLYCODE then mt.echo("RESULT replycode")
else mt.echo("RESULT other " .. tostring(r)) end
mt.disconnect(conn)
LUA
# try NAME IP SENDER WANT [LIMIT]: WANT continue, or replycode with the
# milter's log naming LIMIT for this sender and 450 4.7.1.
try() {
	r=$(miltertest -D SOCK="unix:$dir/milter.sock" -D IP="$2" -D MAILFROM="<$3>" -s "$dir/rate.lua" 2>&1 |
		grep '^RESULT')
	if [ "$r" != "RESULT $4" ]; then
		notok "$1 (got: $r)"
	elif [ "$4" = replycode ] &&
		! grep -q "client $2 sender <$3>: over the $5 rate limit: 450 4.7.1" "$dir/milter.log"; then
		notok "$1 (no log line for the $5 limit)"
	else
		ok "$1"
	fi
}

# Per domain (2): the third sender of d1.test is refused, d2.test is not.
try "domain: 1st of d1.test" 192.0.2.1 a@d1.test continue
try "domain: 2nd of d1.test" 192.0.2.1 b@d1.test continue
try "domain: 3rd of d1.test refused" 192.0.2.1 c@D1.test replycode domain
# Per network (4, this /24 has seen 3): the 4th passes, the 5th is refused;
# a neighbouring /24 and an IPv6 /48 have counts of their own.
try "network: 4th from 192.0.2.0/24" 192.0.2.200 x@d2.test continue
try "network: 5th from 192.0.2.0/24 refused" 192.0.2.77 y@d3.test replycode network
try "network: 192.0.3.1 is another /24" 192.0.3.1 z@d4.test continue
for i in 1 2 3 4; do
	try "network: IPv6 $i of 2001:db8:1::/48" "2001:db8:1:$i::9" "v$i@six$i.test" continue
done
try "network: IPv6 5th of 2001:db8:1::/48 refused" 2001:db8:1:ffff::1 v5@six5.test replycode network
try "network: 2001:db8:2::1 is another /48" 2001:db8:2::1 v6@six6.test continue

n=$(redis-cli -s "$dir/redis.sock" GET mxray:count:tests_rate_limited)
[ "$n" = 3 ] && ok "three refusals counted for /metrics" || notok "tests_rate_limited = '$n', want 3"
ttl=$(redis-cli -s "$dir/redis.sock" PTTL mxray:rate:domain:d1.test)
[ "${ttl:-0}" -gt 3500000 ] && [ "$ttl" -le 3600000 ] && ok "counted over the 1 h window" ||
	notok "PTTL of the domain counter: $ttl"
kill -0 "$milter_pid" 2>/dev/null && ok "milter still running" || notok "milter still running"
[ "$fail" = 0 ] || sed 's/^/#   /' "$dir/milter.log" | tail -n 30
exit $fail
